"""What sendings did, for pages, e-mails and commands: rows a sending would take, each
sending's answers by outcome, the grid's refusals and unconfirmed rows. Reads only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from campaigns import thulium
from campaigns.models import (
    LOST_ANSWER_OUTCOMES,
    REFUSED_OUTCOMES,
    RESENDABLE_OUTCOMES,
    Chunk,
    Grid,
    Outcome,
    Row,
    RowOutcome,
    Submission,
)
from campaigns.presentation.outcome_words import no_answer_words, outcome_kinds, outcome_summary
from campaigns.services.verdicts import NOT_IN_ANSWER

# What a sending of each mode did to a record when Thulium said it did: what a revert undoes.
REVERTED_OUTCOMES: dict[str, tuple[Outcome, ...]] = {
    Grid.Mode.EDIT: (Outcome.UPDATED,),
    Grid.Mode.ADD: (Outcome.ADDED,),
    Grid.Mode.REMOVE: (Outcome.REMOVED,),
    Grid.Mode.UPSERT: (Outcome.UPDATED, Outcome.ADDED),
}


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
    """Each sending's summary: its recorded answers counted, from its answered chunks' counts
    (a sending of 100,000 rows has 200), or from the answers themselves for a sending recorded
    before chunks kept their counts."""
    answered: dict[int, Counter[str]] = {s.pk: Counter() for s in submissions}
    uncounted: set[int] = set()
    done = Chunk.objects.filter(submission_id__in=list(answered), state=Chunk.State.DONE)
    for submission_id, counts in done.values_list("submission_id", "outcome_counts"):
        if counts is None:
            uncounted.add(submission_id)
        else:
            answered[submission_id].update(counts)
    if uncounted:
        found = (
            RowOutcome.objects.filter(submission_id__in=uncounted)
            .values_list("submission_id", "outcome")
            .annotate(n=Count("id"))
            .order_by()
        )
        for submission_id in uncounted:
            answered[submission_id] = Counter()
        for submission_id, outcome, n in found:
            answered[submission_id][outcome] += n
    summaries = []
    for submission in submissions:
        counts = answered[submission.pk]
        rest = submission.rows_total - sum(counts.values())
        if rest > 0:
            counts[Outcome.WAITING if submission.active else Outcome.NOT_SENT] += rest
        touched = [*REVERTED_OUTCOMES[submission.grid.mode], *LOST_ANSWER_OUTCOMES]
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
    rows = (
        grid.rows.exclude(outcome=Outcome.NONE).values("outcome").annotate(n=Count("id")).order_by()
    )
    return {row["outcome"]: row["n"] for row in rows}


def earlier_active(submission: Submission) -> bool:
    return Submission.objects.filter(
        campaign=submission.campaign_id, state__in=Submission.ACTIVE_STATES, id__lt=submission.pk
    ).exists()
