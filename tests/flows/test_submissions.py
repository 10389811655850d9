"""Sending grids: per-row outcomes as Thulium gave them, faults, cancel, resend, racing workers."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest
from django.db import connection

from campaigns import thulium
from campaigns.exceptions import EditProblem, SubmissionProblem
from campaigns.models import Chunk, Grid, Outcome, Row, RowOutcome, Submission
from campaigns.services.connection import thulium_client
from campaigns.services.editing import row_set_cells
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.review import grid_review, grid_review_read
from campaigns.services.sending import submission_run
from campaigns.services.submissions import submission_cancel, submission_create, submissions_reap
from campaigns.services.undo import grid_undo
from campaigns.services.validation import campaign_rules
from tests.helpers import (
    Sandbox,
    WatchingClient,
    client_config,
    queue_sending,
    run_to_the_end,
    send,
)

pytestmark = pytest.mark.django_db


def outcomes(grid: Grid) -> dict[int, str]:
    return dict(grid.rows.values_list("number", "outcome"))


def test_every_row_gets_thuliums_verdict_and_the_sandbox_agrees(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    submission = send(crm_grid, rules, api)

    assert submission.state == Submission.State.FINISHED
    got = outcomes(crm_grid)
    # Rows never queued keep no outcome: the one that changes nothing in Thulium.
    sent = {n for n, o in got.items() if o not in {Outcome.NOT_SENT, Outcome.NONE}}
    assert {n for n, o in got.items() if o == Outcome.NONE} == {19}
    assert {n for n, o in got.items() if o == Outcome.NOT_SENT} == {
        r.number for r in crm_grid.rows.filter(state=Row.State.ERROR)
    }
    assert all(got[n] == Outcome.UPDATED for n in sent)
    dump = {r["phone_number"]: r for r in sandbox.records("00001")}
    assert dump["509708024"]["record_fields"]["miasto"] == "Łódź"
    assert dump["845400588"]["agent_login"] == "a.nowak"
    assert dump["845400588"]["next_call_date"] == "2030-12-24 09:30"
    assert dump["891501488"]["record_fields"]["nazwisko"] == ""  # cleared
    assert RowOutcome.objects.count() == len(sent)
    row = crm_grid.rows.get(number=4)
    assert row.outcome_detail["http_status"] == 204
    assert row.outcome_detail["request_id"]


def test_rows_go_in_chunks_without_a_phone_twice(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    send(crm_grid, rules, api, chunk_size=3)

    bodies = [r["body"]["records"] for r in sandbox.requests() if r["method"] == "PUT"]
    assert [len(b) for b in bodies] == [3, 3, 1]
    for body in bodies:
        phones = [record["phone_number"] for record in body]
        assert len(phones) == len(set(phones))
        assert all("identifier" not in record for record in body)


def test_rejected_and_not_found_rows_keep_thuliums_message(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:

    data = b"Telefon;Status\n555123321;3\n111222333;5\n441;3\n"
    made = grid_create_from_file(campaign=campaign, author=None, data=data, filename="a.csv")
    grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    submission = queue_sending(grid=grid, author=None, rules=rules)
    # Removed in Thulium between the review and the sending.
    api.batch_delete("00001", ["111222333"])

    submission_run(submission_id=submission.pk, client=api)

    assert outcomes(grid) == {2: Outcome.UPDATED, 3: Outcome.NOT_FOUND, 4: Outcome.NOT_SENT}
    # 441 is twice in the campaign: the review's read flagged it, and it was never sent.
    assert [m["code"] for m in grid.rows.get(number=4).messages] == ["phone_held_more_than_once"]
    puts = [r["body"]["records"] for r in sandbox.requests() if r["method"] == "PUT"]
    assert "441" not in [record["phone_number"] for body in puts for record in body]
    assert grid.rows.get(number=3).outcome_detail["message"] == "Record not found."


def test_transient_faults_are_retried_and_answers_recorded_once(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject(
        {"kind": "status", "status": 503, "method": "PUT"},
        {"kind": "close", "apply": True, "method": "PUT"},
    )

    submission = send(crm_grid, rules, api)

    assert submission.state == Submission.State.FINISHED
    assert set(outcomes(crm_grid).values()) == {Outcome.UPDATED, Outcome.NOT_SENT, Outcome.NONE}
    assert RowOutcome.objects.filter(outcome=Outcome.UPDATED).count() == 7


def test_a_chunk_that_never_gets_through_waits_for_thulium_then_goes_on_by_itself(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject(
        {"kind": "status", "status": 503, "times": 1 + api.config.max_retries, "method": "PUT"}
    )

    submission = send(crm_grid, rules, api, chunk_size=4)

    assert submission.state == Submission.State.WAITING
    assert (submission.outage_status, submission.outage_tries) == (503, 1)
    assert submission.retry_at is not None
    first = submission.chunks.get(index=0)
    assert first.state == Chunk.State.PENDING  # given back, not recorded
    assert {crm_grid.rows.get(pk=pk).outcome for pk in first.row_ids} == {Outcome.WAITING}
    assert not RowOutcome.objects.filter(submission=submission).exists()

    submission = run_to_the_end(submission, api)

    assert submission.state == Submission.State.FINISHED
    sent = [pk for chunk in submission.chunks.all() for pk in chunk.row_ids]
    assert {crm_grid.rows.get(pk=pk).outcome for pk in sent} == {Outcome.UPDATED}
    assert (submission.outage_since, submission.outage_tries) == (None, 0)


def test_missing_and_unreadable_answers_are_unknown(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject(
        {"kind": "drop_phones", "phones": ["509708024"], "method": "PUT"},
        {"kind": "malformed", "method": "PUT"},
    )

    send(crm_grid, rules, api, chunk_size=4)

    assert crm_grid.rows.get(number=4).outcome == Outcome.UNKNOWN
    assert crm_grid.rows.get(number=5).outcome == Outcome.UPDATED
    second = crm_grid.rows.filter(outcome=Outcome.UNKNOWN).count()
    assert second == 1 + 3  # the dropped phone, and the second request's 3 rows


def test_rejected_credentials_stop_at_once_and_mark_nothing_sent(
    crm_grid: Grid, rules: Any, sandbox: Sandbox
) -> None:
    with thulium.ThuliumClient(client_config(sandbox.api_url, password="wrong")) as bad:
        submission = send(crm_grid, rules, bad)

    assert submission.state == Submission.State.FAILED
    assert "THULIUM_API_PASSWORD" in submission.problem
    assert Outcome.UPDATED not in outcomes(crm_grid).values()
    assert set(outcomes(crm_grid).values()) == {Outcome.NOT_SENT, Outcome.NONE}
    assert not crm_grid.rows.filter(outcome=Outcome.NONE, unchanged=False).exists()
    assert RowOutcome.objects.count() == 0
    # The review's read is reused, so the first request is what Thulium refuses; none follows.
    puts = [r for r in sandbox.requests() if r["method"] == "PUT"]
    assert [r["status"] for r in puts] == [401]


def test_cancel_stops_before_the_next_chunk(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    submission = queue_sending(grid=crm_grid, author=None, rules=rules, chunk_size=2)
    submission_cancel(submission=submission)

    result = submission_run(submission_id=submission.pk, client=api)

    assert result.state == Submission.State.CANCELLED
    assert [r for r in sandbox.requests() if r["method"] == "PUT"] == []
    assert Outcome.UPDATED not in outcomes(crm_grid).values()


def test_rows_wait_while_their_request_is_out_and_the_next_chunk_is_claimed_on_recording(
    crm_grid: Grid, rules: Any, sandbox: Sandbox
) -> None:
    submission = queue_sending(grid=crm_grid, author=None, rules=rules, chunk_size=2)
    seen = []

    def look(phones: list[str]) -> None:
        chunks = list(submission.chunks.order_by("index").values_list("state", "claimed_by"))
        sending = crm_grid.rows.filter(phone__in=phones).values_list("outcome", flat=True)
        seen.append((chunks, set(sending)))

    with WatchingClient(client_config(sandbox.api_url), on_request=look) as client:
        assert submission_run(submission_id=submission.pk, client=client).state == "finished"

    assert len(seen) == submission.chunks.count() > 2
    for index, (chunks, sending) in enumerate(seen):
        # A row is never rewritten as "sending": it waits until its answer is recorded.
        assert sending == {Outcome.WAITING}
        states = [state for state, _worker in chunks]
        assert states[:index] == [Chunk.State.DONE] * index
        assert states[index] == Chunk.State.CLAIMED
        assert set(states[index + 1 :]) <= {Chunk.State.PENDING}
        # The chunk after the first was claimed by the run that recorded the one before it.
        assert chunks[index][1] == seen[0][0][0][1] != ""
    sent = [pk for chunk in submission.chunks.all() for pk in chunk.row_ids]
    assert set(crm_grid.rows.filter(id__in=sent).values_list("outcome", flat=True)) == {
        Outcome.UPDATED
    }


def test_a_cancel_while_a_request_is_out_sends_nothing_after_it(
    crm_grid: Grid, rules: Any, sandbox: Sandbox
) -> None:
    submission = queue_sending(grid=crm_grid, author=None, rules=rules, chunk_size=2)

    def press_cancel(phones: list[str]) -> None:
        submission_cancel(submission=Submission.objects.get(pk=submission.pk))

    with WatchingClient(client_config(sandbox.api_url), on_request=press_cancel) as client:
        result = submission_run(submission_id=submission.pk, client=client)

    assert result.state == Submission.State.CANCELLED
    assert len([r for r in sandbox.requests() if r["method"] == "PUT"]) == 1
    states = list(submission.chunks.order_by("index").values_list("state", flat=True))
    assert states[0] == Chunk.State.DONE
    assert set(states[1:]) == {Chunk.State.SKIPPED}
    first = submission.chunks.get(index=0).row_ids
    rest = [pk for chunk in submission.chunks.filter(index__gt=0) for pk in chunk.row_ids]
    assert set(crm_grid.rows.filter(id__in=first).values_list("outcome", flat=True)) == {
        Outcome.UPDATED
    }
    assert set(crm_grid.rows.filter(id__in=rest).values_list("outcome", flat=True)) == {
        Outcome.NOT_SENT
    }


def test_one_submission_per_campaign_at_a_time(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, campaign: Any
) -> None:

    first = queue_sending(grid=crm_grid, author=None, rules=rules)
    made = grid_create_from_file(
        campaign=campaign, author=None, data=b"Telefon;Status\n555123321;3\n", filename="b.csv"
    )
    other = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    second = queue_sending(grid=other, author=None, rules=rules)

    waiting = submission_run(submission_id=second.pk, client=api)
    assert (waiting.state, waiting.retry_after) == (Submission.State.QUEUED, 5)
    submission_run(submission_id=first.pk, client=api)
    assert submission_run(submission_id=second.pk, client=api).state == "finished"


def test_resend_sends_only_what_failed_after_fixing_it(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    send(crm_grid, rules, api)
    broken = crm_grid.rows.get(number=6)
    row_set_cells(
        grid=crm_grid,
        row=broken,
        cells={"agent_login": "a.nowak", "next_call_date": "24.12.2030 10:00"},
        author=None,
        rules=rules,
    )
    sandbox.http.delete(sandbox.root + "_sandbox/requests")

    resent = send(crm_grid, rules, api, resend=True)

    bodies = [r["body"]["records"] for r in sandbox.requests() if r["method"] == "PUT"]
    assert [record["phone_number"] for record in bodies[0]] == ["767215179"]
    assert resent.rows_total == 1
    assert crm_grid.rows.get(number=6).outcome == Outcome.UPDATED
    assert sandbox.record("00001", "767215179")["agent_login"] == "a.nowak"


def test_nothing_to_resend_says_so(crm_grid: Grid, rules: Any, api: thulium.ThuliumClient) -> None:
    send(crm_grid, rules, api)

    with pytest.raises(SubmissionProblem, match="Nothing to resend"):
        queue_sending(grid=crm_grid, author=None, rules=rules, resend=True)


def test_sent_edits_cannot_be_undone_and_sending_grids_cannot_be_edited(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient
) -> None:
    row_set_cells(
        grid=crm_grid,
        row=crm_grid.rows.get(number=6),
        cells={"agent_login": "a.nowak"},
        author=None,
        rules=rules,
    )
    submission = queue_sending(grid=crm_grid, author=None, rules=rules)

    with pytest.raises(EditProblem, match="being sent"):
        row_set_cells(
            grid=crm_grid,
            row=crm_grid.rows.get(number=4),
            cells={"status": "1"},
            author=None,
            rules=rules,
        )
    submission_run(submission_id=submission.pk, client=api)
    with pytest.raises(EditProblem, match="has been sent"):
        grid_undo(grid=crm_grid, rules=rules)


def test_an_expired_lease_lets_another_worker_resend_and_record_once(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox, settings: Any
) -> None:
    submission = queue_sending(grid=crm_grid, author=None, rules=rules, chunk_size=4)
    # A worker claimed chunk 0, sent it, and died before recording the answer.
    chunk = submission.chunks.get(index=0)
    Chunk.objects.filter(pk=chunk.pk).update(
        state=Chunk.State.CLAIMED, claimed_by="dead", lease_until="2020-01-01T00:00:00Z"
    )
    Submission.objects.filter(pk=submission.pk).update(
        state=Submission.State.RUNNING, heartbeat_at="2020-01-01T00:00:00Z"
    )
    settings.SUBMISSION_LEASE_SECONDS = 1

    assert submissions_reap() == [submission.pk]
    submission_run(submission_id=submission.pk, client=api)

    assert Submission.objects.get(pk=submission.pk).state == Submission.State.FINISHED
    assert RowOutcome.objects.filter(chunk=chunk).count() == 4
    assert set(outcomes(crm_grid).values()) == {Outcome.UPDATED, Outcome.NOT_SENT, Outcome.NONE}


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_never_send_a_chunk_twice(
    crm_grid: Grid, rules: Any, sandbox: Sandbox
) -> None:
    submission = queue_sending(grid=crm_grid, author=None, rules=rules, chunk_size=1)
    sandbox.inject({"kind": "delay", "seconds": 0.05, "times": 100, "method": "PUT"})
    results = []

    def worker() -> None:
        with thulium.ThuliumClient(client_config(sandbox.api_url)) as own:
            results.append(submission_run(submission_id=submission.pk, client=own).state)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    puts = [r for r in sandbox.requests() if r["method"] == "PUT"]
    sent_phones = [r["body"]["records"][0]["phone_number"] for r in puts]
    assert len(sent_phones) == len(set(sent_phones)) == 7
    assert RowOutcome.objects.count() == 7
    assert "finished" in results
    assert Submission.objects.get(pk=submission.pk).state == Submission.State.FINISHED


def test_a_thulium_too_slow_to_answer_is_waited_for(
    crm_grid: Grid, rules: Any, sandbox: Sandbox
) -> None:
    sandbox.inject({"kind": "delay", "seconds": 1.0, "times": 2, "method": "PUT"})

    with thulium.ThuliumClient(
        client_config(sandbox.api_url, read_timeout=0.3, max_retries=1)
    ) as impatient:
        submission = send(crm_grid, rules, impatient, chunk_size=4)
        assert submission.state == Submission.State.WAITING
        assert submission.outage_status is None  # no answer at all
        submission = run_to_the_end(submission, impatient)

    assert submission.state == Submission.State.FINISHED
    assert crm_grid.rows.filter(outcome=Outcome.UPDATED).count() == 7


def test_an_answer_of_an_unexpected_shape_is_unknown(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject({"kind": "body", "body": ["204"], "method": "PUT"})

    send(crm_grid, rules, api, chunk_size=4)

    assert crm_grid.rows.filter(outcome=Outcome.UNKNOWN).count() == 4
    assert crm_grid.rows.filter(outcome=Outcome.UPDATED).count() == 3


def test_before_values_are_read_from_thulium_and_kept_with_each_outcome(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    was = sandbox.record("00001", "845400588")

    send(crm_grid, rules, api)

    outcome = RowOutcome.objects.get(row__number=5)
    assert outcome.before == {
        "status_id": was["status_id"],
        "agent_login": was["agent_login"],
        "next_call_date": was["next_call_date"],
        "identifier": was["identifier"],
        "record_id": was["record_id"],
    }
    reads = [r for r in sandbox.requests() if r["path"].endswith("/00001/records")]
    assert reads[0]["method"] == "GET"
    # The review's read gave the before-values: the campaign was read once, before any PUT.
    methods = [r["method"] for r in reads]
    assert methods.index("PUT") == methods.count("GET")


def test_an_unreachable_thulium_while_reading_waits_then_sends(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    submission = queue_sending(grid=crm_grid, author=None, rules=rules)
    # Queued behind other sendings for longer than a review stays fresh: the job reads again.
    Grid.objects.filter(pk=crm_grid.pk).update(compared_at="2020-01-01T00:00:00Z")
    sandbox.inject(
        {"kind": "status", "status": 503, "times": 1 + api.config.max_retries, "method": "GET"}
    )

    result = submission_run(submission_id=submission.pk, client=api)

    assert result.state == Submission.State.WAITING
    assert result.retry_after == pytest.approx(0.2, abs=0.1)  # the first outage pause
    assert [r for r in sandbox.requests() if r["method"] == "PUT"] == []
    assert run_to_the_end(submission, api).state == "finished"


def test_a_sending_right_after_its_review_checks_rows_again_only_when_the_rules_changed(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient
) -> None:
    # The rules as a sending sees them: with the agents' names the campaign's listing gives.
    grid_review_read(grid=crm_grid, client=api)
    crm_grid.refresh_from_db()
    rules = campaign_rules(campaign=crm_grid.campaign, client=api)

    def reviewed(resend: bool = False) -> str:
        with thulium_client(system=crm_grid.campaign.system) as client:
            grid_review_read(grid=crm_grid, client=client)
        # A mark only checking a row rewrites (a kind no check gives an edit grid's row): it
        # shows whether the rows were checked again.
        crm_grid.rows.update(kind="mark")
        return grid_review(grid=crm_grid, rules=rules, resend=resend).token

    first = submission_create(grid=crm_grid, author=None, rules=rules, review=reviewed())
    kept = set(crm_grid.rows.values_list("kind", flat=True))
    submission_cancel(submission=first)
    submission_run(submission_id=first.pk, client=api)  # cancelled before its first request
    token = reviewed(resend=True)  # the cancelled sending's rows: not sent, sent again
    unused = [a for a in rules.agents if not crm_grid.rows.filter(agent_login=a.login).exists()]
    changed = dataclasses.replace(rules, agents=tuple(a for a in rules.agents if a != unused[0]))
    submission_create(grid=crm_grid, author=None, rules=changed, review=token, resend=True)

    assert kept == {"mark"}
    assert set(crm_grid.rows.values_list("kind", flat=True)) == {""}
