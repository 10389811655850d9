"""Reading the history: audit entries filtered, a phone number's timeline, and exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import tablib
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Concat, TruncDate
from django.utils import timezone

from campaigns.access import Access, earlier_history_system
from campaigns.intake.safe_files import dataset_bytes
from campaigns.intake.text import fold_digits
from campaigns.models import REFUSED_OUTCOMES, AuditEntry, RowOutcome, Submission, ThuliumSystem
from campaigns.presentation.audit_sentences import entry_said
from campaigns.presentation.timeline_words import TimelineEntry, timeline_entry
from campaigns.rules.stored_values import cut_short, one_render
from campaigns.services.audit import audit
from campaigns.services.validation import campaign_status_names

# The history's filter for every export and download of rows, whatever it exported.
EXPORTS = "exports"
# An export's details cell: the changes an entry lists (the rest counted), and its length at
# most (Excel holds 32,767 characters in a cell).
EXPORT_CHANGES = 1000
EXPORT_DETAILS_CHARS = 30000


@dataclass(frozen=True)
class HistoryFilter:
    system: str = ""  # a system's name: campaign ids repeat across systems
    campaign: str = ""
    user: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_query(cls, query: Any) -> HistoryFilter:
        return cls(
            system=query.get("system", "").strip(),
            campaign=query.get("campaign", "").strip(),
            user=query.get("user", "").strip(),
            action=query.get("action", "").strip(),
            since=_day(query.get("since", "")),
            until=_day(query.get("until", "")),
        )


def history_entries(filters: HistoryFilter, *, access: Access) -> QuerySet[AuditEntry]:
    """The entries the filter asks for, among those `access` may read (Access.entries_q)."""
    earlier = earlier_history_system()
    entries = AuditEntry.objects.filter(access.entries_q(earlier))
    if filters.system:
        system_id = (
            ThuliumSystem.objects.filter(name=filters.system).values_list("pk", flat=True).first()
        )
        in_system = Q(system_id=system_id) if system_id is not None else Q(pk__in=[])
        if system_id is not None and system_id == earlier:
            in_system |= Q(system_id__isnull=True) & ~Q(campaign="")
        entries = entries.filter(in_system)
    if filters.campaign:
        entries = entries.filter(campaign=filters.campaign)
    if filters.user:
        # By login, as the entry stored it, or by the account's full name, as pages show it.
        named = (
            get_user_model()
            .objects.annotate(full_name=Concat("first_name", Value(" "), "last_name"))
            .filter(full_name__iexact=filters.user)
        )
        entries = entries.filter(Q(actor_name=filters.user) | Q(actor__in=named))
    if filters.action == EXPORTS:
        entries = entries.filter(action__in=AuditEntry.EXPORT_ACTIONS)
    elif filters.action:
        entries = entries.filter(action=filters.action)
    if filters.since:
        entries = entries.filter(at__gte=_moment(filters.since, time.min))
    if filters.until:
        entries = entries.filter(at__lte=_moment(filters.until, time.max))
    return entries.select_related("detail", "actor").order_by("-id")


def history_page(
    filters: HistoryFilter, *, access: Access, before: int | None, size: int = 100
) -> list[Any]:
    """One page, newest first, by keyset on the entry id."""
    entries = history_entries(filters, access=access)
    if before:
        entries = entries.filter(id__lt=before)
    return list(entries[:size])


def phone_timeline(phone: str, *, access: Access) -> QuerySet[RowOutcome]:
    """Every change sent for a phone number, across the grids and campaigns `access` sees,
    with Thulium's verdict and the record's values just before."""
    digits = "".join(ch for ch in fold_digits(phone) if ch in "0123456789+")
    return (
        RowOutcome.objects.filter(Q(phone=digits) | Q(phone="", row__phone=digits))
        .filter(access.campaigns_q("submission__campaign__"))
        .select_related("submission__campaign__system", "submission__author", "row")
        .order_by("-at", "-id")
    )


def phone_timeline_shown(phone: str, *, access: Access, limit: int = 500) -> list[TimelineEntry]:
    """The phone's timeline as the page shows it: statuses by the names Thulium last gave
    them (without asking it now), agents with their names, dates in the reader's format."""
    outcomes = list(phone_timeline(phone, access=access)[:limit])
    names = {
        campaign: campaign_status_names(campaign_pk=campaign)
        for campaign in {o.submission.campaign_id for o in outcomes}
    }
    with one_render():
        return [
            timeline_entry(
                outcome,
                status_names=names[outcome.submission.campaign_id],
                agent_names=outcome.submission.campaign.agent_names,
            )
            for outcome in outcomes
        ]


