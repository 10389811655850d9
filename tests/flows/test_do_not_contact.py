"""The do-not-contact list of a Thulium system kept on every path: the command, the admin and a
person's erasure — and a scan of the whole database showing that no number it holds is stored
readable, in the list or in its history. Grids checked against it: test_do_not_contact_checks.py."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from campaigns import thulium
from campaigns.models import (
    AuditDetail,
    AuditEntry,
    DoNotContact,
    Grant,
    ThuliumSystem,
)
from campaigns.services.do_not_contact import do_not_contact_add, do_not_contact_check
from campaigns.services.person import person_erase
from tests.helpers import (
    grid_of_text,
    message_codes,
    user_with_role,
)

pytestmark = pytest.mark.django_db
A = AuditEntry.Action

LISTED = "600111222"  # no record of the demo holds it: an add grid adds it
OTHER = "600333444"
KNOWN = "555123321"  # a record of campaign 00001 (status 1)
LIST_ACTIONS = (A.DO_NOT_CONTACT_ADDED, A.DO_NOT_CONTACT_REMOVED, A.DO_NOT_CONTACT_CHECKED)


def manage(*args: str) -> tuple[int, str, str]:
    """`manage.py do_not_contact ARGS`: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("do_not_contact", *args, stdout=out, stderr=err)
    except SystemExit as exited:
        return int(exited.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


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


def readable_anywhere(number: str) -> list[tuple[str, str]]:
    """Every column whose value holds the number's digits, in any form it may be written."""
    found = []
    for table, column, value in every_value():
        if isinstance(value, memoryview):
            value = value.tobytes()
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        if number in re.sub(r"\D", "", text):
            found.append((table, column))
    return found


def list_entries_text() -> str:
    """The chain's and the personal details of every entry about the list."""
    entries = AuditEntry.objects.filter(action__in=LIST_ACTIONS)
    details = AuditDetail.objects.filter(entry__in=entries)
    return repr([e.details for e in entries]) + repr([d.details for d in details])


# --- the command, audited without the number -----------------------------------------------------


def test_add_check_remove_from_the_command_line_audited_without_the_number(
    system: ThuliumSystem,
) -> None:
    added = manage("add", "+48 600-111-222", "--reason", "sprzeciw RODO art. 21")
    again = manage("add", "0048600111222", "--reason", "drugi raz")
    on_it = manage("check", "600 111 222")
    removed = manage("remove", LISTED, "--reason", "pomyłka")
    off_it = manage("check", LISTED)

    assert [added[0], again[0], on_it[0], removed[0], off_it[0]] == [0, 0, 0, 0, 1]
    assert "Added to the do-not-contact list of “thulium”" in added[1]
    assert "Already on" in again[1]
    assert "On the do-not-contact list" in on_it[1]
    assert "Removed from" in removed[1]
    assert "Not on the do-not-contact list" in off_it[1]
    assert not DoNotContact.objects.exists()
    entries = AuditEntry.objects.filter(action__in=LIST_ACTIONS).order_by("id")
    assert [(e.action, e.system_id) for e in entries] == [
        (A.DO_NOT_CONTACT_ADDED, system.pk),
        (A.DO_NOT_CONTACT_ADDED, system.pk),
        (A.DO_NOT_CONTACT_CHECKED, system.pk),
        (A.DO_NOT_CONTACT_REMOVED, system.pk),
        (A.DO_NOT_CONTACT_CHECKED, system.pk),
    ]
    assert entries[0].details == {"count": 1, "already": 0, "reason": "sprzeciw RODO art. 21"}
    assert entries[1].details["already"] == 1
    assert LISTED not in re.sub(r"\D", "", list_entries_text())


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["add", LISTED], "Say why"),
        (["add", LISTED, "--reason", "klient 600111222 prosił"], "must not contain"),
        (["add", "12-34", "--reason", "x"], "is not a phone number"),
        (["check", LISTED, "--system", "nowhere"], "There is no Thulium system"),
    ],
)
def test_usage_errors_exit_2_and_keep_nothing(
    system: ThuliumSystem, args: list[str], says: str
) -> None:
    code, _out, err = manage(*args)

    assert code == 2
    assert says in err
    assert not DoNotContact.objects.exists()


def test_a_user_who_does_not_administer_the_system_is_refused(
    system: ThuliumSystem, django_user_model: Any
) -> None:
    user_with_role(django_user_model, "ewa", "Supervisor")

    code, _out, err = manage("add", LISTED, "--reason", "x", "--user", "ewa")

    assert code == 2
    assert "does not administer" in err


