"""One person, one name: the pages, the history's export and the admin show an account by its
full name, with the login on hover; the audit entries keep the login they stored."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.models import AuditEntry, Grid
from campaigns.services.audit import audit
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.sending import submission_run
from tests.helpers import FILES, queue_sending

pytestmark = pytest.mark.django_db

# The supervisor fixture: login "ewa", full name "Ewa Nowak".
EWA = '<span class="person" title="ewa">Ewa Nowak</span>'


@pytest.fixture
def sent_by_ewa(campaign: Any, rules: Any, api: thulium.ThuliumClient, supervisor: Any) -> Grid:
    """The CRM export uploaded, mapped and sent by the supervisor."""
    name = "crm_export_cp1250.csv"
    made = grid_create_from_file(
        campaign=campaign, author=supervisor, data=(FILES / name).read_bytes(), filename=name
    )
    grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api, actor=supervisor)
    submission = queue_sending(grid=grid, rules=rules, author=supervisor)
    submission_run(submission_id=submission.pk, client=api)
    return grid


def test_the_history_shows_the_full_name_with_the_login_on_hover(
    client: Client, viewer: Any, sent_by_ewa: Grid
) -> None:
    client.force_login(viewer)

    page = client.get(reverse("campaigns:history") + "?action=upload").content.decode()

    assert EWA in page
    # What the entry stored is left as it was.
    assert AuditEntry.objects.get(action="upload").actor_name == "ewa"


def test_the_history_finds_a_person_by_full_name_or_login(
    client: Client, viewer: Any, sent_by_ewa: Grid
) -> None:
    client.force_login(viewer)
    url = reverse("campaigns:history") + "?action=upload&user="

    assert EWA in client.get(url + "ewa nowak").content.decode()
    assert EWA in client.get(url + "ewa").content.decode()
    assert EWA not in client.get(url + "Anna Nowak").content.decode()


def test_the_history_export_gives_the_full_name_and_the_login(
    client: Client, viewer: Any, sent_by_ewa: Grid
) -> None:
    client.force_login(viewer)

    exported = client.get(reverse("campaigns:history") + "?action=upload&export=csv")

    (row,) = csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))
    assert (row["user"], row["login"]) == ("Ewa Nowak", "ewa")


def test_the_campaign_page_names_the_author_of_grids_and_sendings(
    client: Client, viewer: Any, sent_by_ewa: Grid
) -> None:
    client.force_login(viewer)

    page = client.get(reverse("campaigns:detail", args=["thulium", "00001"])).content.decode()

    grids, sendings = page.split('id="sendings-heading"')
    assert EWA in grids.split('id="grids-heading"')[1]
    assert EWA in sendings


def test_the_phone_timeline_names_who_sent(client: Client, viewer: Any, sent_by_ewa: Grid) -> None:
    client.force_login(viewer)

    page = client.get(reverse("campaigns:phone_history", args=["845400588"])).content.decode()

    assert EWA in page


def test_a_name_is_shown_as_text_and_the_command_line_in_the_readers_language(
    client: Client, viewer: Any, django_user_model: Any, sent_by_ewa: Grid
) -> None:
    django_user_model.objects.filter(username="ewa").update(first_name="<b>Ewa</b>")
    audit(
        action=AuditEntry.Action.FIELDS, actor=None, campaign=sent_by_ewa.campaign, fields=["pole9"]
    )
    client.force_login(viewer)
    client.post(reverse("set_language"), {"language": "pl"})

    page = client.get(reverse("campaigns:history")).content.decode()

    assert '<span class="person" title="ewa">&lt;b&gt;Ewa&lt;/b&gt; Nowak</span>' in page
    assert "<td>wiersz poleceń</td>" in page


def test_the_admin_lists_show_the_full_name(
    client: Client, admin_user: Any, sent_by_ewa: Grid
) -> None:
    client.force_login(admin_user)

    grids = client.get(reverse("admin:campaigns_grid_changelist")).content.decode()
    entries = client.get(reverse("admin:campaigns_auditentry_changelist")).content.decode()

    assert EWA in grids
    assert EWA in entries
