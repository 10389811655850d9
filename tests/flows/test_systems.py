"""Thulium systems: `manage.py thulium_system` against the sandbox and a closed port, passwords
that never reach the database (or the audit) in clear, and key rotation. The admin's pages are in
test_system_admin.py, the migration of an install from before systems in
test_first_system_migration.py."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from campaigns.models import (
    AuditDetail,
    AuditEntry,
    Campaign,
    Grant,
    Grid,
    ThuliumSystem,
)
from campaigns.services.audit import audit_verify
from campaigns.services.connection import thulium_client
from campaigns.services.systems import (
    SystemProblem,
    thulium_system_add,
    thulium_system_change,
    thulium_system_test,
)
from tests.helpers import API_PASSWORD, API_USER, Sandbox

pytestmark = pytest.mark.django_db
A = AuditEntry.Action

# A password no test, fixture or sandbox holds: found anywhere, it leaked.
DISTINCT = "Zq9-haslo-nie-do-zgadniecia-7781"
BEFORE_SYSTEMS = "0026_outcome_sending_goes"


def manage(*args: str, stdin: str = "") -> tuple[int, str, str]:
    """`manage.py thulium_system ARGS` with STDIN: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("thulium_system", *args, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    except SystemExit as exited:
        return int(exited.code or 0), out.getvalue(), err.getvalue()
    except CommandError as error:
        return error.returncode, out.getvalue(), str(error)
    return 0, out.getvalue(), err.getvalue()


def add(name: str, url: str, password: str = API_PASSWORD) -> tuple[int, str, str]:
    return manage("add", name, "--base-url", url, "--api-user", API_USER, stdin=f"{password}\n")


# --- the command ---------------------------------------------------------------------------------


def test_a_system_added_from_the_command_line_signs_in_to_the_sandbox(sandbox: Sandbox) -> None:
    code, out, _err = add("client-b", sandbox.api_url)

    tested = manage("test", "client-b")
    listed = manage("list")

    assert code == 0, out
    assert "client-b added" in out
    assert tested[0] == 0
    assert "Thulium system client-b answered" in tested[1]
    row = next(line for line in listed[1].splitlines() if line.startswith("client-b\t"))
    assert row.split("\t") == ["client-b", sandbox.api_url, API_USER, "kept here", "0", "0"]
    assert API_PASSWORD not in listed[1] + tested[1] + out
    entry = AuditEntry.objects.get(action=A.SYSTEM_ADDED)
    assert entry.system_id == ThuliumSystem.objects.get(name="client-b").pk
    assert entry.details == {"name": "client-b", "base_url": sandbox.api_url, "api_user": API_USER}


def test_the_password_comes_from_a_named_environment_variable(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENT_B_PASSWORD", API_PASSWORD)

    code, out, _err = manage(
        "add", "client-b", "--base-url", sandbox.api_url, "--api-user", API_USER,
        "--password-env", "CLIENT_B_PASSWORD",
    )  # fmt: skip

    assert code == 0, out
    assert thulium_system_test(system=ThuliumSystem.objects.get(name="client-b")).ok


@pytest.mark.parametrize(
    ("args", "stdin", "words"),
    [
        ([], "\n", "The API password is empty"),
        (["--password-env", "NOT_SET_ANYWHERE_7781"], "", "NOT_SET_ANYWHERE_7781 is not set"),
    ],
)
def test_add_refuses_a_missing_password_and_keeps_nothing(
    sandbox: Sandbox, args: list[str], stdin: str, words: str
) -> None:
    code, _out, err = manage(
        "add", "client-b", "--base-url", sandbox.api_url, "--api-user", API_USER, *args,
        stdin=stdin,
    )  # fmt: skip

    assert code == 2
    assert words in err
    assert not ThuliumSystem.objects.filter(name="client-b").exists()


@pytest.mark.parametrize(
    "given", [["--password", DISTINCT], [f"--password={DISTINCT}"], ["--pass"]]
)
def test_the_password_is_never_an_argument(sandbox: Sandbox, given: list[str]) -> None:
    code, out, err = manage(
        "add", "client-b", "--base-url", sandbox.api_url, "--api-user", API_USER, *given,
        stdin=f"{DISTINCT}\n",
    )  # fmt: skip

    assert code == 2
    assert "never given as an argument" in err
    assert DISTINCT not in out + err
    assert not ThuliumSystem.objects.exists()


def test_a_refused_name_says_what_a_name_may_be(sandbox: Sandbox) -> None:
    code, _out, err = add("Client B", sandbox.api_url)

    assert code == 2
    assert "lowercase letters, digits and dashes" in err


def test_a_system_on_a_closed_port_fails_its_test_with_the_banners_words(
    closed_port: int,
) -> None:
    url = f"http://127.0.0.1:{closed_port}/api/"
    assert add("client-b", url)[0] == 0

    code, out, err = manage("test", "client-b")

    assert code == 1
    assert out == ""
    assert f"Thulium system client-b at {url} is not answering right now" in err


def test_test_and_remove_name_the_systems_there_are(system: ThuliumSystem) -> None:
    for args in (["test", "nope"], ["remove", "nope"]):
        code, _out, err = manage(*args)

        assert code == 2
        assert f"There is no Thulium system “nope” here. Systems: {system.name}." in err


def test_the_list_says_a_system_from_the_environment_keeps_nothing_here(
    system: ThuliumSystem, crm_grid: Grid
) -> None:
    code, out, _err = manage("list")

    row = next(line for line in out.splitlines() if line.startswith(f"{system.name}\t"))
    assert code == 0
    assert row.split("\t")[1:] == [
        django_settings.THULIUM["BASE_URL"],
        API_USER,
        "from the environment",
        "1",
        "1",
    ]


def test_a_system_with_grids_is_removed_only_when_forced(
    system: ThuliumSystem, crm_grid: Grid
) -> None:
    refused = manage("remove", system.name)
    assert ThuliumSystem.objects.filter(pk=system.pk).exists()

    forced = manage("remove", system.name, "--force")

    assert refused[0] == 2
    assert "has 1 grid." in refused[2]
    assert "--force" in refused[2]
    assert forced[0] == 0
    assert not ThuliumSystem.objects.filter(pk=system.pk).exists()
    assert not Grid.objects.exists()
    entry = AuditEntry.objects.get(action=A.SYSTEM_REMOVED)
    assert (entry.system_id, entry.details) == (system.pk, {"name": system.name, "grids": 1})
    assert audit_verify().ok


def test_a_system_without_grids_is_removed_with_its_campaigns_and_grants(
    sandbox: Sandbox, django_user_model: Any
) -> None:
    add("client-b", sandbox.api_url)
    kept = ThuliumSystem.objects.get(name="client-b")
    Campaign.objects.create(system=kept, thulium_id="00001", name="Odnowienia")
    user = django_user_model.objects.create_user(username="ola")
    Grant.objects.create(user=user, system=kept, role="Viewer")

    code, out, _err = manage("remove", "client-b")

    assert code == 0, out
    assert not Campaign.objects.filter(system_id=kept.pk).exists()
    assert not Grant.objects.exists()


# --- passwords: never in clear, keys rotated -----------------------------------------------------


def every_value() -> Iterator[tuple[str, str, object]]:
    """(table, column, value) of every cell of every table of the database."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                yield from (
                    (table, column, value) for column, value in zip(columns, row, strict=True)
                )


def holds(value: object, text: str) -> bool:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return text.encode() in value
    return text in str(value)


def test_no_password_is_in_clear_anywhere_in_the_database(
    sandbox: Sandbox, django_user_model: Any
) -> None:
    # One password through each way in: the command, the admin's add and change pages, a test,
    # a rekey; then every column of every table is read.
    add("client-b", sandbox.api_url, password=DISTINCT)
    manage("test", "client-b")
    manage("rekey")
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    browser = Client()
    browser.force_login(root)
    browser.post(
        reverse("admin:campaigns_thuliumsystem_add"),
        {"name": "client-c", "base_url": sandbox.api_url, "api_user": API_USER,
         "password": DISTINCT + "-c"},
    )  # fmt: skip
    client_c = ThuliumSystem.objects.get(name="client-c")
    browser.post(
        reverse("admin:campaigns_thuliumsystem_change", args=[client_c.pk]),
        {"base_url": sandbox.api_url, "api_user": API_USER, "password": DISTINCT + "-new"},
    )

    found = [(t, c) for t, c, value in every_value() if holds(value, DISTINCT)]

    assert found == []
    assert ThuliumSystem.objects.filter(name__in=["client-b", "client-c"]).count() == 2
    assert AuditEntry.objects.filter(action=A.SYSTEM_CHANGED).exists()
    for entry in AuditEntry.objects.all():
        assert DISTINCT not in str(entry.details)
    for detail in AuditDetail.objects.all():
        assert DISTINCT not in str(detail.details)
    changed = AuditEntry.objects.get(action=A.SYSTEM_CHANGED)
    assert changed.details["changes"]["password"] == ["…", "…"]


def test_a_key_rotation_keeps_every_password_readable(sandbox: Sandbox, settings: Any) -> None:
    settings.CONNECTIONS_KEY = ["key-a-for-tests-only"]
    add("client-b", sandbox.api_url)
    sealed_under_a = ThuliumSystem.objects.get(name="client-b").password_sealed
    settings.CONNECTIONS_KEY = ["key-b-for-tests-only", "key-a-for-tests-only"]

    code, out, _err = manage("rekey")
    settings.CONNECTIONS_KEY = ["key-b-for-tests-only"]  # the old key dropped

    system = ThuliumSystem.objects.get(name="client-b")
    assert code == 0
    assert "client-b" in out
    assert system.password_sealed != sealed_under_a
    with thulium_client(system=system, deadline=5) as client:
        assert client.list_campaigns()  # signed in with the password sealed under B
    assert manage("test", "client-b")[0] == 0
    entry = AuditEntry.objects.get(action=A.CONNECTIONS_RESEALED)
    assert entry.details == {"systems": ["client-b"]}


def test_a_password_under_a_key_no_longer_given_is_said_to_be_unreadable(
    sandbox: Sandbox, settings: Any, django_user_model: Any
) -> None:
    settings.CONNECTIONS_KEY = ["key-a-for-tests-only"]
    add("client-b", sandbox.api_url)
    settings.CONNECTIONS_KEY = ["key-c-for-tests-only"]
    unreadable = "The API password of Thulium system client-b cannot be read with CONNECTIONS_KEY"
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    browser = Client()
    browser.force_login(root)

    tested = manage("test", "client-b")
    rekeyed = manage("rekey")
    page = browser.get(reverse("campaigns:list"))

    assert tested[0] == 1
    assert unreadable in tested[2]
    assert rekeyed[0] == 2
    assert "opens under no key of CONNECTIONS_KEY" in rekeyed[2]
    assert page.status_code == 200
    assert unreadable in page.content.decode()


# --- the admin -----------------------------------------------------------------------------------


def test_a_kept_password_goes_only_to_the_server_it_was_given_for(
    sandbox: Sandbox, closed_port: int
) -> None:
    system = thulium_system_add(
        name="client-c",
        base_url=sandbox.api_url,
        api_user=API_USER,
        password=API_PASSWORD,
        actor=None,
    )
    elsewhere = f"http://127.0.0.1:{closed_port}/api/"

    with pytest.raises(SystemProblem, match="give the password again"):
        thulium_system_change(system=system, actor=None, base_url=elsewhere)
    system.refresh_from_db()
    assert system.base_url == sandbox.api_url

    # The same server under another path keeps it; another server with the password given too.
    same_server = sandbox.api_url.rstrip("/") + "/../api/"
    thulium_system_change(system=system, actor=None, base_url=same_server)
    thulium_system_change(system=system, actor=None, base_url=elsewhere, password="new-one")
    system.refresh_from_db()
    assert system.base_url == elsewhere
