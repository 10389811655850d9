"""The campaign's listing: every record Thulium holds, by phone number.

Read in the background while an uploaded file waits for its mapping (`campaign_listing_want`,
then the `read_campaign_listing` task and `grids.campaign_listing_read`), so the grid's first
view is already checked against it: numbers the campaign lacks or holds twice, rows that change
nothing, and agents written by the name Thulium gives them. Kept (`CampaignListing`) and
reused, by the mapping and by the review, while it is fresh (`LISTING_FRESH_SECONDS`) and no
sending of the campaign has run since; read again after that.

The listing carries status, agent and next call date but no record fields: for those, what
Thulium holds is the last value this dashboard sent (`SentFields`).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns import thulium
from campaigns.database.bulk_sql import as_text, insert_many, json_text, json_value
from campaigns.models import Campaign, CampaignListing, Grid, SentFields, Submission, ThuliumNow

logger = logging.getLogger(__name__)

# Phones per IN (...) query: far below SQLite's variable limit.
PHONE_BATCH = 500
# How often a read in progress writes how far it is (seconds).
PROGRESS_EVERY = 0.5
# A read that has said nothing for this long is taken for lost (its worker died): a new upload
# asks for another.
LOST_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Listing:
    """One read of the campaign: its records by phone number, and when they were read."""

    records: Mapping[str, list[thulium.Record]]
    read_at: datetime
    # Grids whose upload asked for this read (campaign_listing_fetch).
    waiting: tuple[int, ...] = ()


def campaign_records_by_phone(
    client: thulium.ThuliumClient,
    campaign: Campaign,
    *,
    on_page: Callable[[int, int], None] | None = None,
) -> dict[str, list[thulium.Record]]:
    """Every record of the campaign, by phone number, read THULIUM_READ_CONCURRENCY pages at a
    time; paging by offset can repeat a record that moves while it is read, so each record is
    kept once. `on_page(read, total)` follows the reading."""
    records: dict[str, list[thulium.Record]] = defaultdict(list)
    seen: set[int] = set()
    pages = client.iter_records(
        campaign.thulium_id, concurrency=settings.THULIUM["READ_CONCURRENCY"], on_page=on_page
    )
    names: dict[str, str] = {}
    for record in pages:
        if record.record_id not in seen:
            seen.add(record.record_id)
            records[record.phone_number].append(record)
            if record.agent_name and record.agent_login:
                names[record.agent_login] = record.agent_name
    campaign_agent_names_learn(campaign=campaign, names=names)
    return records


def campaign_sent_since(
    campaign: Campaign | int, moment: datetime, *, besides: Submission | None = None
) -> bool:
    """Whether a sending of the campaign may have changed its records in Thulium since
    `moment` (one queued or under way, or one that ended after it): a read made before is no
    longer what Thulium holds. `besides` leaves a sending out (the one asking)."""
    sendings = Submission.objects.filter(campaign=campaign)
    if besides is not None:
        sendings = sendings.exclude(pk=besides.pk)
    return sendings.filter(
        Q(state__in=Submission.ACTIVE_STATES) | Q(finished_at__gt=moment)
    ).exists()


def listing_usable(listing: CampaignListing) -> bool:
    """The kept listing still stands for what Thulium holds: fresh, and no sending of the
    campaign has run since it was read."""
    return (
        listing.fresh
        and listing.read_at is not None
        and not campaign_sent_since(listing.campaign_id, listing.read_at)
    )


def campaign_agent_names_learn(*, campaign: Campaign, names: dict[str, str]) -> None:
    """Remember agents' names as a listing gave them (only names that say more than the login):
    the grid shows them beside logins, and "Anna Nowak" in a file is matched against them."""
    names = {login: name for login, name in names.items() if name.strip() != login}
    if not names:
        return
    # Read again: the campaign object may be older than a name another reading learned.
    known = Campaign.objects.filter(pk=campaign.pk).values_list("agent_names", flat=True).first()
    if known is not None and {**known, **names} != known:
        campaign.agent_names = {**known, **names}
        campaign.save(update_fields=["agent_names"])


def last_sent_fields(*, campaign: Campaign, phones: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each phone: record field name → the last value this dashboard sent and Thulium took."""
    wanted = set(phones) - {""}
    if not wanted:
        return {}
    kept = SentFields.objects.filter(campaign=campaign)
    if len(wanted) > PHONE_BATCH:
        # A large grid asks for most of what the campaign keeps: one read of it all costs
        # less than the statements of thousands of phones each (Django builds each IN list).
        return {
            phone: json_value(fields)
            for phone, fields in kept.values_list("phone", as_text("fields")).iterator(5000)
            if phone in wanted
        }
    return dict(kept.filter(phone__in=wanted).values_list("phone", "fields"))


