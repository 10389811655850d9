"""The audit log: append-only and chained with a key. Services call `audit` inside their
transactions.

Each entry's MAC is HMAC-SHA256, keyed with `AUDIT_KEY`, over the previous entry's MAC and the
entry itself. The key lives in the environment, never in the database: someone who can write the
database can still delete or alter entries, but cannot make a chain that verifies again. What
they can do is cut entries off the end and wind the head back; the head that `verify_audit`
prints, kept somewhere else, catches that (`verify_audit --head N:MAC`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import AuditEntry, AuditHead

GENESIS = "0" * 64
KEY_CHECK_MESSAGE = b"thulium-dashboard audit key check"


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
    key = audit_key()
    with transaction.atomic():
        # The head row serialises writers: each entry's MAC covers its predecessor's.
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
            prev_mac=head.last_mac,
        )
        entry.mac = entry_mac(entry, key)
        entry.save()
        head.count += 1
        head.last_mac = entry.mac
        head.key_check = key_check(key)
        head.save(update_fields=["count", "last_mac", "key_check"])
    return entry


def audit_key() -> bytes:
    return settings.AUDIT_KEY.encode("utf-8")


def key_check(key: bytes) -> str:
    """A value that tells whether a key is the log's, and tells nothing of the key."""
    return hmac.new(key, KEY_CHECK_MESSAGE, hashlib.sha256).hexdigest()[:16]


def entry_mac(entry: AuditEntry, key: bytes) -> str:
    material = entry_material(entry)
    return hmac.new(key, (entry.prev_mac + material).encode("utf-8"), hashlib.sha256).hexdigest()


def entry_material(entry: AuditEntry) -> str:
    """What an entry's MAC covers besides the previous MAC."""
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


@dataclass(frozen=True)
class AuditHeadLine:
    """How far the log went and its last MAC: `N:MAC`, to be kept outside the database."""

    count: int
    mac: str

    def __str__(self) -> str:
        return f"{self.count}:{self.mac}"

    @classmethod
    def parse(cls, text: str) -> AuditHeadLine:
        count, _sep, mac = text.strip().partition(":")
        if not (count.isascii() and count.isdigit()) or len(mac) != 64:
            raise ValueError(text)
        return cls(int(count), mac.lower())


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    checked: int
    problem: str = ""
    entry_id: int | None = None
    head: AuditHeadLine | None = None


def audit_verify(*, key: bytes | None = None, heads: tuple[AuditHeadLine, ...] = ()) -> AuditCheck:
    """Walk the chain with the key; report the first entry that was altered, removed or
    inserted, and whether each head kept elsewhere (`heads`) is still in the chain."""
    key = audit_key() if key is None else key
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.key_check and head.key_check != key_check(key):
        return AuditCheck(
            False,
            0,
            _(
                "AUDIT_KEY is not the key this log was written with, so nothing can be checked. "
                "Set AUDIT_KEY to the log's key (from where your deployment keeps its secrets) "
                "and run verify_audit again."
            ),
        )
    wanted = {h.count: h for h in heads}
    running = GENESIS
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_mac != running:
            return AuditCheck(
                False,
                checked,
                _("The entry before #%(id)s was removed or altered: the chain breaks here.")
                % {"id": entry.pk},
                entry.pk,
            )
        if not hmac.compare_digest(entry_mac(entry, key), entry.mac):
            return AuditCheck(
                False, checked, _("Entry #%(id)s was altered.") % {"id": entry.pk}, entry.pk
            )
        running = entry.mac
        checked += 1
        kept = wanted.pop(checked, None)
        if kept is not None and not hmac.compare_digest(kept.mac, running):
            return AuditCheck(
                False,
                checked,
                _(
                    "The head kept elsewhere (%(head)s) is not in this log: entry #%(id)s, the "
                    "%(count)s-th, now has another MAC, so the log was rewritten since."
                )
                % {"head": kept, "id": entry.pk, "count": kept.count},
                entry.pk,
            )
    if wanted:
        kept = min(wanted.values(), key=lambda h: h.count)
        return AuditCheck(
            False,
            checked,
            _(
                "The head kept elsewhere (%(head)s) counts %(count)s entries, but the log has "
                "only %(checked)s: entries at its end were removed."
            )
            % {"head": kept, "count": kept.count, "checked": checked},
        )
    if head is not None and (head.count != checked or head.last_mac != running):
        return AuditCheck(
            False,
            checked,
            _("%(missing)s entries at the end of the log were removed.")
            % {"missing": head.count - checked},
        )
    return AuditCheck(True, checked, head=AuditHeadLine(checked, running))


def _actor_name(actor: AbstractBaseUser | None) -> str:
    if actor is None or not actor.is_authenticated:
        return "command line" if actor is None else "anonymous"
    return actor.get_username()
