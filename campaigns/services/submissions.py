"""Sending grids to Thulium: chunked, resumable, one submission per campaign at a time.

The crash-safety rule: a chunk is claimed in one transaction (with a lease), sent outside any
transaction, and its answer recorded in another transaction that only succeeds while the claim is
still ours. A worker may die anywhere: once its lease runs out, the chunk is claimable again and
is sent again — safe, because PUT of the same values is idempotent — and its rows get exactly one
recorded outcome.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import thulium
from campaigns.bulk_sql import insert_many, update_many
from campaigns.models import (
    FAILED_OUTCOMES,
    LOST_ANSWER_OUTCOMES,
    RESENDABLE_OUTCOMES,
    AuditEntry,
    Chunk,
    Grid,
    Outcome,
    Row,
    RowOutcome,
    Submission,
)
from campaigns.services.audit import audit
from campaigns.services.connection import describe_thulium_error
from campaigns.services.editing import row_payload
from campaigns.services.fields import campaign_fields_learn
from campaigns.services.grids import grid_validate
from campaigns.services.thulium_now import (
    campaign_records_by_phone,
    last_sent_fields,
    record_now,
    sent_fields_record,
)
from campaigns.services.validation import CLEAR_MARKER, CampaignRules
from campaigns.targets import field_target

logger = logging.getLogger(__name__)


class SubmissionProblem(ValueError):
    """The submission cannot start; the message says why."""


@dataclass(frozen=True)
class RunResult:
    """How a run ended: `state` is the submission's; `retry_after` asks to run again later."""

    state: str
    retry_after: float | None = None


