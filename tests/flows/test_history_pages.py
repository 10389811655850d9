"""The history's pages read as sentences, from a real sending: the history page, its export and
a phone number's timeline say what happened in the reader's language, never as a dict or JSON.
Each audit entry's sentences: test_history_sentences.py."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.editing import row_set_cells
from campaigns.services.grids import grid_create_from_rows
from campaigns.services.validation import campaign_rules
from tests.helpers import assert_plain, send

pytestmark = pytest.mark.django_db


def test_the_history_page_shows_sentences_and_no_data_structure(
    client: Client, viewer: Any, sent: Grid, rules: Any
) -> None:
    row = sent.rows.order_by("number").first()
    assert row is not None
    row_set_cells(grid=sent, row=row, cells={"status": "Nie dzwonić"}, author=None, rules=rules)
    client.force_login(viewer)

    for language in ("en", "pl"):
        client.post(reverse("set_language"), {"language": language})
        page = client.get(reverse("campaigns:history")).content.decode()
        table = page.split('<table class="table">', 1)[1].split("</table>\n{%", 1)[0]
        details = re.findall(r'<td class="said">(.*?)</td>\n    </tr>', table, re.S)

        assert details
        for cell in details:
            assert_plain(re.sub(r"<[^>]+>", " ", cell).replace("&#x27;", "'"))
        if language == "en":
            assert "7 updated" in page
            assert "Columns confirmed" in page
            assert "1 cell changed" in page
            assert "Thulium request ID" in page
        else:
            assert "zmieniono 1 komórkę" in page
            assert "ID żądania Thulium" in page


def test_the_history_export_carries_the_same_sentences(
    client: Client, viewer: Any, sent: Grid
) -> None:
    client.force_login(viewer)
    url = reverse("campaigns:history")

    english = client.get(url + "?export=csv", HTTP_ACCEPT_LANGUAGE="en")
    rows = list(csv.DictReader(io.StringIO(english.content.decode("utf-8-sig"))))

    by_action = {row["action"]: row["details"] for row in rows}
    assert by_action["Sending finished"] == f"Sending #{sent.submissions.get().pk}: 7 updated"
    assert "Format: CSV; encoding: Windows-1250 (Polish Windows)" in by_action["File uploaded"]
    assert "“Numer telefonu” → Phone number" in by_action["Columns confirmed"]
    for row in rows:
        assert_plain(row["details"])
        assert "rows_digest" not in row["details"]


def test_a_phone_numbers_timeline_names_statuses_and_writes_dates_the_readers_way(
    client: Client, viewer: Any, sent: Grid
) -> None:
    client.force_login(viewer)
    url = reverse("campaigns:phone_history", args=["845400588"])

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post(reverse("set_language"), {"language": "pl"})
    polish = client.get(url).content.decode()

    # The campaign's statuses were read for the sending: the page names them without Thulium.
    assert '<th scope="row">Status</th><td>W obsłudze</td><td>Mój rekord</td>' in english
    assert "<td>a.nowak (Anna Nowak)</td>" in english
    assert "<td>24/12/2030 09:30</td>" in english
    assert "<td>24.12.2030 09:30</td>" in polish
    assert "Thulium request ID:" in english
    assert "ID żądania Thulium:" in polish
    assert "request_id" not in english
    assert "2030-12-24" not in english


def test_a_timeline_without_the_status_names_at_hand_shows_the_id_gracefully(
    client: Client, viewer: Any, sent: Grid
) -> None:

    cache.clear()  # an hour later, in another process: no names read lately
    client.force_login(viewer)

    page = client.get(
        reverse("campaigns:phone_history", args=["845400588"]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "<td>4 (name unknown)</td>" in page


def test_a_field_sent_for_the_first_time_explains_its_unknown_before_value(
    client: Client, viewer: Any, sent: Grid
) -> None:
    client.force_login(viewer)
    url = reverse("campaigns:phone_history", args=["509708024"])

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post(reverse("set_language"), {"language": "pl"})
    polish = client.get(url).content.decode()

    assert (
        '<th scope="row">miasto</th><td>— <span class="muted">(not known)</span></td>'
        "<td>Łódź</td>" in english
    )
    assert "Not known: this dashboard had not sent this field before" in english
    assert "(nieznana)" in polish
    assert "<td>?</td>" not in english


def test_a_field_sent_before_shows_its_last_sent_value_as_the_before_value(
    client: Client, viewer: Any, campaign: Any, api: thulium.ThuliumClient, sent: Grid
) -> None:

    rules = campaign_rules(campaign=campaign, client=api)
    again = grid_create_from_rows(
        campaign=campaign,
        author=None,
        source=Grid.Source.EMPTY,
        headers=["phone_number", "field:miasto"],
        raw_rows=[["509708024", "Kraków"]],
        rules=rules,
    )
    send(again, rules, api)
    client.force_login(viewer)

    page = client.get(
        reverse("campaigns:phone_history", args=["509708024"]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert '<th scope="row">miasto</th><td>Łódź</td><td>Kraków</td>' in page
