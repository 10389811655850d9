"""Changing a grid in the page: cells, bulk sets, pastes, rows added and deleted — and undo.

Every change writes the cells' source text (what the supervisor typed), re-validates the rows it
touched through the same rules as intake, and records an `Edit` so it can be undone in reverse
order, across page reloads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import batched
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import thulium
from campaigns.models import FAILED_OUTCOMES, AuditEntry, Edit, Grid, Row
from campaigns.services.audit import audit
from campaigns.services.connection import Problem
from campaigns.services.grids import (
    MappingProblem,
    _insert_rows,
    grid_recount,
    grid_validate,
    mapping_check,
)
from campaigns.spreadsheets import normalise_header
from campaigns.targets import ADD_ONLY_TARGETS, FIELD_PREFIX, RECORD_TARGETS, label
from campaigns.text import ascii_int, fold_digits, without_nul
from campaigns.validation import CLEAR_MARKER, CLEAR_MARKERS, CampaignRules

SORTS = {"number": "number", "phone": "phone", "status": "status_id"}
PAGE_SIZES = (50, 100, 200, 500)
# Counting every matching row of a huge grid costs as much as reading it: stop counting here.
COUNT_LIMIT = 10_000


class EditProblem(Problem):
    """The change cannot be made; the message says why and what to do."""


# --- reading: filters, sorting, keyset pages ------------------------------------------------


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
    problem: str = ""  # a problem group's key (campaigns.problems)
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
    values = row.values
    moment = values.get("next_call_date")
    changes: dict[str, Any] = {
        "status_id": values.get("status_id"),
        "dictionary_status_id": values.get("dictionary_status_id"),
        "agent_login": values.get("agent_login"),
        "next_call_date": datetime.strptime(moment, thulium.DATE_TIME_FORMAT) if moment else None,
        "record_fields": values.get("record_fields", {}),
    }
    phone = values.get("phone_number", "")
    if grid.mode == Grid.Mode.ADD:
        return thulium.NewRecord(
            phone_number=phone,
            identifier=values.get("identifier"),
            order=values.get("order"),
            **changes,
        )
    return thulium.RecordEdit(phone_number=phone, **changes)


def row_payload(grid: Grid, row: Row) -> dict[str, Any]:
    """Exactly what the client sends for this row, built by the client's own code: the row
    preview, the review and the stored `sent` payload all show this."""
    if grid.mode == Grid.Mode.REMOVE:
        return {"phone_number": row.values.get("phone_number", "")}
    record = row_record(grid, row)
    if isinstance(record, thulium.NewRecord):
        return thulium.new_payload(record)
    if grid.finds_by_identifier:
        # PUT outbounds/:id/records_by_identifier/:identifier: the identifier is the address.
        return thulium.changes_payload(record)
    return thulium.edit_payload(record)


# --- writing --------------------------------------------------------------------------------


def row_set_cells(
    *,
    grid: Grid,
    row: Row,
    cells: dict[str, str],
    author: AbstractBaseUser | None,
    rules: CampaignRules,
) -> Edit:
    """Set one row's cells (target → text)."""
    return _change(
        grid,
        author,
        rules,
        Edit.Kind.CELL,
        {(row.pk, target): text for target, text in cells.items()},
    )


def grid_bulk_set(
    *,
    grid: Grid,
    row_ids: Sequence[int],
    target: str = "",
    text: str = "",
    cells: dict[str, str] | None = None,
    author: AbstractBaseUser | None,
    rules: CampaignRules,
) -> Edit:
    """Give every chosen row the same text in a column (a value, or a clear marker) — or in
    several (`cells`: target → text), as one edit that one Undo takes back."""
    cells = cells if cells is not None else {target: text}
    if not row_ids:
        raise EditProblem(_("No rows are selected. Tick some rows, or choose all matching rows."))
    if "phone_number" in cells:
        raise EditProblem(_("Every row needs its own phone number: it cannot be set in bulk."))
    return _change(
        grid,
        author,
        rules,
        Edit.Kind.BULK,
        {(pk, target): text for pk in row_ids for target, text in cells.items()},
    )


