"""What Thulium holds now for a grid's phone numbers.

Read before sending (kept with each row's outcome, for history and revert) and on demand, so the
grid shows old → new before anything is sent. Thulium's listing carries status, agent and next
call date but no record fields: for those, "now" is the last value this dashboard sent.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns import thulium
from campaigns.bulk_sql import insert_many, json_text
from campaigns.models import Campaign, Grid, Row, SentFields, ThuliumNow
from campaigns.services.locking import grid_check_editable, grid_lock

# Phones per IN (...) query: far below SQLite's variable limit.
PHONE_BATCH = 500


def campaign_records_by_phone(
    client: thulium.ThuliumClient,
    campaign_id: str,
    *,
    on_page: Callable[[int, int], None] | None = None,
) -> dict[str, list[thulium.Record]]:
    """Every record of the campaign, by phone number, read THULIUM_READ_CONCURRENCY pages at a
    time; paging by offset can repeat a record that moves while we read, so each record is
    kept once. `on_page(read, total)` follows the reading."""
    records: dict[str, list[thulium.Record]] = defaultdict(list)
    seen: set[int] = set()
    pages = client.iter_records(
        campaign_id, concurrency=settings.THULIUM["READ_CONCURRENCY"], on_page=on_page
    )
    names: dict[str, str] = {}
    for record in pages:
        if record.record_id not in seen:
            seen.add(record.record_id)
            records[record.phone_number].append(record)
            if record.agent_name and record.agent_login:
                names[record.agent_login] = record.agent_name
    campaign_agent_names_learn(campaign_id=campaign_id, names=names)
    return records


def campaign_agent_names_learn(*, campaign_id: str, names: dict[str, str]) -> None:
    """Remember agents' names as a listing gave them (only names that say more than the login):
    the grid shows them beside logins, and "Anna Nowak" in a file is matched against them."""
    names = {login: name for login, name in names.items() if name.strip() != login}
    if not names:
        return
    campaign = Campaign.objects.filter(thulium_id=campaign_id).first()
    if campaign is not None and {**campaign.agent_names, **names} != campaign.agent_names:
        campaign.agent_names = {**campaign.agent_names, **names}
        campaign.save(update_fields=["agent_names"])


def last_sent_fields(*, campaign: Campaign, phones: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each phone: record field name → the last value this dashboard sent and Thulium took."""
    wanted = sorted(set(phones) - {""})
    fields: dict[str, dict[str, str]] = {}
    for start in range(0, len(wanted), PHONE_BATCH):
        fields.update(
            SentFields.objects.filter(
                campaign=campaign, phone__in=wanted[start : start + PHONE_BATCH]
            ).values_list("phone", "fields")
        )
    return fields


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
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement of three parameters: psycopg's executemany adapted 500 rows' values
            # one by one (15 ms of a 500-row request). The phones are distinct (dict keys), so
            # no row is upserted twice in the statement.
            phones, texts = zip(*kept, strict=True)
            cursor.execute(
                f"INSERT INTO {table} (campaign_id, phone, fields, updated_at) "
                "SELECT %s, phone, fields, %s "
                "FROM unnest(%s::varchar[], %s::jsonb[]) AS v(phone, fields) "
                f"ON CONFLICT (campaign_id, phone) DO UPDATE SET fields = {table}.fields || "
                "EXCLUDED.fields, updated_at = EXCLUDED.updated_at",
                [campaign_id, now, list(phones), list(texts)],
            )
            return
        cursor.executemany(
            f"INSERT INTO {table} (campaign_id, phone, fields, updated_at) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (campaign_id, phone) DO UPDATE SET fields = "
            f"json_patch({table}.fields, excluded.fields), updated_at = excluded.updated_at",
            [(campaign_id, phone, text, now) for phone, text in kept],
        )


def record_values(record: thulium.Record) -> dict[str, Any]:
    """What we keep of a record as the listing shows it."""
    return {
        "status_id": record.status_id,
        "agent_login": record.agent_login,
        "next_call_date": (
            thulium.format_date_time(record.next_call_date) if record.next_call_date else ""
        ),
        "identifier": record.identifier,
        "record_id": record.record_id,
    }


def record_now(
    records: Sequence[thulium.Record], sent_fields: dict[str, str] | None
) -> dict[str, Any]:
    """The values we keep of a phone's record: the only one's, with the record fields we last
    sent; for a phone several records hold, each record's (an edit may change them all)."""
    if len(records) > 1:
        return {"records": [record_values(record) for record in records]}
    values = record_values(records[0])
    if sent_fields:
        values["record_fields"] = dict(sent_fields)
    return values


@dataclass(frozen=True)
class Comparison:
    """One read of the campaign for a grid: how many of its phones have exactly one record,
    how many records were read, and how long it took."""

    matched: int
    records: int
    seconds: float


def grid_compare(
    *,
    grid: Grid,
    client: thulium.ThuliumClient,
    on_page: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Read the campaign's records and keep, for each phone of the grid, what Thulium holds;
    every row is then checked again with it (a phone the campaign lacks, or holds twice, is an
    error; a row that changes nothing is marked so)."""
    from campaigns.services.grids import grid_validate
    from campaigns.services.validation import campaign_rules

    grid.refresh_from_db()  # validated below with the grid's options as they are now
    started = time.monotonic()
    records = campaign_records_by_phone(client, grid.campaign.thulium_id, on_page=on_page)
    seconds = time.monotonic() - started
    rules = campaign_rules(campaign=grid.campaign, client=client)  # no Thulium call inside
    phones = set(grid.rows.exclude(phone="").values_list("phone", flat=True))
    # A file with identifiers may find its records by them: what each identifier holds too.
    identifiers = {
        str(identifier)
        for identifier in grid.rows.filter(values__has_key="identifier").values_list(
            "values__identifier", flat=True
        )
        if identifier and len(str(identifier)) < 120  # the key's column holds 120
    }
    by_identifier = {
        record.identifier: record
        for found in records.values()
        for record in found
        if record.identifier in identifiers
    }
    sent = last_sent_fields(
        campaign=grid.campaign,
        phones=phones | {record.phone_number for record in by_identifier.values()},
    )
    with transaction.atomic():
        # A write like any other (services/locking.py): a review made before it is stale.
        grid = grid_lock(grid)
        grid_check_editable(grid)
        ThuliumNow.objects.filter(grid=grid).delete()
        # One statement per 2,000 (or COPY), JSON as text: bulk_create took a tenth of the
        # review's read of a 100k-row grid.
        insert_many(
            ThuliumNow._meta.db_table,
            ["grid_id", "phone", "count", "values"],
            [
                (
                    grid.pk,
                    phone,
                    len(records.get(phone, [])),
                    json_text(
                        record_now(records[phone], sent.get(phone)) if phone in records else {}
                    ),
                )
                for phone in phones
            ]
            + [
                (
                    grid.pk,
                    ThuliumNow.IDENTIFIER_KEY + identifier,
                    int(identifier in by_identifier),
                    json_text(
                        record_now(
                            [by_identifier[identifier]],
                            sent.get(by_identifier[identifier].phone_number),
                        )
                        if identifier in by_identifier
                        else {}
                    ),
                )
                for identifier in identifiers
            ],
        )
        grid.compared_at = timezone.now()
        grid.save(update_fields=["compared_at"])
        grid_validate(grid=grid, rules=rules)
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
