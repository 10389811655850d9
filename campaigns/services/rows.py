"""Reading a grid's rows: filters, sorting, keyset pages, the columns the page shows, and what
a row sends to Thulium."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from campaigns import thulium
from campaigns.intake.text import ascii_int, fold_digits
from campaigns.models import FAILED_OUTCOMES, Grid, Row
from campaigns.rules.targets import ADD_ONLY_TARGETS, RECORD_TARGETS

SORTS = {"number": "number", "phone": "phone", "status": "status_id"}
PAGE_SIZES = (50, 100, 200, 500)
# Counting every matching row of a huge grid costs as much as reading it: stop counting here.
COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class RowFilter:
    show: str = ""  # "errors", "warnings", "valid", "clears", "unchanged"
    status: str = ""
    agent: str = ""
    field: str = ""  # a campaign field name …
    value: str = ""  # … and the value it must have
    phone: str = ""  # part of the phone number
    outcome: str = ""
    answer: str = ""  # Thulium's message on the row's last sending, exactly
    problem: str = ""  # a problem group's key (campaigns.rules.problems)
    sort: str = "number"

    @classmethod
    def from_query(cls, query: Any) -> RowFilter:
        sort = query.get("sort", "number")
        return cls(
            show=query.get("show", ""),
            status=query.get("status", "").strip(),
            agent=query.get("agent", "").strip(),
            field=query.get("field", "").strip(),
            value=query.get("value", "").strip(),
            phone=query.get("phone", "").strip(),
            outcome=query.get("outcome", "").strip(),
            answer=query.get("answer", ""),
            problem=query.get("problem", "").strip(),
            sort=sort if sort in SORTS else "number",
        )

    def query_params(self) -> dict[str, str]:
        params = {
            "show": self.show,
            "status": self.status,
            "agent": self.agent,
            "field": self.field,
            "value": self.value,
            "phone": self.phone,
            "outcome": self.outcome,
            "answer": self.answer,
            "problem": self.problem,
        }
        if self.sort != "number":
            params["sort"] = self.sort
        return {key: value for key, value in params.items() if value}

    @property
    def active(self) -> bool:
        return bool(set(self.query_params()) - {"sort"})


def grid_rows_count(grid: Grid, filters: RowFilter) -> int:
    """How many rows pass the filters, counted up to COUNT_LIMIT + 1 (more means "over")."""
    if not filters.active:
        return grid.rows_total
    return grid_rows(grid, filters)[: COUNT_LIMIT + 1].count()


def grid_rows(grid: Grid, filters: RowFilter) -> QuerySet[Row]:
    """The grid's rows that pass the filters (unordered)."""
    rows = grid.rows.all()
    states = {"errors": Row.State.ERROR, "warnings": Row.State.WARNING, "valid": Row.State.VALID}
    if filters.show in states:
        rows = rows.filter(state=states[filters.show])
    elif filters.show == "clears":
        rows = rows.filter(clears=True)
    elif filters.show == "unchanged":
        rows = rows.filter(unchanged=True)
    if filters.status:
        rows = rows.filter(status_id=filters.status)
    if filters.agent:
        rows = rows.filter(agent_login=filters.agent)
    if filters.field:
        rows = rows.filter(**{f"values__record_fields__{filters.field}": filters.value})
    if filters.outcome == "failed":
        rows = rows.filter(outcome__in=FAILED_OUTCOMES)
    elif filters.outcome:
        rows = rows.filter(outcome=filters.outcome)
    if filters.answer:
        rows = rows.filter(outcome_detail__message=filters.answer)
    if filters.problem:
        rows = rows.filter(problems__contains=f"|{filters.problem}|")
    if filters.phone:
        digits = "".join(ch for ch in fold_digits(filters.phone) if ch in "0123456789")
        rows = rows.filter(phone__contains=digits or filters.phone)
    return rows


@dataclass(frozen=True)
class RowPage:
    rows: list[Row]
    next_cursor: str | None
    previous_cursor: str | None
    size: int
    number: int | None = None  # which page of the view, from 1, when known


@dataclass(frozen=True)
class RowPlace:
    """Where a row number stands in a view: `before` rows of the view come ahead of it."""

    row: Row
    in_view: bool
    before: int


def grid_row_page(
    grid: Grid, filters: RowFilter, *, size: int, after: str = "", before: str = ""
) -> RowPage:
    """One page of rows by keyset: the cost does not grow with the grid or the page's depth."""
    column = SORTS[filters.sort]
    rows = grid_rows(grid, filters)
    backwards = bool(before) and not after
    cursor = _parse_cursor(before if backwards else after, column)
    if cursor and column == "number":
        # Row numbers are unique in a grid: one comparison, which the index serves directly.
        rows = rows.filter(number__lt=cursor[0]) if backwards else rows.filter(number__gt=cursor[0])
    elif cursor:
        value, pk = cursor
        if backwards:
            rows = rows.filter(Q(**{f"{column}__lt": value}) | Q(**{column: value, "id__lt": pk}))
        else:
            rows = rows.filter(Q(**{f"{column}__gt": value}) | Q(**{column: value, "id__gt": pk}))
    order = [f"-{column}", "-id"] if backwards else [column, "id"]
    found = list(rows.order_by(*order)[: size + 1])
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
    has_next = more if not backwards else True
    has_previous = (more if backwards else bool(cursor)) and bool(found)
    return RowPage(
        rows=found,
        next_cursor=_cursor(found[-1], column) if found and has_next else None,
        previous_cursor=_cursor(found[0], column) if has_previous else None,
        size=size,
    )


