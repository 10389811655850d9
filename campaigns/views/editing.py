"""Changing a grid in the page: cells, rows, bulk sets, pastes, find and replace, columns, undo
and redo. Problem groups are fixed in views/group_fixes.py.

Each view that changes the grid is wrapped by `grid_post` (views/common.py): it reads the post
with its form, calls the service, and says what it did; a refusal is shown by the wrapper."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget

from campaigns.exceptions import CellConflict, EditProblem, Problem
from campaigns.forms.editing import (
    BulkSetForm,
    CellSaveForm,
    ColumnRemapForm,
    FindReplaceForm,
    GridForm,
    PasteForm,
    RowForm,
    RowsDeleteForm,
)
from campaigns.models import Grid, Row
from campaigns.presentation.row_html import stored_cells
from campaigns.rules.targets import label
from campaigns.services.edit_plans import (
    grid_bulk_plan,
    grid_paste,
    grid_paste_plan,
    grid_replace,
    grid_replace_plan,
)
from campaigns.services.editing import (
    grid_add_rows,
    grid_bulk_set,
    grid_delete_rows,
    grid_remap,
    row_set_cells,
)
from campaigns.services.rows import grid_display_columns
from campaigns.services.undo import grid_redo, grid_undo
from campaigns.views.common import (
    AuthenticatedRequest,
    back_to_grid,
    grid_or_404,
    grid_perms,
    grid_post,
    live_rules,
    place_permission_required,
    posted_again,
    problem_response,
    row_response,
    status_and_agent_choices,
)

# The confirmation lists this many of the cells a find and replace changes.
REPLACEMENTS_SHOWN = 200
# Rows a deletion's confirmation names by number (the rest are counted).
CONFIRM_ROWS_SHOWN = 50
# Cells a paste's confirmation lists among those it would overwrite.
OVERWRITES_SHOWN = 200


@require_GET
@place_permission_required("campaigns.change_grid")
def cell_edit(request: AuthenticatedRequest, grid_id: int, row_id: int) -> HttpResponse:
    grid = grid_or_404(request, grid_id, "campaigns.change_grid")
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    target = request.GET.get("target", "")
    cell = next(iter(stored_cells(row, [target], grid.mapping)), None)
    return render(
        request,
        "campaigns/grid_detail.html#cell-editor",
        {
            "grid": grid,
            "here": grid_perms(request.user, grid),
            "row": row,
            "cell": cell,
            **status_and_agent_choices(grid),
        },
    )


@grid_post(CellSaveForm)
def cell_save(
    request: AuthenticatedRequest, grid: Grid, form: CellSaveForm, *, row_id: int
) -> HttpResponse:
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    try:
        row_set_cells(
            grid=grid,
            row=row,
            cells={form.cleaned_data["target"]: form.cleaned_data["value"]},
            shown=form.shown_cells(),
            author=request.user,
            rules=live_rules(grid),
        )
    except CellConflict as conflict:
        if not request.htmx:
            messages.error(
                request,
                _("%(problem)s You typed: “%(mine)s”.")
                % {"problem": conflict.text, "mine": conflict.mine},
            )
            return back_to_grid(request, grid)
        return _conflict_editor(request, grid, conflict)
    if not request.htmx:
        return back_to_grid(request, grid)
    return row_response(request, grid, Row.objects.get(pk=row.pk))


@require_http_methods(["GET", "POST"])
@place_permission_required("campaigns.change_grid")
def row_edit(request: AuthenticatedRequest, grid_id: int, row_id: int) -> HttpResponse:
    """The whole row as one form: editing without JavaScript."""
    grid = grid_or_404(request, grid_id, "campaigns.change_grid")
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    columns = grid_display_columns(grid)
    choices = status_and_agent_choices(grid)
    conflict = None
    form = RowForm(columns, request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            row_set_cells(
                grid=grid,
                row=row,
                cells=form.cells(),
                shown=form.shown_cells(),
                author=request.user,
                rules=live_rules(grid),
            )
        except CellConflict as problem:
            # The form again with what they typed; the conflicting cell now shows as seen
            # (its newer text), so saving again keeps theirs — one cell at a time.
            conflict = problem
            row.refresh_from_db()
        except Problem as problem:
            return problem_response(request, grid, problem)
        else:
            return back_to_grid(request, grid)
    typed = form.cells() if conflict else {}
    return render(
        request,
        "campaigns/row_edit.html",
        {
            "grid": grid,
            "row": row,
            # Each cell with the text its field holds: as stored, or as typed after a conflict.
            "fields": [
                (cell, typed.get(cell.target, cell.raw))
                for cell in stored_cells(row, columns, grid.mapping)
            ],
            "conflict": conflict,
            "return_query": request.GET.urlencode() or request.POST.get("return_query", ""),
            "status_ids": {s.status_id for s in choices["statuses"]},
            "agent_logins": {a.login for a in choices["agents"]},
            **choices,
        },
        status=409 if conflict else 200,
    )


def _conflict_editor(
    request: AuthenticatedRequest, grid: Grid, conflict: CellConflict
) -> HttpResponse:
    """The cell's editor again, in place, holding what they typed and saying who changed the
    cell: saving keeps theirs (the editor now shows the newer text as seen), Escape or
    "Take theirs" shows the row as it is now."""
    row = get_object_or_404(Row, grid=grid, pk=conflict.row_id)
    cell = next(iter(stored_cells(row, [conflict.target], grid.mapping)), None)
    response = render(
        request,
        "campaigns/grid_detail.html#cell-editor",
        {
            "grid": grid,
            "here": grid_perms(request.user, grid),
            "row": row,
            "cell": cell,
            "conflict": conflict,
            **status_and_agent_choices(grid),
        },
    )
    where = f'tr[data-row="{row.pk}"] td[data-target="{conflict.target}"]'
    return reswap(retarget(response, where), "innerHTML")


@grid_post(GridForm)
def rows_add(request: AuthenticatedRequest, grid: Grid, form: GridForm) -> HttpResponse:
    grid_add_rows(grid=grid, count=1, author=request.user, rules=live_rules(grid))
    messages.success(request, _("A row was added at the end of the grid."))
    return back_to_grid(request, grid)


@grid_post(RowsDeleteForm)
def rows_delete(request: AuthenticatedRequest, grid: Grid, form: RowsDeleteForm) -> HttpResponse:
    """First post: which rows would go, to confirm by their count. With `confirm` and the same
    count: the rows are deleted (one edit, one Undo)."""
    ids = form.cleaned_data["rows"]
    numbers = sorted(grid.rows.filter(id__in=ids).values_list("number", flat=True))
    if numbers and not (
        form.cleaned_data["confirm"] and form.cleaned_data["count"] == len(numbers)
    ):
        # Not confirmed, or confirmed for another number of rows (the ticks changed).
        again = [(k, v) for k, v in posted_again(form, ids) if k != "count"]
        return render(
            request,
            "campaigns/grid_confirm.html",
            {
                "grid": grid,
                "deleting": ", ".join(map(str, numbers[:CONFIRM_ROWS_SHOWN]))
                + (" …" if len(numbers) > CONFIRM_ROWS_SHOWN else ""),
                "count": len(numbers),
                "hidden": [*again, ("count", str(len(numbers)))],
                "action": reverse("campaigns:grid_rows_delete", args=[grid.pk]),
            },
        )
    edit = grid_delete_rows(grid=grid, row_ids=ids, author=request.user, rules=live_rules(grid))
    deleted = len(edit.deleted)
    messages.success(
        request,
        ngettext("%(count)s row was deleted.", "%(count)s rows were deleted.", deleted)
        % {"count": deleted},
    )
    return back_to_grid(request, grid)


@grid_post(BulkSetForm)
def bulk_set(request: AuthenticatedRequest, grid: Grid, form: BulkSetForm) -> HttpResponse:
    """First post: how many rows change, for confirmation. With `confirm`: the change."""
    data = form.cleaned_data
    plan = grid_bulk_plan(
        grid=grid,
        target=data["target"],
        text=data["value"],
        clear=data["clear"],
        row_ids=data["rows"],
        filters=form.scope_filter(),
        fill_down=data["fill"],
        only_empty=data["only_empty"],
    )
    if not data["confirm"]:
        return render(
            request,
            "campaigns/grid_confirm.html",
            {
                "grid": grid,
                "count": len(plan.row_ids),
                "target_label": label(plan.target),
                "text": plan.text,
                "clear": plan.clear,
                # What was posted, so the confirming post plans the same change again.
                "hidden": posted_again(form, data["rows"]),
                "action": reverse("campaigns:grid_bulk", args=[grid.pk]),
            },
        )
    edit = grid_bulk_set(
        grid=grid,
        row_ids=plan.row_ids,
        target=plan.target,
        text=plan.text,
        author=request.user,
        rules=live_rules(grid),
    )
    messages.success(
        request,
        ngettext(
            "%(count)s row changed in “%(column)s”.",
            "%(count)s rows changed in “%(column)s”.",
            edit.size,
        )
        % {"count": edit.size, "column": label(plan.target)},
    )
    return back_to_grid(request, grid)


@grid_post(PasteForm)
def paste(request: AuthenticatedRequest, grid: Grid, form: PasteForm) -> HttpResponse:
    number = form.start_number()
    start = grid.rows.filter(number__gte=number).order_by("number", "id").first()
    if start is None:
        raise EditProblem(
            _("There is no row %(number)s. Give the number of a row in the grid.")
            % {"number": number}
        )
    plan = grid_paste_plan(
        grid=grid,
        start_row=start,
        start_target=form.cleaned_data["start_column"],
        block=form.cleaned_data["block"],
        # The view the person pastes into: the block fills its visible rows only.
        filters=form.view_filter(),
    )
    if plan.overwrites and not form.cleaned_data["confirm"]:
        return render(
            request,
            "campaigns/grid_confirm.html",
            {
                "grid": grid,
                "plan": plan,
                "overwrites": [
                    (n, label(t), old, new) for n, t, old, new in plan.overwrites[:OVERWRITES_SHOWN]
                ],
                "hidden": posted_again(form, []),
                "action": reverse("campaigns:grid_paste", args=[grid.pk]),
            },
        )
    edit = grid_paste(grid=grid, plan=plan, author=request.user, rules=live_rules(grid))
    messages.success(
        request,
        _("Pasted: cells changed: %(cells)s, rows added: %(rows)s.")
        % {"cells": len(edit.changes), "rows": len(edit.added)},
    )
    return back_to_grid(request, grid)


@grid_post(FindReplaceForm)
def find_replace(request: AuthenticatedRequest, grid: Grid, form: FindReplaceForm) -> HttpResponse:
    """First post: every cell that would change, for confirmation. With `confirm`: the change.
    It searches the rows the view shows (the filter is posted with the form)."""
    data = form.cleaned_data
    plan = grid_replace_plan(
        grid=grid,
        target=data["target"],
        find=data["find"],
        replace=data["replace"],
        filters=form.view_filter(),
        whole_cell=data["whole_cell"],
        match_case=data["match_case"],
    )
    if not data["confirm"]:
        return render(
            request,
            "campaigns/grid_confirm.html",
            {
                "grid": grid,
                "replace_plan": plan,
                "target_label": label(plan.target),
                "replacements": list(plan.changes.values())[:REPLACEMENTS_SHOWN],
                "hidden": posted_again(form, []),
                "action": reverse("campaigns:grid_replace", args=[grid.pk]),
            },
        )
    edit = grid_replace(grid=grid, plan=plan, author=request.user, rules=live_rules(grid))
    rows = len(edit.changes)
    messages.success(
        request,
        ngettext(
            "“%(find)s” replaced in %(count)s cell of “%(column)s”; Undo takes it back.",
            "“%(find)s” replaced in %(count)s cells of “%(column)s”; Undo takes it back.",
            rows,
        )
        % {"find": plan.find, "count": rows, "column": label(plan.target)},
    )
    return back_to_grid(request, grid)


@grid_post(GridForm)
def undo(request: AuthenticatedRequest, grid: Grid, form: GridForm) -> HttpResponse:
    edit = grid_undo(grid=grid, rules=live_rules(grid), author=request.user)
    if edit is None:
        messages.info(request, _("There is nothing to undo."))
    else:
        messages.success(request, _("Undone: %(edit)s.") % {"edit": edit.get_kind_display()})
    return back_to_grid(request, grid)


@grid_post(GridForm)
def redo(request: AuthenticatedRequest, grid: Grid, form: GridForm) -> HttpResponse:
    edit = grid_redo(grid=grid, rules=live_rules(grid), author=request.user)
    if edit is None:
        messages.info(request, _("There is nothing to redo."))
    else:
        messages.success(request, _("Made again: %(edit)s.") % {"edit": edit.get_kind_display()})
    return back_to_grid(request, grid)


@grid_post(ColumnRemapForm)
def column_remap(request: AuthenticatedRequest, grid: Grid, form: ColumnRemapForm) -> HttpResponse:
    """Point a file column at another target (or at nothing); every row is checked again."""
    column, target = form.cleaned_data["column"], form.cleaned_data["target"]
    grid_remap(
        grid=grid,
        column=-1 if column is None else column,
        target=target,
        rules=live_rules(grid),
        author=request.user,
    )
    messages.success(
        request,
        _("“%(column)s” now goes to %(target)s; every row was checked again.")
        % {"column": grid.headers[column], "target": label(target)},
    )
    return back_to_grid(request, grid)
