"""A run records each request's answers on the recorder's thread while it sends the next one
(campaigns/services/sending/recorder.py). Outside a caller's transaction, as a worker runs: the
sending never runs ahead of what is recorded by more than the request being recorded, a cancel
or a pause ends it with every answer recorded once, and nothing is sent twice."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count

from campaigns import thulium
from campaigns.models import Chunk, Grid, Outcome, RowOutcome, Submission
from campaigns.selectors.sendings import sendings_summaries
from campaigns.services.campaigns import campaign_fields_add
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.sending import submission_run
from campaigns.services.sending.recorder import Recorder
from campaigns.services.submissions import submission_cancel
from campaigns.services.validation import campaign_rules
from tests.helpers import Sandbox, WatchingClient, client_config, queue_sending

pytestmark = pytest.mark.django_db(transaction=True)


def _grid(
    campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox, rows: int, **kw: Any
) -> Grid:
    """Rows changing the status of numbers the campaign holds once; from `colour_from` on, they
    also set the field "Kolor", which the field list has and Thulium does not."""
    colour_from = kw.get("colour_from", rows)
    campaign_fields_add(campaign=campaign, names=["Kolor"])
    held = Counter(r["phone_number"] for r in sandbox.records("00001"))
    phones = [
        r["phone_number"]
        for r in sandbox.records("00001")
        if held[r["phone_number"]] == 1 and r["status_id"] != "5"
    ][:rows]
    assert len(phones) == rows
    lines = [
        f"{phone};Nie dzwonić;{'zielony' if n >= colour_from else ''}\n"
        for n, phone in enumerate(phones)
    ]
    made = grid_create_from_file(
        campaign=campaign,
        author=None,
        data=("Telefon;Status;Kolor\n" + "".join(lines)).encode(),
        filename="crm.csv",
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def _puts(sandbox: Sandbox) -> list[list[str]]:
    return [
        [record["phone_number"] for record in r["body"]["records"]]
        for r in sandbox.requests()
        if r["method"] == "PUT"
    ]


def test_the_recorder_records_on_its_own_thread_unless_the_caller_holds_a_transaction() -> None:
    with Recorder() as recorder:
        assert not recorder.at_once
    with transaction.atomic(), Recorder() as recorder:
        assert recorder.at_once


def test_at_every_request_only_the_one_before_it_may_still_be_recording(
    campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox, settings: Any
) -> None:
    settings.SUBMISSION_CANARY_ROWS = 2
    grid = _grid(campaign, api, sandbox, 12)
    rules = campaign_rules(campaign=campaign, client=api)
    submission = queue_sending(grid=grid, author=None, rules=rules, chunk_size=2)
    seen = []

    def look(phones: list[str]) -> None:
        chunks = list(submission.chunks.order_by("index").values_list("state", "claimed_by"))
        waiting = set(grid.rows.filter(phone__in=phones).values_list("outcome", flat=True))
        seen.append((chunks, waiting))

    with WatchingClient(client_config(sandbox.api_url), on_request=look) as client:
        assert submission_run(submission_id=submission.pk, client=client).state == "finished"

    assert len(seen) == submission.chunks.count() == 6
    worker = seen[0][0][0][1]
    for index, (chunks, waiting) in enumerate(seen):
        assert waiting == {Outcome.WAITING}  # this request's rows: nothing recorded yet
        states = [state for state, _worker in chunks]
        assert states[: max(0, index - 1)] == [Chunk.State.DONE] * max(0, index - 1)
        if index:
            # The request before: recorded, or being recorded, by this run.
            assert states[index - 1] in (Chunk.State.DONE, Chunk.State.CLAIMED)
            assert chunks[index - 1][1] == worker
        assert states[index] == Chunk.State.CLAIMED
        assert chunks[index][1] == worker != ""
        assert set(states[index + 1 :]) <= {Chunk.State.PENDING}
    assert set(grid.rows.values_list("outcome", flat=True)) == {Outcome.UPDATED}
    assert RowOutcome.objects.filter(submission=submission).count() == 12
    sent = [phone for request in _puts(sandbox) for phone in request]
    assert len(sent) == len(set(sent)) == 12


def test_a_cancel_while_a_request_is_out_records_it_and_sends_nothing_after(
    campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox, settings: Any
) -> None:
    settings.SUBMISSION_CANARY_ROWS = 2
    grid = _grid(campaign, api, sandbox, 10)
    rules = campaign_rules(campaign=campaign, client=api)
    submission = queue_sending(grid=grid, author=None, rules=rules, chunk_size=2)
    requests = []

    def cancel_at_the_third(phones: list[str]) -> None:
        requests.append(phones)
        if len(requests) == 3:
            submission_cancel(submission=Submission.objects.get(pk=submission.pk))

    with WatchingClient(client_config(sandbox.api_url), on_request=cancel_at_the_third) as client:
        result = submission_run(submission_id=submission.pk, client=client)

    assert result.state == Submission.State.CANCELLED
    assert len(_puts(sandbox)) == 3
    states = list(submission.chunks.order_by("index").values_list("state", flat=True))
    assert states == [Chunk.State.DONE] * 3 + [Chunk.State.SKIPPED] * 2
    assert Counter(grid.rows.values_list("outcome", flat=True)) == {
        Outcome.UPDATED: 6,
        Outcome.NOT_SENT: 4,
    }
    assert RowOutcome.objects.filter(submission=submission).count() == 6


def test_a_request_mostly_refused_late_in_a_sending_pauses_it_with_every_answer_recorded(
    campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox, settings: Any
) -> None:
    # Requests of BRAKE_MIN_ROWS (10), the brake's least: the fourth is the first refused.
    settings.SUBMISSION_CANARY_ROWS = 10
    grid = _grid(campaign, api, sandbox, 50, colour_from=30)
    rules = campaign_rules(campaign=campaign, client=api)
    submission = queue_sending(grid=grid, author=None, rules=rules, chunk_size=10)

    result = submission_run(submission_id=submission.pk, client=api)

    assert result.state == Submission.State.PAUSED
    assert [len(request) for request in _puts(sandbox)] == [10, 10, 10, 10]
    states = list(submission.chunks.order_by("index").values_list("state", flat=True))
    assert states == [Chunk.State.DONE] * 4 + [Chunk.State.SKIPPED]
    assert Counter(grid.rows.values_list("outcome", flat=True)) == {
        Outcome.UPDATED: 30,
        Outcome.REJECTED: 10,
        Outcome.NOT_SENT: 10,
    }
    assert RowOutcome.objects.filter(submission=submission).count() == 40


def test_each_recorded_chunk_counts_its_answers_and_a_sending_sums_them(
    campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox, settings: Any
) -> None:
    settings.SUBMISSION_CANARY_ROWS = 10
    grid = _grid(campaign, api, sandbox, 50, colour_from=30)
    rules = campaign_rules(campaign=campaign, client=api)
    submission = queue_sending(grid=grid, author=None, rules=rules, chunk_size=10)
    submission_run(submission_id=submission.pk, client=api)  # paused at the fourth request

    for chunk in submission.chunks.filter(state=Chunk.State.DONE):
        recorded = dict(
            RowOutcome.objects.filter(chunk=chunk)
            .values_list("outcome")
            .annotate(n=Count("id"))
            .order_by()
        )
        assert chunk.outcome_counts == recorded
    (summary,) = sendings_summaries([Submission.objects.get(pk=submission.pk)])
    assert summary.counts == {Outcome.UPDATED: 30, Outcome.REJECTED: 10, Outcome.NOT_SENT: 10}

    # A sending recorded before chunks kept their counts is counted from its answers.
    submission.chunks.update(outcome_counts=None)
    (before,) = sendings_summaries([Submission.objects.get(pk=submission.pk)])
    assert before.counts == summary.counts