def grid_row_page_at(
    grid: Grid, filters: RowFilter, *, size: int, number: int, total: int | None
) -> RowPage:
    """Page `number` (from 1) by position, for the first and last links and a jump to a row.
    It is read from whichever end of the view is nearer (`total` rows, when known), so the last
    page of a 100,000-row grid costs what the first does; the pages either side are keyset
    pages again."""
    column = SORTS[filters.sort]
    rows = grid_rows(grid, filters)
    start = (number - 1) * size
    if total is not None and total - start < start:
        end = min(start + size, total)
        found = list(rows.order_by(f"-{column}", "-id")[total - end : total - start])
        found.reverse()
        has_next = end < total
    else:
        found = list(rows.order_by(column, "id")[start : start + size + 1])
        has_next = len(found) > size
        found = found[:size]
    return RowPage(
        rows=found,
        next_cursor=_cursor(found[-1], column) if found and has_next else None,
        previous_cursor=_cursor(found[0], column) if found and start else None,
        size=size,
        number=number,
    )


def grid_row_place(grid: Grid, filters: RowFilter, *, number: int) -> RowPlace | None:
    """Where the row numbered `number` (its row in the source file) stands in the view, or
    None when the grid has no such row. Counts only the rows ahead of it."""
    row = grid.rows.filter(number=number).first()
    if row is None:
        return None
    rows = grid_rows(grid, filters)
    if filters.active and not rows.filter(pk=row.pk).exists():
        return RowPlace(row=row, in_view=False, before=0)
    column = SORTS[filters.sort]
    if column == "number":
        ahead = rows.filter(number__lt=row.number)
    else:
        value = getattr(row, column)
        ahead = rows.filter(Q(**{f"{column}__lt": value}) | Q(**{column: value, "id__lt": row.pk}))
    return RowPlace(row=row, in_view=True, before=ahead.count())


def grid_row_numbers(grid: Grid) -> tuple[int, int] | None:
    """The first and last row numbers of the grid, None when it has no rows."""
    first = grid.rows.order_by("number").values_list("number", flat=True).first()
    last = grid.rows.order_by("-number").values_list("number", flat=True).first()
    return None if first is None or last is None else (first, last)


def _cursor(row: Row, column: str) -> str:
    return f"{getattr(row, column)}~{row.pk}"


def _parse_cursor(text: str, column: str) -> tuple[Any, int] | None:
    value, _sep, pk_text = text.rpartition("~")
    if (pk := ascii_int(pk_text)) is None:
        return None
    if column == "number":
        return (number, pk) if (number := ascii_int(value)) is not None else None
    return value, pk


def row_record(grid: Grid, row: Row) -> thulium.RecordEdit | thulium.NewRecord:
    """The client's request for an edit or add grid's row: blank cells absent, cleared fields
    "" (an edit sends no identifier or order: those only name a new record)."""
    return values_record(grid, row.values, kind=row.kind)


def values_record(
    grid: Grid, values: Mapping[str, Any], *, kind: str = ""
) -> thulium.RecordEdit | thulium.NewRecord:
    """`row_record` for a row's values alone (the sending reads rows as values); `kind` is an
    upsert row's (Row.kind): an upsert row not yet read is shown as an addition."""
    moment = values.get("next_call_date")
    changes: dict[str, Any] = {
        "status_id": values.get("status_id"),
        "dictionary_status_id": values.get("dictionary_status_id"),
        "agent_login": values.get("agent_login"),
        "next_call_date": _moment(moment) if moment else None,
        "record_fields": values.get("record_fields", {}),
    }
    phone = values.get("phone_number", "")
    if grid.sends_as(kind) in (Grid.Mode.ADD, ""):
        return thulium.NewRecord(
            phone_number=phone,
            identifier=values.get("identifier"),
            order=values.get("order"),
            **changes,
        )
    return thulium.RecordEdit(phone_number=phone, **changes)


@functools.lru_cache(maxsize=16_384)
def _moment(text: str) -> datetime:
    # A sending's rows share a few dates; strptime was a tenth of a request's time.
    return datetime.strptime(text, thulium.DATE_TIME_FORMAT)


def row_payload(grid: Grid, row: Row) -> dict[str, Any]:
    """Exactly what the client sends for this row, built by the client's own code: the row
    preview, the review and the stored `sent` payload all show this."""
    return values_payload(grid, row.values, kind=row.kind)


def values_payload(grid: Grid, values: Mapping[str, Any], *, kind: str = "") -> dict[str, Any]:
    """`row_payload` for a row's values alone."""
    if grid.mode == Grid.Mode.REMOVE:
        return {"phone_number": values.get("phone_number", "")}
    return record_payload(grid, values_record(grid, values, kind=kind))


def record_payload(grid: Grid, record: thulium.RecordEdit | thulium.NewRecord) -> dict[str, Any]:
    """What the client sends for a record of an edit or add grid."""
    if isinstance(record, thulium.NewRecord):
        return thulium.new_payload(record)
    if grid.finds_by_identifier:
        # PUT outbounds/:id/records_by_identifier/:identifier: the identifier is the address.
        return thulium.changes_payload(record)
    return thulium.edit_payload(record)


def grid_display_columns(grid: Grid) -> list[str]:
    """The columns the grid page shows, in order: phone first, then what the grid maps, then
    the record attributes it does not map yet (so they can be filled in)."""
    if grid.mode == Grid.Mode.REMOVE:
        return ["phone_number"]  # all that removing sends
    mapped = [t for t in grid.mapping if t and t != "phone_number"]
    extra = [t for t in RECORD_TARGETS if t not in mapped and t not in {"phone_number"}]
    if not grid.takes_new_records:
        extra = [t for t in extra if t not in ADD_ONLY_TARGETS]
    return ["phone_number", *mapped, *[t for t in extra if t != "dictionary_status_id"]]
