"""Queueing sendings of grids to Thulium (one per campaign at a time), stopping them and
reaping silent ones. The run itself is in `sending`; reverting is in `revert`; what sendings
did is read in `selectors/sendings.py`.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.exceptions import SubmissionProblem
from campaigns.models import (
    LOST_ANSWER_OUTCOMES,
    RESENDABLE_OUTCOMES,
    AuditEntry,
    Chunk,
    Grid,
    Outcome,
    Row,
    Submission,
)
from campaigns.rules.validation import CampaignRules
from campaigns.selectors.sendings import sendable_rows
from campaigns.services.grid_checks import grid_rules_fingerprint, grid_validate
from campaigns.services.locking import grid_lock, grid_removed_message
from campaigns.services.sending import submission_audit, submission_unsend_rest
from campaigns.tasks import run_submission

logger = logging.getLogger(__name__)


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
    author: User | None,
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
        runs = _by_kind(grid, ids) if grid.mode == Grid.Mode.UPSERT else [ids]
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
        Chunk.objects.bulk_create(
            Chunk(submission=submission, index=i, row_ids=row_ids)
            for i, row_ids in enumerate(_chunked(runs, canary=canary, size=chunk_size))
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
        if grid.takes_new_records:
            # Thulium may have added these before their answer was lost: the job looks first.
            # (An upsert row whose lost addition landed is held now: it goes as an edit.)
            lost = grid.rows.filter(id__any_of=ids, outcome__in=LOST_ANSWER_OUTCOMES)
            if grid.mode == Grid.Mode.UPSERT:
                lost = lost.filter(kind=Grid.Mode.ADD)
            lost.update(outcome=Outcome.WAITING, outcome_detail={"answer_lost": True})
        # One array parameter: Django spelled out 100,000 ids (a fifth of queueing them).
        grid.rows.filter(id__any_of=ids).exclude(outcome=Outcome.WAITING).update(
            outcome=Outcome.WAITING, outcome_detail={}
        )
        # Several tasks share the chunks when several workers run (SUBMISSION_WORKERS).
        workers = min(settings.SUBMISSION_WORKERS, len(ids) // chunk_size + 1)
        transaction.on_commit(
            lambda: [run_submission.enqueue(submission.pk, helper=bool(i)) for i in range(workers)]
        )
    return submission


def _by_kind(grid: Grid, ids: list[int]) -> list[list[int]]:
    """An upsert grid's rows to send in two runs, the edits and the additions (each in the
    grid's order), so that no request mixes a PUT's rows with a POST's. A row the review's
    read did not classify (typed in since) cannot go."""
    kinds = dict(grid.rows.filter(id__any_of=ids).values_list("id", "kind"))
    if any(not kinds[pk] for pk in ids):
        raise SubmissionProblem(
            _(
                "Some rows were changed after the campaign's records were read, so it is not "
                "known whether they add or update a record. Nothing was sent: review it again."
            )
        )
    return [
        run
        for kind in (Grid.Mode.EDIT, Grid.Mode.ADD)
        if (run := [pk for pk in ids if kinds[pk] == kind])
    ]


def _chunked(runs: list[list[int]], *, canary: int, size: int) -> list[list[int]]:
    """The requests' rows: the first at most `canary` rows, then `size` each; a chunk never
    spans two runs (an upsert grid's edits and additions, see _by_kind)."""
    chunks: list[list[int]] = []
    for run in runs:
        start = 0
        while start < len(run):
            step = size if chunks else canary
            chunks.append(run[start : start + step])
            start += step
    return chunks


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


def submissions_reap() -> list[int]:
    """Re-enqueue submissions whose worker went silent for a lease (killed, or its task lost)."""
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