def record_values(record: thulium.Record) -> dict[str, Any]:
    """What is kept of a record as the listing shows it."""
    return {
        "status_id": record.status_id,
        "agent_login": record.agent_login,
        "next_call_date": (
            thulium.format_date_time(record.next_call_date) if record.next_call_date else ""
        ),
        "identifier": record.identifier,
        "record_id": record.record_id,
    }


def record_now(records: list[thulium.Record], sent_fields: dict[str, str] | None) -> dict[str, Any]:
    """The values kept of a phone's record: the only one's, with the record fields last sent;
    for a phone several records hold, each record's (an edit may change them all)."""
    if len(records) > 1:
        return {"records": [record_values(record) for record in records]}
    values = record_values(records[0])
    if sent_fields:
        values["record_fields"] = dict(sent_fields)
    return values


def grid_thulium_now_store(
    grid: Grid, listing: Listing, *, phones: Collection[str], identifiers: Collection[str]
) -> None:
    """Keep, for each of the grid's phones (and identifiers, keyed "#" + identifier), what the
    listing says Thulium holds, replacing the last comparison. Call it under the grid's lock."""
    identifiers = {i for i in identifiers if i and len(i) < 120}  # the key's column holds 120
    by_identifier = {
        record.identifier: record
        for found in listing.records.values()
        for record in found
        if record.identifier in identifiers
    }
    phones = set(phones) - {""}
    sent = last_sent_fields(
        campaign=grid.campaign,
        phones=phones | {record.phone_number for record in by_identifier.values()},
    )
    records = listing.records
    ThuliumNow.objects.filter(grid=grid).delete()
    by_phone = (
        (
            grid.pk,
            phone,
            len(records.get(phone, [])),
            json_text(record_now(records[phone], sent.get(phone)) if phone in records else {}),
        )
        for phone in phones
    )
    by_identifier_key = (
        (
            grid.pk,
            ThuliumNow.IDENTIFIER_KEY + identifier,
            int(identifier in by_identifier),
            json_text(
                record_now(
                    [by_identifier[identifier]], sent.get(by_identifier[identifier].phone_number)
                )
                if identifier in by_identifier
                else {}
            ),
        )
        for identifier in identifiers
    )
    # One COPY (or a statement per 2,000), JSON as text, rows made as the database takes them:
    # bulk_create took a tenth of the review's read of a 100k-row grid.
    insert_many(
        ThuliumNow._meta.db_table,
        ["grid_id", "phone", "count", "values"],
        chain(by_phone, by_identifier_key),
    )
    grid.compared_at = listing.read_at
    Grid.objects.filter(pk=grid.pk).update(compared_at=listing.read_at)


def campaign_listing_want(*, campaign: Campaign, grid: Grid) -> bool:
    """Ask for the campaign's listing for this grid (an upload waiting for its mapping); whether
    a read must be queued (the `read_campaign_listing` task): not when one is under way or the
    last is fresh. The grid gets the read's result when its mapping is confirmed, or when the
    read ends if the mapping came first (`grids.campaign_listing_read`)."""
    campaign_listings_forget()  # phone numbers kept no longer than they serve
    with transaction.atomic():
        listing, created = (
            CampaignListing.objects.select_for_update()
            .defer("records")
            .get_or_create(campaign=campaign)
        )
        if listing_usable(listing) and listing.read_at is not None:
            # Young enough to outlast the mapping: shared; else read again for this grid.
            age = (timezone.now() - listing.read_at).total_seconds()
            if age <= settings.LISTING_FRESH_SECONDS / 2:
                return False
        reading = (
            listing.state == CampaignListing.State.READING
            and not created
            and timezone.now() - _last_sign(listing) < LOST_AFTER
        )
        listing.waiting = sorted({*listing.waiting, grid.pk})
        if not reading:
            listing.state = CampaignListing.State.READING
            listing.started_at = timezone.now()
            listing.progress = {"read": 0, "total": 0}
            listing.problem = ""
        listing.save()
    return not reading


def _last_sign(listing: CampaignListing) -> datetime:
    """When the read in progress last said how far it was (or started)."""
    said = listing.progress.get("at") if listing.progress else None
    return datetime.fromisoformat(said) if said else listing.started_at