def submission_create(
    *,
    grid: Grid,
    author: AbstractBaseUser | None,
    rules: CampaignRules,
    resend: bool = False,
    chunk_size: int | None = None,
    confirmed_count: int | None = None,
) -> Submission:
    """Queue the grid's rows without errors that were never sent (or, with `resend`, those whose
    last outcome was not a success), re-validated first. Removing records needs
    `confirmed_count`: the number of rows the person agreed to remove. The job is enqueued once
    this transaction has committed."""
    from campaigns.tasks import run_submission

    chunk_size = chunk_size or settings.SUBMISSION_CHUNK_SIZE
    with transaction.atomic():
        grid = Grid.objects.select_for_update().get(pk=grid.pk)
        grid_validate(grid=grid, rules=rules)
        rows = grid.rows.filter(outcome__in=RESENDABLE_OUTCOMES if resend else [Outcome.NONE])
        sendable = rows.exclude(state=Row.State.ERROR)
        ids = list(sendable.order_by("number", "id").values_list("id", flat=True))
        if not ids:
            raise SubmissionProblem(
                _("Nothing to resend: every row was updated, or still has errors to fix.")
                if resend
                else _("No row can be sent: fix the rows with errors first.")
            )
        if grid.mode == Grid.Mode.REMOVE and confirmed_count != len(ids):
            raise SubmissionProblem(
                ngettext(
                    "Removing deletes records in Thulium for good: tick the confirmation for the "
                    "%(n)s phone number and send again.",
                    "Removing deletes records in Thulium for good: tick the confirmation for the "
                    "%(n)s phone numbers and send again.",
                    len(ids),
                )
                % {"n": len(ids)}
            )
        submission = Submission.objects.create(
            grid=grid, campaign=grid.campaign, author=author, resend=resend, rows_total=len(ids)
        )
        Chunk.objects.bulk_create(
            Chunk(submission=submission, index=i, row_ids=ids[start : start + chunk_size])
            for i, start in enumerate(range(0, len(ids), chunk_size))
        )
        rows.filter(state=Row.State.ERROR).update(outcome=Outcome.NOT_SENT, outcome_detail={})
        _audit(submission, AuditEntry.Action.SUBMISSION_QUEUED, rows=len(ids), resend=resend)
        if grid.mode == Grid.Mode.ADD:
            # Thulium may have added these before their answer was lost: the job looks first.
            grid.rows.filter(id__in=ids, outcome__in=LOST_ANSWER_OUTCOMES).update(
                outcome=Outcome.WAITING, outcome_detail={"answer_lost": True}
            )
        grid.rows.filter(id__in=ids).exclude(outcome=Outcome.WAITING).update(
            outcome=Outcome.WAITING, outcome_detail={}
        )
        # Several tasks share the chunks when several workers run (SUBMISSION_WORKERS).
        workers = min(settings.SUBMISSION_WORKERS, len(ids) // chunk_size + 1)
        transaction.on_commit(
            lambda: [run_submission.enqueue(submission.pk, helper=bool(i)) for i in range(workers)]
        )
    return submission


def submission_cancel(*, submission: Submission) -> None:
    """Ask the job to stop before its next chunk (a queued job stops at once)."""
    Submission.objects.filter(pk=submission.pk, state__in=Submission.ACTIVE_STATES).update(
        cancel_requested=True
    )


def submission_run(
    *,
    submission_id: int,
    client: thulium.ThuliumClient,
    lease_seconds: float | None = None,
    helper: bool = False,
) -> RunResult:
    """Send what is left of a submission, chunk by chunk. Safe to run several at once: two runs
    never send the same chunk while its lease holds. A `helper` run only joins once the main
    run has read the records' before-values, so the campaign is read once."""
    lease = timedelta(seconds=lease_seconds or settings.SUBMISSION_LEASE_SECONDS)
    worker = secrets.token_hex(8)
    submission = Submission.objects.select_related("grid").get(pk=submission_id)
    if not submission.active:
        return RunResult(submission.state)
    if _earlier_active(submission):
        return RunResult(Submission.State.QUEUED, retry_after=5)
    if helper and submission.before_read_at is None:
        return RunResult(submission.state, retry_after=1)
    with transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(
            state=Submission.State.RUNNING,
            started_at=submission.started_at or timezone.now(),
            heartbeat_at=timezone.now(),
            retry_at=None,
        )
        if submission.started_at is None:
            _audit(submission, AuditEntry.Action.SUBMISSION_STARTED)
    if submission.before_read_at is None:
        try:
            _read_before(submission, client)
        except (thulium.ThuliumAuthError, thulium.ThuliumNotFound) as error:
            return _stop(submission, None, worker, describe_thulium_error(error))
        except thulium.ThuliumError as error:
            logger.warning("submission %s: cannot read the records yet: %s", submission.pk, error)
            return RunResult(Submission.State.RUNNING, retry_after=30)
    # Campaign records read at most once per run, to reconcile added rows whose answer was lost.
    seen: dict[str, list[thulium.Record]] = {}
    while True:
        if Submission.objects.filter(pk=submission.pk, cancel_requested=True).exists():
            return _cancel(submission)
        chunk = _claim(submission, worker, lease)
        if chunk is None:
            return _finish_if_done(submission)
        rows = list(Row.objects.filter(id__in=chunk.row_ids).order_by("number", "id"))
        known: dict[int, tuple[str, dict[str, Any]]] = {}
        try:
            if submission.grid.mode == Grid.Mode.ADD:
                known = _reconcile_added(submission, chunk, rows, client, seen)
            to_send = [row for row in rows if row.pk not in known]
            verdicts, request_id = _send(submission, to_send, client)
        except thulium.ThuliumAuthError as error:
            return _stop(submission, chunk, worker, describe_thulium_error(error))
        except thulium.ThuliumNotFound as error:
            return _stop(submission, chunk, worker, describe_thulium_error(error))
        except thulium.ThuliumUnavailable as error:
            if error.retry_after and error.retry_after > client.config.retry_after_cap:
                return _postpone(submission, chunk, worker, error.retry_after)
            _record_failure(chunk, worker, rows, Outcome.TRANSPORT_ERROR, error, known)
        except thulium.ThuliumRejected as error:
            _record_failure(chunk, worker, rows, Outcome.REJECTED, error, known)
        except thulium.ThuliumProtocolError as error:
            # Thulium may have done the work: we cannot tell, so never call it a success.
            _record_failure(chunk, worker, rows, Outcome.UNKNOWN, error, known)
        else:
            _write(chunk, worker, rows, known | verdicts, request_id)


def _send(
    submission: Submission, rows: Sequence[Row], client: thulium.ThuliumClient
) -> tuple[dict[int, tuple[str, dict[str, Any]]], str | None]:
    """One request for the rows, in the grid's mode; each row's verdict, and the request id."""
    if not rows:
        return {}, None
    grid, campaign_id = submission.grid, submission.campaign.thulium_id
    if grid.mode == Grid.Mode.REMOVE:
        removed = client.batch_delete(campaign_id, [row.phone for row in rows])
        return {row.pk: _removal_verdict(removed.rows.get(row.phone)) for row in rows}, (
            removed.request_id
        )
    if grid.mode == Grid.Mode.ADD:
        added = client.batch_add(campaign_id, [_new(grid, row) for row in rows])
        return {row.pk: _addition_verdict(added.rows.get(row.phone)) for row in rows}, (
            added.request_id
        )
    edited = client.batch_edit(campaign_id, [_edit(grid, row) for row in rows])
    return {row.pk: _verdict(edited.rows.get(row.phone)) for row in rows}, edited.request_id


def submissions_reap() -> list[int]:
    """Re-enqueue submissions whose worker went silent for a lease (killed, or its task lost)."""
    from campaigns.tasks import run_submission

    silent_since = timezone.now() - timedelta(seconds=settings.SUBMISSION_LEASE_SECONDS)
    due = Submission.objects.filter(
        Q(state=Submission.State.RUNNING, heartbeat_at__lt=silent_since)
        | Q(state=Submission.State.QUEUED, created_at__lt=silent_since, heartbeat_at=None)
        | Q(state=Submission.State.WAITING, retry_at__lt=timezone.now())
    )
    reaped = []
    for submission in due:
        # Moving the heartbeat first keeps two reapers from enqueuing the same job twice.
        if Submission.objects.filter(pk=submission.pk, heartbeat_at=submission.heartbeat_at).update(
            heartbeat_at=timezone.now()
        ):
            run_submission.enqueue(submission.pk)
            reaped.append(submission.pk)
    return reaped


def submission_counts(submission: Submission) -> dict[str, int]:
    """Rows of the submission by their current outcome."""
    ids = [pk for chunk in submission.chunks.all() for pk in chunk.row_ids]
    counts: Counter[str] = Counter()
    for start in range(0, len(ids), 500):
        counts.update(
            Row.objects.filter(id__in=ids[start : start + 500]).values_list("outcome", flat=True)
        )
    return dict(counts)


def campaign_submissions(campaign: Any, limit: int = 50) -> list[dict[str, Any]]:
    """The campaign's latest sendings with author, time, source and counts by outcome."""
    found = []
    for submission in campaign.submissions.select_related("grid", "author")[:limit]:
        counts = Counter(submission.outcomes.values_list("outcome", flat=True))
        found.append(
            {
                "submission": submission,
                "counts": [
                    (value, text, counts[value]) for value, text in Outcome.choices if counts[value]
                ],
            }
        )
    return found


def grid_sendable_counts(grid: Grid) -> tuple[int, int]:
    """(rows a first send would send, rows a resend would send), errors excluded."""
    if not grid.submissions.exists():
        # Only sendings give rows outcomes: every row is unsent, and the grid's counts (kept up
        # to date by every edit) say how many are not errors — no count over a 100k-row grid.
        return grid.rows_valid + grid.rows_warning, 0
    rows = grid.rows.exclude(state=Row.State.ERROR)
    return (
        rows.filter(outcome=Outcome.NONE).count(),
        rows.filter(outcome__in=RESENDABLE_OUTCOMES).count(),
    )


@dataclass(frozen=True)
class RefusalGroup:
    """Rows Thulium refused with one and the same message."""

    message: str
    count: int

    @property
    def field(self) -> str | None:
        """The record field Thulium said the campaign lacks, when that is the message."""
        return thulium.unknown_field(self.message)


def grid_refusal_groups(grid: Grid, limit: int = 10) -> list[RefusalGroup]:
    """The grid's refused rows grouped by Thulium's message, the largest group first."""
    groups = (
        grid.rows.filter(outcome__in=FAILED_OUTCOMES)
        .exclude(outcome_detail__message="")
        .values_list("outcome_detail__message")
        .annotate(n=Count("id"))
        .order_by("-n")[:limit]
    )
    return [RefusalGroup(message, n) for message, n in groups if message]


def grid_outcome_counts(grid: Grid) -> dict[str, int]:
    """The grid's rows by their latest outcome (rows never sent left out), counted in the
    database from the (grid, outcome, …) index."""
    rows = grid.rows.exclude(outcome="").values("outcome").annotate(n=Count("id")).order_by()
    return {row["outcome"]: row["n"] for row in rows}


# --- internals ------------------------------------------------------------------------------


def _earlier_active(submission: Submission) -> bool:
    return Submission.objects.filter(
        campaign=submission.campaign_id, state__in=Submission.ACTIVE_STATES, id__lt=submission.pk
    ).exists()


def _read_before(submission: Submission, client: thulium.ThuliumClient) -> None:
    """Read the campaign's records once, before the first request: keep each row's status,
    agent and next call date as they were, and the record fields' last values we sent (for
    history and revert); take out rows whose phone the campaign holds more than once —
    Thulium cannot edit those by phone."""
    records = campaign_records_by_phone(client, submission.campaign.thulium_id)
    editing = submission.grid.mode == Grid.Mode.EDIT
    with transaction.atomic():
        for chunk in submission.chunks.filter(state=Chunk.State.PENDING):
            phones = dict(Row.objects.filter(id__in=chunk.row_ids).values_list("id", "phone"))
            sent = last_sent_fields(campaign=submission.campaign, phones=phones.values())
            counts = {pk: len(records.get(phones.get(pk), [])) for pk in chunk.row_ids}
            # Adding refuses a number that exists and removing takes every record with it:
            # only an edit cannot handle a number the campaign holds more than once.
            duplicated = [pk for pk in chunk.row_ids if counts[pk] > 1] if editing else []
            chunk.before = {
                str(pk): record_now(records[phones[pk]], sent.get(phones[pk]))
                | ({} if counts[pk] == 1 else {"count": counts[pk]})
                for pk in chunk.row_ids
                if counts[pk] == 1 or (counts[pk] and not editing)
            }
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
                                "edit such records by phone. Edit them in Thulium."
                            )
                            % {"count": len(records[phones[pk]])},
                        },
                    )
            if not chunk.row_ids:
                chunk.state = Chunk.State.SKIPPED
            chunk.save(update_fields=["before", "row_ids", "state"])
        Submission.objects.filter(pk=submission.pk).update(before_read_at=timezone.now())


