"""A person's request by phone number (RODO art. 15 and 17): find everything that holds the
number, export it for them, or erase it — leaving a tombstone in the audit log that says who,
when, why and how much, and never the number.

The number is matched as the intake reads numbers: other digits folded, spaces, dashes, dots
and brackets ignored, a Polish number with or without +48 / 0048 / 48 — in columns and inside
every cell, value, payload, answer, edit and audit detail (an additional number in a record
field is found too). The places searched are the README's "Personal data" list.

A request is answered within one Thulium system: each system is its own data controller, so
finding, exporting and erasing reach that system's campaigns, grids, sendings and history
entries only (the history written before systems existed belongs to the system that holds the
earlier history).
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.exceptions import PersonRequestProblem
from campaigns.intake.text import fold_digits
from campaigns.models import (
    AuditDetail,
    AuditEntry,
    CampaignListing,
    Chunk,
    Edit,
    Grid,
    PhoneFormat,
    Row,
    RowOutcome,
    SentFields,
    Submission,
    ThuliumNow,
    ThuliumSystem,
    UploadBlock,
)
from campaigns.presentation.labels import PLACES
from campaigns.rules.validation import normalise_phone
from campaigns.services.audit import audit, audit_details_erase
from campaigns.services.do_not_contact import do_not_contact_add
from campaigns.services.locking import grid_lock

# A run of digits a phone number may be written as: digits with spaces, dashes, dots, slashes
# or brackets between them, a plus in front.
PHONE_RUN_RE = re.compile(r"\+?\(?\d[\d \u00a0\-./()]{5,}\d")
NOT_DIGIT_RE = re.compile(r"\D")


@dataclass(frozen=True)
class Number:
    """The number asked about, in the forms it is matched by."""

    national: str  # as the intake stores a Polish number: nine digits, no prefix
    digits: str  # every digit as typed (a foreign number has no national form)

    @classmethod
    def parse(cls, text: str) -> Number:
        digits = NOT_DIGIT_RE.sub("", fold_digits(text or ""))
        if len(digits) < 6:
            raise PersonRequestProblem(
                _(
                    "“%(text)s” is not a phone number: type the number the person gave, with "
                    "or without +48, spaces or dashes (at least 6 digits)."
                )
                % {"text": text}
            )
        return cls(normalise_phone(digits, PhoneFormat.POLISH_NATIONAL), digits)

    def is_in(self, value: Any) -> bool:
        """Does the value (text, or anything JSON holds) contain the number in any form?"""
        text = value if isinstance(value, str) else _text(value)
        folded = fold_digits(text)
        if self.national not in NOT_DIGIT_RE.sub("", folded):
            return False  # cheap: the digits are not there at all
        for run in PHONE_RUN_RE.findall(folded):
            found = NOT_DIGIT_RE.sub("", run)
            if found == self.digits or (
                normalise_phone(found, PhoneFormat.POLISH_NATIONAL) == self.national
            ):
                return True
        return False


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)


@dataclass(frozen=True)
class Finding:
    """One place that holds the number: what it is, where, when, and what it holds."""

    kind: str
    key: Any
    where: str
    at: datetime | None
    data: Any


@dataclass
class PersonData:
    number: Number
    findings: list[Finding] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return dict(Counter(f.kind for f in self.findings))

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]


def _entries_of(system: ThuliumSystem, prefix: str = "") -> Q:
    """The system's history entries: its own, and for the system holding the history from
    before systems, the older entries about a campaign (as the history page reads them).
    Entries of the install itself (logins, accounts) are no system's: a request answered in
    one system never reaches them."""
    own = Q(**{f"{prefix}system_id": system.pk})
    if not system.earlier_history:
        return own
    return own | (Q(**{f"{prefix}system_id__isnull": True}) & ~Q(**{f"{prefix}campaign": ""}))


def _scan(number: Number, system: ThuliumSystem) -> Iterator[Finding]:
    rows = Row.objects.filter(grid__campaign__system=system).order_by("id").values_list(
        "id", "grid_id", "grid__campaign__thulium_id", "number", "phone", "raw", "values",
        "messages", "outcome_detail",
    )  # fmt: skip
    # The person's rows, by id and by (grid, row number): what else is about them is found by
    # these too — an edit of their name, its audit detail, an answer — not only by the number.
    row_ids: set[int] = set()
    numbers: set[tuple[int, int]] = set()
    for pk, grid, campaign, n, phone, *data in rows.iterator(chunk_size=2000):
        if phone in (number.national, number.digits) or number.is_in(data):
            row_ids.add(pk)
            numbers.add((grid, n))
            where = _("campaign %(c)s, grid #%(g)s, row %(n)s") % {"c": campaign, "g": grid, "n": n}
            yield Finding(
                "row", pk, where, None, {"phone": phone, "cells": data[0], "values": data[1]}
            )
    blocks = (
        UploadBlock.objects.filter(grid__campaign__system=system)
        .order_by("id")
        .values_list("id", "grid_id", "rows")
    )
    for pk, grid, blob in blocks.iterator(chunk_size=20):
        for n, cells in json.loads(zlib.decompress(blob)):
            if number.is_in(cells):
                where = _("grid #%(g)s, row %(n)s") % {"g": grid, "n": n}
                yield Finding("upload", (pk, n), where, None, {"cells": cells})
    outcomes = RowOutcome.objects.filter(submission__campaign__system=system).order_by("id")
    outcomes_read = outcomes.values_list(
        "id", "row_id", "submission_id", "at", "phone", "outcome", "message", "sent", "before"
    )
    for pk, row, submission, at, phone, outcome, *data in outcomes_read.iterator(chunk_size=2000):
        if row in row_ids or phone in (number.national, number.digits) or number.is_in(data):
            where = _("sending #%(s)s") % {"s": submission}
            yield Finding(
                "outcome", pk, where, at,
                {"phone": phone, "outcome": outcome, "message": data[0], "sent": data[1],
                 "before": data[2]},
            )  # fmt: skip
    edits = (
        Edit.objects.filter(grid__campaign__system=system)
        .order_by("id")
        .values_list("id", "grid_id", "created_at", "changes", "deleted", "columns_before")
    )
    for pk, grid, at, *data in edits.iterator(chunk_size=500):
        if _edit_touches(data[0], data[1], row_ids) or number.is_in(data):
            yield Finding("edit", pk, _("grid #%(g)s") % {"g": grid}, at, {"changes": data[0]})
    chunks = (
        Chunk.objects.filter(submission__campaign__system=system)
        .exclude(before={})
        .order_by("id")
        .values_list("id", "submission_id", "before")
    )
    for pk, submission, before in chunks.iterator(chunk_size=200):
        held = {key: value for key, value in before.items() if number.is_in(value)}
        if held:
            yield Finding("chunk", pk, _("sending #%(s)s") % {"s": submission}, None, held)
    sent = (
        SentFields.objects.filter(campaign__system=system)
        .order_by("id")
        .values_list("id", "campaign__thulium_id", "phone", "fields")
    )
    for pk, campaign, phone, held in sent.iterator(chunk_size=2000):
        if number.is_in(phone) or number.is_in(held):
            where = _("campaign %(c)s") % {"c": campaign}
            yield Finding("sent_fields", pk, where, None, {"phone": phone, "values": held})
    read = (
        ThuliumNow.objects.filter(grid__campaign__system=system)
        .order_by("id")
        .values_list("id", "grid_id", "phone", "values")
    )
    for pk, grid, phone, held in read.iterator(chunk_size=2000):
        if number.is_in(phone) or number.is_in(held):
            where = _("grid #%(g)s") % {"g": grid}
            yield Finding("thulium_now", pk, where, None, {"phone": phone, "values": held})
    listings = (
        CampaignListing.objects.filter(campaign__system=system)
        .exclude(records=[])
        .values_list("id", "campaign__thulium_id", "read_at", "records")
    )
    for pk, campaign, read_at, records in listings.iterator(chunk_size=1):
        matched = [record for record in records if number.is_in(record)]
        if matched:
            where = _("campaign %(c)s") % {"c": campaign}
            yield Finding("listing", pk, where, read_at, {"records": matched})
    for pk, name, filters in Grid.objects.filter(campaign__system=system).values_list(
        "id", "file_name", "pull_filters"
    ):
        if number.is_in(name) or number.is_in(filters):
            yield Finding("grid", pk, f"#{pk}", None, {"file_name": name, "filters": filters})
    for pk, problem, cause in Submission.objects.filter(campaign__system=system).values_list(
        "id", "problem", "pause_cause"
    ):
        if number.is_in(problem) or number.is_in(cause):
            yield Finding("submission", pk, f"#{pk}", None, {"problem": problem, "cause": cause})
    details = AuditDetail.objects.filter(_entries_of(system, "entry__"), details__isnull=False)
    details = details.order_by("entry_id")
    for pk, at, action, entry_grid, personal in details.values_list(
        "entry_id", "entry__at", "entry__action", "entry__grid_id", "details"
    ).iterator(chunk_size=2000):
        if _detail_touches(entry_grid, personal, numbers) or number.is_in(personal):
            yield Finding("audit", pk, _entry_words(pk, action), at, personal)
    entries = (
        AuditEntry.objects.filter(_entries_of(system))
        .order_by("id")
        .values_list("id", "at", "action", "details")
    )
    for pk, at, action, held in entries.iterator(chunk_size=2000):
        if number.is_in(held):
            yield Finding("audit_chain", pk, _entry_words(pk, action), at, held)


def _entry_words(pk: int, action: str) -> str:
    return _("history entry #%(id)s: %(what)s") % {
        "id": pk,
        "what": AuditEntry.Action(action).label if action in AuditEntry.Action else action,
    }


def _edit_touches(changes: Any, deleted: Any, row_ids: set[int]) -> bool:
    """Did the edit change one of the person's rows ([row id, column, old, new] per cell)?"""
    return any(c and c[0] in row_ids for c in changes or []) or any(
        isinstance(d, dict) and d.get("id") in row_ids for d in deleted or []
    )


