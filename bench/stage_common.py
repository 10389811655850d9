"""What several stages use: the benchmark's campaign and grids, timing, the review a sending
needs, and the worker processes that send. Imported by the stage modules once bench/stages.py
has set Django up."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from django.core.management import call_command

from bench.run import HEADERS, make_rows
from campaigns.models import Campaign, Grid, ThuliumSystem
from campaigns.services.campaigns import campaign_fields_add, campaign_for
from campaigns.services.connection import thulium_client
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.review import grid_review, grid_review_read

ROOT = Path(__file__).resolve().parent.parent
STAGES_SCRIPT = ROOT / "bench" / "stages.py"


def stage_prepare(args: Any, workdir: Path) -> dict[str, Any]:
    """The migrated database the stages start from (a template copied per stage on SQLite)."""
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # pages render {% static %}
    return {}


def system() -> ThuliumSystem:
    """The sandbox, as THULIUM_BASE_URL names it (migrate made it a system)."""
    return ThuliumSystem.objects.get(from_environment=True)


def campaign(on: ThuliumSystem | None = None) -> Campaign:
    made = campaign_for(system=on or system(), thulium_id="00001", name="Benchmark")
    campaign_fields_add(campaign=made, names=["imię", "miasto"])
    return made


def timed[T](work: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


def median_ms(work: Callable[[], object], repeat: int) -> float:
    work()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def grid_of(rows: int, on: ThuliumSystem | None = None) -> Grid:
    """A validated grid of the first `rows` generated rows, in the campaign of `on`."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADERS)
    writer.writerows(make_rows(rows))
    made = grid_create_from_file(
        campaign=campaign(on), author=None, data=out.getvalue().encode(), filename=f"{rows}.csv"
    )
    with thulium_client(system=on or system()) as client:
        return grid_confirm_mapping(grid=made, mapping=made.mapping, client=client)


def reviewed(grid: Grid, client: Any, rules: Any) -> tuple[str, float]:
    """The review a sending needs: the campaign read once, then the token. (token, read s)"""
    read = grid_review_read(grid=grid, client=client)
    return grid_review(grid=grid, rules=rules).token, read.seconds


def start_sender(
    args: Any, workdir: Path, submission_id: int, *, helper: bool
) -> subprocess.Popen[bytes]:
    """A process that sends chunks of the submission (submit-worker), on this stage's database."""
    command = [sys.executable, str(STAGES_SCRIPT), "--stage", "submit-worker"]
    command += ["--workdir", str(workdir), "--api", args.api, "--rows", str(args.rows)]
    command += ["--extra", json.dumps({"submission": submission_id, "helper": helper})]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        env=os.environ | {"BENCH_SHARED_DB": os.environ["DATABASE_URL"], "SUBMISSION_WORKERS": "4"},
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or its workers still booting
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")
