"""Helpers the tests share: the sandbox's control client, the dashboard's processes, and the
steps a person takes (fixtures live in the conftest.py files)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.connection import thulium_client
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.problems import grid_problem_groups
from campaigns.services.review import grid_review, grid_review_read
from campaigns.services.sending import submission_run
from campaigns.services.submissions import submission_create

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
FILES = ROOT / "tests" / "files"
DEMO_FIXTURE = ROOT / "thulium_sandbox" / "fixtures" / "demo.json"
# Another client's Thulium: other campaigns, agents and records under the same campaign ids.
DEMO_B_FIXTURE = ROOT / "thulium_sandbox" / "fixtures" / "demo_b.json"
DEMO_B_FIELDS = ["imię", "nazwisko", "numer_polisy", "koniec_polisy"]
DEMO_FIELDS = ["pole1", "pole2", "imię", "nazwisko", "miasto"]
API_USER = "api_user"
API_PASSWORD = "api_pass"


class Sandbox:
    """A running sandbox process, and its control endpoints for arranging and inspecting."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self.root = api_url.removesuffix("api/")
        self.http = requests.Session()

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self.root + "_sandbox/" + path, timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._control("POST", "reset")

    def load(self, fixture: dict[str, Any]) -> None:
        self._control("POST", "fixture", json=fixture)

    def inject(self, *faults: dict[str, Any]) -> None:
        self._control("POST", "faults", json=list(faults))

    def clear_requests(self) -> None:
        """Empty the request log; the world stays as it is."""
        self._control("DELETE", "requests")

    def requests(self) -> list[dict[str, Any]]:
        return self._control("GET", "requests")

    def clear_faults(self) -> None:
        """Thulium answers again: the faults not struck yet are dropped."""
        self._control("DELETE", "faults")

    def records(self, campaign_id: str) -> list[dict[str, Any]]:
        return self._control("GET", f"campaigns/{campaign_id}/records")

    def set_in_call(self, campaign_id: str, phone: str, in_call: bool) -> None:
        self._control(
            "POST",
            f"campaigns/{campaign_id}/calls",
            json={"phone_number": phone, "in_call": in_call},
        )

    def record(self, campaign_id: str, phone: str) -> dict[str, Any]:
        matches = [r for r in self.records(campaign_id) if r["phone_number"] == phone]
        assert len(matches) == 1, f"{len(matches)} records with phone {phone}"
        return matches[0]

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("auth", (API_USER, API_PASSWORD))
        return self.http.request(method, self.api_url + path, timeout=10, **kwargs)


@contextmanager
def sandbox_process(fixture: Path) -> Iterator[Sandbox]:
    """A sandbox process on `fixture`, on a free port, stopped at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "thulium_sandbox", "--port", "0", "--fixture", str(fixture)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if "listening on" not in line:
        process.kill()
        raise RuntimeError(f"The sandbox did not start: {line!r}")
    try:
        yield Sandbox(line.rsplit(" ", 1)[-1].strip())
    finally:
        process.terminate()
        process.wait(timeout=10)


class WatchingClient(thulium.ThuliumClient):
    """The real client, with a look at the database each time a request goes out (the
    `client=` seam): what a page would show of the sending at that moment."""

    def __init__(self, *args: Any, on_request: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_request = on_request

    def batch_edit(self, campaign_id: str, rows: Any, **kwargs: Any) -> thulium.BatchResult:
        self.on_request([row.phone_number for row in rows])
        return super().batch_edit(campaign_id, rows, **kwargs)


# Text that only a data structure writes: brackets and braces, quotes around keys or items.
STRUCTURE = re.compile(r"[\[\]{}]|'\s*[:,]|[:,(]\s*'|\"\s*:|\bNone\b|\bTrue\b|\bFalse\b")


def assert_plain(text: str) -> None:
    """The text reads as sentences: no dict, list, JSON or Python literal shows through."""
    assert not STRUCTURE.search(text), text


def grid_of_text(campaign: Any, api: thulium.ThuliumClient, text: str, mode: str) -> Grid:
    """A grid of `text` (a CSV) in `mode`, its columns confirmed as the dashboard guessed them."""
    made = grid_create_from_file(
        campaign=campaign, author=None, data=text.encode(), filename="crm.csv", mode=mode
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def message_codes(grid: Grid, phone: str) -> list[str]:
    """The codes of the messages of the grid's row holding `phone`."""
    return [m["code"] for m in grid.rows.get(phone=phone).messages]


