"""A real db_worker killed with SIGKILL mid-submission and restarted ends exactly like a run
that never crashed: every row one outcome, nothing lost, nothing recorded twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.files.make_office_files import ROWS
from tests.helpers import API_PASSWORD, API_USER, ROOT, Sandbox

PREPARE = """
from campaigns.models import ThuliumSystem
from campaigns.services.campaigns import campaign_fields_add, campaign_for
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.connection import thulium_client
from campaigns.services.validation import campaign_rules
from campaigns.services.sending import submission_run
from tests.helpers import queue_sending
campaign = campaign_for(
    system=ThuliumSystem.objects.get(from_environment=True), thulium_id="00001", name="x"
)
campaign_fields_add(campaign=campaign, names=["pole1", "pole2", "imię", "nazwisko", "miasto"])
data = open("tests/files/crm_export_cp1250.csv", "rb").read()
with thulium_client(system=campaign.system) as client:
    made = grid_create_from_file(campaign=campaign, author=None, data=data, filename="crm.csv")
    grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=client)
    submission = queue_sending(
        grid=grid, author=None, rules=campaign_rules(campaign=campaign, client=client),
        chunk_size=1,
    )
    if RUN_HERE:
        submission_run(submission_id=submission.pk, client=client)
print(submission.pk)
"""


def environment(tmp_path: Path, name: str, sandbox: Sandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "THULIUM_"))}
    return env | {
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / name}",
        "THULIUM_BASE_URL": sandbox.api_url,
        "THULIUM_API_USER": API_USER,
        "THULIUM_API_PASSWORD": API_PASSWORD,
        "SUBMISSION_LEASE_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
        "LANGUAGE_CODE": "en",
    }


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def prepare(env: dict[str, str], *, run_here: bool) -> int:
    manage(env, "migrate", "--noinput", "-v0")
    out = manage(env, "shell", "-c", f"RUN_HERE = {run_here}\n" + PREPARE)
    return int(out.strip().splitlines()[-1])


def query(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database, timeout=20) as db:
        return db.execute(sql).fetchall()


def state_of_grid_phones(sandbox: Sandbox) -> dict[str, Any]:
    phones = {"".join(ch for ch in cells[0] if ch.isdigit())[-9:] for cells, _s, _c in ROWS}
    return {r["phone_number"]: r for r in sandbox.records("00001") if r["phone_number"] in phones}


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_worker_resumes_and_ends_as_if_nothing_happened(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    # The reference: the same submission, sent in one process without a crash.
    prepare(environment(tmp_path, "calm.sqlite3", sandbox), run_here=True)
    expected = state_of_grid_phones(sandbox)
    sandbox.reset()

    env = environment(tmp_path, "crash.sqlite3", sandbox)
    database = tmp_path / "crash.sqlite3"
    submission = prepare(env, run_here=False)
    sandbox.inject({"kind": "delay", "seconds": 0.6, "times": 1000, "method": "PUT"})
    worker = start_worker(env)
    try:
        wait_for(
            lambda: (
                query(database, "SELECT count(*) FROM campaigns_chunk WHERE state='done'")[0][0]
                >= 2
            ),
            60,
            "two chunks answered",
        )
        # Kill it while a chunk is claimed and its PUT is in flight: sent, not recorded.
        wait_for(
            lambda: (
                query(database, "SELECT count(*) FROM campaigns_chunk WHERE state='claimed'")[0][0]
                == 1
            ),
            10,
            "a chunk in flight",
        )
        time.sleep(0.3)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        in_flight = query(database, "SELECT id FROM campaigns_chunk WHERE state='claimed'")
        assert len(in_flight) == 1

        worker = start_worker(env)
        time.sleep(2.5)  # the lease runs out
        assert "Restarted submissions: " + str(submission) in manage(env, "reap_submissions")
        wait_for(
            lambda: (
                query(database, f"SELECT state FROM campaigns_submission WHERE id={submission}")[0][
                    0
                ]
                == "finished"
            ),
            60,
            "the submission to finish",
        )
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)

    outcomes = query(
        database,
        f"SELECT row_id, count(*) FROM campaigns_rowoutcome WHERE submission_id={submission} "
        "GROUP BY row_id",
    )
    assert len(outcomes) == 7
    assert all(count == 1 for _row, count in outcomes)
    # The row that changes nothing in Thulium was never queued: it keeps no outcome.
    assert query(database, "SELECT outcome, count(*) FROM campaigns_row GROUP BY outcome") == [
        ("", 1),
        ("not_sent", 8),
        ("updated", 7),
    ]
    assert query(database, "SELECT DISTINCT state FROM campaigns_chunk") == [("done",)]
    # The chunk in flight at the kill was sent twice; PUT is idempotent, so Thulium ends the same.
    puts = [r for r in sandbox.requests() if r["method"] == "PUT"]
    assert len(puts) == 8  # 7 rows, one request each, and the one sent again
    assert state_of_grid_phones(sandbox) == expected
