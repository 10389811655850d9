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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import (
    AuditDetail,
    AuditEntry,
    AuditHead,
    Campaign,
    RowOutcome,
    ThuliumSystem,
)

GENESIS = "0" * 64
KEY_CHECK_MESSAGE = b"thulium-dashboard audit key check"

A = AuditEntry.Action
EDITS = (A.CELL_EDIT, A.BULK_EDIT, A.PASTE, A.REPLACE, A.ROWS_ADDED, A.ROWS_DELETED)
# The detail keys that hold personal data — customers' numbers, names and values, a file's
# name, what someone typed — by action: they go to the entry's AuditDetail, outside the chain,
# and are erased by retention and a person's request. An edit's every detail is personal but
# its id; ALL marks that. Every other key holds counts, ids, formats or the dashboard's words.
ALL = frozenset({"*"})
PERSONAL_DETAILS: dict[str, frozenset[str]] = {
    A.UPLOAD: frozenset({"file_name"}),
    A.GRID_EXPORT: frozenset({"filters"}),
    A.LOGIN_FAILED: frozenset({"username"}),
    A.PERSON_FOUND: frozenset({"phone"}),
    A.PERSON_EXPORTED: frozenset({"phone"}),
    **dict.fromkeys(EDITS, ALL),
}
# Entries written before issue 17 kept each answered row (its phone) in "rows".
PERSONAL_WHEN_LIST: dict[str, frozenset[str]] = {A.OUTCOMES: frozenset({"rows"})}


def split_details(action: str, details: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the chain covers, the personal details kept apart)."""
    keys = PERSONAL_DETAILS.get(action, frozenset())
    if keys is ALL:
        keys = frozenset(details) - {"edit"}
    keys |= {
        k for k in PERSONAL_WHEN_LIST.get(action, frozenset()) if isinstance(details.get(k), list)
    }
    chained = {k: v for k, v in details.items() if k not in keys}
    return chained, {k: v for k, v in details.items() if k in keys}


def audit(
    *,
    action: str,
    actor: User | None,
    campaign: Campaign | None = None,
    system: ThuliumSystem | None = None,
    grid_id: int | None = None,
    submission_id: int | None = None,
    **details: Any,
) -> AuditEntry:
    """Append one entry. Called inside the caller's transaction, so the entry and the change it
    describes are committed — or rolled back — together. An entry about a campaign belongs to
    its system; one about a system alone names it by `system`."""
    system_id = campaign.system_id if campaign is not None else (system.pk if system else None)
    key = audit_key()
    chained, personal = split_details(
        action, json.loads(json.dumps(details, cls=DjangoJSONEncoder))
    )
    with transaction.atomic():
        # The head row serialises writers: each entry's MAC covers its predecessor's.
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            at=timezone.now(),
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_name=_actor_name(actor),
            action=action,
            system_id=system_id,
            campaign=campaign.thulium_id if campaign is not None else "",
            grid_id=grid_id,
            submission_id=submission_id,
            details=chained,
            detail_mac=detail_mac(personal, key) if personal else "",
            prev_mac=head.last_mac,
        )
        entry.mac = entry_mac(entry, key)
        entry.save()
        if personal:
            AuditDetail.objects.create(entry=entry, details=personal)
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
    """What an entry's MAC covers besides the previous MAC: its personal details only by their
    keyed digest. The system is covered from when entries name one: entries made before keep
    the material they were keyed with."""
    system = {} if entry.system_id is None else {"system": entry.system_id}
    return json.dumps(
        system
        | {
            "at": entry.at.isoformat(),
            "actor": entry.actor_id,
            "actor_name": entry.actor_name,
            "action": entry.action,
            "campaign": entry.campaign,
            "grid": entry.grid_id,
            "submission": entry.submission_id,
            "details": entry.details,
            "detail": entry.detail_mac,
        },
        sort_keys=True,
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    )


def detail_mac(personal: dict[str, Any], key: bytes) -> str:
    """The keyed digest of personal details: without the key, a digest of a phone number cannot
    be matched by trying every number."""
    text = json.dumps(personal, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)
    return hmac.new(key, b"detail:" + text.encode("utf-8"), hashlib.sha256).hexdigest()


def outcomes_digest(outcomes: Sequence[tuple[int, str, str, int | None, str]]) -> str:
    """SHA-256 of a request's outcome rows — (row id, phone, outcome, HTTP status, message),
    as RowOutcome stores them — in row id order, so verify_audit can compute it again from the
    table."""
    rows = [list(row) for row in sorted(outcomes, key=lambda row: row[0])]
    text = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def erased_digest(entry_ids: list[int]) -> str:
    """What an erasure's entry keeps of the details it erased: a digest of their entry ids."""
    text = ",".join(str(pk) for pk in sorted(entry_ids))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def audit_details_erase(
    *, entry_ids: list[int], action: str, actor: Any, **details: Any
) -> AuditEntry:
    """Erase the personal details of these entries, and say so in the log: one entry of
    `action` with how many were erased (`details_erased`) and the digest of their ids (inside
    the caller's transaction). Entries without details, or erased already, are passed over."""
    with transaction.atomic():
        found = list(
            AuditDetail.objects.filter(entry_id__in=entry_ids, erased_by=None)
            .values_list("entry_id", flat=True)
            .order_by("entry_id")
        )
        entry = audit(
            action=action,
            actor=actor,
            details_erased=len(found),
            details_digest=erased_digest(found),
            **details,
        )
        for start in range(0, len(found), 500):
            AuditDetail.objects.filter(entry_id__in=found[start : start + 500]).update(
                details=None, erased_at=entry.at, erased_by=entry.pk
            )
    return entry


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
    # Personal details erased by retention or a person's request (each erasure an entry).
    erased: int = 0
    erasures: int = 0


