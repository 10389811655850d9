"""The audit log: append-only, hash-chained. Services call `audit` inside their transactions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def audit(
    *,
    action: str,
    actor: AbstractBaseUser | None,
    campaign: str = "",
    grid_id: int | None = None,
    submission_id: int | None = None,
    **details: Any,
) -> AuditEntry:
    """Append one entry. Called inside the caller's transaction, so the entry and the change it
    describes are committed — or rolled back — together."""
    with transaction.atomic():
        # The head row serialises writers: each entry's hash covers its predecessor's.
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            at=timezone.now(),
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_name=_actor_name(actor),
            action=action,
            campaign=campaign,
            grid_id=grid_id,
            submission_id=submission_id,
            details=json.loads(json.dumps(details, cls=DjangoJSONEncoder)),
            prev_hash=head.last_hash,
        )
        entry.hash = entry_hash(entry)
        entry.save()
        head.count += 1
        head.last_hash = entry.hash
        head.save(update_fields=["count", "last_hash"])
    return entry


def entry_hash(entry: AuditEntry) -> str:
    material = json.dumps(
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
    return hashlib.sha256((entry.prev_hash + material).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    checked: int
    problem: str = ""
    entry_id: int | None = None


def audit_verify() -> AuditCheck:
    """Walk the chain; report the first entry that was altered, removed or inserted."""
    running = GENESIS
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != running:
            return AuditCheck(
                False,
                checked,
                _("The entry before #%(id)s was removed or altered: the chain breaks here.")
                % {"id": entry.pk},
                entry.pk,
            )
        if entry_hash(entry) != entry.hash:
            return AuditCheck(
                False, checked, _("Entry #%(id)s was altered.") % {"id": entry.pk}, entry.pk
            )
        running = entry.hash
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.count != checked or head.last_hash != running):
        return AuditCheck(
            False,
            checked,
            _("%(missing)s entries at the end of the log were removed.")
            % {"missing": head.count - checked},
        )
    return AuditCheck(True, checked)


def _actor_name(actor: AbstractBaseUser | None) -> str:
    if actor is None or not actor.is_authenticated:
        return "command line" if actor is None else "anonymous"
    return actor.get_username()
