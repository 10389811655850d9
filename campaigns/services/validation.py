"""The campaign's live rules for validation: its statuses and agents, read from Thulium and
cached briefly, with our field list and phone format. The rules themselves are pure:
campaigns.rules.validation."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from campaigns import thulium
from campaigns.models import Campaign, ThuliumSnapshot
from campaigns.rules.validation import CampaignRules
from campaigns.services.do_not_contact import do_not_contact_digester, do_not_contact_digests

RULES_CACHE_SECONDS = 60
# The statuses' names outlive the rules: the history names the statuses it shows without asking
# Thulium on each page. A status renamed in Thulium shows its new name after the next read.
STATUS_NAMES_CACHE_SECONDS = 24 * 3600


def campaign_rules(*, campaign: Campaign, client: thulium.ThuliumClient) -> CampaignRules:
    """The campaign's live rules; Thulium's part is cached for a minute."""
    # By our campaign's id: 00001 exists in each system.
    key = f"campaign-rules:{campaign.pk}"
    live = cache.get(key)
    if live is None:
        campaign_type = next(
            (c.type for c in client.list_campaigns() if c.id == campaign.thulium_id), ""
        )
        live = (
            campaign_type,
            tuple(client.statuses(campaign.thulium_id)),
            tuple(client.agents(campaign.thulium_id)),
        )
        cache.set(key, live, RULES_CACHE_SECONDS)
        cache.set(
            _status_names_key(campaign.pk),
            {s.status_id: s.name for s in live[1]},
            STATUS_NAMES_CACHE_SECONDS,
        )
    return _rules_from(campaign, live)


def campaign_status_names(*, campaign_pk: int) -> dict[str, str]:
    """The campaign's status names by id as Thulium last listed them (within a day), without
    asking Thulium: {} when they were not read lately."""
    names = cache.get(_status_names_key(campaign_pk))
    if names is None:
        campaign = Campaign.objects.filter(pk=campaign_pk).first()
        kept = _kept_live(campaign) if campaign is not None else None
        names = {s.status_id: s.name for s in kept[1]} if kept else {}
    return names


def _status_names_key(campaign_pk: int) -> str:
    return f"status-names:{campaign_pk}"


Live = tuple[str, tuple[thulium.Status, ...], tuple[thulium.Agent, ...]]


def _rules_from(campaign: Campaign, live: Live) -> CampaignRules:
    campaign_type, statuses, agents = live
    return CampaignRules(
        campaign_type=campaign_type,
        statuses=statuses,
        agents=agents,
        fields=tuple(campaign.field_names()),
        phone_format=campaign.phone_format,
        unknown_fields=campaign.unknown_field_names(),
        value_rules=campaign_value_rule_map(campaign=campaign),
        agent_names=campaign.agent_names,
        do_not_contact=do_not_contact_digests(system_id=campaign.system_id),
        do_not_contact_digest=do_not_contact_digester(),
    )


def campaign_rules_cached(*, campaign: Campaign) -> CampaignRules | None:
    """The campaign's rules if they were read lately, without asking Thulium (None otherwise):
    for guesses that must not wait on the network, like reading a file's columns."""
    live = cache.get(f"campaign-rules:{campaign.pk}") or _kept_live(campaign)
    return None if live is None else _rules_from(campaign, live)


def _kept_live(campaign: Campaign) -> Live | None:
    """Thulium's part of the rules as the campaign pages last read it (services/snapshots.py),
    within a day: kept in the database, so a process that has not read the rules itself (the
    page was served by another) still guesses with them."""
    lately = timezone.now() - timedelta(seconds=STATUS_NAMES_CACHE_SECONDS)
    kept = dict(
        ThuliumSnapshot.objects.filter(
            system=campaign.system_id,
            thulium_id__in=["", campaign.thulium_id],
            read_at__gte=lately,
        ).values_list("thulium_id", "figures")
    )
    figures = kept.get(campaign.thulium_id)
    if not isinstance(figures, dict) or "agents" not in figures:
        return None
    listed = kept.get("") or []
    campaign_type = next((c["type"] for c in listed if c["id"] == campaign.thulium_id), "")
    return (
        campaign_type,
        tuple(thulium.Status(**status) for status in figures["statuses"]),
        tuple(thulium.Agent(**agent) for agent in figures["agents"]),
    )


def campaign_value_rule_map(*, campaign: Campaign) -> dict[tuple[str, str], str]:
    """The campaign's value rules as validation reads them: (target, text) → value."""
    return {
        (target, source): value
        for target, source, value in campaign.value_rules.values_list("target", "source", "value")
    }
