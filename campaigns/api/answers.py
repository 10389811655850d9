"""What the API's answers are made of: a grid, its rows and problems, a review, a sending, as
the schemas (api/schemas.py) carry them."""

from __future__ import annotations

import json
from typing import Any

from campaigns.api.schemas import (
    ChangeOut,
    GridOut,
    LeftOutOut,
    ProblemOut,
    ReviewOut,
    RowCountsOut,
    RowOut,
    SendingBriefOut,
    SendingOut,
)
from campaigns.models import Chunk, Grid, Row, Submission
from campaigns.rules.messages import render as message_text
from campaigns.selectors.sendings import submission_counts
from campaigns.services.problems import ProblemGroup, grid_problem_groups
from campaigns.services.review import Review
from campaigns.services.validation import campaign_rules_cached


def problem_out(group: ProblemGroup) -> ProblemOut:
    return ProblemOut(
        key=group.key, code=group.code, level=group.level, count=group.count, text=str(group.text)
    )


def grid_out(grid: Grid, mapping_problem: str = "") -> GridOut:
    grid.refresh_from_db()
    rules = campaign_rules_cached(campaign=grid.campaign)
    return GridOut(
        id=grid.pk,
        system=grid.campaign.system.name,
        campaign=grid.campaign.thulium_id,
        mode=grid.mode,
        state=grid.state,
        file_name=grid.file_name,
        created_at=grid.created_at,
        rows=RowCountsOut(
            total=grid.rows_total,
            valid=grid.rows_valid,
            warning=grid.rows_warning,
            error=grid.rows_error,
        ),
        problems=[problem_out(group) for group in grid_problem_groups(grid, rules)],
        sendings=[
            SendingBriefOut(id=pk, state=state)
            for pk, state in grid.submissions.order_by("-id").values_list("id", "state")
        ],
        mapping_problem=mapping_problem,
    )


def row_out(row: Row) -> RowOut:
    return RowOut(
        id=row.pk,
        number=row.number,
        state=row.state,
        phone=row.phone,
        values=row.values if isinstance(row.values, dict) else {},
        messages=[str(message_text(entry)) for entry in row.messages],
        outcome=row.outcome,
        outcome_text=str(row.get_outcome_display()) if row.outcome else "",
    )


def review_out(review: Review) -> ReviewOut:
    return ReviewOut(
        grid=review.grid.pk,
        rows=review.rows,
        changes=[
            ChangeOut(column=str(c.column), to=str(c.to), count=c.count) for c in review.changes
        ],
        left_out=[LeftOutOut(reason=str(reason), count=n) for reason, n in review.left_out],
        warnings=[problem_out(group) for group in review.warnings],
        unchanged=review.unchanged,
        first_rows=json_list(review.first_rows_json),
        untried_fields=review.untried_fields,
        read_at=review.read_at,
        fresh=review.fresh,
        resend=review.resend,
        include_unchanged=review.include_unchanged,
        token=review.token,
    )


def json_list(text: str) -> list[Any]:
    found = json.loads(text)
    return found if isinstance(found, list) else []


def sending_out(submission: Submission) -> SendingOut:
    chunks = list(submission.chunks.values_list("state", flat=True))
    return SendingOut(
        id=submission.pk,
        grid=submission.grid_id,
        state=submission.state,
        state_text=str(submission.get_state_display()),
        resend=submission.resend,
        rows_total=submission.rows_total,
        outcomes=submission_counts(submission),
        chunks_done=sum(1 for s in chunks if s in {Chunk.State.DONE, Chunk.State.SKIPPED}),
        chunks_total=len(chunks),
        problem=submission.problem,
        created_at=submission.created_at,
        started_at=submission.started_at,
        finished_at=submission.finished_at,
    )