def _claim(submission: Submission, worker: str, lease: timedelta) -> Chunk | None:
    now = timezone.now()
    candidates = submission.chunks.filter(
        Q(state=Chunk.State.PENDING) | Q(state=Chunk.State.CLAIMED, lease_until__lt=now)
    ).order_by("index")
    # Chunks another worker wins are passed over: None means none was left to take.
    for pk in list(candidates.values_list("id", flat=True)):
        with transaction.atomic():
            # A conditional UPDATE is the claim: of two workers, exactly one changes the row.
            won = Chunk.objects.filter(
                Q(state=Chunk.State.PENDING) | Q(state=Chunk.State.CLAIMED, lease_until__lt=now),
                pk=pk,
            ).update(
                state=Chunk.State.CLAIMED,
                claimed_by=worker,
                lease_until=now + lease,
                attempts=F("attempts") + 1,
            )
            if won:
                chunk = Chunk.objects.select_related("submission__grid").get(pk=pk)
                Row.objects.filter(id__in=chunk.row_ids).update(outcome=Outcome.SENDING)
                Submission.objects.filter(pk=submission.pk).update(heartbeat_at=now)
                return chunk
    return None


def _edit(grid: Grid, row: Row) -> thulium.RecordEdit:
    payload = row_payload(grid, row)
    return thulium.RecordEdit(phone_number=payload["phone_number"], **_changes(payload))


