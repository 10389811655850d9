"""Queueing sendings of grids to Thulium (one per campaign at a time), stopping them, reaping
silent ones, and counting what they did. The run itself is in `sending`; reverting is in
`revert`.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import thulium
from campaigns.models import (
    LOST_ANSWER_OUTCOMES,
    REFUSED_OUTCOMES,
    RESENDABLE_OUTCOMES,
    AuditEntry,
    Chunk,
    Grid,
    Outcome,
    Row,
    RowOutcome,
    Submission,
)
from campaigns.outcome_words import no_answer_words, outcome_kinds, outcome_summary
from campaigns.services.audit import audit
from campaigns.services.connection import Problem
from campaigns.services.grids import grid_rules_fingerprint, grid_validate
from campaigns.services.locking import grid_lock, grid_removed_message
from campaigns.services.verdicts import NOT_IN_ANSWER
from campaigns.validation import CampaignRules

logger = logging.getLogger(__name__)

# What a sending of each mode did to a record when Thulium said it did: what a revert undoes.
REVERTED_OUTCOMES = {
    Grid.Mode.EDIT: Outcome.UPDATED,
    Grid.Mode.ADD: Outcome.ADDED,
    Grid.Mode.REMOVE: Outcome.REMOVED,
}


class SubmissionProblem(Problem):
    """The submission cannot start; the message says why."""


@dataclass(frozen=True)
class RunResult:
    """How a run ended: `state` is the submission's; `retry_after` asks to run again later."""

    state: str
    retry_after: float | None = None


def sendable_rows(grid: Grid, *, resend: bool = False, include_unchanged: bool = False) -> Any:
    """The rows a sending would take: without errors, never sent (or, with `resend`, whose last
    outcome was not a success), and — unless asked — not those Thulium holds as they are. A row
    not confirmed goes again even then: it may look done because its own lost request landed,
    and only Thulium's answer confirms it (the same values sent twice change nothing)."""
    rows = grid.rows.filter(outcome__in=RESENDABLE_OUTCOMES if resend else [Outcome.NONE])
    rows = rows.exclude(state=Row.State.ERROR)
    return rows if include_unchanged else rows.exclude(_LEFT_OUT_AS_UNCHANGED)


# Rows a sending leaves out as changing nothing: Thulium holds their values, and their last
# answer (if any) was not lost.
_LEFT_OUT_AS_UNCHANGED = Q(unchanged=True) & ~Q(outcome__in=LOST_ANSWER_OUTCOMES)