def history_export(filters: HistoryFilter, fmt: str, *, access: Access, actor: Any = None) -> bytes:
    """The filtered entries `access` may read, as CSV (UTF-8 with BOM, for Excel) or XLSX. The
    export is audited."""
    dataset = tablib.Dataset(
        headers=[
            "id",
            "at",
            "user",
            "login",
            "action",
            "system",
            "campaign",
            "grid",
            "submission",
            "details",
        ]
    )
    with one_render():
        systems = dict(ThuliumSystem.objects.values_list("pk", "name"))
        for entry in history_entries(filters, access=access).iterator(chunk_size=2000):
            dataset.append(
                [
                    entry.pk,
                    timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                    entry.actor_full_name,
                    entry.actor_login,
                    entry.get_action_display(),
                    systems.get(entry.system_id or 0, ""),
                    entry.campaign,
                    entry.grid_id or "",
                    entry.submission_id or "",
                    details_text(entry),
                ]
            )
    audit(
        action=AuditEntry.Action.EXPORT,
        actor=actor,
        format=fmt,
        rows=dataset.height,
        filters={
            "system": filters.system,
            "campaign": filters.campaign,
            "user": filters.user,
            "action": filters.action,
            "since": filters.since,
            "until": filters.until,
        },
    )
    return dataset_bytes(dataset, fmt)


def details_text(entry: AuditEntry) -> str:
    """The entry's details as the page says them, one sentence a line, for an export."""
    text = entry_said(entry, limit=EXPORT_CHANGES).text()
    return cut_short(text, EXPORT_DETAILS_CHARS - 1)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _moment(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


@dataclass(frozen=True)
class DayActivity:
    day: date
    sendings: int
    refused_rows: int


def history_activity(
    *, access: Access, days: int = 30, system: str = "", campaign: str = ""
) -> list[DayActivity]:
    """Sendings started and rows Thulium refused in the campaigns `access` sees, per day (in
    the user's time zone), for the last `days` days up to today, days without any included."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = _moment(first, time.min)
    zone = timezone.get_current_timezone()
    sendings = Submission.objects.filter(created_at__gte=since).filter(
        access.campaigns_q("campaign__")
    )
    refused = RowOutcome.objects.filter(at__gte=since, outcome__in=REFUSED_OUTCOMES).filter(
        access.campaigns_q("submission__campaign__")
    )
    if system:
        sendings = sendings.filter(campaign__system__name=system)
        refused = refused.filter(submission__campaign__system__name=system)
    if campaign:
        sendings = sendings.filter(campaign__thulium_id=campaign)
        refused = refused.filter(submission__campaign__thulium_id=campaign)
    per_day = {}
    for name, found, column in (("sendings", sendings, "created_at"), ("refused", refused, "at")):
        per_day[name] = dict(
            found.annotate(day=TruncDate(column, tzinfo=zone))
            .values("day")
            .annotate(n=Count("id"))
            .values_list("day", "n")
            .order_by()
        )
    return [
        DayActivity(
            day=day,
            sendings=per_day["sendings"].get(day, 0),
            refused_rows=per_day["refused"].get(day, 0),
        )
        for day in (first + timedelta(days=n) for n in range(days))
    ]
