"""The do-not-contact list of a Thulium system: numbers that must not be added, or changed back
into the calling flow, in any of its campaigns.

The list keeps keyed hashes — HMAC-SHA256 under DO_NOT_CONTACT_KEY of the number's one canonical
form (rules.validation.phone_canonical) — never a number: a hash of a phone number cannot be
matched by trying every number without the key. Every change and check is an audit entry with
counts and the reason, never the number nor its hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.exceptions import DoNotContactProblem, FileProblem
from campaigns.intake.cage import CageBroken, CageLimits, run_caged
from campaigns.intake.file_limits import cage_message
from campaigns.intake.headers import target_for_header
from campaigns.intake.spreadsheets import Table, read_table
from campaigns.intake.text import fold_digits
from campaigns.models import AuditEntry, DoNotContact, ThuliumSystem
from campaigns.rules.validation import PHONE_RE, phone_canonical
from campaigns.services.audit import audit
from campaigns.services.uploads import intake_limits

A = AuditEntry.Action
NOT_DIGIT_RE = re.compile(r"\D", re.ASCII)
# A run of digits a number may be written as in a reason (as services/person.py reads them).
PHONE_RUN_RE = re.compile(r"\+?\(?\d[\d \u00a0\-./()]{5,}\d")
REASON_MAX = 500


def do_not_contact_digester() -> Callable[[str], str] | None:
    """How a canonical number becomes its hash, or None when DO_NOT_CONTACT_KEY is not set."""
    if not settings.DO_NOT_CONTACT_KEY:
        return None
    key = settings.DO_NOT_CONTACT_KEY.encode("utf-8")

    def digest(canonical: str) -> str:
        return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()

    return digest


def do_not_contact_digests(*, system_id: int) -> frozenset[str]:
    """The system's list as validation reads it."""
    return frozenset(
        DoNotContact.objects.filter(system_id=system_id).values_list("digest", flat=True)
    )


def _digester_needed() -> Callable[[str], str]:
    digest = do_not_contact_digester()
    if digest is None:
        raise DoNotContactProblem(
            _(
                "The do-not-contact list cannot be used: DO_NOT_CONTACT_KEY is not set. Ask the "
                "server's administrator to set it (see README.md)."
            )
        )
    return digest


def _digest_of(phone: str) -> str:
    digest = _digester_needed()
    canonical = _canonical(phone)
    if canonical is None:
        raise DoNotContactProblem(
            _(
                "“%(text)s” is not a phone number: type it with or without +48, spaces or "
                "dashes (6 to 15 digits)."
            )
            % {"text": phone}
        )
    return digest(canonical)


def _canonical(text: str) -> str | None:
    canonical = phone_canonical(text or "")
    return canonical if len(canonical) >= 6 and PHONE_RE.match(canonical) else None


def _reason(reason: str, phones: list[str], digests: Collection[str] = ()) -> str:
    """The reason, stripped; refused when empty, too long, or holding one of the numbers (as
    digits among its text, or a run of digits whose hash is one of `digests`: an entry taken
    off the list by id is known only by its hash)."""
    reason = (reason or "").strip()
    if not reason:
        raise DoNotContactProblem(
            _("Say why (for example: objection to calls of 3 December, RODO Art. 21).")
        )
    if len(reason) > REASON_MAX:
        raise DoNotContactProblem(
            _("The reason is too long (character limit: %(limit)s).") % {"limit": REASON_MAX}
        )
    folded = fold_digits(reason)
    digits = NOT_DIGIT_RE.sub("", folded)
    digest = do_not_contact_digester()
    hashed = {
        digest(canonical)
        for run in PHONE_RUN_RE.findall(folded)
        if digest is not None and (canonical := _canonical(run)) is not None
    }
    if any(phone and phone in digits for phone in phones) or hashed & set(digests):
        raise DoNotContactProblem(
            _(
                "The reason must not contain the phone number: the list and its history keep "
                "no number. Describe the request without it."
            )
        )
    return reason


def do_not_contact_add(*, system: ThuliumSystem, phone: str, reason: str, actor: Any) -> bool:
    """Put the number on the system's list; False when it was on it already (nothing changes,
    and the entry says so)."""
    digest = _digest_of(phone)
    reason = _reason(reason, [phone_canonical(phone)])
    with transaction.atomic():
        _entry, made = DoNotContact.objects.get_or_create(
            system=system,
            digest=digest,
            defaults={"reason": reason, "added_by": actor if _is_user(actor) else None},
        )
        audit(
            action=A.DO_NOT_CONTACT_ADDED,
            actor=actor,
            system=system,
            count=int(made),
            already=int(not made),
            reason=reason,
        )
    return made


