"""The audit chain keyed with AUDIT_KEY: every existing entry re-keyed once, and the step
recorded in the log itself.

The old chain (plain SHA-256) is checked first; what that check found — and the old head — go
into the re-key entry, so a log that had been tampered with before is not made to look intact.
The MAC is computed here by a frozen copy of the code of this release: later releases that
change it re-key in a migration of their own.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import migrations, models
from django.utils import timezone

from campaigns.migrations._audit_sql import set_triggers

GENESIS = "0" * 64


def _material(entry):
    return json.dumps(
        {
            "at": entry.at.isoformat(),
            "actor": entry.actor_id,
            "actor_name": entry.actor_name,
            "action": entry.action,
            "campaign": entry.campaign,
            "grid": entry.grid_id,
            "submission": entry.submission_id,
            "details": entry.details,
        },
        sort_keys=True,
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    )


def _mac(key, prev, entry):
    return hmac.new(key, (prev + _material(entry)).encode("utf-8"), hashlib.sha256).hexdigest()


def rekey(apps, schema_editor):
    AuditEntry = apps.get_model("campaigns", "AuditEntry")
    AuditHead = apps.get_model("campaigns", "AuditHead")
    key = settings.AUDIT_KEY.encode("utf-8")
    head = AuditHead.objects.filter(pk=1).first()
    # Check the plain chain as it stood (prev_mac/mac still hold the SHA-256 hashes).
    running, count, problem = GENESIS, 0, ""
    entries = list(AuditEntry.objects.order_by("id"))
    for entry in entries:
        plain = hashlib.sha256((entry.prev_mac + _material(entry)).encode("utf-8")).hexdigest()
        if not problem and entry.prev_mac != running:
            problem = f"the entry before #{entry.pk} was removed or altered"
        elif not problem and plain != entry.mac:
            problem = f"entry #{entry.pk} was altered"
        running = entry.mac
        count += 1
    if not problem and head is not None and (head.count != count or head.last_mac != running):
        problem = f"{head.count - count} entries at the end were removed"
    plain_head = running
    set_triggers(schema_editor, on=False)
    prev = GENESIS
    for entry in entries:
        entry.prev_mac = prev
        entry.mac = prev = _mac(key, prev, entry)
        entry.save(update_fields=["prev_mac", "mac"])
    set_triggers(schema_editor, on=True)
    if not entries:
        return  # a new database: nothing to re-key, nothing to record
    step = AuditEntry(
        at=timezone.now(),
        actor=None,
        actor_name="migration",
        action="audit_rekeyed",
        details={
            "entries": count,
            "plain_head": f"{count}:{plain_head}",
            "plain_chain": problem or "intact",
        },
        prev_mac=prev,
    )
    step.mac = _mac(key, prev, step)
    step.save()
    head = head or AuditHead(pk=1)
    head.count = count + 1
    head.last_mac = step.mac
    head.key_check = hmac.new(
        key, b"thulium-dashboard audit key check", hashlib.sha256
    ).hexdigest()[:16]
    head.save()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0010_user_preference_and_outcome_day_index")]

    operations = [
        migrations.RenameField("auditentry", "prev_hash", "prev_mac"),
        migrations.RenameField("auditentry", "hash", "mac"),
        migrations.RenameField("audithead", "last_hash", "last_mac"),
        migrations.AddField(
            model_name="audithead",
            name="key_check",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(choices=[('upload', 'File uploaded'), ('mapping', 'Columns confirmed'), ('fields', 'Campaign fields added'), ('pull', 'Records pulled from Thulium'), ('grid_created', 'Empty grid created'), ('cell', 'Cells edited'), ('bulk', 'Rows changed in bulk'), ('paste', 'Block pasted'), ('add', 'Rows added'), ('delete', 'Rows deleted'), ('undo', 'Change undone'), ('submission_queued', 'Sending queued'), ('submission_started', 'Sending started'), ('submission_finished', 'Sending finished'), ('submission_cancelled', 'Sending cancelled'), ('submission_failed', 'Sending stopped'), ('outcomes', 'Thulium answered'), ('revert', 'Revert grid made'), ('export', 'History exported'), ('grid_export', 'Grid exported'), ('login', 'Logged in'), ('login_failed', 'Login failed'), ('audit_rekeyed', 'Audit log keyed')], max_length=30),
        ),
        migrations.RunPython(rekey, migrations.RunPython.noop),
    ]
