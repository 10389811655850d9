"""`make run`'s command brings up two sandboxes (two demo systems), the dashboard and the worker;
each demo account sees what it is given; Ctrl-C stops them all."""

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


def free_port_pair() -> int:
    """A free port whose next one is free too: the demo's two sandboxes."""
    while True:
        port = free_port()
        if not listening(port + 1):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port


def campaign_list_as(port: int, username: str) -> str:
    """The campaign list as the demo account sees it, logged in through the login page."""
    session = requests.Session()
    login_url = f"http://127.0.0.1:{port}/accounts/login/"
    session.get(login_url, timeout=10)
    page = session.post(
        login_url,
        data={
            "username": username,
            "password": username,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login_url, "Accept-Language": "en"},
        timeout=30,
    )
    assert page.url == f"http://127.0.0.1:{port}/", page.url
    return page.text


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


def test_demo_starts_two_systems_prints_the_logins_and_stops_on_ctrl_c(
    demo_env: dict[str, str],
) -> None:
    port, sandbox_port = free_port(), free_port_pair()
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
        assert "campaigns 00001, 00002 of klient-a only" in text
        assert "log in as supervisor-b / supervisor-b" in text
        assert "log in as viewer / viewer" in text
        assert "log in as admin / admin" in text
        assert f"Thulium system klient-a: sandbox http://127.0.0.1:{sandbox_port}/api/" in text
        assert f"Thulium system klient-b: sandbox http://127.0.0.1:{sandbox_port + 1}/api/" in text

        login_url = f"http://127.0.0.1:{port}/accounts/login/"
        login_page = requests.get(login_url, timeout=10, headers={"Accept-Language": "en"}).text
        assert "<td><code>supervisor</code></td><td><code>supervisor</code></td>" in login_page
        assert "<td>every campaign of klient-b</td>" in login_page

        # Campaign 00001 exists in each system; each supervisor sees only what they are given.
        a_only = campaign_list_as(port, "supervisor")
        assert "Odnowienia umów — Warszawa" in a_only
        assert "Przypomnienia o płatnościach" in a_only
        assert "Ankieta satysfakcji po wizycie" not in a_only  # 00003 of A: not granted
        assert "Przedłużenie polis OC — Gdańsk" not in a_only
        b_only = campaign_list_as(port, "supervisor-b")
        assert "Przedłużenie polis OC — Gdańsk" in b_only
        assert "Badanie NPS po likwidacji szkody" in b_only
        assert "Odnowienia umów — Warszawa" not in b_only
        both = campaign_list_as(port, "viewer")
        assert "Odnowienia umów — Warszawa" in both
        assert "Ankieta satysfakcji po wizycie" in both
        assert "Przedłużenie polis OC — Gdańsk" in both
        assert requests.get(f"http://127.0.0.1:{port}/static/css/app.css", timeout=10).ok

        children = children_of(process.pid)
        assert len(children) == 5  # two sandboxes, runserver, db_worker, scheduler

        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert "Stopped the dashboard, the worker, the scheduler and the sandboxes." in rest
    # Each demo system's campaigns' field lists are declared from its fixture, as an
    # administrator's setup would be.
    database = demo_env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        declared = db.execute(
            "SELECT s.name, f.name FROM campaigns_campaignfield f JOIN campaigns_campaign c "
            "ON c.id = f.campaign_id JOIN campaigns_thuliumsystem s ON s.id = c.system_id "
            "WHERE c.thulium_id = '00001' ORDER BY s.name, f.position"
        ).fetchall()
    assert declared == [
        ("klient-a", "pole1"),
        ("klient-a", "pole2"),
        ("klient-a", "imię"),
        ("klient-a", "nazwisko"),
        ("klient-a", "miasto"),
        ("klient-b", "imię"),
        ("klient-b", "nazwisko"),
        ("klient-b", "numer_polisy"),
        ("klient-b", "koniec_polisy"),
    ]
    assert not listening(port)
    assert not listening(sandbox_port)
    assert not listening(sandbox_port + 1)
    assert [pid for pid in children if alive(pid)] == []
