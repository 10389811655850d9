"""Thulium slower than a lease, or asking us to wait, with real `manage.py db_worker` processes:
a slow request keeps its claim (no other worker sends it again), a worker killed mid-POST
leaves rows that are looked up rather than added twice, and a campaign told to wait holds
neither the worker nor the other campaigns' sendings, and can be cancelled at once. CI runs
this on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from campaigns import thulium
from campaigns.models import Chunk, Grid, Outcome, RowOutcome, Submission
from campaigns.services.campaigns import campaign_for
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.submissions import submission_cancel, submissions_reap
from campaigns.services.validation import campaign_rules
from tests.helpers import Sandbox, queue_sending, start_db_worker, stop_db_worker

pytestmark = pytest.mark.django_db(transaction=True)

LEASE = 1.5  # seconds a claim lasts unless renewed
POST_DELAY = 4.0  # Thulium takes longer than a lease to answer each POST
NEW_PHONES = [f"7002000{n:02d}" for n in range(12)]


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def kill(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def posted_phones(sandbox: Sandbox) -> Counter[str]:
    return Counter(
        record["phone_number"]
        for request in sandbox.requests()
        if request["method"] == "POST"
        for record in request["body"]["records"]
    )


def chunks_in(submission: Submission, state: str) -> list[Chunk]:
    return list(Chunk.objects.filter(submission=submission, state=state).order_by("index"))


def test_a_post_slower_than_the_lease_is_sent_once_even_when_the_workers_are_killed(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox, settings: Any
) -> None:
    settings.SUBMISSION_WORKERS = 2
    settings.SUBMISSION_LEASE_SECONDS = LEASE  # the reaper's idea of a silent worker
    data = "Telefon;Status\n" + "".join(f"{phone};3\n" for phone in NEW_PHONES)
    made = grid_create_from_file(
        campaign=campaign, author=None, data=data.encode(), filename="new.csv", mode=Grid.Mode.ADD
    )
    grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    sandbox.inject({"kind": "delay", "seconds": POST_DELAY, "method": "POST", "times": 1000})
    env = {"SUBMISSION_LEASE_SECONDS": str(LEASE)}
    workers = [start_db_worker(sandbox, **env) for _ in range(2)]
    try:
        submission = queue_sending(grid=grid, author=None, rules=rules, chunk_size=3)
        # Both workers alive, each POST outlasting the lease: the other worker must not take
        # the chunk over (the canary's included, which the other waits for).
        wait_for(lambda: len(chunks_in(submission, Chunk.State.DONE)) >= 2, 90, "two answers")
        wait_for(lambda: bool(chunks_in(submission, Chunk.State.CLAIMED)), 30, "a POST out")
        time.sleep(0.5)  # the claimed chunk's POST has gone out
        for worker in workers:
            kill(worker)
        answered_alive = chunks_in(submission, Chunk.State.DONE)
        in_flight = chunks_in(submission, Chunk.State.CLAIMED)
        assert in_flight
        # The dead workers' POSTs still reach Thulium, which adds the records; their claims
        # run out with nobody renewing them.
        time.sleep(POST_DELAY + LEASE)

        workers = [start_db_worker(sandbox, **env) for _ in range(2)]
        assert submissions_reap() == [submission.pk]
        wait_for(
            lambda: Submission.objects.get(pk=submission.pk).state == Submission.State.FINISHED,
            90,
            "the sending to finish",
        )
    finally:
        for worker in workers:
            if worker.poll() is None:
                stop_db_worker(worker)

    assert all(chunk.attempts == 1 for chunk in answered_alive)
    posted = posted_phones(sandbox)
    assert sorted(posted) == sorted(NEW_PHONES)
    assert set(posted.values()) == {1}  # no row POSTed twice
    held = Counter(r["phone_number"] for r in sandbox.records("00001"))
    assert all(held[phone] == 1 for phone in NEW_PHONES)
    assert set(grid.rows.values_list("outcome", flat=True)) == {Outcome.ADDED}
    assert RowOutcome.objects.filter(submission=submission).count() == len(NEW_PHONES)
    # The rows whose claim ran out with their POST out were looked up, not sent again.
    taken_over = [pk for chunk in in_flight for pk in chunk.row_ids]
    statuses = set(grid.rows.filter(id__in=taken_over).values_list("outcome_detail__status"))
    assert statuses == {("RECONCILED",)}


def test_a_campaign_waiting_for_thulium_holds_neither_the_worker_nor_another_campaign(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    other = campaign_for(
        system=crm_grid.campaign.system, thulium_id="00002", name="Przypomnienia o płatnościach"
    )
    held = Counter(r["phone_number"] for r in sandbox.records("00002"))
    phones = [
        r["phone_number"]
        for r in sandbox.records("00002")
        if held[r["phone_number"]] == 1 and r["status_id"] != "3"
    ][:4]
    data = "Telefon;Status\n" + "".join(f"{phone};3\n" for phone in phones)
    made = grid_create_from_file(
        campaign=other, author=None, data=data.encode(), filename="other.csv"
    )
    other_grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    other_rules = campaign_rules(campaign=other, client=api)
    # Campaign 00001 is told to wait a minute: longer than the client ever sleeps in a call.
    sandbox.inject(
        {
            "kind": "status",
            "status": 429,
            "retry_after": 60,
            "method": "PUT",
            "path": "/outbounds/00001/",
            "times": 1000,
        }
    )
    worker = start_db_worker(sandbox)
    try:
        waiting = queue_sending(grid=crm_grid, author=None, rules=rules)
        wait_for(
            lambda: Submission.objects.get(pk=waiting.pk).state == Submission.State.WAITING,
            60,
            "the first campaign to wait",
        )
        sending = queue_sending(grid=other_grid, author=None, rules=other_rules)
        wait_for(lambda: not Submission.objects.get(pk=sending.pk).active, 60, "the other campaign")
        still = Submission.objects.get(pk=waiting.pk)

        submission_cancel(submission=still)
        cancelled = Submission.objects.get(pk=waiting.pk)
    finally:
        stop_db_worker(worker)

    assert Submission.objects.get(pk=sending.pk).state == Submission.State.FINISHED
    assert set(other_grid.rows.values_list("outcome", flat=True)) == {Outcome.UPDATED}
    assert still.state == Submission.State.WAITING
    assert cancelled.state == Submission.State.CANCELLED  # at once, not in a minute
    assert Outcome.UPDATED not in set(crm_grid.rows.values_list("outcome", flat=True))
    puts = [r for r in sandbox.requests() if r["method"] == "PUT" and "/00001/" in r["path"]]
    assert len(puts) == 1
