"""No stored value can break a page: each malformed class is written straight into a row, as an
old version or a bug might have left it, and every page that shows the row still answers 200,
shows it as stored and logs it once (issue 26, item 2)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import Grid, Row
from campaigns.presentation.row_html import SHOWN_CHARS

pytestmark = pytest.mark.django_db

# (what is stored wrong, the Row fields it is written as): each a class of bad JSON.
MALFORMED: dict[str, dict[str, Any]] = {
    "a date with a three-digit year": {"values": {"next_call_date": "226-12-24 09:30"}},
    "a date that is not a date": {"values": {"next_call_date": "soon, maybe"}},
    "a date that is a number": {"values": {"next_call_date": 10**300}},
    "a huge number where text belongs": {"values": {"status_id": 10**4000}},
    "a dict where a status id belongs": {"values": {"status_id": {"id": "4"}}},
    "a list where an agent belongs": {"values": {"agent_login": ["a.nowak", None]}},
    "record fields that are not a dict": {"values": {"record_fields": "pole1=x"}},
    "a record field holding a dict": {"values": {"record_fields": {"pole1": {"x": [1]}}}},
    "values that are a list": {"values_whole": ["phone_number", "+48 509 708 024"]},
    "raw that is a dict": {"raw": {"0": "+48 509 708 024"}},
    "raw cells that are numbers": {"raw_cells": 1.5e308},
    "a message without its parameters": {
        "messages": [{"field": "next_call_date", "level": "error", "code": "date_invalid"}]
    },
    "a message with a dict for parameters": {
        "messages": [
            {"field": "status", "level": "error", "code": "status_unknown", "params": [1, 2]}
        ]
    },
    "a message that is text": {"messages": ["Something went wrong"]},
    "Thulium's answer that is a list": {"outcome_detail": ["rejected", 400]},
    "Thulium's message that is a dict": {"outcome_detail": {"message": {"error": "x"}}},
}


def break_row(row: Row, how: dict[str, Any]) -> None:
    """Write the malformed value with an UPDATE, past every check the code makes on a save."""
    changes: dict[str, Any] = {}
    if "values" in how:
        changes["values"] = row.values | how["values"]
    if "values_whole" in how:
        changes["values"] = how["values_whole"]
    if "raw" in how:
        changes["raw"] = how["raw"]
    if "raw_cells" in how:
        changes["raw"] = [how["raw_cells"] for _ in row.raw]
    if "messages" in how:
        changes["messages"] = how["messages"]
    if "outcome_detail" in how:
        changes["outcome_detail"] = how["outcome_detail"]
        changes["outcome"] = "rejected"
    Row.objects.filter(pk=row.pk).update(**changes)


def edit_a_cell(client: Client, grid: Grid, row: Row | None) -> None:
    """A cell saved through the page, so that the grid page has something to undo."""
    assert row is not None
    response = client.post(
        reverse("campaigns:cell_save", args=[grid.pk, row.pk]),
        {"target": "field:miasto", "value": "Kraków"},
    )
    assert response.status_code == 302


def stored_value_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "campaigns.rules.stored_values"]


@pytest.mark.parametrize("kind", MALFORMED)
def test_every_page_showing_a_malformed_stored_value_answers_200_and_undo_stays(
    kind: str, logged_in: Client, crm_grid: Grid, caplog: pytest.LogCaptureFixture
) -> None:
    row = crm_grid.rows.get(number=5)
    edit_a_cell(logged_in, crm_grid, crm_grid.rows.exclude(pk=row.pk).first())
    break_row(row, MALFORMED[kind])
    caplog.set_level(logging.WARNING, logger="campaigns.rules.stored_values")

    grid_page = logged_in.get(reverse("campaigns:grid_detail", args=[crm_grid.pk]))

    assert grid_page.status_code == 200
    html = grid_page.content.decode()
    assert f'id="row-{row.pk}"' in html
    assert "Undo: Cell edit" in html
    assert len(stored_value_warnings(caplog)) <= 1  # once per render, however many cells
    pages = [
        reverse("campaigns:row", args=[crm_grid.pk, row.pk]),
        reverse("campaigns:row_payload", args=[crm_grid.pk, row.pk]),
        reverse("campaigns:row_edit", args=[crm_grid.pk, row.pk]),
        reverse("campaigns:cell_edit", args=[crm_grid.pk, row.pk]) + "?target=next_call_date",
        reverse("campaigns:cell_edit", args=[crm_grid.pk, row.pk]) + "?target=status",
        reverse("campaigns:cell_full", args=[crm_grid.pk, row.pk]) + "?target=status",
        reverse("campaigns:grid_review", args=[crm_grid.pk]),
        reverse("campaigns:grid_export", args=[crm_grid.pk]) + "?format=csv",
        reverse("campaigns:grid_export", args=[crm_grid.pk]) + "?format=xlsx",
        reverse("campaigns:history"),
        reverse("campaigns:phone_history", args=[row.phone or "509708024"]),
    ]
    for url in pages:
        assert logged_in.get(url).status_code == 200, url
    undone = logged_in.post(reverse("campaigns:grid_undo", args=[crm_grid.pk]))
    assert undone.status_code == 302


def test_a_page_shows_a_malformed_value_as_stored_escaped_and_logs_it_once(
    logged_in: Client, crm_grid: Grid, caplog: pytest.LogCaptureFixture
) -> None:
    rows = list(crm_grid.rows.order_by("number")[:3])
    for row in rows:
        break_row(row, {"values": {"next_call_date": "226-12-24 <b>09:30</b>"}})
    caplog.set_level(logging.WARNING, logger="campaigns.rules.stored_values")

    html = logged_in.get(reverse("campaigns:grid_detail", args=[crm_grid.pk])).content.decode()

    assert html.count("226-12-24 &lt;b&gt;09:30&lt;/b&gt;") >= 3
    assert "<b>09:30</b>" not in html
    warnings = stored_value_warnings(caplog)
    assert len(warnings) == 1
    assert "3 stored value(s)" in warnings[0].getMessage()


@pytest.mark.parametrize("wrong", ["226-12-24 09:30", "tomorrow", {"at": 1}])
def test_the_review_shows_a_row_whose_stored_date_cannot_be_sent_as_stored(
    wrong: Any, logged_in: Client, crm_grid: Grid
) -> None:
    for row in crm_grid.rows.exclude(state=Row.State.ERROR):
        break_row(row, {"values": {"next_call_date": wrong}})

    response = logged_in.get(reverse("campaigns:grid_review", args=[crm_grid.pk]))

    assert response.status_code == 200
    assert "next_call_date" in response.content.decode()


def test_a_one_megabyte_cell_is_on_the_grid_page_once_cut_short_and_whole_on_demand(
    logged_in: Client, crm_grid: Grid
) -> None:
    row = crm_grid.rows.get(number=5)
    position = crm_grid.mapping.index("field:miasto")
    long = "Zażółć gęślą jaźń. " * 55_189  # a little over 1 MB of text
    raw = list(row.raw)
    raw[position] = long
    values = row.values | {"record_fields": row.values.get("record_fields", {}) | {"miasto": long}}
    Row.objects.filter(pk=row.pk).update(raw=raw, values=values)

    page = logged_in.get(reverse("campaigns:grid_detail", args=[crm_grid.pk])).content.decode()

    assert len(page.encode()) < 200_000
    start = long[:SHOWN_CHARS]
    assert page.count(start) == 1
    line = page[page.index(f'id="row-{row.pk}"') :]
    line = line[: line.index("</tr>")]
    assert f"{start}…" in line
    assert 'title="Zażółć' not in line
    whole = reverse("campaigns:cell_full", args=[crm_grid.pk, row.pk]) + "?target=field%3Amiasto"
    assert whole.replace("&", "&amp;") in line
    full_page = logged_in.get(whole)
    assert full_page.status_code == 200
    assert long.strip() in full_page.content.decode()
    partial = logged_in.get(whole, headers={"HX-Request": "true"}).content.decode()
    assert partial.startswith('<pre class="cell-full__text">')
    assert long.strip() in partial


def test_a_message_quoting_a_long_cell_quotes_its_start(logged_in: Client, crm_grid: Grid) -> None:
    row = crm_grid.rows.get(number=5)
    long = "Ĺ‚ukasz " * 100_000
    Row.objects.filter(pk=row.pk).update(
        messages=[
            {
                "field": "field:miasto",
                "level": "warning",
                "code": "text_mojibake",
                "params": {"value": long, "repaired": long},
            }
        ]
    )

    page = logged_in.get(reverse("campaigns:grid_detail", args=[crm_grid.pk])).content.decode()

    assert len(page.encode()) < 200_000
    assert "save the file as “CSV UTF-8”" in page


def test_the_whole_value_needs_the_right_to_see_the_grid(
    client: Client, django_user_model: Any, crm_grid: Grid
) -> None:
    row = crm_grid.rows.get(number=5)
    url = reverse("campaigns:cell_full", args=[crm_grid.pk, row.pk]) + "?target=phone_number"
    nobody = django_user_model.objects.create_user(username="nobody", password="x" * 20)
    client.force_login(nobody)

    assert client.get(url).status_code == 403
    assert client.get(reverse("campaigns:cell_full", args=[crm_grid.pk, 10**9])).status_code in {
        403,
        404,
    }
