"""Personal details out of the audit chain: each entry's personal details (phone numbers, cell
values, file names, what was typed) move to an AuditDetail, the entry keeps their keyed digest,
and the chain is re-keyed over the new material once; the step is recorded in the log itself.

The chain as it stood is checked first, and what that found — with the old head — goes into the
step's entry, so a log tampered with before is not made to look intact. Which details are
personal, and the MACs, are computed by a frozen copy of this release's code: later releases
that change them migrate on their own.
"""

import hashlib
import hmac
import json

import django.db.models.deletion
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import migrations, models
from django.utils import timezone

from campaigns.migrations._audit_sql import set_triggers

GENESIS = "0" * 64
EDITS = {"cell", "bulk", "paste", "replace", "add", "delete"}
PERSONAL = {"upload": {"file_name"}, "grid_export": {"filters"}, "login_failed": {"username"}}


def _split(action, details):
    if action in EDITS:
        keys = set(details) - {"edit"}
    else:
        keys = set(PERSONAL.get(action, ()))
    if action == "outcomes" and isinstance(details.get("rows"), list):
        keys.add("rows")  # written before issue 17: each answered row with its phone
    return (
        {k: v for k, v in details.items() if k not in keys},
        {k: v for k, v in details.items() if k in keys},
    )


def _dumps(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)


def _material(entry, *, detail=True):
    """What the chain covers of an entry: before this migration without `detail`, after with."""
    covered = {
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "campaign": entry.campaign,
        "grid": entry.grid_id,
        "submission": entry.submission_id,
        "details": entry.details,
    }
    if detail:
        covered["detail"] = entry.detail_mac
    return _dumps(covered)


def _hmac(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def split(apps, schema_editor):
    AuditEntry = apps.get_model("campaigns", "AuditEntry")
    AuditDetail = apps.get_model("campaigns", "AuditDetail")
    AuditHead = apps.get_model("campaigns", "AuditHead")
    key = settings.AUDIT_KEY.encode("utf-8")
    head = AuditHead.objects.filter(pk=1).first()
    entries = list(AuditEntry.objects.order_by("id"))
    if not entries:
        return  # a new database: nothing to move, nothing to record
    # The chain as it stood, checked with the key it was written with.
    running, count, problem = GENESIS, 0, ""
    for entry in entries:
        if not problem and entry.prev_mac != running:
            problem = f"the entry before #{entry.pk} was removed or altered"
        elif not problem and _hmac(key, entry.prev_mac + _material(entry, detail=False)) != entry.mac:
            problem = f"entry #{entry.pk} was altered"
        running = entry.mac
        count += 1
    if not problem and head is not None and (head.count != count or head.last_mac != running):
        problem = f"{head.count - count} entries at the end were removed"
    old_head = f"{count}:{running}"
    set_triggers(schema_editor, on=False)
    prev, moved = GENESIS, 0
    for entry in entries:
        entry.details, personal = _split(entry.action, entry.details)
        if personal:
            entry.detail_mac = _hmac(key, "detail:" + _dumps(personal))
            AuditDetail.objects.create(entry_id=entry.pk, details=personal)
            moved += 1
        entry.prev_mac = prev
        entry.mac = prev = _hmac(key, prev + _material(entry))
        entry.save(update_fields=["details", "detail_mac", "prev_mac", "mac"])
    set_triggers(schema_editor, on=True)
    step = AuditEntry(
        at=timezone.now(),
        actor=None,
        actor_name="migration",
        action="audit_details_split",
        details={
            "entries": count,
            "details_moved": moved,
            "previous_head": old_head,
            "previous_chain": problem or "intact",
        },
        detail_mac="",
        prev_mac=prev,
    )
    step.mac = _hmac(key, prev + _material(step))
    step.save()
    head = head or AuditHead(pk=1)
    head.count = count + 1
    head.last_mac = step.mac
    head.save()


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0016_upload_blocks_and_leaner_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditDetail',
            fields=[
                ('entry', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='detail', serialize=False, to='campaigns.auditentry')),
                ('details', models.JSONField(blank=True, null=True)),
                ('erased_at', models.DateTimeField(blank=True, null=True)),
                ('erased_by', models.BigIntegerField(blank=True, db_index=True, null=True)),
            ],
            options={
                'verbose_name': 'audit detail',
                'verbose_name_plural': 'audit details',
            },
        ),
        migrations.AddField(
            model_name='auditentry',
            name='detail_mac',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('upload', 'File uploaded'), ('mapping', 'Columns confirmed'), ('fields', 'Campaign fields added'), ('pull', 'Records pulled from Thulium'), ('grid_created', 'Empty grid created'), ('cell', 'Cells edited'), ('bulk', 'Rows changed in bulk'), ('paste', 'Block pasted'), ('replace', 'Text replaced in a column'), ('add', 'Rows added'), ('delete', 'Rows deleted'), ('undo', 'Change undone'), ('redo', 'Change made again'), ('submission_queued', 'Sending queued'), ('submission_started', 'Sending started'), ('submission_finished', 'Sending finished'), ('submission_cancelled', 'Sending cancelled'), ('submission_failed', 'Sending stopped'), ('outcomes', 'Thulium answered'), ('revert', 'Revert grid made'), ('export', 'History exported'), ('grid_export', 'Grid exported'), ('login', 'Logged in'), ('login_failed', 'Login failed'), ('audit_rekeyed', 'Audit log keyed'), ('fields_learned', 'Thulium told us about fields'), ('remap', 'Column remapped'), ('submission_paused', 'Sending paused'), ('sending_options', 'Sending options changed'), ('value_rule', 'Value rule set'), ('value_rule_forgotten', 'Value rule forgotten'), ('audit_details_split', 'Personal details moved out of the chain'), ('personal_data_purged', 'Personal data removed (retention)'), ('person_found', "A person's data searched"), ('person_exported', "A person's data exported"), ('person_erased', "A person's data erased")], max_length=30),
        ),
        migrations.RunPython(split, migrations.RunPython.noop),
    ]
