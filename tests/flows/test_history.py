"""History: filters, exports, and one phone number's timeline with before → after."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from campaigns import thulium
from campaigns.models import AuditEntry, Grid, Submission
from campaigns.services.grids import grid_create_from_rows
from campaigns.services.revert import submission_revert
from campaigns.services.sending import submission_run
from tests.helpers import Sandbox, queue_sending

pytestmark = pytest.mark.django_db


def test_history_filters_by_campaign_user_action_and_date(
    client: Client, viewer: Any, sent: Grid
) -> None:
    client.force_login(viewer)
    url = reverse("campaigns:history")

    everything = (
        client.get(url + "?campaign=00001").content.decode().split('<table class="table">')[1]
    )
    uploads = client.get(url + "?action=upload").content.decode().split('<table class="table">')[1]
    nobody = client.get(url + "?user=nobody").content.decode()
    future = client.get(url + "?since=2099-01-01").content.decode()

    assert "Sending finished" in everything
    assert "File uploaded" in uploads
    assert "Sending finished" not in uploads
    assert "Nothing in the history matches." in nobody
    assert "Nothing in the history matches." in future


def test_history_exports_csv_and_xlsx(client: Client, viewer: Any, sent: Grid) -> None:
    client.force_login(viewer)
    url = reverse("campaigns:history")

    as_csv = client.get(url + "?action=outcomes&export=csv")
    as_xlsx = client.get(url + "?action=outcomes&export=xlsx")

    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["action"] == "Thulium answered"
    assert rows[0]["details"].startswith("Sending #")  # sentences; the rows are RowOutcomes
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet["E2"].value == "Thulium answered"

    exports = AuditEntry.objects.filter(action="export").order_by("id")
    assert [(e.actor_name, e.details["format"], e.details["rows"]) for e in exports] == [
        ("wiktor", "csv", 1),
        ("wiktor", "xlsx", 1),
    ]


def test_a_phone_numbers_timeline_shows_before_and_after(
    client: Client, viewer: Any, sent: Grid, sandbox: Sandbox
) -> None:
    client.force_login(viewer)

    page = client.get(reverse("campaigns:phone_history", args=["845400588"])).content.decode()

    assert "Updated" in page
    assert "a.nowak" in page  # sent
    assert "24/12/2030 09:30" in page  # the reader's format, not Thulium's
    assert "Thulium request ID" in page


def test_history_needs_the_view_permission(client: Client, django_user_model: Any) -> None:
    client.force_login(django_user_model.objects.create_user("nobody", password="x" * 12))

    assert client.get(reverse("campaigns:history")).status_code == 403


def test_revert_restores_the_values_from_before_a_sending(
    client: Client,
    supervisor: Any,
    crm_grid: Grid,
    rules: Any,
    api: thulium.ThuliumClient,
    sandbox: Sandbox,
) -> None:

    def captured() -> dict[str, tuple[str, str, str]]:
        return {
            r["phone_number"]: (r["status_id"], r["agent_login"], r["next_call_date"])
            for r in sandbox.records("00001")
        }

    before = captured()
    original = queue_sending(grid=crm_grid, author=None, rules=rules)
    submission_run(submission_id=original.pk, client=api)
    assert captured() != before
    client.force_login(supervisor)

    response = client.post(reverse("campaigns:submission_revert", args=[crm_grid.pk, original.pk]))

    revert = Grid.objects.get(source=Grid.Source.REVERT)
    assert response["Location"] == reverse("campaigns:grid_detail", args=[revert.pk])
    assert revert.rows_total == 7
    assert AuditEntry.objects.get(action="revert").submission_id == original.pk
    # Said before sending, per row: what the revert cannot put back.
    kept = {
        row.phone: [(m["code"], m["params"].get("value")) for m in row.messages]
        for row in revert.rows.all()
    }
    assert kept["845400588"] == [
        ("revert_keeps_agent", "a.nowak"),
        ("revert_keeps_date", "2030-12-24 09:30"),
    ]
    # Fields we had never sent: their earlier value is unknown, so they stay as sent.
    assert ("revert_keeps_field", "Łódź") in kept["509708024"]
    page = client.get(reverse("campaigns:grid_detail", args=[revert.pk])).content.decode()
    assert "Thulium cannot clear an agent" in page
    sending = queue_sending(grid=revert, author=supervisor, rules=rules)
    submission_run(submission_id=sending.pk, client=api)
    assert Submission.objects.get(pk=sending.pk).state == "finished"
    after = captured()
    changed = {p for p in before if before[p] != after.get(p)}
    # Status, agent and date are back; what Thulium cannot clear (an agent where there was
    # none) stays, and is listed here so a supervisor sees it.
    for phone in changed:
        was, now = before[phone], after[phone]
        assert now[0] == was[0]
        assert not was[1] or now[1] == was[1]
        assert not was[2] or now[2] == was[2]


def test_the_campaign_page_lists_sendings_with_outcome_counts(
    client: Client, viewer: Any, sent: Grid
) -> None:
    client.force_login(viewer)

    page = client.get(reverse("campaigns:detail", args=["thulium", "00001"])).content.decode()

    assert "Sendings" in page
    assert "Finished" in page
    assert "7 updated" in page
    assert "crm_export_cp1250.csv" in page


def _typed_grid(campaign: Any, rules: Any, headers: list[str], rows: list[list[str]]) -> Grid:

    return grid_create_from_rows(
        campaign=campaign,
        author=None,
        source=Grid.Source.EMPTY,
        headers=headers,
        raw_rows=rows,
        rules=rules,
    )


def test_revert_puts_back_record_fields_as_this_dashboard_last_sent_them(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:

    headers = ["phone_number", "field:nazwisko", "field:miasto"]
    first = _typed_grid(campaign, rules, headers, [["509708024", "Kowalska", ""]])
    submission_run(submission_id=queue_sending(grid=first, author=None, rules=rules).pk, client=api)
    city_before = sandbox.record("00001", "509708024")["record_fields"]["miasto"]
    second = _typed_grid(campaign, rules, headers, [["509708024", "Nowak", "Kraków"]])
    sending = queue_sending(grid=second, author=None, rules=rules)
    submission_run(submission_id=sending.pk, client=api)
    assert sandbox.record("00001", "509708024")["record_fields"]["nazwisko"] == "Nowak"

    revert = submission_revert(submission=sending, author=None, rules=rules)

    assert revert.headers == [
        "phone_number",
        "status",
        "agent_login",
        "next_call_date",
        "field:nazwisko",
    ]
    submission_run(
        submission_id=queue_sending(grid=revert, author=None, rules=rules).pk, client=api
    )
    fields = sandbox.record("00001", "509708024")["record_fields"]
    assert fields["nazwisko"] == "Kowalska"
    # Never sent by us before: we do not know what it was, so the revert leaves it alone.
    assert fields["miasto"] == "Kraków" != city_before


def test_a_field_we_last_sent_empty_is_cleared_again_by_a_revert(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:

    headers = ["phone_number", "field:nazwisko"]
    cleared = _typed_grid(campaign, rules, headers, [["509708024", "[clear]"]])
    submission_run(
        submission_id=queue_sending(grid=cleared, author=None, rules=rules).pk, client=api
    )
    named = _typed_grid(campaign, rules, headers, [["509708024", "Nowak"]])
    sending = queue_sending(grid=named, author=None, rules=rules)
    submission_run(submission_id=sending.pk, client=api)

    revert = submission_revert(submission=sending, author=None, rules=rules)
    submission_run(
        submission_id=queue_sending(grid=revert, author=None, rules=rules).pk, client=api
    )

    assert sandbox.record("00001", "509708024")["record_fields"]["nazwisko"] == ""


def test_a_phone_numbers_timeline_lists_the_record_fields_sent(
    client: Client, viewer: Any, sent: Grid
) -> None:
    client.force_login(viewer)

    page = client.get(reverse("campaigns:phone_history", args=["509708024"])).content.decode()

    assert '<th scope="row">miasto</th><td>— <span class="muted">(not known)</span></td>' in page
    assert "<td>Łódź</td>" in page
