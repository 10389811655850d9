"""Running a sending: chunk by chunk, resumable, several workers at once.

The crash-safety rule: a chunk is claimed (with a lease), sent outside any transaction, and its
answer recorded in a transaction that only succeeds while the claim is still ours — the same
transaction claims the run's next chunk, so a request costs one commit. While a request is out,
a heartbeat renews its lease however slowly Thulium answers, so only a dead worker's claim runs
out. Then the chunk is claimable again and is sent again — safe, because PUT of the same values
is idempotent, and an addition's rows are first looked up in Thulium — and its rows get exactly
one recorded outcome.

Waits: when Thulium asks for a wait longer than the client sleeps, the request is given back and
the sending waits (WAITING until `retry_at`) with no worker held: the task comes back then, other
campaigns' sendings run meanwhile, and Cancel ends a waiting sending at once. An outage (Thulium
unreachable after the client's retries) waits the same way, with growing pauses, up to the
sending's limit; only then are its rows not confirmed / not sent (`_outage`, `_give_up`).

The brake: a sending's first request (the canary) is answered before any other is sent, and a
request whose rows Thulium mostly refused for one and the same reason pauses the sending, so a
systemic mistake (a field Thulium does not know) costs one request's rows, not the file.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import thulium
from campaigns.bulk_sql import insert_many, json_text, update_many
from campaigns.models import (
    AuditEntry,
    Chunk,
    Grid,
    Outcome,
    Row,
    RowOutcome,
    Submission,
)
from campaigns.outcome_words import no_answer_words
from campaigns.selectors.sendings import earlier_active, submission_counts
from campaigns.services.audit import audit, outcomes_digest
from campaigns.services.before_values import submission_read_before
from campaigns.services.connection import describe_thulium_error
from campaigns.services.fields import campaign_fields_learn
from campaigns.services.listing import campaign_records_by_phone
from campaigns.services.notify import submission_notify
from campaigns.services.rows import record_payload, values_record
from campaigns.services.thulium_now import sent_fields_record
from campaigns.services.verdicts import (
    Verdict,
    Verdicts,
    addition_verdict,
    edit_verdict,
    removal_verdict,
    systemic_refusal,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """How a run ended: `state` is the submission's; `retry_after` asks to run again later."""

    state: str
    retry_after: float | None = None


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
        campaign=submission.campaign.thulium_id,
        grid_id=submission.grid_id,
        submission_id=submission.pk,
        **details,
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
    if submission.state == Submission.State.WAITING and (
        submission.retry_at is not None and submission.retry_at > timezone.now()
    ):
        # Thulium asked us to wait: not before then, whoever starts the run.
        return RunResult(submission.state, retry_after=_seconds_left(submission.retry_at))
    if earlier_active(submission):
        return RunResult(Submission.State.QUEUED, retry_after=5)
    if helper and submission.before_read_at is None:
        return RunResult(submission.state, retry_after=1)
    with transaction.atomic():
        # Only a sending still active starts: a queued or waiting one may have been cancelled
        # since it was read (Cancel ends those at once).
        if not Submission.objects.filter(
            pk=submission.pk, state__in=Submission.ACTIVE_STATES
        ).update(
            state=Submission.State.RUNNING,
            started_at=submission.started_at or timezone.now(),
            heartbeat_at=timezone.now(),
            retry_at=None,
        ):
            return RunResult(
                Submission.objects.values_list("state", flat=True).get(pk=submission.pk)
            )
        if submission.started_at is None:
            submission_audit(submission, AuditEntry.Action.SUBMISSION_STARTED)
    if submission.before_read_at is None:
        try:
            submission_read_before(submission=submission, client=client)
        except (thulium.ThuliumAuthError, thulium.ThuliumNotFound) as error:
            return _stop(submission, None, worker, describe_thulium_error(error))
        except thulium.ThuliumUnavailable as error:
            return _outage(submission, None, worker, [], error, {})
        except thulium.ThuliumError as error:
            logger.warning("submission %s: cannot read the records yet: %s", submission.pk, error)
            return RunResult(Submission.State.RUNNING, retry_after=30)
    # Campaign records read at most once per run, to reconcile added rows whose answer was lost.
    seen: dict[str, list[thulium.Record]] = {}
    # The chunk this run holds: claimed on its own at first and after a dropped answer, and
    # otherwise in the transaction that records the one before it (one commit per request).
    chunk: Chunk | None = None
    while True:
        if chunk is None:
            state, cancel, retry_at = Submission.objects.values_list(
                "state", "cancel_requested", "retry_at"
            ).get(pk=submission.pk)
            if state == Submission.State.WAITING:
                # Another run's request was told to wait: this one waits as well.
                return RunResult(state, retry_after=_seconds_left(retry_at))
            if state != Submission.State.RUNNING:
                return RunResult(state)
            if cancel:
                return _cancel(submission)
            try:
                with transaction.atomic():
                    chunk = _claim(submission, worker, lease)
                    Submission.objects.filter(pk=submission.pk).update(heartbeat_at=timezone.now())
            except _CanaryInFlight:
                return RunResult(Submission.State.RUNNING, retry_after=1)
            if chunk is None:
                return _finish_if_done(submission)
        rows = _send_rows(submission.grid, chunk.row_ids)
        adding = submission.grid.mode == Grid.Mode.ADD
        known: Verdicts = {}
        try:
            with _claim_kept_alive(chunk, worker, lease):
                if adding:
                    known = _reconcile_added(submission, chunk, rows, client, seen)
                to_send = [row for row in rows if row.pk not in known]
                if adding and to_send and not _renew(chunk, worker, lease):
                    # The claim ran out during the lookup (the heartbeat could not reach the
                    # database): its new holder looks the rows up and sends them, not us.
                    logger.warning("chunk %s: claim lost before its POST; not sent", chunk)
                    chunk = None
                    continue
                verdicts, request_id = _send(submission, chunk, to_send, client)
        except thulium.ThuliumAuthError as error:
            return _stop(submission, chunk, worker, describe_thulium_error(error))
        except thulium.ThuliumNotFound as error:
            return _stop(submission, chunk, worker, describe_thulium_error(error))
        except thulium.ThuliumUnavailable as error:
            if error.retry_after is not None and error.retry_after > client.config.backoff_cap:
                # Longer than the client sleeps: wait with the worker free, not in it.
                return _postpone(submission, chunk, worker, error.retry_after)
            # Thulium cannot be reached even after the client's retries: an outage. The
            # sending waits and tries again by itself; it does not end.
            return _outage(submission, chunk, worker, rows, error, known)
        except thulium.ThuliumRejected as error:
            chunk = _record_failure(chunk, worker, rows, Outcome.REJECTED, error, known, lease)
        except thulium.ThuliumProtocolError as error:
            # Thulium may have done the work: we cannot tell, so never call it a success.
            chunk = _record_failure(chunk, worker, rows, Outcome.UNKNOWN, error, known, lease)
        else:
            cause = systemic_refusal(list(verdicts.values()))
            # A request that pauses the sending claims nothing after it.
            recorded, chunk = _write(
                chunk, worker, rows, known | verdicts, request_id, None if cause else lease
            )
            if recorded and cause is not None:
                return _pause(submission, *cause, len(verdicts))


