"""Capacity (not in the default run: --only capacity): several Thulium systems sent to at once.
Four more sandboxes, each a Thulium system of its own (added as `thulium_system add` adds one)
with 50 ms of latency on every batch edit and a grid of --rows / 4 rows; first one worker sends
one grid alone, then 8 worker processes (2 a sending) send all four grids at once. Prints rows/s
overall and per worker next to the one worker's, and the machine's CPU meanwhile: what 2 cores
show, and how far they are from what 8 workers on their own cores would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.load_client import busy_between, cpu_ticks
from bench.run import control
from bench.sandbox_throughput import fixture
from bench.stage_common import ROOT, grid_of, reviewed, start_sender
from campaigns.models import Grid, Outcome, Submission, ThuliumSystem
from campaigns.services.connection import thulium_client
from campaigns.services.submissions import submission_create
from campaigns.services.systems import thulium_system_add
from campaigns.services.validation import campaign_rules

SYSTEMS = 4
WORKERS_EACH = 2
LATENCY_S = 0.05


def _sandbox() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "thulium_sandbox", "--port", "0", "--log-size", "50"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().rsplit(" ", 1)[-1].strip()


def _queued(grid: Grid) -> Submission:
    """The grid reviewed against its own system and queued for sending, every row again."""
    grid.rows.update(outcome=Outcome.NONE, outcome_detail={})
    with thulium_client(system=grid.campaign.system) as client:
        rules = campaign_rules(campaign=grid.campaign, client=client)
        token, _read_s = reviewed(grid, client, rules)
    return submission_create(grid=grid, author=None, rules=rules, review=token)


def _send(args: Any, workdir: Path, submissions: list[Submission], each: int) -> tuple[float, int]:
    """Start `each` workers per sending and wait for all: (seconds from the first sending's
    start to the last one's end, rows sent)."""
    workers = [
        start_sender(args, workdir, submission.pk, helper=bool(i))
        for submission in submissions
        for i in range(each)
    ]
    for worker in workers:
        worker.wait(timeout=1800)
    done = [Submission.objects.get(pk=s.pk) for s in submissions]
    assert all(s.state == Submission.State.FINISHED for s in done), [s.state for s in done]
    starts = [s.started_at for s in done if s.started_at]
    ends = [s.finished_at for s in done if s.finished_at]
    return (max(ends) - min(starts)).total_seconds(), sum(s.rows_total for s in done)


def stage_capacity(args: Any, workdir: Path) -> dict[str, Any]:
    rows_each = args.rows // SYSTEMS
    sandboxes: list[subprocess.Popen[str]] = []
    try:
        grids = []
        for n in range(1, SYSTEMS + 1):
            process, api = _sandbox()
            sandboxes.append(process)
            control("POST", api, "fixture", fixture(rows_each))
            delay = {"kind": "delay", "seconds": LATENCY_S, "method": "PUT", "times": 10**6}
            control("POST", api, "faults", [delay])
            system = thulium_system_add(
                name=f"sandbox-{n}",
                base_url=api,
                api_user="api_user",
                password="api_pass",
                actor=None,
            )
            grids.append(grid_of(rows_each, on=system))
        one_s, one_rows = _send(args, workdir, [_queued(grids[0])], 1)
        queued = [_queued(grid) for grid in grids]
        before = cpu_ticks()
        all_s, rows = _send(args, workdir, queued, WORKERS_EACH)
        cpu = busy_between(before, cpu_ticks())  # the workers' start-up included
    finally:
        for process in sandboxes:
            process.terminate()
            process.wait(timeout=10)
    workers = SYSTEMS * WORKERS_EACH
    return {
        "systems": ThuliumSystem.objects.filter(name__startswith="sandbox-").count(),
        "rows": rows,
        "rows_each": rows_each,
        "latency_ms": LATENCY_S * 1000,
        "workers": workers,
        "one_worker_s": one_s,
        "one_worker_rows_per_s": one_rows / one_s,
        "all_s": all_s,
        "rows_per_s": rows / all_s,
        "rows_per_s_per_worker": rows / all_s / workers,
        "cpu_busy": cpu,
    }
