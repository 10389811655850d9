"""Thulium's answers as row verdicts, and the brake's rule: pure, no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from campaigns import thulium
from campaigns.models import Outcome

# The brake pulls when one message refuses at least this many of a request's rows, and at
# least half of them.
BRAKE_MIN_ROWS = 10
REFUSALS = frozenset({Outcome.REJECTED, Outcome.NOT_FOUND, Outcome.FAILED})


@dataclass(frozen=True)
class Verdict:
    """Thulium's answer on one row, as the row keeps it."""

    outcome: str
    http_status: int | None = None
    status: str = ""
    message: str = ""
    # record_id for an added record; every record's answer where a phone matched several
    extra: Mapping[str, Any] = field(default_factory=dict)

    def detail(self) -> dict[str, Any]:
        return {
            "http_status": self.http_status,
            "status": self.status,
            "message": self.message,
            **self.extra,
        }


NOT_IN_ANSWER = "NOT_IN_ANSWER"
Verdicts = dict[int, Verdict]
# Thulium answered, but its answer did not mention the row: it may or may not have been applied.
UNKNOWN = Verdict(Outcome.UNKNOWN, None, NOT_IN_ANSWER)


def systemic_refusal(verdicts: Sequence[Verdict]) -> tuple[str, int] | None:
    """(message, rows) when one of Thulium's messages refused at least half of a request's
    rows, and at least BRAKE_MIN_ROWS: a cause no row-by-row fixing explains."""
    refused = Counter(v.message for v in verdicts if v.outcome in REFUSALS and v.message)
    if not refused:
        return None
    message, count = refused.most_common(1)[0]
    if count >= BRAKE_MIN_ROWS and 2 * count >= len(verdicts):
        return message, count
    return None


def edit_verdict(result: thulium.RowResult | None) -> Verdict:
    if result is None or not result.known:
        return UNKNOWN
    if result.succeeded:
        outcome = Outcome.UPDATED
    elif result.http_status == 404:
        outcome = Outcome.NOT_FOUND
    else:
        outcome = Outcome.REJECTED
    return Verdict(outcome, result.http_status, result.status, result.message)


def addition_verdict(result: thulium.RowResult | None) -> Verdict:
    if result is None or not result.known:
        return UNKNOWN
    if result.succeeded:
        outcome = Outcome.ADDED
    elif result.status == thulium.ALREADY_EXISTS:
        outcome = Outcome.ALREADY_EXISTS
    else:
        outcome = Outcome.FAILED
    extra = {"record_id": result.record_id}
    return Verdict(outcome, result.http_status, result.status, result.message, extra)


def removal_verdict(results: Sequence[thulium.RowResult] | None) -> Verdict:
    """A phone may match several records: the row keeps every one's answer."""
    if not results or not all(r.known for r in results):
        return UNKNOWN
    records = [
        {"record_id": r.record_id, "status": r.status, "http_status": r.http_status}
        for r in results
    ]
    statuses = [r.status for r in results]
    if thulium.CALL_IN_PROGRESS in statuses:
        # Removed later: a resend sends the phone again, and Thulium removes what is left.
        outcome = Outcome.CALL_IN_PROGRESS
    elif thulium.REMOVED in statuses:
        outcome = Outcome.REMOVED
    elif all(s == thulium.NOT_EXIST for s in statuses):
        outcome = Outcome.NOT_EXIST
    else:
        outcome = Outcome.FAILED
    return Verdict(
        outcome,
        results[0].http_status,
        ", ".join(dict.fromkeys(statuses)),
        "; ".join(r.message for r in results if r.message),
        {"records": records},
    )