@dataclass(frozen=True)
class BulkPlan:
    """What a bulk change would do: these rows get this text in this column."""

    row_ids: list[int]
    target: str
    text: str
    clear: bool


def grid_bulk_plan(
    *,
    grid: Grid,
    target: str,
    text: str,
    clear: bool = False,
    row_ids: Sequence[int] = (),
    filters: RowFilter | None = None,
    fill_down: bool = False,
    only_empty: bool = False,
) -> BulkPlan:
    """The rows and the text of a bulk change: the ticked rows or every row of the filter; with
    `fill_down` the first of them (by number) gives its cell to the rest; with `only_empty`
    rows whose cell holds something keep it. Raises EditProblem when it cannot be made."""
    text = text.strip()
    ids = list(grid_rows(grid, filters).values_list("id", flat=True)) if filters else list(row_ids)
    if fill_down and ids:
        first, *rest = grid.rows.filter(id__in=ids).order_by("number", "id")
        position = grid.mapping.index(target) if target in grid.mapping else None
        text = first.raw[position] if position is not None and position < len(first.raw) else ""
        clear = text.lower() in CLEAR_MARKERS
        ids = [row.pk for row in rest]
    elif clear:
        text = CLEAR_MARKER
    if only_empty and target:
        ids = grid_rows_with_empty_cell(grid, ids, target)
    if not target:
        raise EditProblem(_("Choose the column to set."))
    if not text and not clear:
        raise EditProblem(
            _("Type the value to set. To clear a field, tick “Clear this field” instead.")
        )
    if clear and not target.startswith(FIELD_PREFIX):
        raise EditProblem(_("Only record fields can be cleared; status, agent and date cannot."))
    return BulkPlan(row_ids=ids, target=target, text=text, clear=clear)


def grid_rows_with_empty_cell(grid: Grid, row_ids: Sequence[int], target: str) -> list[int]:
    """Of the rows, those whose cell for the target is empty (a target no file column feeds is
    empty in every row)."""
    if target not in grid.mapping:
        return list(row_ids)
    position = grid.mapping.index(target)
    empty = []
    for chunk in batched(row_ids, 500):
        for pk, raw in Row.objects.filter(id__in=chunk).values_list("id", "raw"):
            if position >= len(raw) or not str(raw[position]).strip():
                empty.append(pk)
    return empty


@dataclass(frozen=True)
class PastePlan:
    changes: dict[tuple[int | None, str], str]  # (row id or None for a new row, target) → text
    new_rows: int
    overwrites: list[tuple[int, str, str, str]] = field(default_factory=list)