@dataclass(slots=True)
class _SendRow:
    """What sending needs of a row, read as values (Row objects cost three times as much), with
    its request built once: the same record goes to Thulium and its payload into history."""

    pk: int
    number: int
    phone: str
    values: dict[str, Any]
    outcome: str
    outcome_detail: dict[str, Any]
    record: thulium.RecordEdit | thulium.NewRecord | None
    payload: dict[str, Any]


def _send_rows(grid: Grid, row_ids: Sequence[int]) -> list[_SendRow]:
    rows = []
    # Only an addition looks at the last answer (was it lost?): elsewhere it is not read.
    adding = grid.mode == Grid.Mode.ADD
    fields = ["id", "number", "phone", "values", "outcome"] + (["outcome_detail"] if adding else [])
    found = Row.objects.filter(id__any_of=row_ids).order_by("number", "id").values_list(*fields)
    for pk, number, phone, values, outcome, *last in found:
        detail = last[0] if last else {}
        if grid.mode == Grid.Mode.REMOVE:
            record, payload = None, {"phone_number": values.get("phone_number", "")}
        else:
            record = values_record(grid, values)
            payload = record_payload(grid, record)
        rows.append(_SendRow(pk, number, phone, values, outcome, detail, record, payload))
    return rows


def _send(
    submission: Submission, chunk: Chunk, rows: Sequence[_SendRow], client: thulium.ThuliumClient
) -> tuple[Verdicts, str | None]:
    """One request for the rows, in the grid's mode; each row's verdict, and the request id.
    Rows whose phone several records share go one request per record, by identifier."""
    if not rows:
        return {}, None
    grid, campaign_id = submission.grid, submission.campaign.thulium_id
    if grid.mode == Grid.Mode.REMOVE:
        removed = client.batch_delete(
            campaign_id,
            [row.phone for row in rows],
            search_in_additional_numbers=grid.search_additional,
        )
        return {row.pk: removal_verdict(removed.rows.get(row.phone)) for row in rows}, (
            removed.request_id
        )
    if grid.mode == Grid.Mode.ADD:
        records = [row.record for row in rows]
        added = client.batch_add(campaign_id, records)  # type: ignore[arg-type]
        return {row.pk: addition_verdict(added.rows.get(row.phone)) for row in rows}, (
            added.request_id
        )
    if grid.finds_by_identifier:
        return {row.pk: _by_identifier(campaign_id, grid, row, client) for row in rows}, None
    shared = {row.pk for row in rows if "records" in chunk.before.get(str(row.pk), {})}
    verdicts = {
        row.pk: _every_record(campaign_id, grid, row, chunk.before[str(row.pk)], client)
        for row in rows
        if row.pk in shared
    }
    by_phone = [row for row in rows if row.pk not in shared]
    if not by_phone:
        return verdicts, None
    edited = client.batch_edit(
        campaign_id,
        [row.record for row in by_phone],  # type: ignore[misc]
        search_in_additional_numbers=grid.search_additional,
    )
    verdicts |= {row.pk: edit_verdict(edited.rows.get(row.phone)) for row in by_phone}
    return verdicts, edited.request_id


