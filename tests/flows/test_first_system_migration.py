"""An install from before systems migrates under its first system, and `verify_audit` still
verifies; migrate makes the system from the environment only when THULIUM_BASE_URL is set."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from campaigns.models import (
    AuditEntry,
    AuditHead,
    Campaign,
    Grid,
    ThuliumSystem,
)
from campaigns.services.audit import audit, audit_key, entry_mac, key_check

pytestmark = pytest.mark.django_db
A = AuditEntry.Action

# A password no test, fixture or sandbox holds: found anywhere, it leaked.
DISTINCT = "Zq9-haslo-nie-do-zgadniecia-7781"
BEFORE_SYSTEMS = "0026_outcome_sending_goes"


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