def _detail_touches(grid: int | None, held: Any, numbers: set[tuple[int, int]]) -> bool:
    """Does an edit's audit detail name one of the person's rows (by its row number)?"""
    if grid is None or not isinstance(held, dict):
        return False
    mentioned = [c[0] for c in held.get("changes", []) if isinstance(c, list) and c]
    mentioned += [r[0] for r in held.get("rows", []) if isinstance(r, list) and r]
    return any((grid, n) in numbers for n in mentioned)


def person_find(
    *, phone: str, system: ThuliumSystem, actor: Any, audited: bool = True
) -> PersonData:
    """Every place of `system` that holds the number. Audited: who searched, and (as a
    personal detail, erased with the rest) for which number."""
    number = Number.parse(phone)
    found = PersonData(number, list(_scan(number, system)))
    if audited:
        audit(
            action=AuditEntry.Action.PERSON_FOUND,
            actor=actor,
            system=system,
            items=sum(found.counts().values()),
            phone=number.national,
        )
    return found


def person_export(*, phone: str, system: ThuliumSystem, actor: Any) -> bytes:
    """One JSON file of everything `system` holds about the number, for the person (audited)."""
    number = Number.parse(phone)
    found = PersonData(number, list(_scan(number, system)))
    document = {
        "number": number.national,
        "system": system.name,
        "exported_at": timezone.now(),
        "items": [
            {
                "kind": f.kind,
                "what": str(PLACES[f.kind]),
                "where": f.where,
                "at": f.at,
                "data": f.data,
            }
            for f in found.findings
        ],
    }
    audit(
        action=AuditEntry.Action.PERSON_EXPORTED,
        actor=actor,
        system=system,
        items=len(found.findings),
        phone=number.national,
    )
    return json.dumps(document, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder).encode()