# The entries that erase personal details: each keeps how many, and a digest of their ids.
ERASURES = frozenset({A.PERSONAL_DATA_PURGED, A.PERSON_ERASED})


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
    # The head of an empty log (0:GENESIS) is the start of every chain.
    wanted = {h.count: h for h in heads if (h.count, h.mac) != (0, GENESIS)}
    running = GENESIS
    checked = 0
    details = _DetailWalk(key)
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
        # After the chain's own checks: a removed entry is said as such, not as the personal
        # details it left behind.
        if problem := details.check(entry):
            return AuditCheck(False, checked, problem, entry.pk)
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
                "The head kept elsewhere (%(head)s) counts more entries than the log has "
                "(%(count)s against %(checked)s): entries at its end were removed."
            )
            % {"head": kept, "count": kept.count, "checked": checked},
        )
    if head is not None and (head.count != checked or head.last_mac != running):
        return AuditCheck(
            False,
            checked,
            ngettext(
                "%(missing)s entry at the end of the log was removed.",
                "%(missing)s entries at the end of the log were removed.",
                head.count - checked,
            )
            % {"missing": head.count - checked},
        )
    if problem := details.finish():
        return AuditCheck(False, checked, problem)
    if mismatch := outcomes_mismatch():
        return AuditCheck(False, checked, mismatch.problem, mismatch.entry_id)
    return AuditCheck(
        True,
        checked,
        head=AuditHeadLine(checked, running),
        erased=sum(len(ids) for ids in details.erased.values()),
        erasures=len(details.erasures),
    )


@dataclass(frozen=True)
class OutcomesMismatch:
    entry_id: int
    problem: str


