"""An install from before systems: its connection (THULIUM_BASE_URL, …) becomes its first system,
"from the environment", and every campaign it has — with their grids, sendings, value rules,
field lists and remembered mappings — belongs to it. Its audit entries are left as they are (the
log is append-only): those about a campaign are read as this system's (`earlier_history`).

An install with no data and no THULIUM_BASE_URL gets no system here."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations


def first_system_name(conf: dict[str, Any]) -> str:
    """THULIUM_SYSTEM_NAME, or the first label of the API's host (client-a for
    https://client-a.thulium.com/api/), or "thulium"."""
    wanted = (conf.get("SYSTEM_NAME") or "").strip().lower()
    if not wanted:
        host = urlsplit(conf.get("BASE_URL") or "").hostname or ""
        if host and not re.fullmatch(r"[\d.]+|localhost|\[?[\d:a-f]+\]?", host):
            wanted = host.split(".")[0]
    wanted = re.sub(r"[^a-z0-9-]+", "-", wanted).strip("-")[:40]
    return wanted or "thulium"


def forwards(apps: Any, schema_editor: Any) -> None:
    System = apps.get_model("campaigns", "ThuliumSystem")
    Campaign = apps.get_model("campaigns", "Campaign")
    AuditEntry = apps.get_model("campaigns", "AuditEntry")
    db = schema_editor.connection.alias
    had_data = (
        Campaign.objects.using(db).exists()
        or AuditEntry.objects.using(db).exclude(campaign="").exists()
    )
    if not (settings.THULIUM.get("BASE_URL") or had_data):
        return
    system = System.objects.using(db).create(
        name=first_system_name(dict(settings.THULIUM)),
        from_environment=True,
        earlier_history=True,
    )
    Campaign.objects.using(db).filter(system__isnull=True).update(system=system)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0027_thulium_systems")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
