"""The load, as issue 32 defines it: 8 supervisors browsing (grid pages, filtered grid pages,
cell saves, the campaign page) at a fixed rate from a separate process (bench/load_client.py),
while 1 sending of the --rows grid and 1 upload of the --rows file run, against gunicorn started
as docs/operations.md's production shape says (`--workers 4 --timeout 120`, DEBUG off)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone

from bench.load_client import percentile
from bench.run import cpu_seconds
from bench.stage_common import ROOT, free_port, grid_of, reviewed, start_sender, system, wait_for
from campaigns.models import RowOutcome, Submission
from campaigns.services.connection import thulium_client
from campaigns.services.submissions import submission_create
from campaigns.services.validation import campaign_rules

SUPERVISORS = 8
PASSWORD = "bench-password-1"
# The sending's workers: one machine of the production layout runs 2 × db_worker.
SENDERS = 2


def stage_load(args: Any, workdir: Path) -> dict[str, Any]:
    seconds = 10 if args.quick else 60
    browsed = [grid_of(max(args.rows // 10, 200)) for _ in range(2)]
    big = grid_of(args.rows)
    supervisors = []
    for n in range(SUPERVISORS):
        user = User.objects.create_user(f"s{n}", password=PASSWORD)
        user.groups.add(Group.objects.get(name="Supervisor"))
        grid = browsed[n % 2]
        rows = list(grid.rows.order_by("number").values_list("id", flat=True)[:100])
        supervisors.append({"username": user.username, "grid": grid.pk, "rows": rows})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    plan = {
        "base": base,
        "password": PASSWORD,
        "campaign_url": f"/campaigns/{system().name}/00001/",
        "supervisors": supervisors,
        "interval_ms": args.load_interval_ms,
        "seconds": seconds,
    }
    (workdir / "load-plan.json").write_text(json.dumps(plan))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "thulium_admin.wsgi", "--workers", "4"]
        + ["--timeout", "120", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        start_new_session=True,
    )
    background: list[subprocess.Popen[bytes]] = []
    upload_took: dict[str, float] = {}
    try:
        wait_for(base + "/healthz")
        clients = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "load_client.py"),
                str(workdir / "load-plan.json"),
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert clients.stdin is not None
        assert clients.stdout is not None
        assert clients.stdout.readline().strip() == "ready"
        # The sending, reviewed and queued as the send button would: its workers start with
        # the window.
        with thulium_client(system=system()) as client:
            rules = campaign_rules(campaign=big.campaign, client=client)
            token, _read_s = reviewed(big, client, rules)
        submission = submission_create(grid=big, author=None, rules=rules, review=token)
        started = time.perf_counter()
        upload = subprocess.Popen(
            [sys.executable, "manage.py", "push_records", "00001", str(workdir / "records.csv")]
            + ["--dry-run"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        background.append(upload)
        threading.Thread(target=_took, args=(upload, started, upload_took), daemon=True).start()
        background += [
            start_sender(args, workdir, submission.pk, helper=bool(i)) for i in range(SENDERS)
        ]
        watch = CpuWatch(
            [server.pid, clients.pid] + [proc.pid for proc in background],
            database=connection.settings_dict["NAME"] if connection.vendor == "postgresql" else "",
        )
        watch.start()
        clients.stdin.write("go\n")
        clients.stdin.flush()
        go_perf, go_wall = time.perf_counter(), timezone.now()
        output, _ = clients.communicate(timeout=seconds + 120)
        watch.stop.set()
        watch.join()
        window_end = timezone.now()
        upload_s = upload_took.get("seconds")  # None: still taking the file in
        measured = json.loads(output.strip().splitlines()[-1])
        answered = RowOutcome.objects.filter(submission_id=submission.pk).count()
        sent = Submission.objects.get(pk=submission.pk)
    finally:
        for proc in background:
            proc.terminate()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    finished = sent.finished_at is not None and sent.finished_at <= window_end
    # Seconds into the window when the background work (the sending, the upload) was done.
    ends = [
        (sent.finished_at - go_wall).total_seconds() if finished and sent.finished_at else None,
        upload_s - (go_perf - started) if upload_s is not None else None,
    ]
    background_end = None if None in ends else max(e for e in ends if e is not None)
    samples = measured.pop("samples")
    return measured | {
        "background_end_s": background_end,
        "split": _split(samples, background_end if background_end is not None else seconds),
        "seconds": seconds,
        "interval_ms": args.load_interval_ms,
        "supervisors": SUPERVISORS,
        "gunicorn": "--workers 4 --timeout 120",
        "background_rows": sent.rows_total,
        "background_rows_answered": answered,
        "background_send_s": (
            (sent.finished_at - sent.started_at).total_seconds()
            if finished and sent.started_at and sent.finished_at
            else None
        ),
        "upload_s": upload_s,
        "ours_cpu_s": watch.seconds(watch.ours),
        "database_cpu_s": watch.seconds(watch.database) if watch.database_name else None,
        "ours_watched_s": watch.watched,
        "upload_exit": upload.returncode if upload_s is not None else None,
    }


def _split(samples: list[list[Any]], end: float) -> dict[str, dict[str, Any]]:
    """Each endpoint's p95 over the requests due while the background work ran, and after."""
    parts: dict[str, dict[str, list[float]]] = {"during": {}, "after": {}}
    for endpoint, due, ms in samples:
        parts["during" if due < end else "after"].setdefault(endpoint, []).append(ms)
    return {
        part: {name: {"count": len(v), "p95": percentile(v, 0.95)} for name, v in found.items()}
        for part, found in parts.items()
    }