def do_not_contact_remove(*, system: ThuliumSystem, phone: str, reason: str, actor: Any) -> bool:
    """Take the number off the system's list; False when it was not on it."""
    digest = _digest_of(phone)
    reason = _reason(reason, [phone_canonical(phone)])
    with transaction.atomic():
        removed, _kinds = DoNotContact.objects.filter(system=system, digest=digest).delete()
        audit(
            action=A.DO_NOT_CONTACT_REMOVED,
            actor=actor,
            system=system,
            count=removed,
            reason=reason,
        )
    return bool(removed)


def do_not_contact_remove_entries(
    *, system: ThuliumSystem, ids: list[int], reason: str, actor: Any
) -> int:
    """Take entries off the list by their ids (the admin's list shows no number to type)."""
    entries = DoNotContact.objects.filter(system=system, id__in=ids)
    reason = _reason(reason, [], digests=set(entries.values_list("digest", flat=True)))
    with transaction.atomic():
        removed, _kinds = entries.delete()
        audit(
            action=A.DO_NOT_CONTACT_REMOVED,
            actor=actor,
            system=system,
            count=removed,
            reason=reason,
        )
    return removed


def do_not_contact_check(*, system: ThuliumSystem, phone: str, actor: Any) -> bool:
    """Is the number on the system's list? The check is an audit entry (without the number)."""
    digest = _digest_of(phone)
    with transaction.atomic():
        found = DoNotContact.objects.filter(system=system, digest=digest).exists()
        audit(action=A.DO_NOT_CONTACT_CHECKED, actor=actor, system=system, found=found)
    return found


@dataclass(frozen=True)
class ListImport:
    """What a file did to the list: numbers added, already on it, and cells that are no number
    (empty ones are not counted)."""

    added: int
    already: int
    not_numbers: int


def do_not_contact_import(
    *, system: ThuliumSystem, data: bytes, filename: str, reason: str, actor: Any
) -> ListImport:
    """Put every number of a CSV, XLSX or ODS file on the system's list: one a row, in the column
    named like a phone number, else the first. Read in the upload's cage."""
    digest = _digester_needed()
    table = _read(data, filename)
    texts = _phone_texts(table)
    canonical = [_canonical(text) for text in texts if text.strip()]
    numbers = sorted({c for c in canonical if c is not None})
    reason = _reason(reason, numbers)
    digests = {digest(number) for number in numbers}
    with transaction.atomic():
        known = set(
            DoNotContact.objects.filter(system=system, digest__in=digests).values_list(
                "digest", flat=True
            )
        )
        added_by = actor if _is_user(actor) else None
        DoNotContact.objects.bulk_create(
            [
                DoNotContact(system=system, digest=d, reason=reason, added_by=added_by)
                for d in sorted(digests - known)
            ]
        )
        result = ListImport(
            added=len(digests - known),
            already=len(known),
            not_numbers=sum(1 for c in canonical if c is None),
        )
        audit(
            action=A.DO_NOT_CONTACT_ADDED,
            actor=actor,
            system=system,
            count=result.added,
            already=result.already,
            not_numbers=result.not_numbers,
            from_file=True,
            reason=reason,
        )
    return result


def _read(data: bytes, filename: str) -> Table:
    cage = CageLimits(
        memory_bytes=int(settings.INTAKE_MAX_MEMORY_MB * 1_000_000),
        seconds=settings.INTAKE_MAX_SECONDS,
    )
    try:
        table: Table = run_caged(read_table, data, filename, cage=cage, limits=intake_limits())
    except CageBroken as broken:
        raise FileProblem(cage_message(broken.reason, filename)) from None
    return table


def _phone_texts(table: Table) -> list[str]:
    """The cells of the phone column; a file without a header row gives its first number as the
    header, which counts too."""
    column = next(
        (i for i, h in enumerate(table.headers) if h and target_for_header(h) == "phone_number"),
        None,
    )
    texts = []
    if column is None:
        column = 0
        if table.headers and _canonical(table.headers[0]) is not None:
            texts.append(table.headers[0])
    texts += [row[column] if column < len(row) else "" for row in table.rows]
    return texts


def _is_user(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)
