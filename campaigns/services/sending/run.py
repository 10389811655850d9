"""A run of a sending: `submission_run` starts it, loops claim → request → record until nothing
is left, and ends it — finished, paused by the brake, stopped, cancelled — or makes it wait,
with the worker free, when Thulium asks for a pause or cannot be reached."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import thulium
from campaigns.collector import cycle_collector_paused
from campaigns.models import AuditEntry, Chunk, Grid, Outcome, Submission
from campaigns.presentation.outcome_words import no_answer_words
from campaigns.selectors.sendings import earlier_active, submission_counts
from campaigns.services.before_values import submission_read_before
from campaigns.services.connection import describe_thulium_error
from campaigns.services.notify import submission_notify
from campaigns.services.sending.claims import (
    _CanaryInFlight,
    _claim,
    _claim_kept_alive,
    _claim_next,
    _release,
    _renew,
)
from campaigns.services.sending.outcomes import (
    _record_failure,
    _write,
    submission_audit,
    submission_unsend_rest,
)
from campaigns.services.sending.recorder import Recorder
from campaigns.services.sending.requests import (
    _chunk_mode,
    _reconcile_added,
    _send,
    _send_rows,
    _SendRow,
)
from campaigns.services.verdicts import Verdict, Verdicts, systemic_refusal

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """How a run ended: `state` is the submission's; `retry_after` asks to run again later."""

    state: str
    retry_after: float | None = None


@cycle_collector_paused()  # a request's rows are thousands of small objects (collector.py)
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
    submission = Submission.objects.select_related("grid", "campaign__system").get(pk=submission_id)
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
            return _stop(
                submission,
                None,
                worker,
                describe_thulium_error(error, system=submission.campaign.system),
            )
        except thulium.ThuliumUnavailable as error:
            return _outage(submission, None, worker, [], error, {})
        except thulium.ThuliumError as error:
            logger.warning("submission %s: cannot read the records yet: %s", submission.pk, error)
            return RunResult(Submission.State.RUNNING, retry_after=30)
    with Recorder() as recorder:
        return _send_chunks(submission, client, worker, lease, recorder)


def _send_chunks(
    submission: Submission,
    client: thulium.ThuliumClient,
    worker: str,
    lease: timedelta,
    recorder: Recorder,
) -> RunResult:
    """The run's loop: claim a chunk, send it, hand its answers to the recorder, and on until
    nothing is left or the sending waits or ends."""
    # Campaign records read at most once per run, to reconcile added rows whose answer was lost.
    seen: dict[str, list[thulium.Record]] = {}
    # The chunk this run holds: claimed on its own at first and after a dropped answer, and
    # otherwise right after the answer of the one before it, which the recorder then records
    # while this one is sent (or, where it records at once, in the same transaction).
    chunk: Chunk | None = None
    while True:
        if chunk is None:
            recorder.wait()  # what this run sent is recorded before it looks at the sending
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
        # The chunk this request sends (`chunk` becomes the next one, or None to claim anew).
        claimed = chunk
        rows = _send_rows(submission.grid, claimed.row_ids)
        adding = _chunk_mode(submission.grid, rows) == Grid.Mode.ADD
        known: Verdicts = {}
        try:
            with _claim_kept_alive(claimed, worker, lease):
                if adding:
                    known = _reconcile_added(submission, claimed, rows, client, seen)
                to_send = [row for row in rows if row.pk not in known]
                if adding and to_send and not _renew(claimed, worker, lease):
                    # The claim ran out during the lookup (the heartbeat could not reach the
                    # database): its new holder looks the rows up and sends them, not us.
                    logger.warning("chunk %s: claim lost before its POST; not sent", claimed)
                    chunk = None
                    continue
                verdicts, request_id = _send(submission, claimed, to_send, client)
        except thulium.ThuliumAuthError as error:
            recorder.wait()
            return _stop(
                submission,
                claimed,
                worker,
                describe_thulium_error(error, system=submission.campaign.system),
            )
        except thulium.ThuliumNotFound as error:
            recorder.wait()
            return _stop(
                submission,
                claimed,
                worker,
                describe_thulium_error(error, system=submission.campaign.system),
            )
        except thulium.ThuliumUnavailable as error:
            recorder.wait()
            if error.retry_after is not None and error.retry_after > client.config.backoff_cap:
                # Longer than the client sleeps: wait with the worker free, not in it.
                return _postpone(submission, claimed, worker, error.retry_after)
            # Thulium cannot be reached even after the client's retries: an outage. The
            # sending waits and tries again by itself; it does not end.
            return _outage(submission, claimed, worker, rows, error, known)
        except thulium.ThuliumRejected as error:
            recorder.wait()
            chunk = _record_failure(claimed, worker, rows, Outcome.REJECTED, error, known, lease)
        except thulium.ThuliumProtocolError as error:
            recorder.wait()
            # Thulium may have done the work: we cannot tell, so never call it a success.
            chunk = _record_failure(claimed, worker, rows, Outcome.UNKNOWN, error, known, lease)
        else:
            cause = systemic_refusal(list(verdicts.values()))
            answers = known | verdicts
            if cause is None and not recorder.at_once:
                # The next chunk is claimed now; this one's answers are recorded while it is
                # sent (see recorder.py).
                recorder.wait()
                with transaction.atomic():
                    chunk = _claim_next(submission, worker, lease)
                recorder.record(_write, claimed, worker, rows, answers, request_id, None)
                continue
            recorder.wait()
            # A request that pauses the sending claims nothing after it.
            recorded, chunk = _write(
                claimed, worker, rows, answers, request_id, None if cause else lease
            )
            if recorded and cause is not None:
                return _pause(submission, *cause, len(verdicts))


def _seconds_left(moment: datetime | None) -> float:
    """Seconds until `moment`, at least a tenth (a run asked to come back comes back later)."""
    if moment is None:
        return 1.0
    return max(0.1, (moment - timezone.now()).total_seconds())


def submission_run_to_end(*, submission_id: int, client: thulium.ThuliumClient) -> RunResult:
    """Run the sending in this process until it ends, waiting out Thulium's pauses and outages
    (a command, an import sending now): no task worker needed."""
    while True:
        result = submission_run(submission_id=submission_id, client=client)
        if result.retry_after is None:
            return result
        time.sleep(min(result.retry_after, 5.0))


def submission_cannot_connect(*, submission_id: int, problem: str) -> RunResult:
    """No client can be made for the sending's system (its connection is incomplete, or its
    password cannot be read): stopped as a refusal of our API user is, with the words why,
    instead of a task failing where no one reads it."""
    submission = Submission.objects.select_related("grid", "campaign__system").get(pk=submission_id)
    if not submission.active:
        return RunResult(submission.state)
    return _stop(submission, None, "", problem)


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
