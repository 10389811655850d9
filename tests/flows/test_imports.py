"""Recurring imports: new files only, from a folder or an HTTP server; each policy; failures, the
pause and the owner's mail; the scheduler runs the due ones and waits for their sendings."""

from __future__ import annotations

import base64
import getpass
import io
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from campaigns.models import Import, ImportRun, Submission
from tests.helpers import (
    Sandbox,
    process_env,
    schedulers_at_once,
    single_phones,
    user_with_role,
    worker_database_url,
)

pytestmark = pytest.mark.django_db


def command(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("imports", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as ended:
        code = int(ended.code or 0)
    return code, out.getvalue(), err.getvalue()


def clean_csv(phones: list[str]) -> bytes:
    return ("Nr tel.;Status\n" + "".join(f"{p};Nie dzwonić\n" for p in phones)).encode()


def puts(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.requests() if r["method"] == "PUT")


@pytest.fixture
def owner(django_user_model: Any) -> Any:
    user = user_with_role(django_user_model, "ewa", "Supervisor")
    user.email = "ewa@example.pl"
    user.save(update_fields=["email"])
    return user


def test_a_folder_import_takes_each_new_file_once_oldest_first_and_sends_it(
    tmp_path: Path, sandbox: Sandbox, campaign: Any, owner: Any, mailer: None
) -> None:
    first, second = single_phones(sandbox, "1", 2), single_phones(sandbox, "1", 4)[2:]
    (tmp_path / "crm-1.csv").write_bytes(clean_csv(first))
    os.utime(tmp_path / "crm-1.csv", (1, 1))  # the older one
    (tmp_path / "crm-2.csv").write_bytes(clean_csv(second))
    (tmp_path / "notes.txt").write_text("not an export")

    code, _out, err = command(
        "add", "crm", "--campaign", "00001", "--folder", str(tmp_path), "--pattern", "crm-*.csv",
        "--policy", "send-valid", "--every", "60", "--user", "ewa",
    )  # fmt: skip
    assert code == 0, err
    code, out, err = command("run", "crm")

    assert code == 0, err
    runs = list(ImportRun.objects.order_by("id"))
    assert [r.file_name for r in runs] == ["crm-1.csv", "crm-2.csv"]
    assert {r.state for r in runs} == {ImportRun.State.SENT}
    assert {r.submission.state for r in runs} == {Submission.State.FINISHED}
    assert [sandbox.record("00001", p)["status_id"] for p in first + second] == ["5"] * 4
    assert len(mail.outbox) == 2
    assert "crm" in mail.outbox[0].subject

    # Nothing new: nothing taken, nothing sent again — even a file merely touched.
    os.utime(tmp_path / "crm-2.csv")
    sandbox.clear_requests()
    assert command("run", "crm")[1].strip() == "Nothing new since the last run."
    assert puts(sandbox) == 0
    assert ImportRun.objects.count() == 2


@pytest.mark.parametrize(
    ("policy", "dirty", "state", "sent"),
    [
        ("review", False, ImportRun.State.REVIEWED, False),
        ("send-when-clean", True, ImportRun.State.HELD, False),  # a row with an error
        ("send-when-clean", False, ImportRun.State.SENT, True),
        ("send-valid", True, ImportRun.State.SENT, True),  # the valid rows go
    ],
)
def test_each_policy_does_what_it_says(
    tmp_path: Path,
    sandbox: Sandbox,
    campaign: Any,
    owner: Any,
    policy: str,
    dirty: bool,
    state: str,
    sent: bool,
) -> None:
    phones = single_phones(sandbox, "1", 2)
    bad = b"12;Nie dzwonic\n" if dirty else b""  # a phone Thulium would refuse
    (tmp_path / "crm.csv").write_bytes(clean_csv(phones) + bad)
    command(
        "add", "crm", "--campaign", "00001", "--folder", str(tmp_path), "--pattern", "*.csv",
        "--policy", policy, "--every", "60", "--user", "ewa",
    )  # fmt: skip
    sandbox.clear_requests()

    command("run", "crm")

    (run,) = ImportRun.objects.all()
    assert run.state == state, run.said
    assert run.grid is not None
    assert (puts(sandbox) > 0) is sent
    assert (run.submission is not None) is sent


def test_a_failing_source_is_a_run_with_its_reason_and_pauses_the_import(
    tmp_path: Path, campaign: Any, owner: Any, mailer: None
) -> None:
    missing = tmp_path / "not-there"
    command(
        "add", "crm", "--campaign", "00001", "--folder", str(missing), "--pattern", "*.csv",
        "--policy", "review", "--every", "5", "--pause-after", "2", "--user", "ewa",
    )  # fmt: skip

    command("run", "crm")
    command("run", "crm")

    runs = list(ImportRun.objects.order_by("id"))
    assert [r.state for r in runs] == [ImportRun.State.FAILED] * 2
    assert f"The folder {missing} does not exist" in runs[0].said
    crm = Import.objects.get(name="crm")
    assert crm.paused
    assert "2 failed runs in a row" in crm.paused_why
    assert "resume" in mail.outbox[-1].body

    # Paused, the scheduler leaves it; resumed, it runs again.
    missing.mkdir()
    (missing / "a.csv").write_bytes(b"Nr tel.;Status\n")
    assert call_scheduler_once() in (0, 1)
    assert ImportRun.objects.count() == 2
    command("resume", "crm")
    call_scheduler_once()
    assert ImportRun.objects.count() == 3


def call_scheduler_once() -> int:
    try:
        call_command("scheduler", "--once")
    except SystemExit as ended:
        return int(ended.code or 0)
    return 0


class _Exports(BaseHTTPRequestHandler):
    """A CRM's export server: one file, behind Basic auth."""

    body = b""

    def do_GET(self) -> None:
        wanted = "Basic " + base64.b64encode(b"crm:s3cret-export").decode()
        if self.headers.get("Authorization") != wanted:
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Disposition", 'attachment; filename="eksport.csv"')
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def exports() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Exports)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/exports/latest"
    server.shutdown()


def test_an_address_import_signs_in_keeps_its_credentials_sealed_and_is_refused_in_words(
    sandbox: Sandbox, campaign: Any, owner: Any, exports: str, monkeypatch: Any
) -> None:
    _Exports.body = clean_csv(single_phones(sandbox, "1", 2))
    monkeypatch.setenv("CRM_PASSWORD", "wrong-one")
    command(
        "add", "bad", "--campaign", "00001", "--url", exports, "--pattern", "*.csv",
        "--policy", "send-valid", "--every", "60", "--basic-user", "crm",
        "--password-env", "CRM_PASSWORD",
    )  # fmt: skip
    monkeypatch.setenv("CRM_PASSWORD", "s3cret-export")
    command(
        "add", "good", "--campaign", "00001", "--url", exports, "--pattern", "*.csv",
        "--policy", "send-valid", "--every", "60", "--basic-user", "crm",
        "--password-env", "CRM_PASSWORD",
    )  # fmt: skip

    command("run", "bad")
    command("run", "good")

    bad, good = (Import.objects.get(name=n).runs.get() for n in ("bad", "good"))
    assert bad.state == ImportRun.State.FAILED
    assert "refused us (HTTP 401)" in bad.said
    assert (good.state, good.file_name) == (ImportRun.State.SENT, "eksport.csv")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM campaigns_import")
        stored = repr(cursor.fetchall())
    assert "s3cret-export" not in stored
    assert "wrong-one" not in stored


def test_the_scheduler_runs_a_due_import_and_waits_for_its_sending(
    tmp_path: Path, sandbox: Sandbox, campaign: Any, owner: Any
) -> None:
    phones = single_phones(sandbox, "1", 2)
    (tmp_path / "crm.csv").write_bytes(clean_csv(phones))
    command(
        "add", "crm", "--campaign", "00001", "--folder", str(tmp_path), "--pattern", "*.csv",
        "--policy", "send-valid", "--every", "30", "--user", "ewa",
    )  # fmt: skip

    assert call_scheduler_once() == 0

    (run,) = ImportRun.objects.all()
    assert run.submission is not None
    assert run.submission.state == Submission.State.FINISHED  # --once waited for it
    assert [sandbox.record("00001", p)["status_id"] for p in phones] == ["5", "5"]
    assert Import.objects.get(name="crm").due_at > run.started_at  # 30 minutes after its start


SSHD = Path("/usr/sbin/sshd")


@pytest.fixture
def sftp_server(tmp_path: Path) -> Iterator[tuple[int, Path, Path]]:
    """A real OpenSSH server on a free loopback port, serving SFTP to this user with a key made
    for the test: (port, its client key, the folder it serves)."""
    if not SSHD.exists():
        pytest.fail(
            "The SFTP tests need OpenSSH's server: apt-get install openssh-server (make test "
            "installs it when it runs as root)."
        )
    keys = tmp_path / "ssh"
    keys.mkdir()
    for name in ("host", "client"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / name)], check=True
        )
    (keys / "authorized_keys").write_text((keys / "client.pub").read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = keys / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {keys / 'host'}\n"
        f"PidFile {keys / 'sshd.pid'}\nAuthorizedKeysFile {keys / 'authorized_keys'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nPermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # OpenSSH's privilege separation directory
    server = subprocess.Popen(
        [str(SSHD), "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    else:
        server.kill()
        pytest.fail(f"sshd did not start: {server.stderr.read() if server.stderr else ''}")
    served = tmp_path / "exports"
    served.mkdir()
    yield port, keys / "client", served
    server.terminate()
    server.wait(timeout=10)


def test_an_sftp_import_reads_with_its_key_and_refuses_a_changed_host_key(
    sandbox: Sandbox, campaign: Any, owner: Any, sftp_server: tuple[int, Path, Path]
) -> None:
    port, key, served = sftp_server
    user = getpass.getuser()
    phones = single_phones(sandbox, "1", 2)
    (served / "crm-2026-12-05.csv").write_bytes(clean_csv(phones))
    (served / "readme.txt").write_text("not an export")
    location = f"sftp://{user}@127.0.0.1:{port}{served}"
    code, _out, err = command(
        "add", "crm", "--campaign", "00001", "--sftp", location, "--key-file", str(key),
        "--pattern", "crm-*.csv", "--policy", "send-valid", "--daily", "02:00", "--user", "ewa",
    )  # fmt: skip
    assert code == 0, err

    assert command("run", "crm")[0] == 0

    (run,) = ImportRun.objects.all()
    assert (run.state, run.file_name) == (ImportRun.State.SENT, "crm-2026-12-05.csv"), run.said
    assert [sandbox.record("00001", p)["status_id"] for p in phones] == ["5", "5"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_sealed FROM campaigns_import")
        (sealed,) = cursor.fetchone()
    assert "PRIVATE KEY" not in sealed  # the key is kept sealed

    # Another server answering on that address is refused, not trusted.
    Import.objects.filter(name="crm").update(
        host_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    )
    (served / "crm-2026-12-06.csv").write_bytes(clean_csv(phones))
    command("run", "crm")
    last = ImportRun.objects.order_by("-id").first()
    assert last is not None
    assert last.state == ImportRun.State.FAILED
    assert "another host key" in last.said


def test_an_sftp_import_with_a_key_the_server_does_not_know_is_refused_in_words(
    campaign: Any, owner: Any, sftp_server: tuple[int, Path, Path], tmp_path: Path
) -> None:
    port, _key, served = sftp_server
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    command(
        "add", "crm", "--campaign", "00001",
        "--sftp", f"sftp://{getpass.getuser()}@127.0.0.1:{port}{served}",
        "--key-file", str(stranger), "--pattern", "*.csv", "--policy", "review",
        "--every", "60", "--user", "ewa",
    )  # fmt: skip

    command("run", "crm")

    (run,) = ImportRun.objects.all()
    assert run.state == ImportRun.State.FAILED
    assert "refused user" in run.said


def test_the_import_pages_list_the_runs_with_their_files_grids_and_sendings(
    client: Any, tmp_path: Path, sandbox: Sandbox, campaign: Any, owner: Any
) -> None:
    (tmp_path / "crm.csv").write_bytes(clean_csv(single_phones(sandbox, "1", 2)))
    command(
        "add", "crm", "--campaign", "00001", "--folder", str(tmp_path), "--pattern", "*.csv",
        "--policy", "send-valid", "--every", "60", "--user", "ewa",
    )  # fmt: skip
    command("run", "crm")
    (run,) = ImportRun.objects.all()
    client.force_login(owner)

    listing = client.get("/imports/").content.decode()
    page = client.get(f"/imports/{run.import_job_id}/").content.decode()

    assert f"/imports/{run.import_job_id}/" in listing
    assert "crm.csv" in page
    assert f"/grids/{run.grid_id}/" in page
    assert f"#{run.submission_id}" in page


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_never_run_an_import_twice(
    tmp_path: Path, sandbox: Sandbox, campaign: Any, owner: Any
) -> None:
    (tmp_path / "crm.csv").write_bytes(clean_csv(single_phones(sandbox, "1", 2)))
    command(
        "add", "crm", "--campaign", "00001", "--folder", str(tmp_path), "--pattern", "*.csv",
        "--policy", "review", "--every", "30", "--user", "ewa",
    )  # fmt: skip
    env = process_env(worker_database_url(), sandbox, LOG_LEVEL="WARNING")
    rounds = 3
    for turn in range(rounds):
        (tmp_path / f"crm-{turn}.csv").write_bytes(clean_csv(single_phones(sandbox, "1", 3)[turn:]))
        Import.objects.update(due_at=timezone.now() - timedelta(seconds=1))
        schedulers_at_once(env)

    # Each file was taken once, by one of the two: no run twice, no file twice.
    names = list(ImportRun.objects.values_list("file_name", flat=True))
    assert sorted(names) == sorted({"crm.csv", "crm-0.csv", "crm-1.csv", "crm-2.csv"})