def _took(proc: subprocess.Popen[bytes], started: float, into: dict[str, float]) -> None:
    proc.wait()
    into["seconds"] = time.perf_counter() - started


class CpuWatch(threading.Thread):
    """The CPU seconds the load's own processes spend while watched (gunicorn and its workers,
    the clients, the sending's workers, the upload and their children), and apart those of the
    PostgreSQL backends serving `database` (not the sandbox): the machine is shared, and its busy
    fraction alone does not say whose the time was."""

    def __init__(self, roots: list[int], *, database: str) -> None:
        super().__init__(daemon=True)
        self.roots = roots
        self.database_name = database
        self.stop = threading.Event()
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.ours: set[int] = set()
        self.database: set[int] = set()
        self.watched = 0.0

    def run(self) -> None:
        # A process that existed at the start counts from then; one born later, from zero.
        started = time.perf_counter()
        self._look()
        for pid in self.ours | self.database:
            self.first[pid] = self.last[pid] = _cpu(pid)
        while not self.stop.wait(0.25):
            for pid in self._look():
                self.first.setdefault(pid, 0.0)
                self.last[pid] = max(self.last.get(pid, 0.0), _cpu(pid))
        self.watched = time.perf_counter() - started

    def seconds(self, pids: set[int]) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in pids if pid in self.last)

    def _look(self) -> set[int]:
        """The processes of the load now (adding them to ours or database)."""
        # Children by their parent's id, from every process's stat (this kernel has no
        # /proc/PID/task/TID/children); a backend by its title, "postgres: user database …".
        children: dict[int, list[int]] = {}
        for proc in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(OSError, IndexError, ValueError):  # it has just ended
                parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(proc.name))
                if self.database_name:
                    title = (proc / "cmdline").read_bytes().split(b"\0")[0].decode().split()
                    if title[:1] == ["postgres:"] and title[2:3] == [self.database_name]:
                        self.database.add(int(proc.name))
        todo = list(self.roots)
        while todo:
            pid = todo.pop()
            self.ours.add(pid)
            todo += children.get(pid, [])
        return self.ours | self.database


def _cpu(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except (OSError, IndexError):
        return 0.0
