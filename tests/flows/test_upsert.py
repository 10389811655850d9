"""Add or update in one grid (upsert): the review's read sorts the rows into edits of records
the campaign holds and additions of those it lacks; each kind goes in its own requests, keeps
its own badges, crash and outage rules, and is reverted as its kind is."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from campaigns import thulium
from campaigns.exceptions import SubmissionProblem
from campaigns.models import Grid, Outcome, Submission
from campaigns.services.editing import row_set_cells
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.revert import submission_revert_grids
from campaigns.services.review import (
    grid_read_is_recent,
    grid_review,
    grid_review_read,
    grid_sending_options_set,
)
from campaigns.services.sending import submission_run
from campaigns.services.submissions import submission_create
from tests.helpers import Sandbox, queue_sending, run_to_the_end, send, send_from_page

pytestmark = pytest.mark.django_db

CRM_EXPORT = (
    "Telefon;Status;Identyfikator;Kolejność;Miasto\n"
    "555123321;3;;;Opole\n"  # held: edited
    "700100200;3;CRM-1;10;Gdańsk\n"  # new: added
    "509708024;3;CRM-2;;\n"  # held: edited (an identifier only names a new record)
    "700100201;3;CRM-3;;\n"  # new: added
    "441;3;;;\n"  # held twice: Thulium cannot edit it by phone
)


def upsert_grid(campaign: Any, api: thulium.ThuliumClient, text: str = CRM_EXPORT) -> Grid:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=text.encode(), filename="crm.csv", mode="upsert"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def outcomes(grid: Grid) -> dict[str, str]:
    return dict(grid.rows.values_list("phone", "outcome"))


def requests_by_method(sandbox: Sandbox) -> list[tuple[str, list[str]]]:
    return [
        (request["method"], [r["phone_number"] for r in request["body"]["records"]])
        for request in sandbox.requests()
        if request["method"] in ("PUT", "POST")
    ]


def test_an_upsert_grid_edits_the_held_adds_the_new_and_reverts_both(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    before = {r["phone_number"]: r["status_id"] for r in sandbox.records("00001")}
    grid = upsert_grid(campaign, api)
    assert grid.mode == Grid.Mode.UPSERT
    assert grid.mapping[2:4] == ["identifier", "order"]  # the add grid's columns

    grid_review_read(grid=grid, client=api)
    review = grid_review(grid=grid, rules=rules)

    assert dict(grid.rows.values_list("phone", "kind")) == {
        "555123321": "edit",
        "509708024": "edit",
        "700100200": "add",
        "700100201": "add",
        "441": "edit",
    }
    assert [(group.kind, group.rows) for group in review.kinds] == [("edit", 2), ("add", 2)]
    edits, additions = (json.loads(group.first_rows_json) for group in review.kinds)
    assert [row["phone_number"] for row in edits] == ["555123321", "509708024"]
    assert all("identifier" not in row for row in edits)  # a PUT names no new record
    assert additions[0] == {
        "phone_number": "700100200",
        "status_id": "3",
        "record_fields": {"miasto": "Gdańsk"},
        "identifier": "CRM-1",
        "order": 10,
    }
    assert review.rows == 4
    assert "phone_held_more_than_once" in [m["code"] for m in grid.rows.get(phone="441").messages]

    sandbox.clear_requests()
    sending = send(grid, rules, api)

    assert sending.state == Submission.State.FINISHED
    # One kind a request: the edits through the batch PUT, the additions through the POST.
    assert requests_by_method(sandbox) == [
        ("PUT", ["555123321", "509708024"]),
        ("POST", ["700100200", "700100201"]),
    ]
    assert outcomes(grid) == {
        "555123321": Outcome.UPDATED,
        "509708024": Outcome.UPDATED,
        "700100200": Outcome.ADDED,
        "700100201": Outcome.ADDED,
        "441": Outcome.NOT_SENT,
    }
    edited = sandbox.record("00001", "555123321")
    assert (edited["status_id"], edited["record_fields"]["miasto"]) == ("3", "Opole")
    added = sandbox.record("00001", "700100200")
    assert (added["identifier"], added["order"], added["record_fields"]["miasto"]) == (
        "CRM-1",
        10,
        "Gdańsk",
    )

    put_back, removal = submission_revert_grids(submission=sending, author=None, rules=rules)

    assert put_back.mode == Grid.Mode.EDIT
    assert dict(put_back.rows.values_list("phone", "status_id")) == {
        "555123321": before["555123321"],
        "509708024": before["509708024"],
    }
    assert removal.mode == Grid.Mode.REMOVE
    assert sorted(removal.rows.values_list("phone", flat=True)) == ["700100200", "700100201"]
    assert send(put_back, rules, api).state == Submission.State.FINISHED
    assert send(removal, rules, api, confirmed_count=2).state == Submission.State.FINISHED
    after = {r["phone_number"]: r["status_id"] for r in sandbox.records("00001")}
    assert after == before


def push(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("push_records", *args, stdout=out, stderr=io.StringIO())
    return int(exited.value.code or 0), out.getvalue()


def test_push_records_upsert_reviews_both_groups_in_a_dry_run_and_then_sends_them(
    campaign: Any, tmp_path: Path, sandbox: Sandbox
) -> None:
    source = tmp_path / "crm.csv"
    source.write_text(
        "Telefon;Status;Identyfikator\n555123321;3;\n700100200;3;CRM-1\n", encoding="utf-8"
    )

    code, out = push("00001", str(source), "--mode", "upsert", "--dry-run")

    assert code == 0
    assert "Updated: the campaign holds the number (batch PUT): 1" in out
    assert "Added: the campaign lacks the number (batch POST): 1" in out
    assert '"identifier": "CRM-1"' in out
    assert not any(r["phone_number"] == "700100200" for r in sandbox.records("00001"))

    code, out = push("00001", str(source), "--mode", "upsert")

    assert code == 0, out
    assert "1 updated" in out
    assert "1 added" in out
    assert sandbox.record("00001", "555123321")["status_id"] == "3"
    assert sandbox.record("00001", "700100200")["identifier"] == "CRM-1"
    sent = Grid.objects.order_by("id").last()
    assert sent is not None
    assert sent.mode == Grid.Mode.UPSERT
    assert outcomes(sent) == {"555123321": Outcome.UPDATED, "700100200": Outcome.ADDED}


def test_push_records_upsert_needs_the_campaigns_read(campaign: Any, tmp_path: Path) -> None:
    source = tmp_path / "crm.csv"
    source.write_text("Telefon;Status\n555123321;3\n", encoding="utf-8")

    code, _out = push("00001", str(source), "--mode", "upsert", "--no-live-check")

    assert code == 2
    assert not Grid.objects.exists()


def test_the_upsert_xlsx_template_has_the_add_columns_and_reads_back_as_an_upsert_grid(
    logged_in: Client, campaign: Any, api: thulium.ThuliumClient
) -> None:
    url = reverse("campaigns:campaign_template", args=["thulium", "00001"])
    response = logged_in.get(url, {"mode": "upsert"})

    assert response["Content-Disposition"] == 'attachment; filename="kampania-00001-upsert.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Rekordy"]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["Numer telefonu", "Status", "Konsultant", "Następny kontakt"]
    assert headers[-2:] == ["Identyfikator", "Kolejność"]
    edit_headers = [
        c.value for c in load_workbook(io.BytesIO(logged_in.get(url).content))["Rekordy"][1]
    ]
    assert "Identyfikator" not in edit_headers

    sheet.append(["555123321", "Kontakt ponowny", None, None, *[None] * 5, None, None])
    sheet.append(["700100200", "Kontakt ponowny", None, None, *[None] * 5, "CRM-9", "5"])
    buffer = io.BytesIO()
    book.save(buffer)
    made = grid_create_from_file(
        campaign=campaign, author=None, data=buffer.getvalue(), filename="t.xlsx", mode="upsert"
    )
    ready = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    grid_review_read(grid=ready, client=api)

    assert ready.mapping[-2:] == ["identifier", "order"]
    assert dict(ready.rows.values_list("phone", "kind")) == {
        "555123321": "edit",
        "700100200": "add",
    }


def test_an_outage_during_the_edits_waits_and_the_additions_follow_once(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = upsert_grid(campaign, api)
    submission = queue_sending(grid=grid, author=None, rules=rules)
    sandbox.clear_requests()
    # Thulium answers the edits' PUT with 503 for two of our tries (the client's retries too).
    sandbox.inject(
        {
            "kind": "status",
            "status": 503,
            "method": "PUT",
            "times": 2 * (1 + api.config.max_retries),
        }
    )

    submission_run(submission_id=submission.pk, client=api)
    submission.refresh_from_db()

    assert submission.state == Submission.State.WAITING
    assert not [r for r in sandbox.requests() if r["method"] == "POST"]  # the edits go first

    done = run_to_the_end(submission, api)

    assert done.state == Submission.State.FINISHED
    assert outcomes(grid) == {
        "555123321": Outcome.UPDATED,
        "509708024": Outcome.UPDATED,
        "700100200": Outcome.ADDED,
        "700100201": Outcome.ADDED,
        "441": Outcome.NOT_SENT,
    }
    assert [m for m, _phones in requests_by_method(sandbox) if m == "POST"] == ["POST"]
    assert sandbox.record("00001", "509708024")["status_id"] == "3"


def test_an_addition_whose_answer_was_lost_is_looked_up_not_posted_twice(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = upsert_grid(campaign, api)
    submission = queue_sending(grid=grid, author=None, rules=rules)
    sandbox.clear_requests()
    # Thulium adds the records, then the connection drops before its answer arrives.
    sandbox.inject({"kind": "close", "method": "POST", "apply": True})

    submission_run(submission_id=submission.pk, client=api)
    submission.refresh_from_db()

    assert submission.state == Submission.State.WAITING
    assert outcomes(grid)["555123321"] == Outcome.UPDATED  # the edits were answered
    assert outcomes(grid)["700100200"] == Outcome.WAITING
    assert sandbox.record("00001", "700100200")  # added all the same

    done = run_to_the_end(submission, api)

    assert done.state == Submission.State.FINISHED
    assert outcomes(grid)["700100200"] == Outcome.ADDED
    assert grid.rows.get(phone="700100200").outcome_detail["status"] == "RECONCILED"
    assert [phones for m, phones in requests_by_method(sandbox) if m == "POST"] == [
        ["700100200", "700100201"]
    ]
    assert len([r for r in sandbox.records("00001") if r["phone_number"] == "700100200"]) == 1


def test_revert_sending_of_an_upsert_grid_sends_both_reverts(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    before = {r["phone_number"]: r["status_id"] for r in sandbox.records("00001")}
    sending = send(upsert_grid(campaign, api), rules, api)

    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("revert_sending", str(sending.pk), stdout=out, stderr=io.StringIO())

    assert exited.value.code == 0, out.getvalue()
    assert {r["phone_number"]: r["status_id"] for r in sandbox.records("00001")} == before
    reverts = Grid.objects.filter(source=Grid.Source.REVERT).order_by("id")
    assert list(reverts.values_list("mode", flat=True)) == [Grid.Mode.EDIT, Grid.Mode.REMOVE]


def test_from_the_campaign_page_an_upsert_upload_is_reviewed_in_two_groups_sent_and_reverted(
    logged_in: Client, campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    page = logged_in.get(reverse("campaigns:detail", args=["thulium", "00001"])).content.decode()
    assert 'value="upsert"' in page
    assert "Add or update records" in page

    logged_in.post(
        reverse("campaigns:grid_upload", args=["thulium", "00001"]),
        {"file": SimpleUploadedFile("crm.csv", CRM_EXPORT.encode()), "mode": "upsert"},
    )
    grid = Grid.objects.get()
    assert grid.mode == Grid.Mode.UPSERT
    grid_confirm_mapping(grid=grid, mapping=grid.mapping, client=api)
    review_url = reverse("campaigns:grid_review", args=[grid.pk])
    logged_in.post(review_url)  # the review's read of the campaign
    review = logged_in.get(review_url).content.decode()

    assert "4 rows go to Thulium, updated or added" in review
    assert "Updated: the campaign holds the number (batch PUT): 2" in review
    assert "Added: the campaign lacks the number (batch POST): 2" in review
    assert "&quot;identifier&quot;: &quot;CRM-1&quot;" in review

    send_from_page(logged_in, grid)
    sending = run_to_the_end(Submission.objects.get(), api)
    rows = logged_in.get(reverse("campaigns:grid_detail", args=[grid.pk])).content.decode()

    assert sending.state == Submission.State.FINISHED
    assert rows.count('class="badge badge--updated" title=') == 2
    assert rows.count('class="badge badge--added" title=') == 2

    response = logged_in.post(
        reverse("campaigns:submission_revert", args=[grid.pk, sending.pk]), follow=True
    )

    put_back, removal = Grid.objects.filter(source=Grid.Source.REVERT).order_by("id")
    assert response.redirect_chain[-1][0] == reverse("campaigns:grid_detail", args=[put_back.pk])
    assert (
        f"Records the sending added are removed by another grid, #{removal.pk}"
        in response.content.decode()
    )


def test_an_addition_never_confirmed_is_edited_by_the_resend_and_still_removed_by_the_revert(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = upsert_grid(campaign, api, "Telefon;Status;Identyfikator\n700100200;3;CRM-1\n")
    queued = queue_sending(grid=grid, author=None, rules=rules, wait_limit=1)
    # Thulium adds the record and the answer never comes; nor can the record be looked up
    # before the sending stops waiting.
    sandbox.inject(
        {"kind": "close", "method": "POST", "apply": True},
        {"kind": "status", "status": 503, "method": "GET", "times": 1000},
    )
    stopped = run_to_the_end(queued, api)
    assert outcomes(grid) == {"700100200": Outcome.TRANSPORT_ERROR}
    sandbox.clear_faults()

    # The resend's read finds the record: the row goes as an edit of the same values.
    resent = send(grid, rules, api, resend=True)

    assert grid.rows.get().kind == Grid.Mode.EDIT
    assert resent.state == Submission.State.FINISHED
    assert outcomes(grid) == {"700100200": Outcome.UPDATED}
    assert len([r for r in sandbox.records("00001") if r["phone_number"] == "700100200"]) == 1
    # Its before-values are still those from before the first POST: none, so it was ours.
    (removal,) = submission_revert_grids(submission=resent, author=None, rules=rules)
    assert removal.mode == Grid.Mode.REMOVE
    assert list(removal.rows.values_list("phone", flat=True)) == ["700100200"]
    assert stopped.state == Submission.State.FAILED


def test_an_upsert_grid_matched_by_identifier_edits_the_known_identifiers_and_adds_the_rest(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = upsert_grid(
        campaign,
        api,
        "Telefon;Status;Identyfikator\n"
        "441;3;00001-00004\n"  # a phone two records share: its identifier names one
        "700100200;3;CRM-1\n",
    )
    grid_sending_options_set(
        grid=grid,
        search_additional=False,
        duplicates="skip",
        match_by="identifier",
        rules=rules,
        actor=None,
    )
    grid_review_read(grid=grid, client=api)
    review = grid_review(grid=grid, rules=rules)

    assert dict(grid.rows.values_list("phone", "kind")) == {"441": "edit", "700100200": "add"}
    edits = json.loads(review.kinds[0].first_rows_json)
    assert edits == [{"identifier": "00001-00004", "body": {"status_id": "3"}}]

    sandbox.clear_requests()
    send(grid, rules, api)

    assert outcomes(grid) == {"441": Outcome.UPDATED, "700100200": Outcome.ADDED}
    by_identifier = {r["identifier"]: r["status_id"] for r in sandbox.records("00001")}
    assert (by_identifier["00001-00003"], by_identifier["00001-00004"]) == ("3", "3")
    assert by_identifier["CRM-1"] == "3"
    assert [
        (r["method"], r["path"].rsplit("/", 1)[-1])
        for r in sandbox.requests()
        if r["method"] in ("PUT", "POST")
    ] == [("PUT", "00001-00004"), ("POST", "records")]


def test_a_phone_typed_in_after_the_read_is_classified_by_a_new_read_before_it_goes(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = upsert_grid(campaign, api, "Telefon;Status\n555123321;3\n")
    grid_review_read(grid=grid, client=api)
    row = grid.rows.get()

    row_set_cells(grid=grid, row=row, cells={"phone_number": "700100299"}, author=None, rules=rules)

    assert grid.rows.get().kind == ""
    assert not grid_read_is_recent(grid)  # the page reads the campaign again
    # Reviewed without that read, the row is in no group, and the sending refuses it.
    unread = grid_review(grid=grid, rules=rules)
    assert [(group.kind, group.rows) for group in unread.kinds] == [("", 1)]
    with pytest.raises(SubmissionProblem, match="not known whether they add or update"):
        submission_create(grid=grid, author=None, rules=rules, review=unread.token)
    grid_review_read(grid=grid, client=api)
    assert grid.rows.get().kind == Grid.Mode.ADD
    assert grid_read_is_recent(grid)