def grid_paste_plan(
    *,
    grid: Grid,
    start_row: Row,
    start_target: str,
    block: str,
    filters: RowFilter | None = None,
) -> PastePlan:
    """Where a tab-separated block lands: the rows the page shows from `start_row` down — in a
    filtered or sorted view, the visible rows in their order, never a hidden one — and columns
    right from `start_target` in the order the page shows them. Rows past the end of the whole
    grid are added; past the end of a filtered or sorted view, the paste is refused."""
    filters = filters or RowFilter()
    lines = block.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise EditProblem(_("There is nothing to paste. Copy cells in Excel, then paste here."))
    columns = grid_display_columns(grid)
    if start_target not in columns:
        raise EditProblem(_("Choose the column where the pasted block starts."))
    first = columns.index(start_target)
    cells = [line.split("\t") for line in lines]
    width = max(len(c) for c in cells)
    if first + width > len(columns):
        raise EditProblem(
            _(
                "The block is %(width)s columns wide but only %(room)s columns follow "
                "“%(column)s”. Start further left, or paste fewer columns."
            )
            % {"width": width, "room": len(columns) - first, "column": label(start_target)}
        )
    targets = columns[first : first + width]
    visible = grid_rows(grid, filters)
    if not visible.filter(pk=start_row.pk).exists():
        raise EditProblem(
            _(
                "Row %(number)s is not in this view: start the block at a row you can see, or "
                "clear the filter."
            )
            % {"number": start_row.number}
        )
    column = SORTS[filters.sort]
    start_value = getattr(start_row, column)
    rows = list(
        visible.filter(
            Q(**{f"{column}__gt": start_value})
            | Q(**{column: start_value, "id__gte": start_row.pk})
        ).order_by(column, "id")[: len(cells)]
    )
    whole_grid = not filters.active and filters.sort == "number"
    if len(rows) < len(cells) and not whole_grid:
        raise EditProblem(
            ngettext(
                "The block has %(block)s rows, but only %(rows)s row follows in this view: "
                "paste fewer rows, or clear the filter to add new rows at the end.",
                "The block has %(block)s rows, but only %(rows)s rows follow in this view: "
                "paste fewer rows, or clear the filter to add new rows at the end.",
                len(rows),
            )
            % {"block": len(cells), "rows": len(rows)}
        )
    positions = {t: i for i, t in enumerate(grid.mapping)}
    changes: dict[tuple[int | None, str], str] = {}
    overwrites = []
    new_rows = 0
    for index, line in enumerate(cells):
        row = rows[index] if index < len(rows) else None
        if row is None:
            new_rows += 1
        for offset, target in enumerate(targets):
            text = line[offset].strip() if offset < len(line) else ""
            if row is None:
                changes[(-new_rows, target)] = text
                continue
            position = positions.get(target)
            old = row.raw[position] if position is not None and position < len(row.raw) else ""
            if old != text:
                changes[(row.pk, target)] = text
                if old:
                    overwrites.append((row.number, target, old, text))
    return PastePlan(changes=changes, new_rows=new_rows, overwrites=overwrites)


def grid_paste(
    *, grid: Grid, plan: PastePlan, author: AbstractBaseUser | None, rules: CampaignRules
) -> Edit:
    with transaction.atomic():
        added = _add_rows(grid, plan.new_rows)
        changes = {
            ((added[-key - 1] if key is not None and key < 0 else key), target): text
            for (key, target), text in plan.changes.items()
        }
        return _change(grid, author, rules, Edit.Kind.PASTE, changes, added=added)


def grid_add_rows(
    *, grid: Grid, count: int, author: AbstractBaseUser | None, rules: CampaignRules
) -> Edit:
    with transaction.atomic():
        added = _add_rows(grid, count)
        return _change(grid, author, rules, Edit.Kind.ADD, {}, added=added)


def grid_delete_rows(
    *, grid: Grid, row_ids: Sequence[int], author: AbstractBaseUser | None, rules: CampaignRules
) -> Edit:
    if not row_ids:
        raise EditProblem(_("No rows are selected. Tick the rows to delete."))
    _refuse_while_sending(grid)
    with transaction.atomic():
        rows = grid.rows.filter(id__in=row_ids)
        deleted = [{"id": r.pk, "number": r.number, "raw": r.raw} for r in rows]
        phones = set(rows.values_list("phone", flat=True)) - {""}
        rows.delete()
        edit = Edit.objects.create(grid=grid, author=author, kind=Edit.Kind.DELETE, deleted=deleted)
        _audit_edit(
            grid,
            author,
            Edit.Kind.DELETE,
            edit,
            rows=[[r["number"], r["raw"]] for r in deleted],
        )
        # Rows that shared a phone with a deleted row may no longer be duplicates.
        neighbours = list(grid.rows.filter(phone__in=phones).values_list("id", flat=True))
        if neighbours:
            grid_validate(grid=grid, rules=rules, row_ids=neighbours)
        grid_recount(grid)
    return edit


