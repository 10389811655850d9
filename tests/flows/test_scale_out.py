"""Several db_worker processes share one sending through the database: each chunk is sent once,
by exactly one of them. CI runs this on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from campaigns import thulium
from campaigns.models import Chunk, RowOutcome, Submission
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from tests.helpers import Sandbox, queue_sending, start_db_worker, stop_db_worker

pytestmark = pytest.mark.django_db(transaction=True)
ROWS = 40


def test_three_workers_share_a_sending_and_no_chunk_is_sent_twice(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox, settings: Any
) -> None:
    settings.SUBMISSION_WORKERS = 3
    # Numbers the campaign holds once, whose status the file changes.
    held = Counter(r["phone_number"] for r in sandbox.records("00001"))
    phones = [
        r["phone_number"]
        for r in sandbox.records("00001")
        if held[r["phone_number"]] == 1 and r["status_id"] != "3"
    ][:ROWS]
    assert len(phones) == ROWS
    data = "Telefon;Status\n" + "".join(f"{phone};3\n" for phone in phones)
    made = grid_create_from_file(
        campaign=campaign, author=None, data=data.encode(), filename="many.csv"
    )
    grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    # Each request takes a while, so the three workers overlap.
    sandbox.inject({"kind": "delay", "seconds": 0.15, "method": "PUT", "times": 1000})
    workers = [start_db_worker(sandbox) for _ in range(3)]
    try:
        submission = queue_sending(grid=grid, author=None, rules=rules, chunk_size=2)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            submission.refresh_from_db()
            if not submission.active:
                break
            time.sleep(0.3)
    finally:
        for worker in workers:
            stop_db_worker(worker)

    assert submission.state == Submission.State.FINISHED
    chunks = Chunk.objects.filter(submission=submission)
    assert chunks.count() == ROWS // 2
    assert set(chunks.values_list("attempts", flat=True)) == {1}
    assert len(set(chunks.values_list("claimed_by", flat=True))) >= 2  # the work was shared
    puts = [r for r in sandbox.requests() if r["method"] == "PUT"]
    sent = [record["phone_number"] for r in puts for record in r["body"]["records"]]
    assert len(sent) == len(set(sent)) == ROWS  # every row once, none twice
    assert RowOutcome.objects.filter(submission=submission).count() == ROWS
    reads = [r for r in sandbox.requests() if r["method"] == "GET" and "records" in r["path"]]
    offsets = [r["query"].get("offset", ["0"])[0] for r in reads]
    assert len(offsets) == len(set(offsets))  # every page of the campaign read once, not thrice
