"""Recording Thulium's answers: each row's verdict into RowOutcome and Row, the sending's audit
entries, the record fields learnt from the answers, and the rows left not sent. A request's
answers are recorded only while its claim is still held, in the one transaction that also claims
the run's next chunk (docs/adr/0001-one-commit-per-request.md)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from campaigns import thulium
from campaigns.database.bulk_sql import insert_many, json_text, update_many
from campaigns.models import AuditEntry, Chunk, Outcome, Row, RowOutcome, Submission
from campaigns.services.audit import audit, outcomes_digest
from campaigns.services.fields import campaign_fields_learn
from campaigns.services.sending.claims import _claim_next, _owned
from campaigns.services.sending.requests import _SendRow
from campaigns.services.thulium_now import sent_fields_record
from campaigns.services.verdicts import Verdict, Verdicts

logger = logging.getLogger(__name__)


def submission_unsend_rest(*, submission: Submission, detail: dict[str, Any] | None = None) -> int:
    """Mark the rows of the sending's chunks not sent yet as not sent; how many they were."""
    pending = submission.chunks.filter(state=Chunk.State.PENDING)
    ids = [pk for chunk in pending for pk in chunk.row_ids]
    pending.update(state=Chunk.State.SKIPPED)
    for start in range(0, len(ids), 500):
        Row.objects.filter(id__in=ids[start : start + 500]).update(
            outcome=Outcome.NOT_SENT, outcome_detail=detail or {}
        )
    return len(ids)


def submission_audit(submission: Submission, action: str, **details: Any) -> None:
    audit(
        action=action,
        actor=submission.author,
        campaign=submission.campaign,
        grid_id=submission.grid_id,
        submission_id=submission.pk,
        **details,
    )


def _record_failure(
    chunk: Chunk,
    worker: str,
    rows: Sequence[_SendRow],
    outcome: str,
    error: thulium.ThuliumError,
    known: Verdicts,
    lease: timedelta,
) -> Chunk | None:
    """Record the request as failed for each row we have no answer for; the next chunk."""
    failed = Verdict(outcome, error.http_status, "", "; ".join(error.messages) or error.summary)
    verdicts = {row.pk: known.get(row.pk) or failed for row in rows}
    return _write(chunk, worker, rows, verdicts, error.request_id, lease)[1]


def _write(
    chunk: Chunk,
    worker: str,
    rows: Sequence[_SendRow],
    verdicts: Verdicts,
    request_id: str | None,
    lease: timedelta | None,
) -> tuple[bool, Chunk | None]:
    """Record a request's answers and, in the same transaction, claim the next chunk for
    `lease` (one commit per request; no `lease`, no claim). (False, None) when the chunk was no
    longer ours to record.

    Each step is a function of its own, and none opens a transaction: this one does, once, and
    runs them in it in this order, which is the order of the locks they take (see the comments
    below). A crash before the commit leaves the chunk claimed and its rows as they were: the
    request is sent again once the lease runs out."""
    now = timezone.now()
    with transaction.atomic():
        counts = Counter(str(verdicts[row.pk].outcome) for row in rows)
        if not _chunk_done(chunk, worker, request_id, now, dict(counts)):
            return False, None
        _rows_answered(chunk, rows, verdicts, request_id, now)
        _store_outcomes(chunk, rows, verdicts, request_id or "", now)
        confirmed, unknown = _sent_fields(chunk, rows, verdicts)
        _submission_answered(chunk, now)
        _audit_outcomes(chunk, rows, verdicts, request_id)
        if confirmed or unknown:
            # Last: every writer locks the submission row, then the audit head, then field
            # rows. Learning earlier (its audit entry before the heartbeat) deadlocked two
            # workers on PostgreSQL.
            _learn_fields(chunk, confirmed, unknown, now)
        # Last: the next chunk's lock is taken after every lock above, and never waited for.
        following = _claim_next(chunk.submission, worker, lease) if lease else None
    return True, following


def _chunk_done(
    chunk: Chunk, worker: str, request_id: str | None, now: datetime, counts: dict[str, int]
) -> bool:
    """Mark the chunk answered, with its rows' outcomes counted, only while the claim is still
    ours; False when it is not."""
    if not _owned(chunk, worker).update(
        state=Chunk.State.DONE, answered_at=now, request_id=request_id or "", outcome_counts=counts
    ):
        # Our lease ran out and another worker took the chunk: its answer counts, not ours.
        logger.warning("chunk %s: answer dropped, another worker owns it", chunk)
        return False
    return True


