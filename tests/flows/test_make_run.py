"""`make run`'s command brings up sandbox, dashboard and worker, and Ctrl-C stops all three."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("THULIUM_", "DJANGO_"))
    }
    # Its own database, whatever the suite runs on: this is a separate running product. Its
    # banner in English, which the assertions read (it speaks LANGUAGE_CODE, Polish by default).
    env |= {
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "LANGUAGE_CODE": "en",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return env


def test_demo_starts_everything_prints_the_login_and_stops_on_ctrl_c(
    demo_env: dict[str, str],
) -> None:
    port, sandbox_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "demo",
            "--port",
            str(port),
            "--sandbox-port",
            str(sandbox_port),
        ],
        cwd=ROOT,
        env=demo_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line, f"demo exited early: {''.join(banner)}"
            banner.append(line)
            if "Press Ctrl-C" in line:
                break
        text = "".join(banner)
        assert f"http://127.0.0.1:{port}/" in text
        assert "log in as supervisor / supervisor" in text
        assert f"http://127.0.0.1:{sandbox_port}/api/" in text

        session = requests.Session()
        login_url = f"http://127.0.0.1:{port}/accounts/login/"
        login_page = session.get(login_url, timeout=10, headers={"Accept-Language": "en"}).text
        assert "<td><code>supervisor</code></td><td><code>supervisor</code></td>" in login_page
        page = session.post(
            login_url,
            data={
                "username": "supervisor",
                "password": "supervisor",
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": login_url},
            timeout=30,
        )
        assert "Odnowienia umów — Warszawa" in page.text
        assert session.get(f"http://127.0.0.1:{port}/static/css/app.css", timeout=10).ok

        children = children_of(process.pid)
        assert len(children) == 3  # sandbox, runserver, db_worker

        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert "Stopped the dashboard, the worker and the sandbox." in rest
    # The demo campaigns' field lists are declared, as an administrator's setup would be.
    database = demo_env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        declared = db.execute(
            "SELECT f.name FROM campaigns_campaignfield f JOIN campaigns_campaign c "
            "ON c.id = f.campaign_id WHERE c.thulium_id = '00001' ORDER BY f.position"
        ).fetchall()
    assert [name for (name,) in declared] == ["pole1", "pole2", "imię", "nazwisko", "miasto"]
    assert not listening(port)
    assert not listening(sandbox_port)
    assert [pid for pid in children if alive(pid)] == []
