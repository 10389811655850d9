"""Changing a grid in the page: cells, the same text in many rows, rows added and deleted, a
column remapped. What a bulk set, a paste or a find and replace would change is planned in
services/edit_plans.py, which writes through `cells_write` here.

Every change takes the grid's lock (services/locking.py), writes the cells' source text (what
the supervisor typed), re-validates the rows it touched through the same rules as intake, and
records an `Edit` that services/undo.py can take back. A cell save that met a newer value than
the page showed is refused with CellConflict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from campaigns.exceptions import CellConflict, EditProblem, MappingProblem
from campaigns.intake.headers import normalise_header
from campaigns.intake.text import without_nul
from campaigns.models import AuditEntry, Edit, Grid, Row
from campaigns.rules.targets import FIELD_PREFIX, RECORD_TARGETS, label
from campaigns.rules.validation import CampaignRules
from campaigns.services.audit import audit
from campaigns.services.grid_checks import grid_recount, grid_validate
from campaigns.services.grids import mapping_check
from campaigns.services.locking import grid_check_editable, grid_lock

# --- writing --------------------------------------------------------------------------------


def row_set_cells(
    *,
    grid: Grid,
    row: Row,
    cells: dict[str, str],
    author: User | None,
    rules: CampaignRules,
    shown: dict[str, str] | None = None,
) -> Edit:
    """Set one row's cells (target → text). `shown` is what the page showed in those cells
    (target → text): when one of them holds something else now, another person changed it
    in between, and CellConflict says who and when instead of overwriting it."""
    with transaction.atomic():
        grid = grid_lock(grid)
        grid_check_editable(grid)
        for target, text in (shown or {}).items():
            if target in cells:
                _refuse_changed_cell(grid, row.pk, target, text, cells[target])
        return cells_write(
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
    author: User | None,
    rules: CampaignRules,
) -> Edit:
    """Give every chosen row the same text in a column (a value, or a clear marker) — or in
    several (`cells`: target → text), as one edit that one Undo takes back."""
    cells = cells if cells is not None else {target: text}
    if not row_ids:
        raise EditProblem(_("No rows are selected. Tick some rows, or choose all matching rows."))
    if "phone_number" in cells:
        raise EditProblem(_("Every row needs its own phone number: it cannot be set in bulk."))
    return cells_write(
        grid,
        author,
        rules,
        Edit.Kind.BULK,
        {(pk, target): text for pk in row_ids for target, text in cells.items()},
    )


def grid_cells_set(
    *,
    grid: Grid,
    cells: Mapping[tuple[int, str], str],
    author: User | None,
    rules: CampaignRules,
) -> Edit:
    """Give chosen cells each their own text — (row id, target) → text — as one bulk edit that
    one Undo takes back: a group fix whose value depends on the row (a time added to each
    row's own date)."""
    if not cells:
        raise EditProblem(_("No row has this problem any more: the page was out of date."))
    if any(target == "phone_number" for _pk, target in cells):
        raise EditProblem(_("Every row needs its own phone number: it cannot be set in bulk."))
    return cells_write(grid, author, rules, Edit.Kind.BULK, dict(cells))


def grid_add_rows(*, grid: Grid, count: int, author: User | None, rules: CampaignRules) -> Edit:
    with transaction.atomic():
        grid = grid_lock(grid)
        grid_check_editable(grid)
        added = rows_append(grid, count)
        return cells_write(grid, author, rules, Edit.Kind.ADD, {}, added=added)


def grid_delete_rows(
    *, grid: Grid, row_ids: Sequence[int], author: User | None, rules: CampaignRules
) -> Edit:
    if not row_ids:
        raise EditProblem(_("No rows are selected. Tick the rows to delete."))
    with transaction.atomic():
        grid = grid_lock(grid)
        grid_check_editable(grid)
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
    author: User | None = None,
) -> Edit:
    """Point one file column at another target, or at nothing, and check every row again. A
    column that held the target lets go of it. Remembered for the campaign, audited, undoable."""
    with transaction.atomic():
        grid = grid_lock(grid)
        grid_check_editable(grid)
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
            campaign=campaign,
            grid_id=grid.pk,
            edit=edit.pk,
            column=grid.headers[column],
            before=was,
            after=target,
            released=[grid.headers[i] for i in released],
        )
        grid_validate(grid=grid, rules=rules)
    return edit