def outcomes_mismatch() -> OutcomesMismatch | None:
    """The first request whose outcome rows no longer match what its audit entry recorded:
    their digest while the rows hold their phones and messages, and their count by outcome
    once retention or a person's request has erased those (which the digest covers). Entries
    from before issue 17 kept the rows themselves and carry no digest: nothing to compare."""
    entries = (
        AuditEntry.objects.filter(action=A.OUTCOMES, details__has_key="rows_digest")
        .order_by("submission_id", "id")
        .values_list("id", "submission_id", "details")
    )
    submission_id: int | None = None
    stored: dict[int, list[tuple[int, str, str, int | None, str]]] = {}
    for entry_id, entry_submission, details in entries.iterator(chunk_size=2000):
        if entry_submission != submission_id:
            submission_id, stored = entry_submission, _outcome_rows(entry_submission)
        rows = stored.get(details.get("chunk"), [])
        if any(phone == "" for _row, phone, *_rest in rows):
            matches = len(rows) == details.get("rows") and Counter(
                outcome for _row, _phone, outcome, *_rest in rows
            ) == Counter(details.get("outcomes", {}))
        else:
            matches = hmac.compare_digest(outcomes_digest(rows), details["rows_digest"])
        if not matches:
            return OutcomesMismatch(
                entry_id,
                _(
                    "The outcomes of request %(chunk)s of sending #%(submission)s were changed "
                    "in the database: they no longer match what entry #%(id)s recorded."
                )
                % {"chunk": details.get("chunk"), "submission": entry_submission, "id": entry_id},
            )
    return None


def _outcome_rows(
    submission_id: int | None,
) -> dict[int, list[tuple[int, str, str, int | None, str]]]:
    """A sending's outcome rows by request (chunk index), as outcomes_digest takes them."""
    by_chunk: dict[int, list[tuple[int, str, str, int | None, str]]] = {}
    if submission_id is None:
        return by_chunk  # every outcome row belongs to a sending
    rows = RowOutcome.objects.filter(submission_id=submission_id).values_list(
        "chunk__index", "row_id", "phone", "outcome", "http_status", "message"
    )
    for index, row_id, phone, outcome, http_status, message in rows.iterator(chunk_size=5000):
        by_chunk.setdefault(index, []).append((row_id, phone, outcome, http_status, message))
    return by_chunk


class _DetailWalk:
    """Checks each entry's personal details as the chain is walked (both in id order): kept
    ones must match the entry's digest, erased ones must be named by an erasure whose digest
    covers them. Anything else was deleted, altered or erased behind the log's back."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        rows = AuditDetail.objects.order_by("entry_id").values_list(
            "entry_id", "details", "erased_by"
        )
        self.rows = iter(rows.iterator(chunk_size=2000))
        self.next = next(self.rows, None)
        self.erased: dict[int, list[int]] = {}
        self.erasures: dict[int, str] = {}

    def check(self, entry: AuditEntry) -> str:
        if entry.action in ERASURES:
            self.erasures[entry.pk] = entry.details.get("details_digest", "")
        row = None
        while self.next is not None and self.next[0] <= entry.pk:
            if self.next[0] < entry.pk:
                return _("Personal details #%(id)s belong to no entry of the log.") % {
                    "id": self.next[0]
                }
            row, self.next = self.next, next(self.rows, None)
        if not entry.detail_mac:
            if row is not None:
                return _("Entry #%(id)s has personal details the chain does not know of.") % {
                    "id": entry.pk
                }
            return ""
        if row is None:
            return _(
                "The personal details of entry #%(id)s were deleted, and no erasure in the log "
                "says so."
            ) % {"id": entry.pk}
        _pk, personal, erased_by = row
        if erased_by is not None and personal is None:
            self.erased.setdefault(erased_by, []).append(entry.pk)
            return ""
        if personal is None or not hmac.compare_digest(
            detail_mac(personal, self.key), entry.detail_mac
        ):
            return _("The personal details of entry #%(id)s were altered.") % {"id": entry.pk}
        return ""

    def finish(self) -> str:
        if self.next is not None:
            return _("Personal details #%(id)s belong to no entry of the log.") % {
                "id": self.next[0]
            }
        for erasure, ids in self.erased.items():
            if erased_digest(ids) != self.erasures.get(erasure):
                return _(
                    "The personal details of entry #%(id)s were erased, but no erasure in the "
                    "log covers them: someone erased them behind the log's back."
                ) % {"id": ids[0]}
        return ""


def _actor_name(actor: User | None) -> str:
    if actor is None or not actor.is_authenticated:
        return "command line" if actor is None else "anonymous"
    return actor.get_username()
