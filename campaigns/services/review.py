"""The review before a sending: the campaign read once, and what the sending would change.

Every sending needs one (see `submission_create`): the person sees how many rows go, what each
column becomes, what is left out and why, and the exact JSON of the first rows, as of a read of
the campaign's records that the sending then reuses for its before-values.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import thulium
from campaigns.collector import cycle_collector_paused
from campaigns.database.bulk_sql import as_text, json_value
from campaigns.exceptions import ReviewProblem
from campaigns.models import (
    AuditEntry,
    CampaignField,
    Duplicates,
    Grid,
    MatchBy,
    Outcome,
    Row,
)
from campaigns.rules.messages import ERROR, WARNING
from campaigns.rules.stored_values import shown_as_stored, stored_text
from campaigns.rules.targets import FIELD_PREFIX
from campaigns.rules.validation import CampaignRules
from campaigns.selectors.sendings import sendable_rows
from campaigns.services.audit import audit
from campaigns.services.grid_checks import grid_validate
from campaigns.services.listing import campaign_sent_since
from campaigns.services.locking import grid_lock
from campaigns.services.problems import ProblemGroup, grid_problem_groups
from campaigns.services.rows import values_payload
from campaigns.services.submissions import review_token
from campaigns.services.thulium_now import Comparison, grid_compare

# Errors the review names on their own; the others are counted together.
LEFT_OUT_CODES = {
    "phone_not_in_campaign": gettext_lazy("Thulium has no record with this number"),
    "phone_held_more_than_once": gettext_lazy("the campaign holds the number more than once"),
    "phone_exists": gettext_lazy("Thulium already has a record with this number"),
    "field_refused": gettext_lazy("a field Thulium does not know"),
    "identifier_not_in_campaign": gettext_lazy("Thulium has no record with this identifier"),
    "identifier_needed": gettext_lazy("no identifier to find the record by"),
    "do_not_contact_add": gettext_lazy("the number is on the do-not-contact list"),
    "do_not_contact_edit": gettext_lazy("the number is on the do-not-contact list"),
}
FIRST_ROWS = 3
# Seconds between two notes of a read's progress.
PROGRESS_EVERY = 0.5


@dataclass(frozen=True)
class Change:
    """One line of the review: in `column`, `count` rows get `to` ("" for "is set")."""

    column: str
    to: str
    count: int


@dataclass(frozen=True)
class KindGroup:
    """An upsert review's rows of one kind: how many go, and the exact JSON of the first."""

    kind: str
    rows: int
    first_rows_json: str

    @property
    def label(self) -> str:
        return str(KIND_WORDS.get(self.kind, KIND_WORDS[""]))


KIND_WORDS = {
    Grid.Mode.EDIT: gettext_lazy("Updated: the campaign holds the number (batch PUT)"),
    Grid.Mode.ADD: gettext_lazy("Added: the campaign lacks the number (batch POST)"),
    "": gettext_lazy("Not read yet: review again to read the campaign's records"),
}


@dataclass(frozen=True)
class Review:
    grid: Grid
    resend: bool
    include_unchanged: bool
    rows: int
    changes: list[Change]
    left_out: list[tuple[str, int]]
    # The rows that go with a warning, by kind (each group a filter of the grid).
    warnings: list[ProblemGroup]
    unchanged: int
    first_rows_json: str
    # Fields the sending sets that Thulium has never taken: the canary will tell.
    untried_fields: list[str]
    read_at: datetime | None
    comparison: Comparison | None
    token: str
    # An upsert grid's rows by how each goes, edits first ([] in other modes).
    kinds: list[KindGroup] = field(default_factory=list)

    @property
    def fresh(self) -> bool:
        """Is the campaign's read recent enough to send on?"""
        if self.read_at is None:
            return False
        age = (timezone.now() - self.read_at).total_seconds()
        return age <= settings.SUBMISSION_REVIEW_MAX_AGE


def grid_can_find_by_identifier(grid: Grid) -> bool:
    """Can the grid find its records by identifier (an edit or upsert grid mapping an
    identifier)?"""
    return grid.mode in (Grid.Mode.EDIT, Grid.Mode.UPSERT) and "identifier" in grid.mapping