def test_import_reads_the_phone_column_or_the_first_and_counts_what_is_not_a_number(
    system: ThuliumSystem, tmp_path: Path
) -> None:
    named = tmp_path / "sprzeciwy.csv"
    named.write_text(f"Imię;Telefon\nAnna;+48 {LISTED}\nJan;{OTHER}\nEwa;brak\nOla;\n")
    bare = tmp_path / "numery.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for number in (LISTED, "48600555666", 600777888):
        sheet.append([number])
    book.save(bare)

    first = manage("import", str(named), "--reason", "eksport CRM: sprzeciwy")
    second = manage("import", str(bare), "--reason", "lista z działu prawnego")

    assert first[0] == 0, first
    assert "added 2; already on it: 0; not a phone number: 1" in first[1]
    assert second[0] == 0, second
    assert "added 2; already on it: 1; not a phone number: 0" in second[1]
    assert DoNotContact.objects.filter(system=system).count() == 4
    for number in (LISTED, OTHER, "600555666", "600777888"):
        assert do_not_contact_check(system=system, phone=number, actor=None)
    assert AuditEntry.objects.filter(action=A.DO_NOT_CONTACT_ADDED).last().details == {
        "count": 2,
        "already": 1,
        "not_numbers": 0,
        "from_file": True,
        "reason": "lista z działu prawnego",
    }


def test_no_readable_number_is_stored_after_add_and_import(
    system: ThuliumSystem, tmp_path: Path
) -> None:
    listed = tmp_path / "lista.csv"
    listed.write_text(f"telefon\n{OTHER}\n+48 600 555 666\n")

    manage("add", f"+48 {LISTED}", "--reason", "sprzeciw")
    manage("import", str(listed), "--reason", "import")
    manage("check", LISTED)

    assert DoNotContact.objects.count() == 3
    for number in (LISTED, OTHER, "600555666"):
        assert readable_anywhere(number) == []
    assert AuditDetail.objects.filter(entry__action__in=LIST_ACTIONS).count() == 0


def test_a_list_is_per_system(system: ThuliumSystem, system_b: ThuliumSystem) -> None:
    manage("add", LISTED, "--reason", "sprzeciw", "--system", "thulium")

    assert do_not_contact_check(system=system, phone=LISTED, actor=None)
    assert not do_not_contact_check(system=system_b, phone=LISTED, actor=None)
    assert manage("check", LISTED, "--system", "klient-b")[0] == 1


# --- the admin -----------------------------------------------------------------------------------


def admin_browser(django_user_model: Any, *, system: ThuliumSystem | None = None) -> Client:
    """The install's administrator, or (with `system`) that system's Administrator."""
    browser = Client()
    if system is None:
        user = user_with_role(django_user_model, "root", "Administrator")
        user.is_staff = True
        user.save()
    else:
        user = django_user_model.objects.create_user("kasia", password="pw", is_staff=True)
        Grant.objects.create(user=user, system=system, role=Grant.Role.ADMINISTRATOR)
    browser.force_login(user)
    return browser


def test_the_admin_adds_removes_and_imports_and_never_shows_a_number(
    system: ThuliumSystem, django_user_model: Any
) -> None:
    browser = admin_browser(django_user_model)
    add_url = reverse("admin:campaigns_donotcontact_add")

    added = browser.post(
        add_url,
        {"system": system.pk, "phone": f"+48 {LISTED}", "reason": "sprzeciw", "action": "add"},
        follow=True,
    ).content.decode()
    removed = browser.post(
        add_url,
        {"system": system.pk, "phone": LISTED, "reason": "pomyłka", "action": "remove"},
        follow=True,
    ).content.decode()
    upload = io.BytesIO(f"Telefon\n{LISTED}\n{OTHER}\n".encode())
    upload.name = "lista.csv"
    imported = browser.post(
        add_url,
        {"system": system.pk, "file": upload, "reason": "eksport CRM", "action": "import"},
        follow=True,
    ).content.decode()
    listing = browser.get(reverse("admin:campaigns_donotcontact_changelist")).content.decode()

    assert "Added to the do-not-contact list" in added
    assert "Removed from the do-not-contact list" in removed
    assert "added 2; already on it: 0" in imported
    entry = DoNotContact.objects.filter(reason="eksport CRM").first()
    assert entry is not None
    assert entry.added_by is not None
    assert DoNotContact.objects.count() == 2
    assert entry.digest[:12] in listing
    assert "eksport CRM" in listing
    for page in (added, removed, imported, listing):
        assert LISTED not in page
        assert OTHER not in page
    assert readable_anywhere(LISTED) == []
    assert AuditEntry.objects.filter(action__in=LIST_ACTIONS).count() == 3
    assert LISTED not in re.sub(r"\D", "", list_entries_text())


