"""A sending's before-values: each record as it was just before the first request that could
have changed it — status, agent and next call date from Thulium's listing (the review's read
when fresh), record fields as this dashboard last sent them. The basis of history and revert;
never read after the fact (a row whose earlier request went unanswered keeps that read).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import thulium
from campaigns.collector import cycle_collector_paused
from campaigns.database.bulk_sql import as_text, json_text, json_value, update_many
from campaigns.models import (
    LOST_ANSWER_OUTCOMES,
    Chunk,
    Duplicates,
    Grid,
    Outcome,
    Row,
    RowOutcome,
    Submission,
    ThuliumNow,
)
from campaigns.services.listing import (
    campaign_records_by_phone,
    campaign_sent_since,
    last_sent_fields,
    record_values,
)


@cycle_collector_paused()
def submission_read_before(*, submission: Submission, client: thulium.ThuliumClient) -> None:
    """Before the first request, keep each row's record as it was: status, agent and next call
    date, and the record fields' last values we sent (for history and revert). The campaign's
    read for the review is used when it is recent enough and covers every row; otherwise the
    campaign is read again. A phone the campaign holds more than once is left out of an edit
    (Thulium edits by phone), unless the supervisor chose to change every such record."""
    grid = submission.grid
    # An upsert grid's rows held once go as edits; those not held have no before-values.
    editing = grid.mode in (Grid.Mode.EDIT, Grid.Mode.UPSERT)
    every = editing and grid.duplicates == Duplicates.EVERY_RECORD
    by_identifier = grid.finds_by_identifier
    chunks = list(submission.chunks.filter(state=Chunk.State.PENDING))
    queued = Row.objects.filter(id__any_of=[pk for c in chunks for pk in c.row_ids])
    if by_identifier:
        # Found by identifier: each row's record is the one its identifier names.
        phones = {
            pk: ThuliumNow.IDENTIFIER_KEY + str(identifier)
            for pk, identifier in queued.values_list("id", "values__identifier")
        }
    else:
        phones = dict(queued.values_list("id", "phone"))
    held, read_at = _campaign_now(submission, set(phones.values()), client)
    # A row whose earlier request went unanswered may already hold what we sent: its record's
    # values as read now are not what it was before; the earlier read is.
    kept = _before_unconfirmed(submission, list(phones))
    # The record fields last sent, read once for the whole sending.
    sent = last_sent_fields(campaign=submission.campaign, phones=phones.values())
    written = []
    with transaction.atomic():
        # Two runs may read at once: the first to record its read writes the chunks; the
        # other's chunks may be claimed, even sent, by then and must not be touched.
        if not Submission.objects.filter(pk=submission.pk, before_read_at=None).update(
            before_read_at=read_at
        ):
            return
        for chunk in chunks:
            before: dict[str, Any] = {}
            duplicated = []
            for pk in chunk.row_ids:
                phone = phones[pk]
                records = held.get(phone, [])
                fields = {"record_fields": dict(sent[phone])} if phone in sent else {}
                if len(records) == 1:
                    before[str(pk)] = records[0] | fields
                elif len(records) > 1 and every:
                    before[str(pk)] = {"count": len(records), "records": records}
                elif len(records) > 1 and editing:
                    duplicated.append(pk)
                elif records:
                    # Adding refuses a number that exists and removing takes every record
                    # with it: the first record stands for them.
                    before[str(pk)] = records[0] | fields | {"count": len(records)}
            before |= {str(pk): kept[pk] for pk in chunk.row_ids if pk in kept}
            chunk.before = before
            if duplicated:
                chunk.row_ids = [pk for pk in chunk.row_ids if pk not in duplicated]
                for pk in duplicated:
                    Row.objects.filter(pk=pk).update(
                        outcome=Outcome.NOT_SENT,
                        outcome_detail={
                            "http_status": None,
                            "status": "DUPLICATED_IN_CAMPAIGN",
                            "message": _(
                                "The campaign holds this number %(count)s times; Thulium cannot "
                                "edit such records by phone. Choose to change every record "
                                "with this number, or edit them in Thulium."
                            )
                            % {"count": len(held[phones[pk]])},
                        },
                    )
            written.append(
                (
                    json_text(chunk.before),
                    json_text(chunk.row_ids),
                    Chunk.State.PENDING if chunk.row_ids else Chunk.State.SKIPPED,
                    chunk.pk,
                )
            )
        # One statement for every chunk (a sending of 100,000 rows has 200).
        update_many(
            Chunk._meta.db_table,
            ["before", "row_ids", "state"],
            ["jsonb", "jsonb", "varchar"],
            written,
        )


def _before_unconfirmed(submission: Submission, row_ids: Sequence[int]) -> dict[int, Any]:
    """Row id → the before-values of the earliest of its latest unanswered requests (transport
    errors, unreadable answers) in this grid's earlier sendings: read before the first request
    that could have changed the record. Rows whose latest earlier answer was a verdict are left
    out (the record is read afresh)."""
    earlier = RowOutcome.objects.filter(
        submission__grid_id=submission.grid_id, submission_id__lt=submission.pk
    )
    unanswered = set(
        earlier.filter(outcome__in=LOST_ANSWER_OUTCOMES).values_list("row_id", flat=True)
    )
    row_ids = [pk for pk in row_ids if pk in unanswered]
    kept: dict[int, Any] = {}
    for start in range(0, len(row_ids), 500):
        found = (
            earlier.filter(row_id__in=row_ids[start : start + 500])
            .order_by("row_id", "-submission_id")
            .values_list("row_id", "outcome", "before")
        )
        closed: set[int] = set()
        for row_id, outcome, before in found:
            if row_id in closed:
                continue
            if outcome in LOST_ANSWER_OUTCOMES:
                kept[row_id] = before  # an older unanswered one replaces it
            else:
                closed.add(row_id)
    return kept


def _campaign_now(
    submission: Submission, phones: set[str], client: thulium.ThuliumClient
) -> tuple[dict[str, list[dict[str, Any]]], datetime]:
    """Phone (or "#" + identifier) → its records' values (record_now; record fields only for
    an identifier's), and when they were read: from the review's read when it is younger than
    SUBMISSION_REVIEW_MAX_AGE and knows every key, else from the campaign's listing now."""
    grid = submission.grid
    fresh = timezone.now() - timedelta(seconds=settings.SUBMISSION_REVIEW_MAX_AGE)
    if (
        grid.compared_at is not None
        and grid.compared_at >= fresh
        # Another sending of the campaign since may have changed the records.
        and not campaign_sent_since(submission.campaign_id, grid.compared_at, besides=submission)
    ):
        stored = {
            phone: (count, json_value(values))
            for phone, count, values in ThuliumNow.objects.filter(grid=grid).values_list(
                "phone", "count", as_text("values")
            )
        }
        if phones <= stored.keys():
            held = {}
            for phone, (count, values) in stored.items():
                if count == 1 and phone.startswith(ThuliumNow.IDENTIFIER_KEY):
                    held[phone] = [values]  # its fields as we last sent them, kept at the read
                elif count == 1:
                    held[phone] = [{k: v for k, v in values.items() if k != "record_fields"}]
                elif count > 1:
                    held[phone] = list(values.get("records", [])) or [{}] * count
            return held, grid.compared_at
    records = campaign_records_by_phone(client, submission.campaign)
    held = {phone: [record_values(r) for r in found] for phone, found in records.items()}
    held |= {
        ThuliumNow.IDENTIFIER_KEY + r.identifier: [record_values(r)]
        for found in records.values()
        for r in found
        if r.identifier
    }
    return held, timezone.now()
