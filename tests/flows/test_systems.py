"""Thulium systems: `manage.py thulium_system` and the admin against the sandbox and a closed
port, passwords that never reach the database (or the audit) in clear, key rotation, and the
migration of an install from before systems."""

from __future__ import annotations

import html
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import (
    AuditDetail,
    AuditEntry,
    AuditHead,
    Campaign,
    Grant,
    Grid,
    ThuliumSystem,
)
from campaigns.services.audit import audit, audit_key, audit_verify, entry_mac, key_check
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


@pytest.fixture
def root_browser(django_user_model: Any) -> Client:
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    browser = Client()
    browser.force_login(root)
    return browser


def test_the_admin_never_renders_a_password_and_blank_keeps_it(
    sandbox: Sandbox, root_browser: Client
) -> None:
    add("client-b", sandbox.api_url)
    kept = ThuliumSystem.objects.get(name="client-b")
    url = reverse("admin:campaigns_thuliumsystem_change", args=[kept.pk])

    page = root_browser.get(url).content.decode()
    saved = root_browser.post(url, {"base_url": sandbox.api_url, "api_user": API_USER})

    assert API_PASSWORD not in page
    assert kept.password_sealed not in page
    assert saved.status_code == 302
    assert ThuliumSystem.objects.get(pk=kept.pk).password_sealed == kept.password_sealed
    assert not AuditEntry.objects.filter(action=A.SYSTEM_CHANGED).exists()  # nothing changed
    assert thulium_system_test(system=kept).ok


def test_the_admin_keeps_a_systems_address_and_user_from_being_blanked(
    sandbox: Sandbox, root_browser: Client
) -> None:
    add("client-b", sandbox.api_url)
    kept = ThuliumSystem.objects.get(name="client-b")

    page = root_browser.post(
        reverse("admin:campaigns_thuliumsystem_change", args=[kept.pk]),
        {"base_url": "", "api_user": API_USER},
    )

    assert page.status_code == 200
    assert "Needed: this system" in html.unescape(page.content.decode())
    assert ThuliumSystem.objects.get(pk=kept.pk).base_url == sandbox.api_url


def test_the_admin_gives_a_system_from_the_environment_a_connection_of_its_own(
    system: ThuliumSystem, sandbox: Sandbox, root_browser: Client
) -> None:
    url = reverse("admin:campaigns_thuliumsystem_change", args=[system.pk])
    unchanged = root_browser.post(url, {"base_url": "", "api_user": ""})
    half = root_browser.post(url, {"base_url": sandbox.api_url, "api_user": API_USER})

    whole = root_browser.post(
        url, {"base_url": sandbox.api_url, "api_user": API_USER, "password": API_PASSWORD}
    )

    assert unchanged.status_code == 302
    assert half.status_code == 200  # no password: it would sign in with none
    assert whole.status_code == 302
    system.refresh_from_db()
    assert (system.from_environment, system.base_url) == (False, sandbox.api_url)
    assert thulium_system_test(system=system).ok
    entry = AuditEntry.objects.get(action=A.SYSTEM_CHANGED)
    assert entry.details["changes"]["from_environment"] == [True, False]
    assert API_PASSWORD not in str(entry.details)


def test_the_admins_test_button_says_what_the_banner_would(
    sandbox: Sandbox, closed_port: int, root_browser: Client
) -> None:
    add("client-b", sandbox.api_url)
    add("client-c", f"http://127.0.0.1:{closed_port}/api/")
    answered, refused = (
        root_browser.post(
            reverse("admin:campaigns_thuliumsystem_test", args=[system.pk]), follow=True
        )
        for system in ThuliumSystem.objects.order_by("name")
    )
    client_b = ThuliumSystem.objects.get(name="client-b")
    change_page = root_browser.get(
        reverse("admin:campaigns_thuliumsystem_change", args=[client_b.pk])
    )

    assert "Test the connection" in change_page.content.decode()
    assert answered.redirect_chain[-1][0].endswith(f"/{client_b.pk}/change/")
    assert thulium_system_test(system=client_b).text in html.unescape(answered.content.decode())
    said = html.unescape(refused.content.decode())
    assert "Thulium system client-c at http://127.0.0.1:" in said
    assert "is not answering right now" in said


def test_only_the_installs_administrators_manage_systems(
    system: ThuliumSystem, django_user_model: Any
) -> None:
    group_admin = django_user_model.objects.create_user("ania", is_staff=True)
    group_admin.groups.add(Group.objects.get(name="Administrator"))
    granted = django_user_model.objects.create_user("bartek", is_staff=True)
    Grant.objects.create(user=granted, system=system, role="Administrator")
    url = reverse("admin:campaigns_thuliumsystem_changelist")

    answers = {}
    for user in (group_admin, granted):
        browser = Client()
        browser.force_login(user)
        answers[user.username] = browser.get(url).status_code

    assert answers == {"ania": 200, "bartek": 403}


