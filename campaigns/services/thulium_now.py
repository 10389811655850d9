"""What Thulium holds now for a grid's phone numbers.

Read before sending (kept with each row's outcome, for history and revert) and on demand, so the
grid shows old → new before anything is sent. Thulium's listing carries status, agent and next
call date but no record fields: for those, "now" is the last value this dashboard sent. How the
listing is read and kept: services/listing.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from campaigns import thulium
from campaigns.collector import cycle_collector_paused
from campaigns.database.bulk_sql import array_text, bound_cursor, json_text
from campaigns.models import Grid, Row, SentFields, ThuliumNow
from campaigns.services.grid_checks import grid_validate
from campaigns.services.listing import Listing, campaign_records_by_phone
from campaigns.services.locking import grid_check_editable, grid_lock
from campaigns.services.validation import campaign_rules


def sent_fields_record(*, campaign_id: int, sent: dict[str, dict[str, str] | None]) -> None:
    """Remember what Thulium took: phone → the record fields sent (merged over what we sent
    before), or None when the phone's records were removed. One upsert for a request's phones
    (it ran once per request of every sending as a select, a delete and an insert)."""
    removed = [phone for phone, fields in sent.items() if fields is None]
    if removed:
        SentFields.objects.filter(campaign_id=campaign_id, phone__in=removed).delete()
    kept = [(phone, json_text(fields)) for phone, fields in sent.items() if fields]
    if not kept:
        return
    table = connection.ops.quote_name(SentFields._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if connection.vendor == "postgresql":
        # One statement of four parameters: psycopg's executemany adapted 500 rows' values one
        # by one (15 ms of a 500-row request). The phones are distinct (dict keys), so no row
        # is upserted twice in the statement.
        phones, texts = zip(*kept, strict=True)
        with bound_cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (campaign_id, phone, fields, updated_at) "
                "SELECT %s, phone, fields, %s "
                "FROM unnest(%s::varchar[], %s::jsonb[]) AS v(phone, fields) "
                f"ON CONFLICT (campaign_id, phone) DO UPDATE SET fields = {table}.fields || "
                "EXCLUDED.fields, updated_at = EXCLUDED.updated_at",
                [campaign_id, now, array_text(phones), array_text(texts)],
            )
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (campaign_id, phone, fields, updated_at) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (campaign_id, phone) DO UPDATE SET fields = "
            f"json_patch({table}.fields, excluded.fields), updated_at = excluded.updated_at",
            [(campaign_id, phone, text, now) for phone, text in kept],
        )


@dataclass(frozen=True)
class Comparison:
    """One read of the campaign for a grid: how many of its phones have exactly one record,
    how many records were read, and how long it took."""

    matched: int
    records: int
    seconds: float


@cycle_collector_paused()
def grid_compare(
    *,
    grid: Grid,
    client: thulium.ThuliumClient,
    on_page: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Read the campaign's records and keep, for each phone of the grid, what Thulium holds;
    every row is then checked again with it (a phone the campaign lacks, or holds twice, is an
    error; a row that changes nothing is marked so)."""
    started = timezone.now()
    timer = time.monotonic()
    records = campaign_records_by_phone(client, grid.campaign, on_page=on_page)
    seconds = time.monotonic() - timer
    grid.refresh_from_db()  # validated below with the grid's options and names as they are now
    rules = campaign_rules(campaign=grid.campaign, client=client)  # no Thulium call inside
    with transaction.atomic():
        # A write like any other (services/locking.py): a review made before it is stale.
        grid = grid_lock(grid)
        grid_check_editable(grid)
        grid_validate(grid=grid, rules=rules, listing=Listing(records=records, read_at=started))
    phones = set(grid.rows.exclude(phone="").values_list("phone", flat=True))
    return Comparison(
        matched=sum(1 for phone in phones if len(records.get(phone, [])) == 1),
        records=sum(len(found) for found in records.values()),
        seconds=seconds,
    )


def rows_attach_thulium_now(grid: Grid, rows: Sequence[Row]) -> None:
    """Give each row `thulium_now` (a ThuliumNow, or None when its phone was not compared),
    for the page to show old → new. (Always set: a template's failed lookup costs a dir().)"""
    if grid.compared_at is None:
        for row in rows:
            row.thulium_now = None
        return
    found = {
        now.phone: now
        for now in ThuliumNow.objects.filter(grid=grid, phone__in={row.phone for row in rows})
    }
    for row in rows:
        row.thulium_now = found.get(row.phone)