def grid_remap(
    *,
    grid: Grid,
    column: int,
    target: str,
    rules: CampaignRules,
    author: AbstractBaseUser | None = None,
) -> Edit:
    """Point one file column at another target, or at nothing, and check every row again. A
    column that held the target lets go of it. Remembered for the campaign, audited, undoable."""
    with transaction.atomic():
        grid = Grid.objects.select_for_update().select_related("campaign").get(pk=grid.pk)
        _refuse_while_sending(grid)
        if not 0 <= column < len(grid.mapping):
            raise EditProblem(_("The grid has no such column: reload the page."))
        was = grid.mapping[column]
        if target == was:
            raise EditProblem(
                _("“%(column)s” already goes to %(target)s.")
                % {"column": grid.headers[column], "target": label(target)}
            )
        mapping = list(grid.mapping)
        released = [i for i, t in enumerate(mapping) if target and t == target]
        for position in released:
            mapping[position] = ""
        mapping[column] = target
        try:
            mapping_check(mapping, grid.campaign, extra_fields=set())
        except MappingProblem as problem:
            raise EditProblem(str(problem)) from None
        edit = Edit.objects.create(
            grid=grid,
            author=author,
            kind=Edit.Kind.MAPPING,
            columns_before={"headers": list(grid.headers), "mapping": list(grid.mapping)},
        )
        grid.mapping = mapping
        grid.save(update_fields=["mapping"])
        campaign = grid.campaign
        campaign.remembered_mapping = campaign.remembered_mapping | {
            normalise_header(grid.headers[i]): mapping[i] for i in [column, *released]
        }
        campaign.save(update_fields=["remembered_mapping"])
        audit(
            action=AuditEntry.Action.REMAP,
            actor=author,
            campaign=campaign.thulium_id,
            grid_id=grid.pk,
            edit=edit.pk,
            column=grid.headers[column],
            before=was,
            after=target,
            released=[grid.headers[i] for i in released],
        )
        grid_validate(grid=grid, rules=rules)
    return edit


# Redo replays an edit's cells or deletions; edits that added rows or columns are not replayed
# (undo dropped what they added, so there is nothing to put back exactly).
REDOABLE = (Edit.Kind.CELL, Edit.Kind.BULK, Edit.Kind.PASTE, Edit.Kind.DELETE)


def grid_redoable_edit(grid: Grid) -> Edit | None:
    """The edit Redo would make again: the earliest of the edits undone since the last edit
    that stands (a new edit ends what can be redone), when it can be replayed."""
    last_standing = grid.edits.filter(undone=False).order_by("-id").values("id")[:1]
    edit = (
        grid.edits.filter(undone=True, id__gt=Coalesce(Subquery(last_standing), 0))
        .order_by("id")
        .first()
    )
    if (
        edit is None
        or edit.kind not in REDOABLE
        or edit.added
        or edit.columns_before is not None
        or grid.submissions.filter(created_at__gt=edit.created_at).exists()
    ):
        return None
    return edit


def grid_redo(
    *, grid: Grid, rules: CampaignRules, author: AbstractBaseUser | None = None
) -> Edit | None:
    """Make the last undone edit again (see grid_redoable_edit); None when there is none."""
    with transaction.atomic():
        edit = grid_redoable_edit(grid)
        if edit is None:
            return None
        _refuse_while_sending(grid)
        new_raw: dict[int, list[str]] = {}
        for pk, raw in grid.rows.filter(id__in={c[0] for c in edit.changes}).values_list(
            "id", "raw"
        ):
            raw = list(raw) + [""] * (len(grid.mapping) - len(raw))
            for row_id, column, _old, new in edit.changes:
                if row_id == pk and column < len(raw):
                    raw[column] = new
            new_raw[pk] = raw
        touched = set(new_raw)
        if edit.deleted:
            rows = grid.rows.filter(id__in=[r["id"] for r in edit.deleted])
            phones = set(rows.values_list("phone", flat=True)) - {""}
            rows.delete()
            touched |= set(grid.rows.filter(phone__in=phones).values_list("id", flat=True))
        edit.undone = False
        edit.save(update_fields=["undone"])
        audit(
            action=AuditEntry.Action.REDO,
            actor=author,
            campaign=grid.campaign.thulium_id,
            grid_id=grid.pk,
            edit=edit.pk,
            redone=edit.kind,
        )
        if touched:
            grid_validate(grid=grid, rules=rules, row_ids=touched, new_raw=new_raw)
        else:
            grid_recount(grid)
    return edit