def client_config(api_url: str, **overrides: Any) -> thulium.ThuliumConfig:
    values: dict[str, Any] = {
        "base_url": api_url,
        "user": API_USER,
        "password": API_PASSWORD,
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "deadline": 20.0,
        "max_retries": 3,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "retry_after_cap": 5.0,
    }
    return thulium.ThuliumConfig(**(values | overrides))


def user_with_role(django_user_model: Any, username: str, role: str) -> Any:
    user = django_user_model.objects.create_user(
        username=username, password="correct horse battery", first_name="Ewa", last_name="Nowak"
    )
    user.groups.add(Group.objects.get(name=role))
    return user


def worker_database_url() -> str:
    """The URL of the database this test runs on, for a worker in another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def process_env(database_url: str, sandbox: Sandbox, **extra: str) -> dict[str, str]:
    """The environment of a `manage.py` (or gunicorn) process a test starts: the database it
    names, the sandbox, DEBUG, and nothing of the test process's own Django or Thulium set-up."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "THULIUM_"))}
    return clean | {
        "DEBUG": "1",
        "DATABASE_URL": database_url,
        "THULIUM_BASE_URL": sandbox.api_url,
        "THULIUM_API_USER": API_USER,
        "THULIUM_API_PASSWORD": API_PASSWORD,
        **extra,
    }


def migrated_env(directory: Path, sandbox: Sandbox, **extra: str) -> dict[str, str]:
    """`process_env` on a new SQLite database of its own in `directory`, migrated."""
    env = process_env(f"sqlite:///{directory / 'db.sqlite3'}", sandbox, **extra)
    manage = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
    subprocess.run(manage, cwd=ROOT, env=env, check=True, timeout=120)
    return env