def grid_sending_options_set(
    *,
    grid: Grid,
    search_additional: bool,
    duplicates: str,
    rules: CampaignRules,
    actor: User | None,
    match_by: str = MatchBy.PHONE,
) -> Grid:
    """Choose how the grid's rows find their records; its rows are checked again. Finding
    them by identifier needs an edit grid whose file maps an identifier column."""
    with transaction.atomic():
        grid = grid_lock(grid)
        if match_by == MatchBy.IDENTIFIER and not grid_can_find_by_identifier(grid):
            raise ReviewProblem(
                _(
                    "Only an edit or add-or-update grid whose file has an identifier column can "
                    "find records by identifier: map a column to Identifier, or find records by "
                    "phone number."
                )
            )
        was = {
            "search_additional": grid.search_additional,
            "duplicates": grid.duplicates,
            "match_by": grid.match_by,
        }
        grid.search_additional = search_additional
        grid.duplicates = Duplicates(duplicates)
        grid.match_by = MatchBy(match_by)
        grid.save(update_fields=["search_additional", "duplicates", "match_by"])
        grid_validate(grid=grid, rules=rules)
        audit(
            action=AuditEntry.Action.SENDING_OPTIONS,
            actor=actor,
            campaign=grid.campaign,
            grid_id=grid.pk,
            old=was,
            new={
                "search_additional": search_additional,
                "duplicates": duplicates,
                "match_by": match_by,
            },
        )
    return grid


def grid_read_is_recent(grid: Grid) -> bool:
    """The grid was compared with the campaign's listing recently enough (LISTING_FRESH_SECONDS),
    and no sending of the campaign ran since, for a review to use that read instead of reading
    the campaign again. An upsert grid's read must also have classified every row that could
    go (a row typed in since has no kind)."""
    return (
        grid.compared_at is not None
        and timezone.now() - grid.compared_at <= timedelta(seconds=settings.LISTING_FRESH_SECONDS)
        and not campaign_sent_since(grid.campaign_id, grid.compared_at)
        and not (
            grid.mode == Grid.Mode.UPSERT
            and grid.rows.sendable().filter(kind="").exclude(phone="").exists()
        )
    )


