"""What the API answers and takes, as typed schemas (Pydantic, through django-ninja): the OpenAPI
schema is generated from these. Words in them (problems, changes, outcomes) are in the language
the request asked for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    detail: str


class RowCountsOut(Schema):
    total: int
    valid: int
    warning: int
    error: int


class ProblemOut(Schema):
    """Rows that share one problem; `key` filters the grid's rows on it (rows?problem=key)."""

    key: str
    code: str
    level: str
    count: int
    text: str


class SendingBriefOut(Schema):
    id: int
    state: str


class GridOut(Schema):
    id: int
    system: str
    campaign: str
    mode: str
    state: str
    file_name: str
    created_at: datetime
    rows: RowCountsOut
    problems: list[ProblemOut]
    sendings: list[SendingBriefOut]
    # Set when the file was read but its columns could not be confirmed as suggested: the grid
    # waits for a person to map them on its page.
    mapping_problem: str = ""


class RowOut(Schema):
    id: int
    number: int
    state: str
    phone: str
    values: dict[str, Any]
    messages: list[str]
    outcome: str
    outcome_text: str


class RowPageOut(Schema):
    items: list[RowOut]
    # Pass as `after` for the next page; null on the last.
    next: str | None


class ChangeOut(Schema):
    column: str
    to: str
    count: int


class LeftOutOut(Schema):
    reason: str
    count: int


class ReviewIn(Schema):
    resend: bool = False  # the rows that failed, not every row
    unchanged: bool = False  # rows that change nothing go too
    # Read the campaign's records again even when a recent read stands.
    again: bool = False


class ReviewOut(Schema):
    grid: int
    rows: int
    changes: list[ChangeOut]
    left_out: list[LeftOutOut]
    warnings: list[ProblemOut]
    unchanged: int
    first_rows: list[Any]
    untried_fields: list[str]
    read_at: datetime | None
    fresh: bool
    resend: bool
    include_unchanged: bool
    # Send with this token: a sending is refused when the grid changed since this review.
    token: str


class SendIn(Schema):
    review: str
    resend: bool = False
    unchanged: bool = False
    # A removal: the number of records you confirm removing (the review's `rows`).
    confirm: int | None = None


class SendingOut(Schema):
    id: int
    grid: int
    state: str
    state_text: str
    resend: bool
    rows_total: int
    # Rows by their current outcome.
    outcomes: dict[str, int]
    chunks_done: int
    chunks_total: int
    problem: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ResultOut(Schema):
    id: int
    row: int
    phone: str
    outcome: str
    outcome_text: str
    http_status: int | None
    status: str
    message: str
    at: datetime


class ResultPageOut(Schema):
    items: list[ResultOut]
    next: int | None