def grid_undoable_edit(grid: Grid) -> Edit | None:
    """The edit Undo would take back, when it can: none once a sending followed it."""
    edit = grid.edits.filter(undone=False).order_by("-id").first()
    if edit is None or grid.submissions.filter(created_at__gt=edit.created_at).exists():
        return None
    return edit


def grid_undo(
    *, grid: Grid, rules: CampaignRules, author: AbstractBaseUser | None = None
) -> Edit | None:
    """Undo the grid's most recent edit that is not undone yet; None when there is none."""
    with transaction.atomic():
        edit = grid.edits.select_for_update().filter(undone=False).order_by("-id").first()
        if edit is None:
            return None
        _refuse_while_sending(grid)
        if grid.submissions.filter(created_at__gt=edit.created_at).exists():
            raise EditProblem(
                _(
                    "This change has been sent to Thulium, so it cannot be undone here. Change "
                    "the cells back and send again."
                )
            )
        touched: set[int] = set()
        if edit.deleted:
            _insert_rows(
                grid,
                (
                    (r["id"], r["number"], r["raw"], {}, [], "", Row.State.VALID)
                    for r in edit.deleted
                ),
            )
            touched |= {r["id"] for r in edit.deleted}
        by_row: dict[int, list[tuple[int, str]]] = {}
        for pk, column, old, _new in edit.changes:
            by_row.setdefault(pk, []).append((column, old))
        new_raw = {}
        for pk, raw in grid.rows.filter(id__in=list(by_row)).values_list("id", "raw"):
            raw = list(raw)
            for column, old in reversed(by_row[pk]):
                if column < len(raw):
                    raw[column] = old
            new_raw[pk] = raw
        touched |= set(new_raw)
        if edit.added:
            phones = set(grid.rows.filter(id__in=edit.added).values_list("phone", flat=True))
            grid.rows.filter(id__in=edit.added).delete()
            touched |= set(grid.rows.filter(phone__in=phones - {""}).values_list("id", flat=True))
        if edit.columns_before is not None:
            # The columns the edit added held nothing before it: drop them again.
            grid.headers = edit.columns_before["headers"]
            grid.mapping = edit.columns_before["mapping"]
            grid.save(update_fields=["headers", "mapping"])
            width = len(grid.mapping)
            new_raw = {pk: raw[:width] for pk, raw in new_raw.items()}
        edit.undone = True
        edit.save(update_fields=["undone"])
        audit(
            action=AuditEntry.Action.UNDO,
            actor=author,
            campaign=grid.campaign.thulium_id,
            grid_id=grid.pk,
            edit=edit.pk,
            undone=edit.kind,
        )
        if edit.kind == Edit.Kind.MAPPING:
            grid_validate(grid=grid, rules=rules)  # every row reads its cells anew
        else:
            grid_validate(grid=grid, rules=rules, row_ids=touched, new_raw=new_raw)
    return edit


def grid_display_columns(grid: Grid) -> list[str]:
    """The columns the grid page shows, in order: phone first, then what the grid maps, then
    the record attributes it does not map yet (so they can be filled in)."""
    if grid.mode == Grid.Mode.REMOVE:
        return ["phone_number"]  # all that removing sends
    mapped = [t for t in grid.mapping if t and t != "phone_number"]
    extra = [t for t in RECORD_TARGETS if t not in mapped and t not in {"phone_number"}]
    if grid.mode != Grid.Mode.ADD:
        extra = [t for t in extra if t not in ADD_ONLY_TARGETS]
    return ["phone_number", *mapped, *[t for t in extra if t != "dictionary_status_id"]]


# --- internals ------------------------------------------------------------------------------


