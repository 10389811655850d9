"""Retention: a grid's personal data is kept its system's days (RETENTION_DAYS where the system
sets none), or its campaign's longer hold, after its last sending or edit, then erased —
keeping what history needs without it: counts by outcome, who sent what and when, Thulium's
request ids.

What goes (each place is listed in the README's "Personal data"): the rows' cells, values,
phones and messages; the outcomes' phones, payloads, before-values and messages; the
chunks' before-values; the grid's edit history, upload blocks and comparison with Thulium;
its file name; and the personal details of its audit entries. Sent record fields go after the
same time without being sent again, and audit details that belong to no grid (failed logins,
a person's searches) after their system's days, or RETENTION_DAYS for those of no system.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import (
    AuditDetail,
    AuditEntry,
    Campaign,
    Chunk,
    Edit,
    Grid,
    Outcome,
    RowOutcome,
    SentFields,
    Submission,
    ThuliumNow,
    ThuliumSystem,
    UploadBlock,
)
from campaigns.services.audit import audit_details_erase
from campaigns.services.listing import campaign_listings_forget
from campaigns.services.locking import grid_lock


def system_retention_days(system: ThuliumSystem) -> int:
    """How long a system's personal data is kept: its own days (each system is its own data
    controller, and may keep less or more), else RETENTION_DAYS."""
    return system.retention_days or settings.RETENTION_DAYS


def campaign_retention_days(campaign: Campaign) -> int:
    """How long the campaign's personal data is kept: its system's days, or its longer hold."""
    return max(system_retention_days(campaign.system), campaign.retention_days or 0)


@dataclass(frozen=True)
class PurgeGrid:
    grid_id: int
    campaign: str
    last_activity: datetime
    days: int
    rows: int


@dataclass
class PurgePlan:
    """What a purge erases (or, for --dry-run, would erase)."""

    grids: list[PurgeGrid] = field(default_factory=list)
    outcomes: int = 0
    edits: int = 0
    sent_fields: int = 0
    details: int = 0

    @property
    def rows(self) -> int:
        return sum(grid.rows for grid in self.grids)

    @property
    def empty(self) -> bool:
        return not (self.grids or self.sent_fields or self.details)


def grids_past_retention(now: datetime) -> list[PurgeGrid]:
    """Grids whose personal data has been kept its time since the last sending or edit (none
    with a sending under way)."""
    edited = dict(
        Edit.objects.values("grid").annotate(last=Max("created_at")).values_list("grid", "last")
    )
    sent = dict(
        Submission.objects.values("grid")
        .annotate(last=Max(Coalesce("finished_at", "created_at")))
        .values_list("grid", "last")
    )
    busy = set(
        Submission.objects.filter(state__in=Submission.ACTIVE_STATES).values_list("grid", flat=True)
    )
    holds = {c.pk: campaign_retention_days(c) for c in Campaign.objects.select_related("system")}
    found = []
    waiting = Grid.objects.filter(personal_data_removed_at=None).order_by("id")
    for pk, created, campaign_id, thulium_id, rows in waiting.values_list(
        "id", "created_at", "campaign_id", "campaign__thulium_id", "rows_total"
    ):
        last = max(t for t in (created, edited.get(pk), sent.get(pk)) if t is not None)
        days = holds[campaign_id]
        if pk not in busy and last <= now - timedelta(days=days):
            found.append(PurgeGrid(pk, thulium_id, last, days, rows))
    return found


def _sent_fields_past_retention(now: datetime) -> list[int]:
    ids: list[int] = []
    for campaign in Campaign.objects.select_related("system"):
        cutoff = now - timedelta(days=campaign_retention_days(campaign))
        ids += SentFields.objects.filter(campaign=campaign, updated_at__lte=cutoff).values_list(
            "id", flat=True
        )
    return ids


def _details_past_retention(now: datetime, grid_ids: list[int]) -> list[int]:
    """Audit details of the grids purged, and those of no grid kept their system's days (or
    RETENTION_DAYS)."""
    kept = AuditDetail.objects.filter(erased_by=None)
    of_grids = list(
        kept.filter(entry__grid_id__in=grid_ids).values_list("entry_id", flat=True)
        if grid_ids
        else []
    )
    own_days = {
        system.pk: system_retention_days(system)
        for system in ThuliumSystem.objects.exclude(retention_days=None)
    }
    past = Q(entry__at__lte=now - timedelta(days=settings.RETENTION_DAYS)) & ~Q(
        entry__system_id__in=list(own_days)
    )
    for system_id, days in own_days.items():
        past |= Q(entry__system_id=system_id, entry__at__lte=now - timedelta(days=days))
    loose = kept.filter(past, entry__grid_id=None).values_list("entry_id", flat=True)
    return of_grids + list(loose)


def purge_plan(*, now: datetime | None = None) -> PurgePlan:
    """What `personal_data_purge` would erase now, changing nothing."""
    now = now or timezone.now()
    grids = grids_past_retention(now)
    ids = [g.grid_id for g in grids]
    return PurgePlan(
        grids=grids,
        outcomes=RowOutcome.objects.filter(submission__grid_id__in=ids).count(),
        edits=Edit.objects.filter(grid_id__in=ids).count(),
        sent_fields=len(_sent_fields_past_retention(now)),
        details=len(_details_past_retention(now, ids)),
    )


def personal_data_purge(*, now: datetime | None = None, actor: object = None) -> PurgePlan:
    """Erase the personal data kept past its time (one transaction, one audit entry that says
    how much went and names no one). Returns what was erased."""
    now = now or timezone.now()
    campaign_listings_forget()  # a cache of minutes, not kept data: no audit entry
    with transaction.atomic():
        plan = purge_plan(now=now)
        if plan.empty:
            return plan
        ids = [g.grid_id for g in plan.grids]
        for purged in plan.grids:
            _purge_grid(purged, now)
        SentFields.objects.filter(id__in=_sent_fields_past_retention(now)).delete()
        audit_details_erase(
            entry_ids=_details_past_retention(now, ids),
            action=AuditEntry.Action.PERSONAL_DATA_PURGED,
            actor=actor,
            grids=ids,
            rows=plan.rows,
            outcomes=plan.outcomes,
            edits=plan.edits,
            sent_fields=plan.sent_fields,
        )
    return plan


def _purge_grid(purged: PurgeGrid, now: datetime) -> None:
    grid = grid_lock(purged.grid_id)
    # The rows stay, blank, with their state and outcome: the grid's counts by outcome and
    # its sendings' figures still add up.
    grid.rows.update(
        raw=[],
        values={},
        messages=[],
        phone="",
        status_id="",
        agent_login="",
        problems="",
        clears=False,
        unchanged=False,
        outcome_detail={},
    )
    RowOutcome.objects.filter(submission__grid=grid).update(
        phone="", sent={}, before={}, message=""
    )
    Chunk.objects.filter(submission__grid=grid).update(before={})
    grid.edits.all().delete()
    UploadBlock.objects.filter(grid=grid).delete()
    ThuliumNow.objects.filter(grid=grid).delete()
    filters = dict(grid.pull_filters or {})
    filters.pop("cannot_put_back", None)  # a revert's notes, by phone number
    grid.file_name = ""
    grid.pull_filters = filters
    grid.personal_data_removed_at = now
    grid.personal_data_kept_days = purged.days
    grid.save(
        update_fields=[
            "file_name",
            "pull_filters",
            "personal_data_removed_at",
            "personal_data_kept_days",
        ]
    )


def grid_removed_summary(grid: Grid) -> dict[str, object]:
    """What a grid whose personal data is gone still shows: its rows by outcome, its sendings."""
    counts = dict(
        grid.rows.exclude(outcome=Outcome.NONE)
        .values_list("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "grid": grid,
        "outcomes": [(text, counts[value]) for value, text in Outcome.choices if counts.get(value)],
        "submissions": list(grid.submissions.select_related("author").order_by("id")),
    }