@dataclass(frozen=True)
class Erasure:
    erased: dict[str, int]
    left: dict[str, int]  # what a second search still found (only the chain's, if anything)
    entry_id: int
    do_not_contact: bool = False  # the number was put on the system's do-not-contact list


def person_erase(
    *,
    phone: str,
    system: ThuliumSystem,
    reason: str,
    actor: Any,
    do_not_contact: bool = False,
) -> Erasure:
    """Delete or blank every place of `system` that holds the number, in one transaction, and
    leave a tombstone in that system's history: who, when, the reason, how many items — no
    number. A second search, in the same transaction, confirms nothing is left. With
    `do_not_contact`, the number goes on the system's do-not-contact list in the same
    transaction (as a keyed hash: the list is no store of numbers)."""
    number = Number.parse(phone)
    reason = (reason or "").strip()
    if not reason:
        raise PersonRequestProblem(
            _("Say why the data is erased (for example: the person's request of 3 December).")
        )
    if number.is_in(reason):
        raise PersonRequestProblem(
            _(
                "The reason must not contain the phone number: it stays in the audit log after "
                "the number is erased. Describe the request without it."
            )
        )
    with transaction.atomic():
        found = PersonData(number, list(_scan(number, system)))
        grids = set(
            Row.objects.filter(id__in=_keys(found.of("row"))).values_list("grid", flat=True)
        )
        for grid_id in sorted(grids):  # in the one order every write locks grids in
            grid_lock(grid_id)
        busy = Submission.objects.filter(grid__in=grids, state__in=Submission.ACTIVE_STATES)
        if sending := busy.first():
            raise PersonRequestProblem(
                _(
                    "Grid #%(grid)s holding the number is being sent to Thulium: wait until the "
                    "sending ends (or cancel it), then erase."
                )
                % {"grid": sending.grid_id}
            )
        erasers: dict[str, Callable[[list[Finding], Number], object]] = {
            "row": _erase_rows,
            "upload": _erase_upload_rows,
            "outcome": _erase_outcomes,
            "edit": lambda f, n: _erase_edits(f, n, set(_keys(found.of("row")))),
            "chunk": _erase_chunk_values,
            "sent_fields": lambda f, _n: SentFields.objects.filter(id__in=_keys(f)).delete(),
            "thulium_now": lambda f, _n: ThuliumNow.objects.filter(id__in=_keys(f)).delete(),
            # A cache: the whole kept listing goes (the next upload reads it again).
            "listing": lambda f, _n: CampaignListing.objects.filter(id__in=_keys(f)).update(
                records=[], read_at=None, state=CampaignListing.State.READ, progress={}
            ),
            "grid": _erase_grid_notes,
            "submission": _erase_submission_words,
        }
        for kind, erase in erasers.items():
            if places := found.of(kind):
                erase(places, number)
        erased = found.counts()
        erased.pop("audit_chain", None)
        tombstone = audit_details_erase(
            entry_ids=_keys(found.of("audit")),
            action=AuditEntry.Action.PERSON_ERASED,
            actor=actor,
            system=system,
            reason=reason,
            items=erased,
        )
        left = PersonData(number, list(_scan(number, system))).counts()
        if do_not_contact:
            do_not_contact_add(system=system, phone=phone, reason=reason, actor=actor)
    return Erasure(erased, left, tombstone.pk, do_not_contact)


