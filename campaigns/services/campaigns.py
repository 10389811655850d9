"""Reading the Thulium system's campaigns for the campaign list."""

from __future__ import annotations

from dataclasses import dataclass

from campaigns import thulium


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