def test_the_admin_refuses_to_delete_a_system_with_grids(
    system: ThuliumSystem, crm_grid: Grid, root_browser: Client
) -> None:
    deleted = root_browser.post(
        reverse("admin:campaigns_thuliumsystem_delete", args=[system.pk]), {"post": "yes"}
    )
    bulk = root_browser.post(
        reverse("admin:campaigns_thuliumsystem_changelist"),
        {"action": "delete_selected", "_selected_action": [system.pk], "post": "yes"},
    )

    assert deleted.status_code == 403
    assert "is not removed here" in bulk.content.decode()
    assert ThuliumSystem.objects.filter(pk=system.pk).exists()
    assert Grid.objects.filter(pk=crm_grid.pk).exists()


def test_the_admin_deletes_a_system_without_grids_through_the_service(
    sandbox: Sandbox, root_browser: Client
) -> None:
    add("client-b", sandbox.api_url)
    kept = ThuliumSystem.objects.get(name="client-b")
    Campaign.objects.create(system=kept, thulium_id="00001", name="Odnowienia")

    deleted = root_browser.post(
        reverse("admin:campaigns_thuliumsystem_delete", args=[kept.pk]), {"post": "yes"}
    )

    assert deleted.status_code == 302
    assert not ThuliumSystem.objects.filter(pk=kept.pk).exists()
    assert AuditEntry.objects.get(action=A.SYSTEM_REMOVED).details["name"] == "client-b"


# --- migrate -------------------------------------------------------------------------------------


def audit_as_at_0026(apps: Any, *, action: str, campaign: str = "", **details: Any) -> None:
    """An entry written as audit() wrote it before systems: its MAC from the same material (a
    current entry with no system, never saved), stored in the table as it was then."""
    head, _made = apps.get_model("campaigns", "AuditHead").objects.get_or_create(pk=1)
    fields = {
        "at": timezone.now(),
        "actor_name": "command line",
        "action": action,
        "campaign": campaign,
        "details": details,
        "detail_mac": "",
        "prev_mac": head.last_mac,
    }
    mac = entry_mac(AuditEntry(**fields), audit_key())
    apps.get_model("campaigns", "AuditEntry").objects.create(**fields, mac=mac)
    head.count += 1
    head.last_mac = mac
    head.key_check = key_check(audit_key())
    head.save()


@pytest.fixture
def at_0026() -> Iterator[Any]:
    """The database migrated back to before systems (its historical models); migrated forward
    to the latest again afterwards, whatever the test did."""
    # The executor, not the migrate command: after migrate, post_migrate would look for the
    # systems in a database that has none yet.
    executor = MigrationExecutor(connection)
    executor.migrate([("campaigns", BEFORE_SYSTEMS)])
    yield executor.loader.project_state([("campaigns", BEFORE_SYSTEMS)]).apps
    call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_a_single_system_install_migrates_under_its_first_system(
    at_0026: Any, settings: Any
) -> None:
    OldCampaign = at_0026.get_model("campaigns", "Campaign")
    OldGrid = at_0026.get_model("campaigns", "Grid")
    for thulium_id, name in (("00001", "Odnowienia"), ("00002", "Windykacja")):
        made = OldCampaign.objects.create(thulium_id=thulium_id, name=name)
        OldGrid.objects.create(campaign=made, source="upload", file_name="crm.csv")
        audit_as_at_0026(at_0026, action=A.UPLOAD, campaign=thulium_id, rows=16, mode="edit")
    audit_as_at_0026(at_0026, action=A.LOGIN)
    settings.THULIUM = settings.THULIUM | {"BASE_URL": "https://centrum-a.thulium.com/api/"}

    call_command("migrate", verbosity=0)

    first = ThuliumSystem.objects.get()
    assert (first.name, first.from_environment, first.earlier_history) == (
        "centrum-a",
        True,
        True,
    )
    assert set(Campaign.objects.values_list("system_id", flat=True)) == {first.pk}
    assert Grid.objects.filter(campaign__system=first).count() == 2
    assert AuditEntry.objects.filter(system_id__isnull=True).count() == 3
    call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())
    audit(action=A.UPLOAD, actor=None, campaign=Campaign.objects.get(thulium_id="00001"), rows=3)
    assert AuditEntry.objects.order_by("-id")[0].system_id == first.pk
    call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())
    assert AuditHead.objects.get().count == AuditEntry.objects.count()


@pytest.mark.django_db(transaction=True)
def test_migrate_makes_the_system_from_the_environment_only_when_it_is_set(
    settings: Any,
) -> None:
    # A system a flush's post_migrate made for an earlier test's settings is not this one's.
    ThuliumSystem.objects.all().delete()
    settings.THULIUM = settings.THULIUM | {"BASE_URL": ""}
    call_command("migrate", verbosity=0)
    assert not ThuliumSystem.objects.exists()

    settings.THULIUM = settings.THULIUM | {"BASE_URL": "https://centrum-a.thulium.com/api/"}
    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0)  # once: it is made when there is none

    made = ThuliumSystem.objects.get()
    assert (made.name, made.from_environment, made.password_sealed) == ("centrum-a", True, "")


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