def start_db_worker(sandbox: Sandbox, **env: str) -> subprocess.Popen[bytes]:
    """A real `manage.py db_worker` on this test's database (which must be committed to:
    django_db(transaction=True)), talking to the sandbox. Stop it with stop_db_worker."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
        cwd=ROOT,
        env=process_env(worker_database_url(), sandbox, **({"LOG_LEVEL": "WARNING"} | env)),
        start_new_session=True,
    )


def stop_db_worker(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def queue_sending(
    *,
    grid: Any,
    rules: Any,
    author: Any = None,
    resend: bool = False,
    include_unchanged: bool = False,
    **kwargs: Any,
) -> Any:
    """Review the grid as the page does (read the campaign from the sandbox, then review),
    and queue the sending that review allows."""
    with thulium_client(system=grid.campaign.system) as client:
        grid_review_read(grid=grid, client=client)
    review = grid_review(grid=grid, rules=rules, resend=resend, include_unchanged=include_unchanged)
    return submission_create(
        grid=grid,
        author=author,
        rules=rules,
        review=review.token,
        resend=resend,
        include_unchanged=include_unchanged,
        **kwargs,
    )


def send(grid: Any, rules: Any, api: thulium.ThuliumClient, **kwargs: Any) -> Any:
    """Queue a sending as the page does and run it here, to the end; the submission, fresh."""
    submission = queue_sending(grid=grid, author=None, rules=rules, **kwargs)
    submission_run(submission_id=submission.pk, client=api)
    submission.refresh_from_db()
    return submission


def run_to_the_end(submission: Any, api: thulium.ThuliumClient, seconds: float = 60) -> Any:
    """Run the sending here as the worker would: again after each wait it asks for (an outage,
    Thulium's Retry-After), until it ends; the submission, fresh."""
    deadline = time.monotonic() + seconds
    while True:
        result = submission_run(submission_id=submission.pk, client=api)
        if result.retry_after is None:
            break
        assert time.monotonic() + result.retry_after < deadline, "the sending never ended"
        time.sleep(result.retry_after)
    submission.refresh_from_db()
    return submission


def send_from_page(
    client: Any, grid: Any, data: dict[str, str] | None = None, **kwargs: Any
) -> Any:
    """Press Send as a person does: the review reads the campaign, its page carries the
    token, and the sending is posted with it (and `data`, e.g. the removal's confirmation)."""
    data = dict(data or {})
    choices = {k: data[k] for k in ("resend", "unchanged") if k in data}
    review = reverse("campaigns:grid_review", args=[grid.pk])
    client.post(review, choices)
    page = client.get(review, choices).content.decode()
    found = re.search(r'name="review" value="([0-9a-f]+)"', page)
    data["review"] = found.group(1) if found else ""
    return client.post(reverse("campaigns:grid_send", args=[grid.pk]), data, **kwargs)


def audit_tamper(sql: str) -> None:
    """What someone with the database's owner rights could still do: lift the trigger, edit."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE campaigns_auditentry DISABLE TRIGGER USER")
            cursor.execute(sql)
            cursor.execute("ALTER TABLE campaigns_auditentry ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS campaigns_auditentry_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS campaigns_auditentry_no_delete")
            cursor.execute(sql)


def log_in(page: Page, live_server: Any, username: str = "ewa") -> None:
    """Log in through the login page as the `supervisor` fixture's user."""
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()


MESSY = (
    "Nr tel.;Status;Konsultant;Następny kontakt\n"
    "509708024;Mój rekord;;\n"
    "845400588;Mój rekord;;\n"
    "111222333;Oddzwonić;;\n"
    "555123321;ODDZWONIĆ;;\n"
    "600100200;NOWY!!;;\n"
    "700100200;Nowy;Anna Nowak;\n"
    "700100201;Nowy;Anna Nowak;31.02.2027 10:00\n"
)


def grid_of(campaign: Any, api: thulium.ThuliumClient, text: str = MESSY) -> Grid:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=text.encode(), filename="eksport.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def groups_by_code(grid: Grid, rules: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for group in grid_problem_groups(grid, rules):
        found.setdefault(group.code, []).append(group)
    return found


class _AdminForm(HTMLParser):
    """The values a browser would post from the page's main form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button"}:
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            default = "on" if a.get("type") in {"checkbox", "radio"} else ""
            self.data.setdefault(name, []).append(a.get("value", default))
        elif tag == "textarea" and name:
            self.data.setdefault(name, [])
        elif tag == "select":
            self._select = name
            self.data.setdefault(name or "", [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def posted_form(client: Client, url: str, **changes: Any) -> Any:
    page = client.get(url)
    assert page.status_code == 200
    form = _AdminForm()
    form.feed(page.content.decode())
    data = {k: v for k, v in form.data.items() if k}
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value if isinstance(value, list) else [value]
    return client.post(url, data)


def change_url(user: Any) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def single_phones(sandbox: Sandbox, status_id: str, count: int) -> list[str]:
    """`count` numbers of campaign 00001's records in that status, each held once."""
    records = sandbox.records("00001")
    held = [r["phone_number"] for r in records]
    found = [
        r["phone_number"]
        for r in records
        if r["status_id"] == status_id and held.count(r["phone_number"]) == 1
    ]
    assert len(found) >= count
    return found[:count]


def schedulers_at_once(env: dict[str, str], *, count: int = 2) -> None:
    """Start `count` `manage.py scheduler --once` at the same moment and wait for them all."""
    started = [
        subprocess.Popen(
            [sys.executable, "manage.py", "scheduler", "--once"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(count)
    ]
    for process in started:
        _out, err = process.communicate(timeout=120)
        assert process.returncode in (0, 1), err.decode()
