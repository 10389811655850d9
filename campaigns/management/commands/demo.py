"""`make run`: the whole product in one terminal — two Thulium sandboxes (two clients, each
its own system), the dashboard and the task worker."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from campaigns import roles
from campaigns.models import ThuliumSystem
from campaigns.services.accounts import (
    DEMO_SYSTEM_A,
    DEMO_SYSTEM_B,
    DemoAccount,
    demo_access_words,
    demo_accounts_ensure,
)
from campaigns.services.campaigns import campaign_fields_add, campaign_for
from campaigns.services.systems import (
    password_needed_again,
    thulium_system_add,
    thulium_system_change,
)

SANDBOX_USER = "api_user"
SANDBOX_PASSWORD = "api_pass"
FIXTURES = Path(settings.BASE_DIR) / "thulium_sandbox" / "fixtures"


def demo_system(name: str, url: str) -> ThuliumSystem:
    """A demo sandbox as a Thulium system of this install (its address follows the port)."""
    found = ThuliumSystem.objects.filter(name=name).first()
    if found is None:
        return thulium_system_add(
            name=name,
            base_url=url,
            api_user=SANDBOX_USER,
            password=SANDBOX_PASSWORD,
            actor=None,
        )
    # Another port is another server: the kept password goes only with the address it was
    # given for, so it is given again then.
    moved = password_needed_again(system=found, base_url=url)
    return thulium_system_change(
        system=found,
        actor=None,
        base_url=url,
        api_user=SANDBOX_USER,
        password=SANDBOX_PASSWORD if moved else None,
    )


def _named(child: str) -> str:
    """A child process as the reader calls it, at the start of a sentence."""
    names = {
        "dashboard": _("The dashboard"),
        "worker": _("The task worker"),
        "scheduler": _("The scheduler"),
    }
    if child.startswith("sandbox "):
        return _("The Thulium sandbox of %(system)s") % {"system": child.removeprefix("sandbox ")}
    return names[child]


class Command(BaseCommand):
    help = (
        "Start two Thulium sandboxes, one per demo system (unless THULIUM_BASE_URL is set), the "
        "dashboard and the task worker; create the demo accounts; stop everything on Ctrl-C."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000, help="dashboard port")
        parser.add_argument(
            "--sandbox-port",
            type=int,
            default=8765,
            help="the first sandbox's port; the second sandbox listens on the next one",
        )
        parser.add_argument("--fixture", type=Path, default=FIXTURES / "demo.json")
        parser.add_argument("--fixture-b", type=Path, default=FIXTURES / "demo_b.json")

    def handle(
        self,
        *args: Any,
        port: int,
        sandbox_port: int,
        fixture: Path,
        fixture_b: Path,
        **options: Any,
    ) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        env = os.environ.copy()
        # The e-mails' links point at this dashboard.
        env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
        env.setdefault("DEBUG", "1")
        env["PYTHONUNBUFFERED"] = "1"
        # Ctrl-C must stop everything even when a parent started us with SIGINT ignored (as
        # shells do for background jobs); SIGTERM (e.g. from a process manager) likewise.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            if os.environ.get("THULIUM_BASE_URL"):
                sandbox_notes = [
                    self.style.WARNING(
                        _(
                            "THULIUM_BASE_URL is set, so no sandbox was started: the dashboard "
                            "works on %(url)s"
                        )
                        % {"url": os.environ["THULIUM_BASE_URL"]}
                    )
                ]
            else:
                sandbox_notes = [
                    self._demo_sandbox(name, sandbox_port + n, file)
                    for n, (name, file) in enumerate(
                        ((DEMO_SYSTEM_A, fixture), (DEMO_SYSTEM_B, fixture_b))
                    )
                ]
            accounts = demo_accounts_ensure()
            if not os.environ.get("THULIUM_BASE_URL"):
                # The login page shows the demo logins, only against the demo sandboxes.
                env["DEMO_LOGINS"] = json.dumps([a.as_login() for a in accounts if a.password])
            manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
            self._spawn("dashboard", [*manage, "runserver", f"127.0.0.1:{port}"], env)
            self._spawn("worker", [*manage, "db_worker"], env)
            # The periodic jobs, as in production: reap sendings whose worker died, verify the
            # audit log, purge personal data past its retention.
            self._spawn("scheduler", [*manage, "scheduler"], env)
            self._wait_for(f"http://127.0.0.1:{port}/healthz", "dashboard")
            self._banner(port, accounts, sandbox_notes)
            self._watch()
        except KeyboardInterrupt:
            pass
        finally:
            self._stop_all()

    def _demo_sandbox(self, name: str, port: int, fixture: Path) -> str:
        """Start a sandbox on the fixture, keep it as the demo system `name` with its campaigns'
        field lists; what the banner says of it."""
        url = self._start_sandbox(name, port, fixture)
        self._declare_fields(demo_system(name, url), fixture)
        return _(
            "Thulium system %(system)s: sandbox %(url)s  (API user %(user)s / %(password)s, "
            "demo data from %(file)s)"
        ) % {
            "system": name,
            "url": url,
            "user": SANDBOX_USER,
            "password": SANDBOX_PASSWORD,
            "file": fixture.name,
        }

    def _declare_fields(self, system: ThuliumSystem, fixture: Path) -> None:
        """The demo campaigns' field lists, as an administrator would keep them (Thulium has no
        endpoint to read them from)."""
        for raw in json.loads(fixture.read_text(encoding="utf-8")).get("campaigns", []):
            if raw.get("fields"):
                campaign = campaign_for(
                    system=system, thulium_id=raw["id"], name=raw.get("name", "")
                )
                campaign_fields_add(campaign=campaign, names=raw["fields"])

    def _start_sandbox(self, name: str, port: int, fixture: Path) -> str:
        process = self._spawn(
            f"sandbox {name}",
            [
                sys.executable,
                "-m",
                "thulium_sandbox",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--fixture",
                str(fixture),
            ],
            os.environ.copy(),
            capture=True,
        )
        line = process.stdout.readline().decode() if process.stdout else ""
        if "listening on" not in line:
            raise CommandError(
                _(
                    "The Thulium sandbox of %(system)s did not start on port %(port)s. Is the "
                    "port taken? The demo's two sandboxes take SANDBOX_PORT and the next one; "
                    "try: make run SANDBOX_PORT=%(other)s"
                )
                % {"system": name, "port": port, "other": port + 2}
            )
        return line.rsplit(" ", 1)[-1].strip()

    def _spawn(
        self, name: str, command: list[str], env: dict[str, str], *, capture: bool = False
    ) -> subprocess.Popen[bytes]:
        # Each child leads its own process group so that stopping it also stops what it started
        # (runserver's autoreloader runs the server in a grandchild).
        process = subprocess.Popen(
            command,
            env=env,
            cwd=settings.BASE_DIR,
            start_new_session=True,
            stdout=subprocess.PIPE if capture else None,
        )
        self.children.append((name, process))
        return process

    def _wait_for(self, url: str, name: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for child_name, process in self.children:
                if process.poll() is not None:
                    raise CommandError(
                        _(
                            "%(name)s stopped during start-up (exit code %(code)s); see its "
                            "messages above."
                        )
                        % {"name": _named(child_name), "code": process.returncode}
                    )
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise CommandError(
            _("%(name)s did not answer at %(url)s within %(seconds)s s.")
            % {"name": _named(name), "url": url, "seconds": f"{seconds:.0f}"}
        )

    def _banner(self, port: int, accounts: list[DemoAccount], sandbox_notes: list[str]) -> None:
        out = self.stdout
        out.write("")
        url = f"http://127.0.0.1:{port}/"
        out.write(self.style.SUCCESS(_("Campaign dashboard: %(url)s") % {"url": url}))
        for account in accounts:
            out.write(
                _("  log in as %(user)s / %(password)s   — %(role)s; sees %(sees)s")
                % {
                    "user": account.username,
                    "password": account.password or _("(password changed from the demo one)"),
                    "role": roles.LABELS.get(account.shown_role, account.shown_role),
                    "sees": demo_access_words(role=account.role, grants=account.grants),
                }
            )
        for note in sandbox_notes:
            out.write(note)
        out.write(_("Task worker:        running (db_worker)"))
        out.write(_("Scheduler:          running (scheduler: periodic jobs)"))
        out.write(_("Press Ctrl-C to stop them all."))
        out.write("")

    def _watch(self) -> None:
        while True:
            for name, process in self.children:
                if process.poll() is not None:
                    raise CommandError(
                        _("%(name)s stopped (exit code %(code)s); stopping the rest.")
                        % {"name": _named(name), "code": process.returncode}
                    )
            time.sleep(0.5)

    def _stop_all(self) -> None:
        for _name, process in reversed(self.children):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for _name, process in self.children:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if self.children:
            self.stdout.write(
                _("Stopped the dashboard, the worker, the scheduler and the sandboxes.")
            )
