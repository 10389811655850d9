"""The Thulium system's campaigns: the list, and opening one."""

from __future__ import annotations

from dataclasses import dataclass

from campaigns import thulium
from campaigns.models import Campaign
from campaigns.services.grids import campaign_for
from campaigns.services.validation import CampaignRules, campaign_rules


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


class CampaignNotFound(Exception):
    def __init__(self, thulium_id: str) -> None:
        super().__init__(thulium_id)
        self.thulium_id = thulium_id


def campaign_open(
    *, thulium_id: str, client: thulium.ThuliumClient
) -> tuple[Campaign, CampaignRules]:
    """Our record of a campaign Thulium has (made on first use) and its live rules."""
    found = next((c for c in client.list_campaigns() if c.id == thulium_id), None)
    if found is None:
        raise CampaignNotFound(thulium_id)
    campaign = campaign_for(thulium_id=found.id, name=found.name)
    return campaign, campaign_rules(campaign=campaign, client=client)