def _by_identifier(
    campaign_id: str, grid: Grid, row: _SendRow, client: thulium.ThuliumClient
) -> Verdict:
    """Edit the one record the row's identifier names (the grid finds records so)."""
    try:
        client.edit_record_by_identifier(
            campaign_id,
            row.values["identifier"],
            row.record,  # type: ignore[arg-type]
        )
    except thulium.ThuliumNotFound as error:
        # The record, not the campaign: Thulium's 404 here names the identifier.
        return Verdict(Outcome.NOT_FOUND, 404, "", "; ".join(error.messages))
    except thulium.ThuliumRejected as error:
        return Verdict(Outcome.REJECTED, error.http_status, "", "; ".join(error.messages))
    return Verdict(Outcome.UPDATED, 204)


def _every_record(
    campaign_id: str,
    grid: Grid,
    row: _SendRow,
    before: Mapping[str, Any],
    client: thulium.ThuliumClient,
) -> Verdict:
    """Edit each record holding the row's phone by its identifier (the supervisor chose to
    change every one). The row keeps every record's answer, as a removal does."""
    changes = row.record
    answers = []
    for record in before["records"]:
        answer = {"record_id": record.get("record_id"), "identifier": record["identifier"]}
        if not record["identifier"]:
            answers.append(answer | {"http_status": None, "status": "NO_IDENTIFIER"})
            continue
        try:
            client.edit_record_by_identifier(campaign_id, record["identifier"], changes)
        except thulium.ThuliumNotFound as error:
            answers.append(answer | {"http_status": 404, "message": "; ".join(error.messages)})
        except thulium.ThuliumRejected as error:
            answers.append(
                answer | {"http_status": error.http_status, "message": "; ".join(error.messages)}
            )
        else:
            answers.append(answer | {"http_status": 204})
    done = [a for a in answers if a["http_status"] == 204]
    missing = [a for a in answers if a.get("status") == "NO_IDENTIFIER"]
    refused = [a for a in answers if a not in done and a not in missing]
    messages = [a["message"] for a in refused if a.get("message")]
    if missing:
        messages.append(
            ngettext(
                "%(n)s record with this number has no identifier, so it cannot be told apart: "
                "edit it in Thulium.",
                "%(n)s records with this number have no identifier, so they cannot be told "
                "apart: edit them in Thulium.",
                len(missing),
            )
            % {"n": len(missing)}
        )
    extra = {"records": answers}
    if not refused and not missing:
        return Verdict(Outcome.UPDATED, 204, extra=extra)
    if not done and not refused:
        return Verdict(Outcome.NOT_SENT, None, "NO_IDENTIFIER", "; ".join(messages), extra)
    status = (
        Outcome.NOT_FOUND
        if refused and all(a["http_status"] == 404 for a in refused)
        else (Outcome.REJECTED)
    )
    return Verdict(
        status, refused[0]["http_status"] if refused else None, "", "; ".join(messages), extra
    )