def _new(grid: Grid, row: Row) -> thulium.NewRecord:
    payload = row_payload(grid, row)
    return thulium.NewRecord(
        phone_number=payload["phone_number"],
        identifier=payload.get("identifier"),
        order=payload.get("order"),
        **_changes(payload),
    )


def _changes(payload: dict[str, Any]) -> dict[str, Any]:
    """The client's RecordChanges arguments for a row's payload."""
    moment = payload.get("next_call_date")
    return {
        "status_id": payload.get("status_id"),
        "dictionary_status_id": payload.get("dictionary_status_id"),
        "agent_login": payload.get("agent_login"),
        "next_call_date": datetime.strptime(moment, thulium.DATE_TIME_FORMAT) if moment else None,
        "record_fields": payload.get("record_fields", {}),
    }


def _owned(chunk: Chunk, worker: str) -> Any:
    return Chunk.objects.filter(pk=chunk.pk, state=Chunk.State.CLAIMED, claimed_by=worker)


def _record_failure(
    chunk: Chunk,
    worker: str,
    rows: Sequence[Row],
    outcome: str,
    error: thulium.ThuliumError,
    known: dict[int, tuple[str, dict[str, Any]]],
) -> None:
    detail = {
        "http_status": error.http_status,
        "status": "",
        "message": "; ".join(error.messages) or error.summary,
    }
    verdicts = {row.pk: known.get(row.pk) or (outcome, detail) for row in rows}
    _write(chunk, worker, rows, verdicts, error.request_id)