def _keys(findings: list[Finding]) -> list[Any]:
    return [f.key for f in findings]


def _erase_rows(findings: list[Finding], number: Number) -> None:
    """The rows go (a row is one person's record change); their grids count again."""
    grids = set(Row.objects.filter(id__in=_keys(findings)).values_list("grid_id", flat=True))
    Row.objects.filter(id__in=_keys(findings)).delete()
    for grid in Grid.objects.filter(id__in=grids):
        counts = dict(grid.rows.values_list("state").annotate(n=Count("id")).order_by())
        grid.rows_total = sum(counts.values())
        grid.rows_valid = counts.get(Row.State.VALID, 0)
        grid.rows_warning = counts.get(Row.State.WARNING, 0)
        grid.rows_error = counts.get(Row.State.ERROR, 0)
        grid.save(update_fields=["rows_total", "rows_valid", "rows_warning", "rows_error"])


def _erase_upload_rows(findings: list[Finding], number: Number) -> None:
    for pk in {block for block, _n in _keys(findings)}:
        block = UploadBlock.objects.get(pk=pk)
        kept = [
            [n, cells]
            for n, cells in json.loads(zlib.decompress(block.rows))
            if not number.is_in(cells)
        ]
        block.rows = zlib.compress(json.dumps(kept, separators=(",", ":")).encode("ascii"), 1)
        block.save(update_fields=["rows"])


def _erase_outcomes(findings: list[Finding], number: Number) -> None:
    """The verdict stays (the sending's figures), what identified the person goes."""
    RowOutcome.objects.filter(id__in=_keys(findings)).update(
        phone="", sent={}, before={}, message=""
    )


def _erase_edits(findings: list[Finding], number: Number, row_ids: set[int]) -> None:
    """Each edit keeps its other cells (their undo still works) and loses the person's."""
    for edit in Edit.objects.filter(id__in=_keys(findings)):
        edit.changes = [c for c in edit.changes if c[0] not in row_ids and not number.is_in(c)]
        edit.deleted = [
            d for d in edit.deleted if d.get("id") not in row_ids and not number.is_in(d)
        ]
        if edit.columns_before and number.is_in(edit.columns_before):
            edit.columns_before = None
        edit.save(update_fields=["changes", "deleted", "columns_before"])


def _erase_chunk_values(findings: list[Finding], number: Number) -> None:
    for chunk in Chunk.objects.filter(id__in=_keys(findings)):
        chunk.before = {k: v for k, v in chunk.before.items() if not number.is_in(v)}
        chunk.save(update_fields=["before"])


def _erase_grid_notes(findings: list[Finding], number: Number) -> None:
    for grid in Grid.objects.filter(id__in=_keys(findings)):
        if number.is_in(grid.file_name):
            grid.file_name = ""
        filters = dict(grid.pull_filters or {})
        notes = filters.get("cannot_put_back")
        if isinstance(notes, dict):
            filters["cannot_put_back"] = {
                k: v for k, v in notes.items() if not number.is_in(k) and not number.is_in(v)
            }
        grid.pull_filters = filters
        grid.save(update_fields=["file_name", "pull_filters"])


def _erase_submission_words(findings: list[Finding], number: Number) -> None:
    Submission.objects.filter(id__in=_keys(findings)).filter(
        Q(problem__gt="") | Q(pause_cause__gt="")
    ).update(problem="", pause_cause="")
