"""A campaign's field list as Thulium knows it: learnt from its per-row answers.

Thulium has no endpoint that lists a campaign's record fields and matches names exactly, so a
field the dashboard declares may not exist there. Each answer teaches: a row Thulium took with a
field confirms that field; a row refused with `Record field "X" does not exist` marks X unknown,
and from then on pre-flight flags every row that sets X.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User

from campaigns.models import AuditEntry, Campaign, CampaignField
from campaigns.services.audit import audit


def campaign_fields_learn(
    *,
    campaign: Campaign,
    confirmed: Iterable[str],
    unknown: Iterable[str],
    submission_id: int,
    at: datetime,
    actor: User | None = None,
) -> None:
    """Record what one request's answers said of the campaign's fields (inside the transaction
    that records the answers). A field both confirmed and refused in one request — impossible
    for Thulium, which matches names exactly — counts as confirmed."""
    confirmed, unknown = set(confirmed), set(unknown) - set(confirmed)
    fields = CampaignField.objects.filter(campaign=campaign)
    changed: dict[str, list[str]] = {}
    for state, names in (
        (CampaignField.State.CONFIRMED, confirmed),
        (CampaignField.State.UNKNOWN, unknown),
    ):
        if not names:
            continue
        moving = fields.filter(name__in=names).exclude(state=state)
        moved = sorted(moving.values_list("name", flat=True))
        if moved:
            moving.update(state=state, state_at=at, state_submission_id=submission_id)
            changed[state] = moved
    if changed:
        audit(
            action=AuditEntry.Action.FIELDS_LEARNED,
            actor=actor,
            campaign=campaign,
            submission_id=submission_id,
            confirmed=changed.get(CampaignField.State.CONFIRMED, []),
            unknown=changed.get(CampaignField.State.UNKNOWN, []),
        )