def _verdict(result: thulium.RowResult | None) -> tuple[str, dict[str, Any]]:
    if result is None or not result.known:
        return Outcome.UNKNOWN, {"http_status": None, "status": "", "message": ""}
    detail = {"http_status": result.http_status, "status": result.status, "message": result.message}
    if result.succeeded:
        return Outcome.UPDATED, detail
    if result.http_status == 404:
        return Outcome.NOT_FOUND, detail
    return Outcome.REJECTED, detail


def _addition_verdict(result: thulium.RowResult | None) -> tuple[str, dict[str, Any]]:
    if result is None or not result.known:
        return Outcome.UNKNOWN, {"http_status": None, "status": "", "message": ""}
    detail = {
        "http_status": result.http_status,
        "status": result.status,
        "message": result.message,
        "record_id": result.record_id,
    }
    if result.succeeded:
        return Outcome.ADDED, detail
    if result.status == "ALREADY_EXISTS":
        return Outcome.ALREADY_EXISTS, detail
    return Outcome.FAILED, detail


def _removal_verdict(
    results: Sequence[thulium.RowResult] | None,
) -> tuple[str, dict[str, Any]]:
    """A phone may match several records: the row keeps every one's answer."""
    if not results or not all(r.known for r in results):
        return Outcome.UNKNOWN, {"http_status": None, "status": "", "message": ""}
    records = [
        {"record_id": r.record_id, "status": r.status, "http_status": r.http_status}
        for r in results
    ]
    statuses = [r.status for r in results]
    detail = {
        "http_status": results[0].http_status,
        "status": ", ".join(dict.fromkeys(statuses)),
        "message": "; ".join(r.message for r in results if r.message),
        "records": records,
    }
    if "CALL_IN_PROGRESS" in statuses:
        # Removed later: a resend sends the phone again, and Thulium removes what is left.
        return Outcome.CALL_IN_PROGRESS, detail
    if "REMOVED" in statuses:
        return Outcome.REMOVED, detail
    if all(s == "NOT_EXIST" for s in statuses):
        return Outcome.NOT_EXIST, detail
    return Outcome.FAILED, detail


