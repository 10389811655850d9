"""A Thulium system's campaigns: the list, and opening one; our record of a campaign and its
field list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from campaigns import thulium
from campaigns.models import AuditEntry, Campaign, CampaignField, ThuliumSystem
from campaigns.rules.validation import CampaignRules
from campaigns.services.audit import audit
from campaigns.services.validation import campaign_rules


@dataclass(frozen=True)
class CampaignOverview:
    id: str
    name: str
    active: bool | None
    type: str
    records_count: int | None
    completion_percent: float | None


def campaign_overview_list(*, client: thulium.ThuliumClient) -> list[CampaignOverview]:
    """Every campaign of the Thulium system with its record count and completion."""
    campaigns = client.list_campaigns()
    stats = {s.id: s for s in client.campaign_stats()}
    return sorted(
        (
            CampaignOverview(
                id=c.id,
                name=c.name,
                active=c.active,
                type=c.type,
                records_count=stats[c.id].records_count if c.id in stats else None,
                completion_percent=stats[c.id].completion_percent if c.id in stats else None,
            )
            for c in campaigns
        ),
        key=lambda c: c.id,
    )


def campaign_for(*, system: ThuliumSystem, thulium_id: str, name: str = "") -> Campaign:
    """Our record of a campaign of `system`, made on first use; keeps the name current."""
    campaign, created = Campaign.objects.select_related("system").get_or_create(
        system=system, thulium_id=thulium_id, defaults={"name": name}
    )
    if name and not created and campaign.name != name:
        campaign.name = name
        campaign.save(update_fields=["name"])
    return campaign


def campaign_fields_add(
    *, campaign: Campaign, names: Sequence[str], actor: User | None = None
) -> list[str]:
    """Add names to the campaign's field list; returns those that were new."""
    with transaction.atomic():
        return _fields_add(campaign, names, actor)


def _fields_add(campaign: Campaign, names: Sequence[str], actor: User | None) -> list[str]:
    existing = set(campaign.field_names())
    position = campaign.fields.aggregate(top=Max("position"))["top"] or 0
    added = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        if name not in existing:
            position += 1
            CampaignField.objects.create(campaign=campaign, name=name, position=position)
            added.append(name)
    if added:
        audit(
            action=AuditEntry.Action.FIELDS,
            actor=actor,
            campaign=campaign,
            fields=added,
        )
    return added


class CampaignNotFound(Exception):
    def __init__(self, thulium_id: str) -> None:
        super().__init__(thulium_id)
        self.thulium_id = thulium_id


def campaign_open(
    *, system: ThuliumSystem, thulium_id: str, client: thulium.ThuliumClient
) -> tuple[Campaign, CampaignRules]:
    """Our record of a campaign `system` has (made on first use) and its live rules; `client`
    speaks to that system."""
    found = next((c for c in client.list_campaigns() if c.id == thulium_id), None)
    if found is None:
        raise CampaignNotFound(thulium_id)
    campaign = campaign_for(system=system, thulium_id=found.id, name=found.name)
    return campaign, campaign_rules(campaign=campaign, client=client)


@dataclass(frozen=True)
class RecordBreakdown:
    """A campaign's records at a glance, as Thulium counts them now."""

    total: int
    by_status: list[tuple[str, int]]  # (status name, records); "no status" last when any
    by_system_status: list[tuple[str, int]]  # (system status, records), in Thulium's order
    completion_percent: float | None


def campaign_record_breakdown(
    *, campaign: Campaign, client: thulium.ThuliumClient
) -> RecordBreakdown:
    """Counts per status and per system status, one small listing call each (the listing's
    count; records are not read), and the campaign's completion from its statistics."""
    campaign_id = campaign.thulium_id
    statuses = client.statuses(campaign_id)
    total = client.count_records(campaign_id)
    by_status = [
        (status.name, client.count_records(campaign_id, status_ids=[status.status_id]))
        for status in statuses
    ]
    without = total - sum(count for _name, count in by_status)
    if without > 0:
        by_status.append(("", without))
    system_statuses = list(dict.fromkeys(["TO_CALL", *(s.system_status for s in statuses)]))
    by_system_status = [
        (name, client.count_records(campaign_id, system_statuses=[name]))
        for name in system_statuses
    ]
    stats = next((s for s in client.campaign_stats() if s.id == campaign_id), None)
    return RecordBreakdown(
        total=total,
        by_status=by_status,
        by_system_status=by_system_status,
        completion_percent=stats.completion_percent if stats else None,
    )