def grid_review_read(
    *,
    grid: Grid,
    client: thulium.ThuliumClient,
    on_page: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Read the campaign's records for the review (and the sending after it). How far the read
    is stays on the grid while it runs (`read_progress`), for the page to show."""
    shown = [0.0]

    def progress(read: int, total: int) -> None:
        now = time.monotonic()
        if now - shown[0] >= PROGRESS_EVERY or read >= total:
            shown[0] = now
            Grid.objects.filter(pk=grid.pk).update(read_progress={"read": read, "total": total})
        if on_page is not None:
            on_page(read, total)

    Grid.objects.filter(pk=grid.pk).update(read_progress={"read": 0, "total": 0})
    try:
        return grid_compare(grid=grid, client=client, on_page=progress)
    finally:
        Grid.objects.filter(pk=grid.pk).update(read_progress={})


@cycle_collector_paused()
def grid_review(
    *,
    grid: Grid,
    rules: CampaignRules,
    resend: bool = False,
    include_unchanged: bool = False,
    comparison: Comparison | None = None,
) -> Review:
    """What a sending of the grid would do now, from its rows and the last read of the
    campaign (no Thulium call)."""
    grid.refresh_from_db()
    going = sendable_rows(grid, resend=resend, include_unchanged=include_unchanged)
    # Counted by what changes, worded once at the end: wording each row's changes cost a
    # tenth of a 100,000-row review in gettext.
    kinds: Counter[tuple[str, str]] = Counter()
    first: list[dict[str, object]] = []
    sent_fields: set[str] = set()
    count = 0
    by_kind: dict[str, list[Any]] = {}  # kind → [rows, first payloads]
    upsert = grid.mode == Grid.Mode.UPSERT
    going_values = going.order_by("number", "id").values_list(as_text("values"), "kind")
    for values_text, kind in going_values.iterator(2000):
        values = json_value(values_text)
        count += 1
        if upsert:
            group = by_kind.setdefault(kind, [0, []])
            group[0] += 1
        try:
            payload = values_payload(grid, values, kind=kind)
        except Exception as error:  # stored by an older version or a bug: shown as stored
            shown_as_stored("review row", values, error)
            payload = values if isinstance(values, dict) else {"values": stored_text(values)}
            if len(first) < FIRST_ROWS:
                first.append(payload)
            continue
        # Found by identifier, an edit is its own request: the identifier is its address.
        shown = (
            {"identifier": values.get("identifier"), "body": payload}
            if grid.finds_by_identifier and grid.sends_as(kind) == Grid.Mode.EDIT
            else payload
        )
        if upsert and len(group[1]) < FIRST_ROWS:
            group[1].append(shown)
        if len(first) < FIRST_ROWS:
            first.append(shown)
        kinds.update(_change_kinds(payload))
        sent_fields.update(dict(payload.get("record_fields") or {}))
    statuses = {s.status_id: s.name for s in rules.statuses}
    changes: Counter[tuple[str, str]] = Counter()
    for kind, n in kinds.items():
        changes[_change_words(kind, statuses)] += n
    rows = grid.rows.all() if not resend else grid.rows.exclude(outcome=Outcome.NONE)
    left_out = _left_out(rows.filter(state=Row.State.ERROR))
    unchanged = (
        0
        if include_unchanged
        else sendable_rows(grid, resend=resend, include_unchanged=True).count()
        - sendable_rows(grid, resend=resend).count()
    )
    declared = set(
        grid.campaign.fields.filter(state=CampaignField.State.DECLARED).values_list(
            "name", flat=True
        )
    )
    return Review(
        grid=grid,
        resend=resend,
        include_unchanged=include_unchanged,
        rows=count,
        changes=[
            Change(column, to, n)
            for (column, to), n in sorted(changes.items(), key=lambda item: (item[0][0], -item[1]))
        ],
        left_out=left_out,
        warnings=[
            group
            for group in grid_problem_groups(
                grid, rules, rows=going.filter(state=Row.State.WARNING)
            )
            if group.level == WARNING
        ],
        unchanged=unchanged,
        first_rows_json=json.dumps(first, ensure_ascii=False, indent=2, default=stored_text),
        untried_fields=sorted(declared & sent_fields),
        read_at=grid.compared_at,
        comparison=comparison,
        token=review_token(grid, resend=resend, include_unchanged=include_unchanged, rows=count),
        kinds=[
            KindGroup(
                kind,
                by_kind[kind][0],
                json.dumps(by_kind[kind][1], ensure_ascii=False, indent=2, default=stored_text),
            )
            for kind in (Grid.Mode.EDIT, Grid.Mode.ADD, "")
            if kind in by_kind
        ],
    )


def _change_kinds(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the payload changes, as (what, value) keys, not yet in words."""
    found = []
    if "status_id" in payload:
        found.append(("status_id", str(payload["status_id"])))
    for key in ("dictionary_status_id", "agent_login"):
        if key in payload:
            found.append((key, str(payload[key])))
    for key in ("next_call_date", "identifier", "order"):
        if key in payload:
            found.append((key, ""))
    for name, value in dict(payload.get("record_fields") or {}).items():
        found.append((FIELD_PREFIX + name, "" if value else "cleared"))
    return found


def _change_words(kind: tuple[str, str], statuses: dict[str, str]) -> tuple[str, str]:
    """A change key in the reader's words: (column, to)."""
    what, value = kind
    if what.startswith(FIELD_PREFIX):
        return _("Field “%(name)s”") % {"name": what.removeprefix(FIELD_PREFIX)}, (
            _("cleared") if value else ""
        )
    words = {
        "status_id": _("Status"),
        "dictionary_status_id": _("Dictionary status"),
        "agent_login": _("Agent"),
        "next_call_date": _("Next call date"),
        "identifier": _("Identifier"),
        "order": _("Order"),
    }
    return words[what], statuses.get(value, value) if what == "status_id" else value


def _left_out(errors: QuerySet[Row]) -> list[tuple[str, int]]:
    """Rows with errors by the reason the review names (the first of a row's errors it knows)."""
    reasons: Counter[str] = Counter()
    for messages in errors.values_list("messages", flat=True):
        codes = [m["code"] for m in messages if m["level"] == ERROR]
        known = next((c for c in codes if c in LEFT_OUT_CODES), None)
        reasons[str(LEFT_OUT_CODES[known]) if known else _("other errors in the row")] += 1
    return reasons.most_common()
