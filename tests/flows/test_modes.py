"""Adding and removing records: validation, Thulium's per-row answers, and a lost answer to a
POST reconciled instead of sent twice."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.exceptions import SubmissionProblem
from campaigns.models import Chunk, Grid, Outcome, Submission
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.revert import submission_revert
from campaigns.services.sending import submission_run
from tests.helpers import Sandbox, queue_sending, run_to_the_end, send, send_from_page

pytestmark = pytest.mark.django_db


def make_grid(campaign: Any, api: thulium.ThuliumClient, text: str, mode: str) -> Grid:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=text.encode(), filename="f.csv", mode=mode
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def outcomes(grid: Grid) -> dict[str, str]:
    return dict(grid.rows.values_list("phone", "outcome"))


def posts(sandbox: Sandbox) -> list[list[str]]:
    return [
        [r["phone_number"] for r in request["body"]["records"]]
        for request in sandbox.requests()
        if request["method"] == "POST"
    ]


ADDITIONS = (
    "Telefon;Status;Identyfikator;Kolejność;Miasto\n"
    "700100200;3;CRM-1;10;Gdańsk\n"
    "509708024;3;CRM-2;;\n"  # already in the campaign: the review's read flags it
    "700100201;3;00001-00005;;\n"  # the identifier is taken: Thulium refuses the row
    "700100202;3;CRM-4;dużo;\n"  # not an order: never sent
)


def test_add_mode_sends_identifier_and_order_and_shows_each_answer(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = make_grid(campaign, api, ADDITIONS, Grid.Mode.ADD)
    assert grid.mapping[2:4] == ["identifier", "order"]
    assert "order_invalid" in [m["code"] for m in grid.rows.get(number=5).messages]

    submission = send(grid, rules, api)

    assert submission.state == Submission.State.FINISHED
    assert outcomes(grid) == {
        "700100200": Outcome.ADDED,
        "509708024": Outcome.NOT_SENT,
        "700100201": Outcome.FAILED,
        "700100202": Outcome.NOT_SENT,
    }
    added = sandbox.record("00001", "700100200")
    assert (added["identifier"], added["order"], added["record_fields"]["miasto"]) == (
        "CRM-1",
        10,
        "Gdańsk",
    )
    assert grid.rows.get(phone="700100200").outcome_detail["record_id"] == added["record_id"]
    assert "already used" in grid.rows.get(phone="700100201").outcome_detail["message"]
    assert "phone_exists" in [m["code"] for m in grid.rows.get(phone="509708024").messages]


def test_an_added_chunk_whose_answer_was_lost_is_reconciled_not_sent_twice(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = make_grid(
        campaign, api, "Telefon;Status\n700100200;3\n700100201;3\n509708024;3\n", Grid.Mode.ADD
    )
    # Thulium adds the records, then the connection drops before its answer arrives.
    sandbox.inject({"kind": "close", "method": "POST", "apply": True})

    waiting = send(grid, rules, api)
    assert waiting.state == Submission.State.WAITING  # no answer: an outage, waited out
    assert outcomes(grid) == {
        "700100200": Outcome.WAITING,
        "700100201": Outcome.WAITING,
        "509708024": Outcome.NOT_SENT,  # there before: the review's read flagged it
    }
    assert sandbox.record("00001", "700100200")  # it was added all the same

    # Tried again by itself: the records are looked up first, found as sent, and not posted.
    run_to_the_end(waiting, api)

    assert outcomes(grid) == {
        "700100200": Outcome.ADDED,
        "700100201": Outcome.ADDED,
        "509708024": Outcome.NOT_SENT,
    }
    assert grid.rows.get(phone="700100200").outcome_detail["status"] == "RECONCILED"
    assert posts(sandbox) == [["700100200", "700100201"]]


def test_a_worker_that_died_after_posting_leaves_nothing_added_twice(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = make_grid(campaign, api, "Telefon;Status\n700100200;3\n700100201;3\n", Grid.Mode.ADD)
    submission = queue_sending(grid=grid, author=None, rules=rules)
    # What a worker killed after its POST leaves behind: the records are in Thulium, the chunk
    # is still claimed by it, and its lease has run out.
    api.batch_add("00001", [thulium.NewRecord(phone_number="700100200", status_id="3")])
    Chunk.objects.filter(submission=submission).update(
        state=Chunk.State.CLAIMED, claimed_by="dead", attempts=1, lease_until="2000-01-01T00:00Z"
    )
    Submission.objects.filter(pk=submission.pk).update(before_read_at="2000-01-01T00:00Z")

    submission_run(submission_id=submission.pk, client=api)

    assert outcomes(grid) == {"700100200": Outcome.ADDED, "700100201": Outcome.ADDED}
    assert posts(sandbox) == [["700100200"], ["700100201"]]  # the dead worker's, then the rest


def test_remove_mode_shows_every_record_of_a_phone_and_retries_calls_later(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = make_grid(
        campaign,
        api,
        "Telefon;Status\n441;whatever\n600100200;\n123123123;\n555123321;\n",
        Grid.Mode.REMOVE,
    )
    assert grid.rows_error == 0  # only the phone counts when removing

    with pytest.raises(SubmissionProblem, match="tick the confirmation for the 4 phone numbers"):
        queue_sending(grid=grid, author=None, rules=rules)
    send(grid, rules, api, confirmed_count=4)

    assert outcomes(grid) == {
        "441": Outcome.REMOVED,
        "600100200": Outcome.CALL_IN_PROGRESS,
        "123123123": Outcome.NOT_EXIST,
        "555123321": Outcome.REMOVED,
    }
    both = grid.rows.get(phone="441").outcome_detail["records"]
    assert [(r["record_id"], r["status"]) for r in both] == [(1003, "REMOVED"), (1004, "REMOVED")]
    phones = {r["phone_number"] for r in sandbox.records("00001")}
    assert {"441", "555123321"}.isdisjoint(phones)
    assert "600100200" in phones

    sandbox.set_in_call("00001", "600100200", False)
    send(grid, rules, api, resend=True, confirmed_count=1)

    assert grid.rows.get(phone="600100200").outcome == Outcome.REMOVED
    assert "600100200" not in {r["phone_number"] for r in sandbox.records("00001")}


def test_the_grid_lists_every_record_a_removed_phone_matched(
    client: Client, viewer: Any, campaign: Any, rules: Any, api: thulium.ThuliumClient
) -> None:
    grid = make_grid(campaign, api, "Telefon\n441\n", Grid.Mode.REMOVE)
    send(grid, rules, api, confirmed_count=1)
    client.force_login(viewer)

    page = client.get(reverse("campaigns:grid_detail", args=[grid.pk])).content.decode()

    assert "record 1003: REMOVED" in page
    assert "record 1004: REMOVED" in page


def test_the_page_asks_to_confirm_the_count_before_removing(
    client: Client, supervisor: Any, campaign: Any, api: thulium.ThuliumClient
) -> None:
    grid = make_grid(campaign, api, "Telefon\n441\n555123321\n", Grid.Mode.REMOVE)
    client.force_login(supervisor)
    page = client.get(reverse("campaigns:grid_detail", args=[grid.pk])).content.decode()
    assert "Review removing the records of 2 phone numbers" in page
    assert 'value="in_call"' in page  # the remove outcomes are offered as filters
    review = reverse("campaigns:grid_review", args=[grid.pk])
    client.post(review)
    assert "delete from Thulium every record with these 2 phone numbers" in (
        client.get(review).content.decode()
    )

    refused = send_from_page(client, grid, follow=True).content.decode()
    wrong = send_from_page(client, grid, {"confirm": "1"}, follow=True).content.decode()
    assert "tick the confirmation for the 2 phone numbers" in refused
    assert "tick the confirmation" in wrong
    assert not Submission.objects.exists()

    send_from_page(client, grid, {"confirm": "2"})

    assert Submission.objects.get().rows_total == 2


def test_the_upload_form_and_the_empty_grid_take_a_mode(
    client: Client, supervisor: Any, campaign: Any
) -> None:
    client.force_login(supervisor)

    client.post(reverse("campaigns:grid_empty", args=["thulium", "00001"]), {"empty-mode": "add"})
    upload = {"file": _file("Telefon\n441\n"), "mode": "remove"}
    client.post(reverse("campaigns:grid_upload", args=["thulium", "00001"]), upload)

    assert list(Grid.objects.order_by("id").values_list("mode", flat=True)) == ["add", "remove"]
    added = Grid.objects.get(mode="add")
    assert added.mapping[1:3] == ["identifier", "order"]


def _file(text: str) -> Any:

    return SimpleUploadedFile("f.csv", text.encode(), content_type="text/csv")


def test_reverting_an_addition_removes_what_it_added(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:

    grid = make_grid(campaign, api, "Telefon;Status\n700100200;3\n509708024;3\n", Grid.Mode.ADD)
    sending = send(grid, rules, api)

    revert = submission_revert(submission=sending, author=None, rules=rules)

    assert (revert.mode, list(revert.rows.values_list("phone", flat=True))) == (
        Grid.Mode.REMOVE,
        ["700100200"],  # not 509708024: it was there before, and this sending did not add it
    )
    send(revert, rules, api, confirmed_count=1)
    phones = {r["phone_number"] for r in sandbox.records("00001")}
    assert "700100200" not in phones
    assert "509708024" in phones


def test_reverting_a_removal_adds_the_records_back_as_they_were(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:

    was = sandbox.record("00001", "555123321")
    grid = make_grid(campaign, api, "Telefon\n555123321\n", Grid.Mode.REMOVE)
    sending = send(grid, rules, api, confirmed_count=1)

    revert = submission_revert(submission=sending, author=None, rules=rules)
    send(revert, rules, api)

    assert revert.mode == Grid.Mode.ADD
    back = sandbox.record("00001", "555123321")
    assert (back["status_id"], back["identifier"]) == (was["status_id"], was["identifier"])
    assert back["record_id"] != was["record_id"]  # a new record with the old values


def test_comparing_an_add_grid_flags_numbers_thulium_already_has(
    client: Client, supervisor: Any, campaign: Any, api: thulium.ThuliumClient
) -> None:
    grid = make_grid(campaign, api, "Telefon;Status\n700100200;3\n509708024;3\n", Grid.Mode.ADD)
    client.force_login(supervisor)

    response = client.post(reverse("campaigns:grid_compare", args=[grid.pk]), follow=True)

    page = response.content.decode()
    # one row says so (its message), and the problems above the grid count it
    assert page.count('message--error">Thulium already has a record') == 1
    assert "1 row: Thulium already has a record with this number" in page
