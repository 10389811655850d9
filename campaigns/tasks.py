"""Background jobs: thin wrappers that call a service with ids."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from campaigns import thulium
from campaigns.models import Campaign, ThuliumSnapshot, ThuliumSystem
from campaigns.services.connection import describe_thulium_error, thulium_client
from campaigns.services.grids import campaign_listing_read
from campaigns.services.listing import campaign_listing_fail
from campaigns.services.sending import submission_cannot_connect, submission_run
from campaigns.services.snapshots import snapshot_read


@task()
def run_submission(submission_id: int, helper: bool = False) -> str:
    # The client of the sending's own system: a sending to one Thulium never reaches another.
    system = ThuliumSystem.objects.filter(campaigns__submissions=submission_id).first()
    if system is None:
        return "gone"
    try:
        client = thulium_client(system=system)
    except thulium.ThuliumError as error:
        text = describe_thulium_error(error, system=system)
        return submission_cannot_connect(submission_id=submission_id, problem=text).state
    with client:
        result = submission_run(submission_id=submission_id, client=client, helper=helper)
    if result.retry_after is not None:
        # Queued behind another submission, or Thulium asked for a long pause: come back later
        # instead of holding a worker.
        later = timezone.now() + timedelta(seconds=result.retry_after)
        run_submission.using(run_after=later).enqueue(submission_id, helper=helper)
    return result.state


# A person is mapping columns while it runs: taken before the queued sendings' next turns.
@task(priority=10)
def read_campaign_listing(campaign_pk: int) -> str:
    """Read the campaign's listing for the grids uploaded meanwhile (services/listing.py)."""
    campaign = Campaign.objects.select_related("system").filter(pk=campaign_pk).first()
    if campaign is None:
        return "gone"
    try:
        client = thulium_client(system=campaign.system)
    except thulium.ThuliumError as error:
        text = describe_thulium_error(error, system=campaign.system)
        campaign_listing_fail(campaign=campaign, problem=text)
        return "failed"
    with client:
        return "read" if campaign_listing_read(campaign=campaign, client=client) else "failed"


# A supervisor is looking at old figures: taken before the queued sendings' next turns.
@task(priority=10)
def refresh_thulium_snapshot(snapshot_pk: int) -> str:
    """Read again what the campaign pages show from Thulium (services/snapshots.py)."""
    snapshot = ThuliumSnapshot.objects.select_related("system").filter(pk=snapshot_pk).first()
    if snapshot is None:
        return "gone"
    return "failed" if snapshot_read(snapshot=snapshot).problem else "read"