def _reconcile_added(
    submission: Submission,
    chunk: Chunk,
    rows: Sequence[Row],
    client: thulium.ThuliumClient,
    seen: dict[str, list[thulium.Record]],
) -> dict[int, tuple[str, dict[str, Any]]]:
    """POST is not idempotent: before sending rows whose earlier answer was lost (a worker died
    with the chunk, or a resend of a transport error), look in Thulium. A record that matches
    what we sent and was not there before this sending was added by us; one that was there
    before already existed. Rows not found are sent."""
    lost = [r for r in rows if chunk.attempts > 1 or r.outcome_detail.get("answer_lost")]
    if not lost:
        return {}
    if not seen:
        seen.update(campaign_records_by_phone(client, submission.campaign.thulium_id))
    verdicts = {}
    for row in lost:
        payload = row_payload(submission.grid, row)
        found = [r for r in seen.get(row.phone, []) if _matches(r, payload)]
        if not found:
            continue
        if str(row.pk) in chunk.before and not row.outcome_detail.get("answer_lost"):
            verdicts[row.pk] = (
                Outcome.ALREADY_EXISTS,
                {"http_status": None, "status": "ALREADY_EXISTS", "message": ""},
            )
        else:
            verdicts[row.pk] = (
                Outcome.ADDED,
                {
                    "http_status": None,
                    "status": "RECONCILED",
                    "message": _(
                        "Thulium's answer was lost; the record was found in Thulium as sent, "
                        "so it counts as added and was not sent again."
                    ),
                    "record_id": found[0].record_id,
                },
            )
    return verdicts


def _matches(record: thulium.Record, payload: dict[str, Any]) -> bool:
    """Does the record carry what we sent? (The listing has no record fields to compare.)"""
    moment = record.next_call_date
    listed = {
        "identifier": record.identifier,
        "status_id": record.status_id,
        "agent_login": record.agent_login,
        "next_call_date": thulium.format_date_time(moment) if moment else "",
    }
    return all(str(payload[key]) == value for key, value in listed.items() if key in payload)