def test_the_admin_removes_an_entry_with_a_reason_and_refuses_a_number_in_it(
    system: ThuliumSystem, django_user_model: Any
) -> None:
    do_not_contact_add(system=system, phone=LISTED, reason="sprzeciw", actor=None)
    entry = DoNotContact.objects.get()
    browser = admin_browser(django_user_model)
    url = reverse("admin:campaigns_donotcontact_remove", args=[entry.pk])

    refused = browser.post(url, {"reason": "zgoda z +48 600-111-222"})
    done = browser.post(url, {"reason": "zgoda na kontakt"})

    assert refused.status_code == 200
    assert "must not contain the phone number" in refused.content.decode()
    assert done.status_code == 302
    assert not DoNotContact.objects.exists()
    removal = AuditEntry.objects.get(action=A.DO_NOT_CONTACT_REMOVED)
    assert removal.details == {"count": 1, "reason": "zgoda na kontakt"}
    assert removal.system_id == system.pk


def test_a_systems_administrator_keeps_only_that_systems_list(
    system: ThuliumSystem, system_b: ThuliumSystem, django_user_model: Any
) -> None:
    do_not_contact_add(system=system, phone=LISTED, reason="lista A", actor=None)
    do_not_contact_add(system=system_b, phone=OTHER, reason="lista B", actor=None)
    browser = admin_browser(django_user_model, system=system_b)
    theirs = DoNotContact.objects.get(system=system)

    listing = browser.get(reverse("admin:campaigns_donotcontact_changelist")).content.decode()
    other_system = browser.post(
        reverse("admin:campaigns_donotcontact_add"),
        {"system": system.pk, "phone": OTHER, "reason": "x", "action": "add"},
    )
    other_entry = browser.post(
        reverse("admin:campaigns_donotcontact_remove", args=[theirs.pk]), {"reason": "x"}
    )

    assert "lista B" in listing
    assert "lista A" not in listing
    assert other_system.status_code == 200  # the system is not among the form's choices
    assert not do_not_contact_check(system=system, phone=OTHER, actor=None)
    assert other_entry.status_code == 404
    assert DoNotContact.objects.filter(pk=theirs.pk).exists()


def test_supervisors_never_reach_the_list(system: ThuliumSystem, django_user_model: Any) -> None:
    user = user_with_role(django_user_model, "ewa", "Supervisor")
    user.is_staff = True
    user.save()
    browser = Client()
    browser.force_login(user)

    assert browser.get(reverse("admin:campaigns_donotcontact_changelist")).status_code == 403
    assert browser.get(reverse("admin:campaigns_donotcontact_add")).status_code == 403


# --- a person's erasure: "and do not contact again" ----------------------------------------------


def test_an_erasure_with_do_not_contact_lists_the_number_and_keeps_it_nowhere(
    campaign: Any, api: thulium.ThuliumClient, client: Client, django_user_model: Any
) -> None:
    grid_of_text(campaign, api, f"Telefon;Miasto\n{LISTED};Łódź\n", "add")
    admin = user_with_role(django_user_model, "ala", "Administrator")
    client.force_login(admin)

    page = client.post(
        reverse("campaigns:person_request"),
        {"phone": f"+48 {LISTED}", "action": "erase", "reason": "wniosek z 3 grudnia",
         "do_not_contact": "on"},
    ).content.decode()  # fmt: skip

    assert "The number is on the do-not-contact list of thulium" in page
    assert do_not_contact_check(system=campaign.system, phone=LISTED, actor=None)
    assert readable_anywhere(LISTED) == []
    listed = AuditEntry.objects.get(action=A.DO_NOT_CONTACT_ADDED)
    assert listed.actor == admin
    assert listed.details["reason"] == "wniosek z 3 grudnia"
    # The next CRM export brings the number back: refused.
    again = grid_of_text(campaign, api, f"Telefon;Miasto\n{LISTED};Łódź\n", "add")
    assert message_codes(again, LISTED) == ["do_not_contact_add"]


def test_person_data_erase_do_not_contact_from_the_command_line(
    campaign: Any, api: thulium.ThuliumClient
) -> None:
    grid_of_text(campaign, api, f"Telefon\n{LISTED}\n", "add")
    out = io.StringIO()

    call_command(
        "person_data", LISTED, "--erase", "--reason", "wniosek", "--do-not-contact", stdout=out
    )
    plain = person_erase(phone=OTHER, system=campaign.system, reason="wniosek", actor=None)

    assert "on the do-not-contact list of “thulium”" in out.getvalue()
    assert do_not_contact_check(system=campaign.system, phone=LISTED, actor=None)
    assert not plain.do_not_contact
    assert not do_not_contact_check(system=campaign.system, phone=OTHER, actor=None)
