"""The sending's stages: the review's read of the campaign (alone, and kept), review + send with
1, 2 and 4 workers, a CSV from upload to every row answered, and the worker process the sending
stages start (submit-worker)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bench.run import control
from bench.stage_common import campaign, grid_of, reviewed, start_sender, system, timed
from campaigns.models import Outcome, Submission, ThuliumSystem
from campaigns.services.connection import thulium_client
from campaigns.services.grids import (
    campaign_listing_read,
    grid_confirm_mapping,
    grid_create_from_file,
)
from campaigns.services.listing import campaign_listing_fresh, campaign_records_by_phone
from campaigns.services.sending import submission_run
from campaigns.services.submissions import submission_create
from campaigns.services.validation import campaign_rules


def stage_end_to_end(args: Any, workdir: Path) -> dict[str, Any]:
    """A CSV from upload to every row answered, as a supervisor does it: read the file,
    confirm its columns, review (one read of the campaign), send with one worker."""
    into = campaign()
    data = (workdir / "records.csv").read_bytes()

    def whole() -> Submission:
        made = grid_create_from_file(campaign=into, author=None, data=data, filename="records.csv")
        with thulium_client(system=system()) as client:
            grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=client)
            rules = campaign_rules(campaign=into, client=client)
            token, _read = reviewed(grid, client, rules)
            submission = submission_create(grid=grid, author=None, rules=rules, review=token)
            while submission_run(submission_id=submission.pk, client=client).retry_after:
                time.sleep(0.05)
        return Submission.objects.get(pk=submission.pk)

    seconds, done = timed(whole)
    assert done.state == Submission.State.FINISHED, done.state
    return {"seconds": seconds, "rows": done.rows_total}


def stage_listing(args: Any, workdir: Path) -> dict[str, Any]:
    """Read every record of the campaign (the review's read), 1, 2, 4 and 8 pages at a time,
    with 0 and 20 ms of latency per page."""
    runs = {}
    for latency in (0, 20):
        control("DELETE", args.api, "faults")
        if latency:
            delay = {"kind": "delay", "seconds": latency / 1000, "method": "GET", "times": 10**6}
            control("POST", args.api, "faults", [delay])
        for concurrency in (1, 2, 4, 8):
            with thulium_client(system=system()) as client:
                seconds, records = timed(
                    lambda c=client, n=concurrency: sum(
                        1 for _r in c.iter_records("00001", concurrency=n)
                    )
                )
            runs[f"{concurrency}@{latency}"] = {"seconds": seconds, "records": records}
    control("DELETE", args.api, "faults")
    return {"runs": runs}


def stage_listing_kept(args: Any, workdir: Path) -> dict[str, Any]:
    """What keeping the campaign's listing costs (services/listing.py): the read alone, the
    read kept for the grids of the next minutes, and the kept read loaded back (the mapping's
    and the review's side), 4 pages at a time, no latency."""
    kept_for = campaign()
    control("DELETE", args.api, "faults")
    with thulium_client(system=system()) as client:
        read, records = timed(lambda: campaign_records_by_phone(client, kept_for))
        kept, _listing = timed(lambda: campaign_listing_read(campaign=kept_for, client=client))
    loaded, listing = timed(lambda: campaign_listing_fresh(kept_for))
    assert listing is not None
    return {
        "records": sum(len(found) for found in records.values()),
        "read_s": read,
        "read_and_keep_s": kept,
        "load_s": loaded,
    }


def stage_submission(args: Any, workdir: Path) -> dict[str, Any]:
    """Send the same grid again and again: 1, 2 and 4 worker processes, 0 and 50 ms latency.
    Each sending is reviewed first (the campaign read once); the sending reuses that read."""
    grid = grid_of(args.rows)
    with thulium_client(system=system()) as client:
        rules = campaign_rules(campaign=grid.campaign, client=client)
    runs = {}
    for latency in (0, 50):
        control("DELETE", args.api, "faults")
        if latency:
            delay = {"kind": "delay", "seconds": latency / 1000, "method": "PUT", "times": 10**6}
            control("POST", args.api, "faults", [delay])
        for workers in (1, 2, 4):
            grid.rows.update(outcome=Outcome.NONE, outcome_detail={})
            with thulium_client(system=system()) as client:
                token, read_s = reviewed(grid, client, rules)
            submission = submission_create(grid=grid, author=None, rules=rules, review=token)
            procs = [
                start_sender(args, workdir, submission.pk, helper=bool(i)) for i in range(workers)
            ]
            for proc in procs:
                proc.wait(timeout=900)
            done = Submission.objects.get(pk=submission.pk)
            assert done.state == Submission.State.FINISHED, done.state
            assert done.started_at is not None
            assert done.finished_at is not None
            send_s = (done.finished_at - done.started_at).total_seconds()
            runs[f"{workers}@{latency}"] = {
                "total_s": read_s + send_s,
                "read_s": read_s,
                "send_s": send_s,
                "rows": done.rows_total,
            }
    control("DELETE", args.api, "faults")
    return {"runs": runs}


def stage_submit_worker(args: Any, workdir: Path) -> dict[str, Any]:
    """Send chunks of one submission until it ends, with a client of the submission's own
    system (as the task does): the capacity stage sends to several."""
    extra = json.loads(args.extra)
    to = ThuliumSystem.objects.get(campaigns__submissions=extra["submission"])
    with thulium_client(system=to) as client:
        while True:
            result = submission_run(
                submission_id=extra["submission"], client=client, helper=extra["helper"]
            )
            if result.retry_after is None:
                return {"state": result.state}
            time.sleep(min(result.retry_after, 0.2))