def _rows_answered(
    chunk: Chunk,
    rows: Sequence[_SendRow],
    verdicts: Verdicts,
    request_id: str | None,
    now: datetime,
) -> None:
    """Each row's new outcome and its detail, in memory: `_store_outcomes` writes them."""
    for row in rows:
        verdict = verdicts[row.pk]
        row.outcome = verdict.outcome
        row.outcome_detail = verdict.detail() | {
            "request_id": request_id or "",
            "chunk": chunk.index,
            "at": now.isoformat(timespec="seconds"),
        }


def _submission_answered(chunk: Chunk, now: datetime) -> None:
    """The sending's sign of life, and the end of an outage it waited through."""
    Submission.objects.filter(pk=chunk.submission_id).update(heartbeat_at=now)
    # Thulium answered: an outage this sending waited through is over.
    Submission.objects.filter(pk=chunk.submission_id, state=Submission.State.RUNNING).exclude(
        outage_since=None
    ).update(outage_since=None, outage_tries=0, outage_status=None)


def _audit_outcomes(
    chunk: Chunk, rows: Sequence[_SendRow], verdicts: Verdicts, request_id: str | None
) -> None:
    """The request's audit entry: its rows' outcomes counted, and a digest of each answer."""
    # The rows' answers are stored as RowOutcomes already: the chain covers their digest.
    submission_audit(
        chunk.submission,
        AuditEntry.Action.OUTCOMES,
        chunk=chunk.index,
        request_id=request_id or "",
        rows=len(rows),
        outcomes=dict(Counter(row.outcome for row in rows)),
        rows_digest=outcomes_digest(
            [
                (
                    row.pk,
                    row.phone,
                    verdicts[row.pk].outcome,
                    verdicts[row.pk].http_status,
                    verdicts[row.pk].message,
                )
                for row in rows
            ]
        ),
    )


def _learn_fields(chunk: Chunk, confirmed: set[str], unknown: set[str], now: datetime) -> None:
    """What the answers taught of the campaign's record fields: those Thulium took, and those
    it said the campaign lacks."""
    campaign_fields_learn(
        campaign=chunk.submission.campaign,
        confirmed=confirmed,
        unknown=unknown,
        submission_id=chunk.submission_id,
        at=now,
        actor=chunk.submission.author,
    )


def _store_outcomes(
    chunk: Chunk,
    rows: Sequence[_SendRow],
    verdicts: Verdicts,
    request_id: str,
    now: datetime,
) -> None:
    """One RowOutcome per row and each row's new outcome, a statement or two each (see
    bulk_sql). Datetimes go through the backend's own adapter."""
    ops = connection.ops
    columns = ["row_id", "submission_id", "chunk_id", "outcome", "http_status", "status"]
    columns += ["message", "request_id", "at", "phone", "sent", "before"]
    at = ops.adapt_datetimefield_value(now)
    insert_many(
        RowOutcome._meta.db_table,
        columns,
        [
            (
                row.pk,
                chunk.submission_id,
                chunk.pk,
                verdicts[row.pk].outcome,
                verdicts[row.pk].http_status,
                verdicts[row.pk].status,
                verdicts[row.pk].message,
                request_id,
                at,
                row.phone,
                json_text(row.payload),
                json_text(chunk.before.get(str(row.pk), {})),
            )
            for row in rows
        ],
    )
    update_many(
        Row._meta.db_table,
        ["outcome", "outcome_detail"],
        ["varchar", "jsonb"],
        [(row.outcome, json_text(row.outcome_detail), row.pk) for row in rows],
    )


def _sent_fields(
    chunk: Chunk, rows: Sequence[_SendRow], verdicts: Verdicts
) -> tuple[set[str], set[str]]:
    """Remember the record fields each phone holds as we sent them (forgotten once removed).
    Returns the record fields Thulium took, and those it said the campaign lacks."""
    took = {Outcome.UPDATED, Outcome.ADDED}
    sent: dict[str, dict[str, str] | None] = {}
    confirmed: set[str] = set()
    unknown: set[str] = set()
    for row in rows:
        outcome, message = verdicts[row.pk].outcome, verdicts[row.pk].message
        if outcome == Outcome.REMOVED:
            sent[row.phone] = None
        elif outcome in took and row.values.get("record_fields"):
            sent[row.phone] = row.values["record_fields"]
            confirmed.update(row.values["record_fields"])
        elif name := thulium.unknown_field(message):
            unknown.add(name)
    sent_fields_record(campaign_id=chunk.submission.campaign_id, sent=sent)
    return confirmed, unknown
