"""What a bulk set, a paste or a find and replace would change, shown before it is made: each
is planned from the rows the page shows (a plan raises EditProblem when it cannot be made), then
made as one edit through services/editing.py, which one Undo takes back."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import batched

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.exceptions import EditProblem
from campaigns.models import Edit, Grid, Row
from campaigns.rules.targets import FIELD_PREFIX, label
from campaigns.rules.validation import CLEAR_MARKER, CLEAR_MARKERS, CampaignRules
from campaigns.services.editing import cells_write, rows_append
from campaigns.services.locking import grid_check_editable, grid_lock
from campaigns.services.rows import SORTS, RowFilter, grid_display_columns, grid_rows


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
    # (row id, or -n for the n-th row the paste adds, target) → text
    changes: dict[tuple[int, str], str]
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
                "Columns in the block: %(width)s; from “%(column)s” to the grid's end: %(room)s. "
                "Start further left, or paste fewer columns."
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
    changes: dict[tuple[int, str], str] = {}
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


def grid_paste(*, grid: Grid, plan: PastePlan, author: User | None, rules: CampaignRules) -> Edit:
    with transaction.atomic():
        grid = grid_lock(grid)
        grid_check_editable(grid)
        added = rows_append(grid, plan.new_rows)
        changes = {
            ((added[-key - 1] if key < 0 else key), target): text
            for (key, target), text in plan.changes.items()
        }
        return cells_write(grid, author, rules, Edit.Kind.PASTE, changes, added=added)


@dataclass(frozen=True)
class ReplacePlan:
    """What a find and replace would do: in this column, these rows' text now and after."""

    target: str
    find: str
    replace: str
    changes: dict[int, tuple[int, str, str]]  # row id → (row number, text now, text after)


def grid_replace_plan(
    *,
    grid: Grid,
    target: str,
    find: str,
    replace: str,
    filters: RowFilter | None = None,
    whole_cell: bool = False,
    match_case: bool = False,
) -> ReplacePlan:
    """Every cell of one column, in the rows the view shows, whose text holds `find` (or, with
    `whole_cell`, is `find`), and what it becomes. Like Excel: case does not matter unless
    `match_case`. Raises EditProblem when nothing would change or the column is unknown."""
    if target not in grid_display_columns(grid) and target not in grid.mapping:
        raise EditProblem(_("Choose the column to search in."))
    if not find:
        raise EditProblem(_("Type the text to find."))
    flags = 0 if match_case else re.IGNORECASE
    if whole_cell:
        pattern = re.compile(rf"\s*{re.escape(find.strip())}\s*", flags)
    else:
        pattern = re.compile(re.escape(find), flags)
    changes: dict[int, tuple[int, str, str]] = {}
    if target in grid.mapping:
        position = grid.mapping.index(target)
        rows = grid_rows(grid, filters or RowFilter()).order_by("number", "id")
        for pk, number, raw in rows.values_list("id", "number", "raw").iterator(chunk_size=2000):
            text = str(raw[position]) if position < len(raw) else ""
            if whole_cell:
                after = replace if pattern.fullmatch(text) else text
            else:
                # A function, so a replacement's backslashes are taken as typed.
                after = pattern.sub(lambda _match: replace, text)
            if after != text:
                changes[pk] = (number, text, after)
    if not changes:
        raise EditProblem(
            _(
                "No cell of “%(column)s” in the rows shown holds “%(text)s”. Check the spelling, "
                "untick “Whole cell” or “Match case”, or clear the filter."
            )
            % {"column": label(target), "text": find}
        )
    return ReplacePlan(target=target, find=find, replace=replace, changes=changes)


def grid_replace(
    *, grid: Grid, plan: ReplacePlan, author: User | None, rules: CampaignRules
) -> Edit:
    """Make a find and replace as one edit, which one Undo takes back. Refused when a cell of
    the preview changed since it was shown: the preview must be made again."""
    with transaction.atomic():
        grid = grid_lock(grid)
        position = grid.mapping.index(plan.target) if plan.target in grid.mapping else None
        for pk, raw in grid.rows.filter(id__in=list(plan.changes)).values_list("id", "raw"):
            now = str(raw[position]) if position is not None and position < len(raw) else ""
            if now != plan.changes[pk][1]:
                raise EditProblem(
                    _(
                        "Row %(row)s changed since the preview was made. Nothing was replaced: "
                        "preview the replacement again."
                    )
                    % {"row": plan.changes[pk][0]}
                )
        return cells_write(
            grid,
            author,
            rules,
            Edit.Kind.REPLACE,
            {(pk, plan.target): after for pk, (_number, _now, after) in plan.changes.items()},
        )