def campaign_listing_fail(*, campaign: Campaign, problem: str) -> None:
    """The read ended without the records: the pages waiting for it stop and say so."""
    with transaction.atomic():
        listing, _made = CampaignListing.objects.select_for_update().get_or_create(
            campaign=campaign
        )
        listing.state = CampaignListing.State.FAILED
        listing.problem = problem[:2000]  # for operators: the page says it in words
        listing.progress = {}
        listing.waiting = []
        listing.save()


def campaign_listing_fetch(*, campaign: Campaign, client: thulium.ThuliumClient) -> Listing | None:
    """Read the campaign's listing now and keep it; with it, the grids that were waiting for it
    (`grids.campaign_listing_read` checks those whose mapping was confirmed meanwhile). None
    when Thulium could not be read: the problem is kept for the mapping page, and the review
    reads the campaign itself."""
    shown = [0.0]

    def progress(read: int, total: int) -> None:
        now = time.monotonic()
        if now - shown[0] >= PROGRESS_EVERY or read >= total:
            shown[0] = now
            CampaignListing.objects.filter(campaign=campaign).update(
                progress={"read": read, "total": total, "at": timezone.now().isoformat()}
            )

    CampaignListing.objects.update_or_create(
        campaign=campaign,
        create_defaults={"state": CampaignListing.State.READING},
        defaults={"progress": {"read": 0, "total": 0, "at": timezone.now().isoformat()}},
    )
    started = timezone.now()
    try:
        records = campaign_records_by_phone(client, campaign, on_page=progress)
    except Exception as error:
        # Thulium's refusal, or anything else: the pages stop waiting and say so.
        campaign_listing_fail(campaign=campaign, problem=str(error))
        if not isinstance(error, thulium.ThuliumError):
            raise
        logger.info("Campaign %s: the listing could not be read: %s", campaign, error)
        return None
    with transaction.atomic():
        listing = CampaignListing.objects.select_for_update().get(campaign=campaign)
        listing.state = CampaignListing.State.READ
        listing.read_at = started
        listing.problem = ""
        listing.records = [
            [
                record.record_id,
                record.phone_number,
                record.status_id,
                record.agent_login,
                record.agent_name,
                thulium.format_date_time(record.next_call_date) if record.next_call_date else "",
                record.identifier,
            ]
            for found in records.values()
            for record in found
        ]
        listing.progress = {"records": len(listing.records)}  # for pages, without the records
        waiting, listing.waiting = listing.waiting, []
        listing.save()
    return Listing(records=records, read_at=started, waiting=tuple(waiting))


def campaign_listing_fresh(campaign: Campaign) -> Listing | None:
    """The campaign's kept listing, while it is fresh."""
    listing = CampaignListing.objects.filter(campaign=campaign).first()
    if listing is None or not listing_usable(listing):
        return None
    records: dict[str, list[thulium.Record]] = defaultdict(list)
    for record_id, phone, status_id, login, name, next_call, identifier in listing.records:
        records[phone].append(
            thulium.Record(
                record_id=record_id,
                phone_number=phone,
                system_status="",
                status="",
                status_id=status_id,
                call_date=None,
                create_date=None,
                next_call_date=thulium.parse_date_time(next_call) if next_call else None,
                agent_name=name,
                agent_login=login,
                last_note="",
                identifier=identifier,
                order=None,
            )
        )
    assert listing.read_at is not None  # fresh
    return Listing(records=records, read_at=listing.read_at)


def campaign_listings_forget() -> int:
    """Drop the records of listings no longer fresh (phone numbers are personal data); the
    number of listings emptied."""
    stale = timezone.now() - timedelta(seconds=settings.LISTING_FRESH_SECONDS)
    return CampaignListing.objects.filter(read_at__lt=stale).exclude(records=[]).update(records=[])


def grid_listing_status(grid: Grid) -> CampaignListing | None:
    """The listing a grid's pages speak of: the one its upload asked for, or its campaign's
    while fresh (without its records)."""
    listing = CampaignListing.objects.defer("records").filter(campaign=grid.campaign_id).first()
    if listing is None:
        return None
    if listing.state == CampaignListing.State.READING and grid.pk not in listing.waiting:
        return None
    if listing.state == CampaignListing.State.READ and not listing_usable(listing):
        return None
    return listing


def grid_listing_reading(grid: Grid) -> CampaignListing | None:
    """The campaign's listing while it is being read for this grid, else None. Uses the
    listing joined to the grid's campaign when it was (select_related), without a query."""
    listing = getattr(grid.campaign, "listing", None)
    if listing is None or listing.state != CampaignListing.State.READING:
        return None
    return listing if grid.pk in listing.waiting else None