def review_token(grid: Grid, *, resend: bool, include_unchanged: bool, rows: int) -> str:
    """What a review saw: the campaign's read, the grid's version (every write bumps it, see
    services/locking.py), its sending options and how many rows go. A sending must carry the
    token of the grid as it is now. `grid` must have been read before its rows were."""
    parts = [
        grid.pk,
        grid.compared_at.isoformat() if grid.compared_at else "",
        grid.version,
        grid.search_additional,
        grid.duplicates,
        resend,
        include_unchanged,
        rows,
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def submission_create(
    *,
    grid: Grid,
    author: AbstractBaseUser | None,
    rules: CampaignRules,
    review: str,
    resend: bool = False,
    include_unchanged: bool = False,
    chunk_size: int | None = None,
    canary_rows: int | None = None,
    confirmed_count: int | None = None,
    live_check: bool = True,
    wait_limit: float | None = None,
) -> Submission:
    """Queue the grid's sendable rows (see `sendable_rows`), re-validated first. `review` is
    the token of the review the person saw (`grid_review`): a sending whose grid, options or
    campaign read changed since, or whose read is older than SUBMISSION_REVIEW_MAX_AGE, is
    refused. Removing records also needs `confirmed_count`: the number of rows the person
    agreed to remove. The first request carries at most `canary_rows`; the job is enqueued
    once this transaction has committed. Only `push_records --no-live-check` sends without
    a read of the campaign (`live_check=False`). While Thulium cannot be reached the sending
    waits, at most `wait_limit` seconds (default SUBMISSION_OUTAGE_HOURS)."""
    from campaigns.tasks import run_submission

    chunk_size = chunk_size or settings.SUBMISSION_CHUNK_SIZE
    canary = max(1, min(canary_rows or settings.SUBMISSION_CANARY_ROWS, chunk_size))
    with transaction.atomic():
        # The version is compared with the review's below: a sending does not bump it.
        grid = grid_lock(grid, write=False)
        if grid.personal_data_removed_at is not None:
            raise SubmissionProblem(grid_removed_message())
        fresh = timezone.now() - timedelta(seconds=settings.SUBMISSION_REVIEW_MAX_AGE)
        if live_check and (grid.compared_at is None or grid.compared_at < fresh):
            raise SubmissionProblem(
                _(
                    "Review the sending first: the campaign's records must have been read in "
                    "the last %(minutes)s min. Press Send again to review."
                )
                % {"minutes": round(settings.SUBMISSION_REVIEW_MAX_AGE / 60)}
            )
        # The rows were checked when the review read the campaign; again only if the rules (or
        # options) changed since: checking 100,000 rows twice was a fifth of upload-to-sent.
        if grid.validated_with != grid_rules_fingerprint(grid, rules):
            grid_validate(grid=grid, rules=rules)
        rows = sendable_rows(grid, resend=resend, include_unchanged=include_unchanged)
        ids = list(rows.order_by("number", "id").values_list("id", flat=True))
        if not ids:
            raise SubmissionProblem(
                _("Nothing to resend: every row was updated, or still has errors to fix.")
                if resend
                else _("No row can be sent: fix the rows with errors first.")
            )
        if review != review_token(
            grid, resend=resend, include_unchanged=include_unchanged, rows=len(ids)
        ):
            raise SubmissionProblem(
                _(
                    "The grid changed since you reviewed the sending (an edit, an option, or "
                    "another sending). Nothing was sent: review it again."
                )
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
        # Resuming a paused sending is resending its refused and unsent rows.
        paused = grid.submissions.filter(state=Submission.State.PAUSED).first() if resend else None
        submission = Submission.objects.create(
            grid=grid,
            campaign=grid.campaign,
            author=author,
            resend=resend,
            rows_total=len(ids),
            resumes=paused,
            wait_limit=round(wait_limit) if wait_limit is not None else None,
        )
        starts = [0, *range(canary, len(ids), chunk_size)]
        Chunk.objects.bulk_create(
            Chunk(submission=submission, index=i, row_ids=ids[start:end])
            for i, (start, end) in enumerate(zip(starts, [*starts[1:], len(ids)], strict=True))
        )
        unsent = grid.rows.filter(outcome__in=RESENDABLE_OUTCOMES if resend else [Outcome.NONE])
        unsent.filter(state=Row.State.ERROR).update(outcome=Outcome.NOT_SENT, outcome_detail={})
        submission_audit(
            submission,
            AuditEntry.Action.SUBMISSION_QUEUED,
            rows=len(ids),
            resend=resend,
            **({"resumes": paused.pk} if paused else {}),
        )
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


def submission_cancel(*, submission: Submission) -> bool:
    """Stop a sending; True when it stopped at once. One no run is sending — paused, queued,
    or waiting as Thulium asked (however long) — is cancelled at once: its rows not sent are
    marked so, and a request another worker still has out is recorded when answered. A running
    one is asked to stop before its next request."""
    with transaction.atomic():
        if Submission.objects.filter(pk=submission.pk, state=Submission.State.PAUSED).update(
            state=Submission.State.CANCELLED
        ):
            submission_audit(submission, AuditEntry.Action.SUBMISSION_CANCELLED, paused=True)
            return True
        # Conditional, as a run's start is (sending.submission_run): of a run starting and this
        # cancel, exactly one changes the state.
        if Submission.objects.filter(
            pk=submission.pk, state__in=[Submission.State.QUEUED, Submission.State.WAITING]
        ).update(
            state=Submission.State.CANCELLED, cancel_requested=True, finished_at=timezone.now()
        ):
            submission_unsend_rest(submission=submission)
            submission_audit(submission, AuditEntry.Action.SUBMISSION_CANCELLED)
            return True
    Submission.objects.filter(pk=submission.pk, state__in=Submission.ACTIVE_STATES).update(
        cancel_requested=True
    )
    return False


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
    """Rows of the submission by their current outcome. (The sending panel asks every second:
    the chunks' row ids are read without their before-values, and the rows are counted by the
    database, all at once on PostgreSQL.)"""
    ids = [pk for row_ids in submission.chunks.values_list("row_ids", flat=True) for pk in row_ids]
    step = max(len(ids), 1) if connection.vendor == "postgresql" else 500
    counts: Counter[str] = Counter()
    for start in range(0, len(ids), step):
        found = Row.objects.filter(id__any_of=ids[start : start + step]).order_by()
        counts.update(dict(found.values_list("outcome").annotate(n=Count("id"))))
    return dict(counts)


@dataclass(frozen=True)
class SendingSummary:
    """What one sending did, in the words every page uses: Thulium's answers by outcome, and
    the rows it had no answer for yet (waiting while it runs, not sent once it ended)."""

    submission: Submission
    counts: dict[str, int]
    revertible: bool

    @property
    def kinds(self) -> list[tuple[str, int, str]]:
        return outcome_kinds(self.counts)

    @property
    def summary(self) -> str:
        return outcome_summary(self.counts)

    @property
    def badge(self) -> str:
        """The badge's modifier: a finished sending is green only when every row was done."""
        state = self.submission.state
        if state == Submission.State.FINISHED and not self.summary_is_clean:
            return "refused"
        return state

    @property
    def summary_is_clean(self) -> bool:
        """Every row it sent was done as asked (or had nothing to remove)."""
        done = {kind for kind, _n, _words in self.kinds}
        return done <= {Outcome.UPDATED, Outcome.ADDED, Outcome.REMOVED, Outcome.NOT_EXIST}


def sendings_summaries(submissions: Sequence[Submission]) -> list[SendingSummary]:
    """Each sending's summary, counted in one query over their recorded answers."""
    answered: dict[int, Counter[str]] = {s.pk: Counter() for s in submissions}
    found = (
        RowOutcome.objects.filter(submission_id__in=list(answered))
        .values_list("submission_id", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    for submission_id, outcome, n in found:
        answered[submission_id][outcome] += n
    summaries = []
    for submission in submissions:
        counts = answered[submission.pk]
        rest = submission.rows_total - sum(counts.values())
        if rest > 0:
            counts[Outcome.WAITING if submission.active else Outcome.NOT_SENT] += rest
        touched = [REVERTED_OUTCOMES[submission.grid.mode], *LOST_ANSWER_OUTCOMES]
        summaries.append(
            SendingSummary(
                submission=submission,
                counts=dict(counts),
                revertible=not submission.active and any(counts.get(o) for o in touched),
            )
        )
    return summaries


def campaign_submissions(campaign: Any, limit: int = 50) -> list[SendingSummary]:
    """The campaign's latest sendings with author, time, source and what each did."""
    return sendings_summaries(list(campaign.submissions.select_related("grid", "author")[:limit]))


def grid_submissions(grid: Grid) -> list[SendingSummary]:
    """Every sending of the grid, newest first: the grid's whole story."""
    return sendings_summaries(list(grid.submissions.select_related("grid", "author")))


def grid_sendable_counts(grid: Grid) -> tuple[int, int]:
    """(rows a first send would send, rows a resend would send), errors excluded."""
    if not grid.submissions.exists():
        # Only sendings give rows outcomes: every row is unsent, and the grid's counts (kept up
        # to date by every edit) say how many are not errors — no count over a 100k-row grid.
        unchanged = grid.rows.filter(unchanged=True).count() if grid.compared_at else 0
        return grid.rows_valid + grid.rows_warning - unchanged, 0
    rows = grid.rows.exclude(state=Row.State.ERROR).exclude(_LEFT_OUT_AS_UNCHANGED)
    return (
        rows.filter(outcome=Outcome.NONE).count(),
        rows.filter(outcome__in=RESENDABLE_OUTCOMES).count(),
    )


@dataclass(frozen=True)
class PauseCounts:
    """What a paused sending did: rows Thulium answered, refused for the cause, not sent."""

    answered: int
    refused: int
    not_sent: int


def submission_pause_counts(submission: Submission) -> PauseCounts | None:
    if submission.state != Submission.State.PAUSED:
        return None
    answered = submission.outcomes.count()
    return PauseCounts(
        answered=answered,
        refused=submission.outcomes.filter(message=submission.pause_cause).count(),
        not_sent=submission.rows_total - answered,
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
    """The grid's rows Thulium refused (its own verdicts, never a missing answer), grouped by
    its message, the largest group first."""
    groups = (
        grid.rows.filter(outcome__in=REFUSED_OUTCOMES)
        .exclude(outcome_detail__message="")
        .values_list("outcome_detail__message")
        .annotate(n=Count("id"))
        .order_by("-n")[:limit]
    )
    return [RefusalGroup(message, n) for message, n in groups if message]


@dataclass(frozen=True)
class UnconfirmedGroup:
    """Rows whose answer never came, by what went wrong: no answer at all (`http_status` of the
    last try, None when Thulium could not be reached), an answer that left the rows out, or one
    that could not be read."""

    kind: str  # "no_answer", "left_out" or "unreadable"
    http_status: int | None
    count: int

    @property
    def cause(self) -> str:
        if self.kind == "left_out":
            return str(_("Thulium's answer left them out"))
        if self.kind == "unreadable":
            return str(_("Thulium's answer could not be read"))
        return no_answer_words(self.http_status)


def grid_unconfirmed_groups(grid: Grid) -> list[UnconfirmedGroup]:
    """The grid's rows not confirmed, grouped by cause, the largest group first."""
    found: Counter[tuple[str, int | None]] = Counter()
    rows = grid.rows.filter(outcome__in=LOST_ANSWER_OUTCOMES).values_list(
        "outcome", "outcome_detail__status", "outcome_detail__http_status"
    )
    for outcome, status, http_status, n in rows.annotate(n=Count("id")).order_by():
        if outcome == Outcome.TRANSPORT_ERROR:
            found[("no_answer", http_status if isinstance(http_status, int) else None)] += n
        elif status == NOT_IN_ANSWER:
            found[("left_out", None)] += n
        else:
            found[("unreadable", None)] += n
    return [UnconfirmedGroup(kind, status, n) for (kind, status), n in found.most_common()]


def grid_outcome_counts(grid: Grid) -> dict[str, int]:
    """The grid's rows by their latest outcome (rows never sent left out), counted in the
    database from the (grid, outcome, …) index."""
    rows = grid.rows.exclude(outcome="").values("outcome").annotate(n=Count("id")).order_by()
    return {row["outcome"]: row["n"] for row in rows}


# --- internals ------------------------------------------------------------------------------


def earlier_active(submission: Submission) -> bool:
    return Submission.objects.filter(
        campaign=submission.campaign_id, state__in=Submission.ACTIVE_STATES, id__lt=submission.pk
    ).exists()


def submission_audit(submission: Submission, action: str, **details: Any) -> None:
    audit(
        action=action,
        actor=submission.author,
        campaign=submission.campaign.thulium_id,
        grid_id=submission.grid_id,
        submission_id=submission.pk,
        **details,
    )