@contextmanager
def _claim_kept_alive(chunk: Chunk, worker: str, lease: timedelta) -> Iterator[None]:
    """While Thulium works on the chunk (a lookup, its request), however slowly, renew the claim
    and the sending's sign of life every third of a lease, from a thread with its own database
    connection: no other worker takes over a chunk whose request may still be answered, and
    the reaper leaves the sending alone. Only a dead worker's claim runs out. Each renewal is
    its own short statement: no transaction stays open across the call."""
    if connection.in_atomic_block:
        # Against the house rule, the caller holds a transaction across the call: another
        # connection's renewal would wait for our own uncommitted claim, and we for it.
        yield
        return
    stop = threading.Event()
    every = max(0.05, lease.total_seconds() / 3)

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    if not _renew(chunk, worker, lease):
                        logger.warning("chunk %s: claim lost while its request was out", chunk)
                        return
                except DatabaseError as error:
                    # Tried again at the next beat; the lease outlives two missed ones.
                    logger.warning("chunk %s: could not renew the claim: %s", chunk, error)
        finally:
            connections.close_all()  # this thread's own connections only

    thread = threading.Thread(target=beat, name=f"claim-{chunk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _renew(chunk: Chunk, worker: str, lease: timedelta) -> bool:
    """Extend our claim on the chunk by a lease from now; False when it is no longer ours."""
    now = timezone.now()
    if not _owned(chunk, worker).update(lease_until=now + lease):
        return False
    Submission.objects.filter(pk=chunk.submission_id).update(heartbeat_at=now)
    return True


def _seconds_left(moment: datetime | None) -> float:
    """Seconds until `moment`, at least a tenth (a run asked to come back comes back later)."""
    if moment is None:
        return 1.0
    return max(0.1, (moment - timezone.now()).total_seconds())


class _CanaryInFlight(Exception):
    """Another worker is sending the first request: the others wait for its answer."""


def _canary_in_flight(submission: Submission, worker: str) -> bool:
    """The first request is answered before any other is sent: another worker holds it."""
    return (
        Chunk.objects.filter(
            submission=submission,
            index=0,
            state=Chunk.State.CLAIMED,
            lease_until__gte=timezone.now(),
        )
        .exclude(claimed_by=worker)
        .exists()
    )


def _claim(submission: Submission, worker: str, lease: timedelta) -> Chunk | None:
    """Take the submission's first chunk nobody holds (inside the caller's transaction); None
    when none is left to take. Rows are not marked: a row waits until its answer is recorded,
    so a request costs one write of its rows, not two."""
    now = timezone.now()
    free = Q(state=Chunk.State.PENDING) | Q(state=Chunk.State.CLAIMED, lease_until__lt=now)
    # On PostgreSQL a chunk another worker is claiming is passed over, not waited for (SQLite
    # takes one writer at a time: there the transaction itself is the lock).
    candidates = (
        submission.chunks.filter(free).order_by("index").select_for_update(skip_locked=True)
    )
    for chunk in candidates[:1]:
        if chunk.index > 0 and _canary_in_flight(submission, worker):
            raise _CanaryInFlight
        # A conditional UPDATE is the claim: of two workers, exactly one changes the row.
        if not Chunk.objects.filter(free, pk=chunk.pk).update(
            state=Chunk.State.CLAIMED,
            claimed_by=worker,
            lease_until=now + lease,
            attempts=F("attempts") + 1,
        ):
            return None
        chunk.state, chunk.claimed_by, chunk.lease_until = Chunk.State.CLAIMED, worker, now + lease
        chunk.attempts += 1
        chunk.submission = submission
        return chunk
    return None


def _claim_next(submission: Submission, worker: str, lease: timedelta) -> Chunk | None:
    """The next chunk, claimed in the transaction that records the last one; None when the run
    must look again on its own: the sending was paused or cancelled meanwhile, the canary is in
    flight elsewhere, or nothing is left."""
    state, cancel = Submission.objects.values_list("state", "cancel_requested").get(
        pk=submission.pk
    )
    if state != Submission.State.RUNNING or cancel:
        return None
    try:
        return _claim(submission, worker, lease)
    except _CanaryInFlight:
        return None


def _owned(chunk: Chunk, worker: str) -> Any:
    return Chunk.objects.filter(pk=chunk.pk, state=Chunk.State.CLAIMED, claimed_by=worker)


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


def _reconcile_added(
    submission: Submission,
    chunk: Chunk,
    rows: Sequence[_SendRow],
    client: thulium.ThuliumClient,
    seen: dict[str, list[thulium.Record]],
) -> Verdicts:
    """POST is not idempotent: before sending rows whose earlier answer was lost (a worker died
    with the chunk, or a resend of a transport error), look in Thulium. A record that matches
    what we sent and was not there before this sending was added by us; one that was there
    before already existed. Rows not found are sent."""
    lost = [r for r in rows if chunk.attempts > 1 or r.outcome_detail.get("answer_lost")]
    if not lost:
        return {}
    if not seen:
        seen.update(campaign_records_by_phone(client, submission.campaign.thulium_id))
    verdicts: Verdicts = {}
    for row in lost:
        payload = row.payload
        found = [r for r in seen.get(row.phone, []) if _matches(r, payload)]
        if not found:
            continue
        if str(row.pk) in chunk.before and not row.outcome_detail.get("answer_lost"):
            verdicts[row.pk] = Verdict(Outcome.ALREADY_EXISTS, None, thulium.ALREADY_EXISTS)
        else:
            verdicts[row.pk] = Verdict(
                Outcome.ADDED,
                None,
                "RECONCILED",
                _(
                    "Thulium's answer was lost; the record was found in Thulium as sent, "
                    "so it counts as added and was not sent again."
                ),
                {"record_id": found[0].record_id},
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
    rows: Sequence[_SendRow],
    verdicts: Verdicts,
    request_id: str | None,
    lease: timedelta | None,
) -> tuple[bool, Chunk | None]:
    """Record a request's answers and, in the same transaction, claim the next chunk for
    `lease` (one commit per request; no `lease`, no claim). (False, None) when the chunk was no
    longer ours to record."""
    now = timezone.now()
    with transaction.atomic():
        if not _owned(chunk, worker).update(
            state=Chunk.State.DONE, answered_at=now, request_id=request_id or ""
        ):
            # Our lease ran out and another worker took the chunk: its answer counts, not ours.
            logger.warning("chunk %s: answer dropped, another worker owns it", chunk)
            return False, None
        for row in rows:
            verdict = verdicts[row.pk]
            row.outcome = verdict.outcome
            row.outcome_detail = verdict.detail() | {
                "request_id": request_id or "",
                "chunk": chunk.index,
                "at": now.isoformat(timespec="seconds"),
            }
        confirmed, unknown = _store_outcomes(chunk, rows, verdicts, request_id or "", now)
        Submission.objects.filter(pk=chunk.submission_id).update(heartbeat_at=now)
        # Thulium answered: an outage this sending waited through is over.
        Submission.objects.filter(pk=chunk.submission_id, state=Submission.State.RUNNING).exclude(
            outage_since=None
        ).update(outage_since=None, outage_tries=0, outage_status=None)
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
        # Last: the next chunk's lock is taken after every lock above, and never waited for.
        following = _claim_next(chunk.submission, worker, lease) if lease else None
    return True, following


def _store_outcomes(
    chunk: Chunk,
    rows: Sequence[_SendRow],
    verdicts: Verdicts,
    request_id: str,
    now: datetime,
) -> tuple[set[str], set[str]]:
    """One RowOutcome per row and each row's new outcome, a statement or two each (see
    bulk_sql). Datetimes go through the backend's own adapter. Returns the record
    fields Thulium took, and those it said the campaign lacks."""
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


def _release(chunk: Chunk, worker: str) -> None:
    """Give the chunk back unsent; its rows were never marked, so they still wait."""
    _owned(chunk, worker).update(state=Chunk.State.PENDING, claimed_by="", lease_until=None)


def _stop(submission: Submission, chunk: Chunk | None, worker: str, problem: str) -> RunResult:
    """Thulium refused us as a whole (credentials, campaign): nothing of the rest is sent."""
    with transaction.atomic():
        if chunk is not None:
            _release(chunk, worker)
        submission_unsend_rest(submission=submission)
        Submission.objects.filter(pk=submission.pk).update(
            state=Submission.State.FAILED, problem=problem, finished_at=timezone.now()
        )
        submission_audit(submission, AuditEntry.Action.SUBMISSION_FAILED, problem=problem)
        transaction.on_commit(lambda: submission_notify(submission_id=submission.pk))
    return RunResult(Submission.State.FAILED)


def _pause(submission: Submission, message: str, refused: int, rows: int) -> RunResult:
    """Thulium refused most of a request's rows for one reason: send nothing more. The rest
    is marked not sent; Resume is a new sending of these rows and the refused ones."""
    problem = ngettext(
        "Paused: Thulium refused %(refused)s of %(rows)s row with “%(message)s”. Nothing more "
        "was sent. Fix the cause, then resume or cancel.",
        "Paused: Thulium refused %(refused)s of %(rows)s rows with “%(message)s”. Nothing more "
        "was sent. Fix the cause, then resume or cancel.",
        rows,
    ) % {"refused": refused, "rows": rows, "message": message}
    with transaction.atomic():
        if Submission.objects.filter(pk=submission.pk, state=Submission.State.RUNNING).update(
            state=Submission.State.PAUSED,
            problem=problem,
            pause_cause=message,
            finished_at=timezone.now(),
        ):
            not_sent = submission_unsend_rest(submission=submission, detail={"status": "PAUSED"})
            submission_audit(
                submission,
                AuditEntry.Action.SUBMISSION_PAUSED,
                cause=message,
                refused=refused,
                of=rows,
                not_sent=not_sent,
            )
            transaction.on_commit(lambda: submission_notify(submission_id=submission.pk))
    return RunResult(Submission.State.PAUSED)


def _postpone(submission: Submission, chunk: Chunk, worker: str, retry_after: float) -> RunResult:
    """Thulium asked for a long pause (at most THULIUM_RETRY_AFTER_CAP, as the client reads
    it): give the chunk and the worker back and come again then. Until then the sending is
    WAITING: no run sends, and Cancel ends it at once."""
    with transaction.atomic():
        _release(chunk, worker)
        # A sending cancelled meanwhile stays cancelled.
        Submission.objects.filter(
            pk=submission.pk, state__in=[Submission.State.RUNNING, Submission.State.WAITING]
        ).update(
            state=Submission.State.WAITING,
            retry_at=timezone.now() + timedelta(seconds=retry_after),
        )
    return RunResult(Submission.State.WAITING, retry_after=retry_after)


def _outage(
    submission: Submission,
    chunk: Chunk | None,
    worker: str,
    rows: Sequence[_SendRow],
    error: thulium.ThuliumUnavailable,
    known: Verdicts,
) -> RunResult:
    """Thulium cannot be reached: give the chunk back (sent again when Thulium answers; an
    addition's rows are looked up first, since its POST may have landed) and wait, with the
    worker free, pauses growing from SUBMISSION_OUTAGE_FIRST_PAUSE to _LONGEST_PAUSE. Only once
    the sending's limit has passed does it end: this request's rows are not confirmed, the rest
    not sent."""
    now = timezone.now()
    with transaction.atomic():
        current = Submission.objects.select_for_update().get(pk=submission.pk)
        # Cancelled or ended by another run meanwhile (its word stands), or asked to stop while
        # the request was out (it stops now, not after a pause).
        stopping = current.cancel_requested or current.state not in (
            Submission.State.RUNNING,
            Submission.State.WAITING,
        )
        if stopping:
            if chunk is not None:
                _release(chunk, worker)
        else:
            current.outage_since = since = current.outage_since or now
            tries = current.outage_tries + 1
            gives_up_at = current.outage_gives_up_at
            assert gives_up_at is not None
            if now >= gives_up_at:
                return _give_up(current, chunk, worker, rows, error, known)
            first = settings.SUBMISSION_OUTAGE_FIRST_PAUSE
            pause = min(settings.SUBMISSION_OUTAGE_LONGEST_PAUSE, first * 2 ** min(tries - 1, 30))
            retry_at = min(now + timedelta(seconds=pause), gives_up_at)
            if chunk is not None:
                _release(chunk, worker)
            Submission.objects.filter(pk=submission.pk).update(
                state=Submission.State.WAITING,
                retry_at=retry_at,
                outage_since=since,
                outage_tries=tries,
                outage_status=error.http_status,
            )
            if tries == 1:
                submission_audit(
                    submission,
                    AuditEntry.Action.SUBMISSION_WAITING,
                    http_status=error.http_status,
                    request_id=error.request_id or "",
                    retry_at=retry_at.isoformat(timespec="seconds"),
                )
                # The author hears that it waits (and that nothing was refused), once an outage.
                transaction.on_commit(lambda: submission_notify(submission_id=submission.pk))
    if current.state not in (Submission.State.RUNNING, Submission.State.WAITING):
        return RunResult(current.state)
    if stopping:
        return _cancel(submission)
    logger.warning(
        "submission %s: Thulium cannot be reached (%s); try %s, again at %s",
        submission.pk,
        error.summary,
        tries,
        retry_at.isoformat(timespec="seconds"),
    )
    return RunResult(Submission.State.WAITING, retry_after=_seconds_left(retry_at))


def _give_up(
    submission: Submission,
    chunk: Chunk | None,
    worker: str,
    rows: Sequence[_SendRow],
    error: thulium.ThuliumUnavailable,
    known: Verdicts,
) -> RunResult:
    """The outage outlasted the sending's limit (inside the caller's transaction): the request
    out is recorded as not confirmed (it may have landed), the rows never sent as not sent, and
    the sending stops. Both can be resent."""
    if chunk is not None and rows:
        failed = Verdict(
            Outcome.TRANSPORT_ERROR,
            error.http_status,
            "NO_ANSWER",
            "; ".join(error.messages) or error.summary,
        )
        _write(
            chunk,
            worker,
            rows,
            {row.pk: known.get(row.pk) or failed for row in rows},
            error.request_id,
            None,
        )
    elif chunk is not None:
        _release(chunk, worker)
    not_sent = submission_unsend_rest(
        submission=submission,
        detail={
            "status": "UNREACHABLE",
            "http_status": error.http_status,
            "message": _("Not sent: %(cause)s for longer than the sending waits. Resend it.")
            % {"cause": no_answer_words(error.http_status)},
        },
    )
    seconds = round(submission.wait_limit or settings.SUBMISSION_OUTAGE_HOURS * 3600)
    if seconds >= 3600 and seconds % 3600 == 0:
        waited = ngettext("%(n)s hour", "%(n)s hours", seconds // 3600) % {"n": seconds // 3600}
    elif seconds >= 60:
        minutes = round(seconds / 60)
        waited = ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
    else:
        waited = ngettext("%(n)s second", "%(n)s seconds", seconds) % {"n": seconds}
    problem = _(
        "Thulium could not be reached for %(waited)s, so the sending stopped. Resend its rows "
        "not confirmed and not sent once Thulium answers again."
    ) % {"waited": waited}
    Submission.objects.filter(pk=submission.pk).update(
        state=Submission.State.FAILED, problem=problem, finished_at=timezone.now(), retry_at=None
    )
    submission_audit(
        submission,
        AuditEntry.Action.SUBMISSION_FAILED,
        problem=problem,
        cause="unreachable",
        http_status=error.http_status,
        not_sent=not_sent,
        outcomes=submission_counts(submission),
    )
    transaction.on_commit(lambda: submission_notify(submission_id=submission.pk))
    return RunResult(Submission.State.FAILED)


def _cancel(submission: Submission) -> RunResult:
    with transaction.atomic():
        running = [Submission.State.RUNNING, Submission.State.WAITING]
        if not Submission.objects.filter(pk=submission.pk, state__in=running).update(
            state=Submission.State.CANCELLED, finished_at=timezone.now()
        ):
            # Another run ended it first (finished, paused, cancelled): its word stands.
            return RunResult(
                Submission.objects.values_list("state", flat=True).get(pk=submission.pk)
            )
        submission_unsend_rest(submission=submission)
        submission_audit(submission, AuditEntry.Action.SUBMISSION_CANCELLED)
    return RunResult(Submission.State.CANCELLED)


def _finish_if_done(submission: Submission) -> RunResult:
    if submission.chunks.filter(state=Chunk.State.CLAIMED).exists():
        # Another worker still holds a chunk; whoever records the last one finishes.
        return RunResult(Submission.State.RUNNING)
    with transaction.atomic():
        if Submission.objects.filter(pk=submission.pk, state=Submission.State.RUNNING).update(
            state=Submission.State.FINISHED, finished_at=timezone.now()
        ):
            submission_audit(
                submission,
                AuditEntry.Action.SUBMISSION_FINISHED,
                outcomes=submission_counts(submission),
            )
            transaction.on_commit(lambda: submission_notify(submission_id=submission.pk))
    return RunResult(Submission.State.FINISHED)