def _write(
    chunk: Chunk,
    worker: str,
    rows: Sequence[Row],
    verdicts: dict[int, tuple[str, dict[str, Any]]],
    request_id: str | None,
) -> None:
    now = timezone.now()
    with transaction.atomic():
        if not _owned(chunk, worker).update(
            state=Chunk.State.DONE, answered_at=now, request_id=request_id or ""
        ):
            # Our lease ran out and another worker took the chunk: its answer counts, not ours.
            logger.warning("chunk %s: answer dropped, another worker owns it", chunk)
            return
        for row in rows:
            outcome, detail = verdicts[row.pk]
            row.outcome = outcome
            row.outcome_detail = detail | {
                "request_id": request_id or "",
                "chunk": chunk.index,
                "at": now.isoformat(timespec="seconds"),
            }
        confirmed, unknown = _store_outcomes(chunk, rows, verdicts, request_id or "", now)
        Submission.objects.filter(pk=chunk.submission_id).update(heartbeat_at=now)
        _audit(
            chunk.submission,
            AuditEntry.Action.OUTCOMES,
            chunk=chunk.index,
            request_id=request_id or "",
            rows=[
                [
                    row.number,
                    row.phone,
                    row.outcome,
                    row.outcome_detail.get("http_status"),
                    row.outcome_detail.get("message", ""),
                ]
                for row in rows
            ],
        )
        if confirmed or unknown:
            # Last: every writer locks the submission row, then the audit head, then field
            # rows. Learning earlier (its audit entry before the heartbeat) deadlocked two
            # workers on PostgreSQL.
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
    rows: Sequence[Row],
    verdicts: dict[int, tuple[str, dict[str, Any]]],
    request_id: str,
    now: datetime,
) -> tuple[set[str], set[str]]:
    """One RowOutcome per row and each row's new outcome, a statement or two each (see
    bulk_sql). JSON and datetimes go through the backend's own adapters. Returns the record
    fields Thulium took, and those it said the campaign lacks."""
    ops = connection.ops
    grid = chunk.submission.grid
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
                verdicts[row.pk][0],
                verdicts[row.pk][1]["http_status"],
                verdicts[row.pk][1]["status"],
                verdicts[row.pk][1]["message"],
                request_id,
                at,
                row.phone,
                ops.adapt_json_value(row_payload(grid, row), None),
                ops.adapt_json_value(chunk.before.get(str(row.pk), {}), None),
            )
            for row in rows
        ],
    )
    update_many(
        Row._meta.db_table,
        ["outcome", "outcome_detail"],
        ["varchar", "jsonb"],
        [(row.outcome, ops.adapt_json_value(row.outcome_detail, None), row.pk) for row in rows],
    )
    took = {Outcome.UPDATED, Outcome.ADDED}
    sent: dict[str, dict[str, str] | None] = {}
    confirmed: set[str] = set()
    unknown: set[str] = set()
    for row in rows:
        outcome, detail = verdicts[row.pk]
        if outcome == Outcome.REMOVED:
            sent[row.phone] = None
        elif outcome in took and row.values.get("record_fields"):
            sent[row.phone] = row.values["record_fields"]
            confirmed.update(row.values["record_fields"])
        elif name := thulium.unknown_field(detail.get("message", "")):
            unknown.add(name)
    sent_fields_record(campaign_id=chunk.submission.campaign_id, sent=sent)
    return confirmed, unknown


def _release(chunk: Chunk, worker: str, rows_outcome: str) -> None:
    if _owned(chunk, worker).update(state=Chunk.State.PENDING, claimed_by="", lease_until=None):
        Row.objects.filter(id__in=chunk.row_ids).update(outcome=rows_outcome)


def _stop(submission: Submission, chunk: Chunk | None, worker: str, problem: str) -> RunResult:
    """Thulium refused us as a whole (credentials, campaign): nothing of the rest is sent."""
    with transaction.atomic():
        if chunk is not None:
            _release(chunk, worker, Outcome.WAITING)
        _unsend_rest(submission)
        Submission.objects.filter(pk=submission.pk).update(
            state=Submission.State.FAILED, problem=problem, finished_at=timezone.now()
        )
        _audit(submission, AuditEntry.Action.SUBMISSION_FAILED, problem=problem)
    return RunResult(Submission.State.FAILED)


def _postpone(submission: Submission, chunk: Chunk, worker: str, retry_after: float) -> RunResult:
    """Thulium asked for a long pause: give the worker back and come again later."""
    with transaction.atomic():
        _release(chunk, worker, Outcome.WAITING)
        Submission.objects.filter(pk=submission.pk).update(
            state=Submission.State.WAITING,
            retry_at=timezone.now() + timedelta(seconds=retry_after),
        )
    return RunResult(Submission.State.WAITING, retry_after=retry_after)


def _cancel(submission: Submission) -> RunResult:
    with transaction.atomic():
        _unsend_rest(submission)
        Submission.objects.filter(pk=submission.pk).update(
            state=Submission.State.CANCELLED, finished_at=timezone.now()
        )
        _audit(submission, AuditEntry.Action.SUBMISSION_CANCELLED)
    return RunResult(Submission.State.CANCELLED)


def _unsend_rest(submission: Submission) -> None:
    pending = submission.chunks.filter(state=Chunk.State.PENDING)
    ids = [pk for chunk in pending for pk in chunk.row_ids]
    pending.update(state=Chunk.State.SKIPPED)
    for start in range(0, len(ids), 500):
        Row.objects.filter(id__in=ids[start : start + 500]).update(
            outcome=Outcome.NOT_SENT, outcome_detail={}
        )


