"""What the campaign pages show from Thulium, kept in the database (`ThuliumSnapshot`) so that a
page never waits on Thulium: a system's campaign list with counts and completion, and per
campaign its statuses (the pull form), record counts (the charts) and agents (for the guesses
made while a file's columns are mapped, which must not wait on Thulium either).

A page reads the kept figures. When they are older than CAMPAIGN_FIGURES_MAX_AGE_SECONDS, or a
sending of the campaign ended since they were read, the page asks for a read
(`snapshot_refresh_claim`, then the `refresh_thulium_snapshot` task runs `snapshot_read`); the
claim is one conditional UPDATE, so eight supervisors on one page queue one read. Only figures
never read yet are read in the request itself: there is nothing else to show.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation

from campaigns import thulium
from campaigns.models import Campaign, Submission, ThuliumSnapshot, ThuliumSystem
from campaigns.services.campaigns import (
    CampaignOverview,
    RecordBreakdown,
    campaign_overview_list,
    campaign_record_breakdown,
)
from campaigns.services.connection import describe_thulium_error, thulium_client

logger = logging.getLogger(__name__)

# A read asked for and not done after this long is taken for lost (its worker died, or the
# queue was cleared): the next page asks again.
LOST_AFTER = timedelta(minutes=5)
# A campaign id the kept list lacks is looked up in Thulium again, in the request, only when
# the list is older than this: a campaign made in Thulium a moment ago opens at once, and a
# mistyped id does not reach Thulium on every try.
UNKNOWN_ID_REREAD = timedelta(seconds=10)
# Figures never read, whose read failed this recently, are not read again in the request: the
# pages show the problem at once instead of each waiting on a Thulium that just failed.
FAILED_READ_HOLD = timedelta(seconds=10)


def snapshot_of(*, system: ThuliumSystem, thulium_id: str = "") -> ThuliumSnapshot:
    """The kept figures of the system's campaign list (`thulium_id` "") or of one campaign;
    an empty snapshot the first time."""
    snapshot, _made = ThuliumSnapshot.objects.select_related("system").get_or_create(
        system=system, thulium_id=thulium_id
    )
    return snapshot


def snapshot_read(
    *,
    snapshot: ThuliumSnapshot,
    client: thulium.ThuliumClient | None = None,
    deadline: float | None = None,
) -> ThuliumSnapshot:
    """Read the figures from Thulium now and keep them; a failed read keeps the figures there
    were and records why. `client` speaks to the snapshot's system (one is made when None).
    Never call it inside a transaction: the read takes as long as Thulium does."""
    system = snapshot.system
    try:
        if client is None:
            with thulium_client(system=system, deadline=deadline) as own:
                figures = _figures(snapshot, own)
        else:
            figures = _figures(snapshot, client)
    except thulium.ThuliumError as error:
        logger.warning("thulium %s: figures of %s: %s", system.name, snapshot, error)
        ThuliumSnapshot.objects.filter(pk=snapshot.pk).update(
            problem=_in_each_language(error, system),
            tried_at=timezone.now(),
            refresh_requested_at=None,
        )
    else:
        now = timezone.now()
        ThuliumSnapshot.objects.filter(pk=snapshot.pk).update(
            figures=figures, read_at=now, tried_at=now, problem={}, refresh_requested_at=None
        )
    snapshot.refresh_from_db()
    return snapshot


def _in_each_language(error: thulium.ThuliumError, system: ThuliumSystem) -> dict[str, str]:
    worded = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            worded[code] = describe_thulium_error(error, system=system)
    return worded


def _figures(snapshot: ThuliumSnapshot, client: thulium.ThuliumClient) -> object:
    if not snapshot.thulium_id:
        return [asdict(overview) for overview in campaign_overview_list(client=client)]
    # Only the campaign's id is asked of it: the counts are Thulium's.
    campaign = Campaign(system=snapshot.system, thulium_id=snapshot.thulium_id)
    return {
        "statuses": [asdict(status) for status in client.statuses(snapshot.thulium_id)],
        # Not shown: kept for the guesses that must not wait on Thulium (reading a file's
        # columns), in whichever process serves them (validation.campaign_rules_cached).
        "agents": [asdict(agent) for agent in client.agents(snapshot.thulium_id)],
        "breakdown": asdict(campaign_record_breakdown(campaign=campaign, client=client)),
    }


def snapshot_failed_lately(snapshot: ThuliumSnapshot) -> bool:
    """Its last read failed within FAILED_READ_HOLD."""
    return (
        bool(snapshot.problem)
        and snapshot.tried_at is not None
        and timezone.now() - snapshot.tried_at < FAILED_READ_HOLD
    )


def snapshot_due(snapshot: ThuliumSnapshot, *, now: datetime | None = None) -> bool:
    """The figures should be read again: older than CAMPAIGN_FIGURES_MAX_AGE_SECONDS (counted
    from the last try, so a failing Thulium is not asked on every page), or a sending of the
    campaign ended since."""
    if snapshot.tried_at is None:
        return True
    now = now or timezone.now()
    if now - snapshot.tried_at > timedelta(seconds=settings.CAMPAIGN_FIGURES_MAX_AGE_SECONDS):
        return True
    return bool(snapshot.thulium_id) and (
        Submission.objects.filter(
            campaign__system=snapshot.system_id,
            campaign__thulium_id=snapshot.thulium_id,
            finished_at__gt=snapshot.tried_at,
        ).exists()
    )


def snapshot_refresh_claim(*, snapshot: ThuliumSnapshot, now_anyway: bool = False) -> bool:
    """Ask for a background read of the figures when they are due (`now_anyway`: asked by a
    person). True for exactly one of any number of pages asking at once: the caller queues
    the read. The claim holds while a read is asked for (or until LOST_AFTER), and only for
    the try the caller saw: a page that saw figures read since asks for nothing."""
    now = timezone.now()
    if not now_anyway and not snapshot_due(snapshot, now=now):
        return False
    seen = Q(tried_at__isnull=True) if snapshot.tried_at is None else Q(tried_at=snapshot.tried_at)
    claimed = (
        ThuliumSnapshot.objects.filter(seen, pk=snapshot.pk)
        .filter(Q(refresh_requested_at__isnull=True) | Q(refresh_requested_at__lt=now - LOST_AFTER))
        .update(refresh_requested_at=now)
    )
    if claimed:
        snapshot.refresh_requested_at = now
    return claimed == 1


def snapshot_reading(snapshot: ThuliumSnapshot) -> bool:
    """A read of these figures is asked for and not done yet (nor lost)."""
    asked = snapshot.refresh_requested_at
    return asked is not None and timezone.now() - asked <= LOST_AFTER


def snapshot_campaigns(snapshot: ThuliumSnapshot) -> list[CampaignOverview]:
    """The system's campaigns as last read ([] when never read)."""
    return [CampaignOverview(**item) for item in snapshot.figures or []]


def snapshot_campaign(snapshot: ThuliumSnapshot, thulium_id: str) -> CampaignOverview | None:
    """One campaign of the system's kept list, None when the list lacks it."""
    return next((c for c in snapshot_campaigns(snapshot) if c.id == thulium_id), None)


def snapshot_statuses(snapshot: ThuliumSnapshot) -> list[thulium.Status]:
    """The campaign's statuses as last read ([] when never read)."""
    return [thulium.Status(**item) for item in (snapshot.figures or {}).get("statuses", [])]


def snapshot_breakdown(snapshot: ThuliumSnapshot) -> RecordBreakdown | None:
    """The campaign's records at a glance as last read (None when never read)."""
    kept = (snapshot.figures or {}).get("breakdown")
    if kept is None:
        return None
    return RecordBreakdown(
        total=kept["total"],
        by_status=[(name, count) for name, count in kept["by_status"]],
        by_system_status=[(name, count) for name, count in kept["by_system_status"]],
        completion_percent=kept["completion_percent"],
    )