def _change(
    grid: Grid,
    author: AbstractBaseUser | None,
    rules: CampaignRules,
    kind: str,
    cells: dict[tuple[int, str], str],
    *,
    added: Iterable[int] = (),
) -> Edit:
    """Write texts into cells (adding columns the grid lacks), re-validate, record the edit."""
    cells = {key: without_nul(text) for key, text in cells.items()}
    _refuse_while_sending(grid)
    with transaction.atomic():
        before = {"headers": list(grid.headers), "mapping": list(grid.mapping)}
        for _pk, target in cells:
            _column(grid, target)
        columns_added = grid.mapping != before["mapping"]
        if columns_added:
            grid.save(update_fields=["headers", "mapping"])
        positions = {t: i for i, t in enumerate(grid.mapping) if t}
        by_row: dict[int, dict[int, str]] = {}
        for (pk, target), text in cells.items():
            by_row.setdefault(pk, {})[positions[target]] = text
        changes = []
        new_raw = {}
        for pk, raw in grid.rows.filter(id__in=list(by_row)).values_list("id", "raw"):
            raw = list(raw) + [""] * (len(grid.mapping) - len(raw))
            for position, text in sorted(by_row[pk].items()):
                if raw[position] != text:
                    changes.append([pk, position, raw[position], text])
                    raw[position] = text
                    new_raw[pk] = raw
        added = list(added)
        edit = Edit.objects.create(
            grid=grid,
            author=author,
            kind=kind,
            changes=changes,
            added=added,
            columns_before=before if columns_added else None,
        )
        grid_validate(
            grid=grid,
            rules=rules,
            row_ids=set(new_raw) | set(added),
            new_raw=new_raw,
            counted=not added,  # added rows are not in the counts yet
        )
        numbers = dict(grid.rows.filter(id__in=set(new_raw)).values_list("id", "number"))
        _audit_edit(
            grid,
            author,
            kind,
            edit,
            changes=[
                [numbers.get(pk), label(grid.mapping[column]), old, new]
                for pk, column, old, new in changes
            ],
            added_rows=list(grid.rows.filter(id__in=added).values_list("number", flat=True)),
        )
    return edit


def _audit_edit(grid: Grid, author: Any, kind: str, edit: Edit, **details: Any) -> None:
    actions = {
        Edit.Kind.CELL: AuditEntry.Action.CELL_EDIT,
        Edit.Kind.BULK: AuditEntry.Action.BULK_EDIT,
        Edit.Kind.PASTE: AuditEntry.Action.PASTE,
        Edit.Kind.ADD: AuditEntry.Action.ROWS_ADDED,
        Edit.Kind.DELETE: AuditEntry.Action.ROWS_DELETED,
    }
    audit(
        action=actions[kind],
        actor=author,
        campaign=grid.campaign.thulium_id,
        grid_id=grid.pk,
        edit=edit.pk,
        **details,
    )


def _refuse_while_sending(grid: Grid) -> None:
    if grid.submissions.filter(state__in=["queued", "running", "waiting"]).exists():
        raise EditProblem(
            _("The grid is being sent to Thulium. Wait until it finishes, or cancel the sending.")
        )


def _column(grid: Grid, target: str) -> int:
    if target not in RECORD_TARGETS and not target.startswith(FIELD_PREFIX):
        raise EditProblem(_("Unknown column “%(target)s”.") % {"target": target})
    if target in grid.mapping:
        return grid.mapping.index(target)
    grid.headers = [*grid.headers, label(target)]
    grid.mapping = [*grid.mapping, target]
    return len(grid.mapping) - 1


def _add_rows(grid: Grid, count: int) -> list[int]:
    if count <= 0:
        return []
    top = grid.rows.aggregate(top=Max("number"))["top"] or 0
    width = len(grid.mapping)
    Row.objects.bulk_create(
        Row(grid=grid, number=top + n, raw=[""] * width) for n in range(1, count + 1)
    )
    return list(grid.rows.filter(number__gt=top).order_by("number").values_list("id", flat=True))