def _finish_if_done(submission: Submission) -> RunResult:
    if submission.chunks.filter(state=Chunk.State.CLAIMED).exists():
        # Another worker still holds a chunk; whoever records the last one finishes.
        return RunResult(Submission.State.RUNNING)
    with transaction.atomic():
        if Submission.objects.filter(pk=submission.pk, state=Submission.State.RUNNING).update(
            state=Submission.State.FINISHED, finished_at=timezone.now()
        ):
            _audit(
                submission,
                AuditEntry.Action.SUBMISSION_FINISHED,
                outcomes=submission_counts(submission),
            )
    return RunResult(Submission.State.FINISHED)


def _audit(submission: Submission, action: str, **details: Any) -> None:
    audit(
        action=action,
        actor=submission.author,
        campaign=submission.campaign.thulium_id,
        grid_id=submission.grid_id,
        submission_id=submission.pk,
        **details,
    )


def submission_revert(
    *, submission: Submission, author: AbstractBaseUser | None, rules: CampaignRules
) -> Grid:
    """A new grid that undoes what this submission did, to review and send like any grid:
    records it updated get back their status, agent and next call date as they were just
    before, and the record fields it changed as we last sent them; records it added are
    removed; records it removed are added back as they were."""
    from campaigns.services.grids import PULL_HEADERS, grid_create_from_rows

    mode = submission.grid.mode
    done = {
        Grid.Mode.EDIT: Outcome.UPDATED,
        Grid.Mode.ADD: Outcome.ADDED,
        Grid.Mode.REMOVE: Outcome.REMOVED,
    }[mode]
    changed = submission.outcomes.filter(outcome=done).order_by("id")
    if mode != Grid.Mode.ADD:
        changed = changed.exclude(before={})
    changed = list(changed)
    if mode == Grid.Mode.ADD:
        revert_mode, headers = Grid.Mode.REMOVE, ["phone_number"]
        raw_rows = [[outcome.phone] for outcome in changed]
    else:
        revert_mode = Grid.Mode.EDIT if mode == Grid.Mode.EDIT else Grid.Mode.ADD
        names = sorted({name for o in changed for name in o.before.get("record_fields", {})})
        headers = PULL_HEADERS[:4] + [field_target(name) for name in names]
        if revert_mode == Grid.Mode.ADD:
            headers.append("identifier")
        raw_rows = []
        for outcome in changed:
            fields = outcome.before.get("record_fields", {})
            raw_rows.append(
                [
                    outcome.phone,
                    outcome.before.get("status_id", ""),
                    outcome.before.get("agent_login", ""),
                    outcome.before.get("next_call_date", ""),
                    # A field we last sent empty is cleared again; one never sent stays as it is.
                    *[_revert_cell(fields.get(name)) for name in names],
                ]
                + ([outcome.before.get("identifier", "")] if revert_mode == Grid.Mode.ADD else [])
            )
    if not raw_rows:
        raise SubmissionProblem(_("This sending changed no record whose earlier values we know."))
    with transaction.atomic():
        grid = grid_create_from_rows(
            campaign=submission.campaign,
            author=author,
            source=Grid.Source.REVERT,
            mode=revert_mode,
            headers=headers,
            raw_rows=raw_rows,
            rules=rules,
            pull_filters={"reverts_submission": submission.pk},
        )
        audit(
            action=AuditEntry.Action.REVERT,
            actor=author,
            campaign=submission.campaign.thulium_id,
            grid_id=grid.pk,
            submission_id=submission.pk,
            rows=len(raw_rows),
            reverts_grid=submission.grid_id,
        )
    return grid


def _revert_cell(value: str | None) -> str:
    if value is None:
        return ""
    return value or CLEAR_MARKER