# --- internals ------------------------------------------------------------------------------


def cells_write(
    grid: Grid,
    author: User | None,
    rules: CampaignRules,
    kind: Edit.Kind,
    cells: dict[tuple[int, str], str],
    *,
    added: Iterable[int] = (),
) -> Edit:
    """Write texts into cells (adding columns the grid lacks), re-validate, record the edit: the
    one path every change of cells takes."""
    cells = {key: without_nul(text) for key, text in cells.items()}
    with transaction.atomic():
        # Callers that wrote before this (rows added) hold the lock already; taking it again
        # in the same transaction only bumps the version once more.
        grid = grid_lock(grid)
        grid_check_editable(grid)
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


def _audit_edit(
    grid: Grid, author: User | None, kind: Edit.Kind, edit: Edit, **details: Any
) -> None:
    actions = {
        Edit.Kind.CELL: AuditEntry.Action.CELL_EDIT,
        Edit.Kind.BULK: AuditEntry.Action.BULK_EDIT,
        Edit.Kind.PASTE: AuditEntry.Action.PASTE,
        Edit.Kind.REPLACE: AuditEntry.Action.REPLACE,
        Edit.Kind.ADD: AuditEntry.Action.ROWS_ADDED,
        Edit.Kind.DELETE: AuditEntry.Action.ROWS_DELETED,
    }
    audit(
        action=actions[kind],
        actor=author,
        campaign=grid.campaign,
        grid_id=grid.pk,
        edit=edit.pk,
        **details,
    )


def _refuse_changed_cell(grid: Grid, row_id: int, target: str, shown: str, mine: str) -> None:
    """Under the grid's lock: the cell must still hold what the page showed."""
    raw = grid.rows.filter(pk=row_id).values_list("raw", flat=True).first()
    if raw is None:
        raise EditProblem(
            _("This row was deleted by another person since the page showed it: reload the page.")
        )
    position = grid.mapping.index(target) if target in grid.mapping else None
    now = str(raw[position]) if position is not None and position < len(raw) else ""
    if without_nul(now) == without_nul(shown) or without_nul(now) == without_nul(mine):
        return
    edit = _last_edit_of_cell(grid, row_id, position)
    values = {"value": now or _("(empty)"), "column": label(target)}
    if edit is not None and not edit.undone:
        values |= {
            "time": time_format(timezone.localtime(edit.created_at), "H:i"),
            "who": _person(edit.author),
        }
        text = _(
            "“%(column)s” was changed to “%(value)s” at %(time)s by %(who)s while you were "
            "editing it. Nothing was saved: keep yours to replace it, or take theirs."
        )
    else:
        text = _(
            "“%(column)s” now holds “%(value)s”: someone changed it while you were editing it. "
            "Nothing was saved: keep yours to replace it, or take theirs."
        )
    raise CellConflict(text % values, row_id=row_id, target=target, theirs=now, mine=mine)


# How far back the edits are searched for who changed a cell.
CONFLICT_EDITS_SEARCHED = 200


def _last_edit_of_cell(grid: Grid, row_id: int, position: int | None) -> Edit | None:
    for edit in grid.edits.order_by("-id").select_related("author")[:CONFLICT_EDITS_SEARCHED]:
        if any(change[0] == row_id and change[1] == position for change in edit.changes):
            return edit
    return None


def _person(user: User | None) -> str:
    if user is None:
        return str(_("the command line"))
    return user.get_full_name() or user.get_username()


def _column(grid: Grid, target: str) -> int:
    if target not in RECORD_TARGETS and not target.startswith(FIELD_PREFIX):
        raise EditProblem(_("Unknown column “%(target)s”.") % {"target": target})
    if target in grid.mapping:
        return grid.mapping.index(target)
    grid.headers = [*grid.headers, label(target)]
    grid.mapping = [*grid.mapping, target]
    return len(grid.mapping) - 1


def rows_append(grid: Grid, count: int) -> list[int]:
    """Add `count` empty rows at the grid's end, under the lock the caller holds; their ids."""
    if count <= 0:
        return []
    top = grid.rows.aggregate(top=Max("number"))["top"] or 0
    width = len(grid.mapping)
    Row.objects.bulk_create(
        Row(grid=grid, number=top + n, raw=[""] * width) for n in range(1, count + 1)
    )
    return list(grid.rows.filter(number__gt=top).order_by("number").values_list("id", flat=True))
