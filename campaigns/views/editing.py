"""Changing a grid in the page: cells, rows, bulk sets, pastes, find and replace, group fixes,
columns, undo and redo."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from campaigns.exceptions import CellConflict, EditProblem, Problem
from campaigns.intake.text import ascii_int
from campaigns.models import Duplicates, Grid, Row
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
from campaigns.services.problems import (
    grid_copies_keep,
    grid_group_column_fix,
    grid_group_drop,
    grid_group_set,
    grid_group_time,
    value_rule_forget,
    value_rule_set,
)
from campaigns.services.review import grid_sending_options_set
from campaigns.services.rows import RowFilter, grid_display_columns
from campaigns.services.undo import grid_redo, grid_undo
from campaigns.views.common import (
    back_to_grid,
    grid_or_404,
    live_rules,
    posted_again,
    posted_row_ids,
    problem_response,
    row_response,
    status_and_agent_choices,
)

# The confirmation lists this many of the cells a find and replace changes.
REPLACEMENTS_SHOWN = 200
# Rows a deletion's confirmation names by number (the rest are counted).
CONFIRM_ROWS_SHOWN = 50


@require_GET
@permission_required("campaigns.change_grid", raise_exception=True)
def cell_edit(request: HttpRequest, grid_id: int, row_id: int) -> HttpResponse:
    grid = grid_or_404(grid_id)
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    target = request.GET.get("target", "")
    cell = next(iter(stored_cells(row, [target], grid.mapping)), None)
    return render(
        request,
        "campaigns/grid_detail.html#cell-editor",
        {"grid": grid, "row": row, "cell": cell, **status_and_agent_choices(grid)},
    )


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def cell_save(request: HttpRequest, grid_id: int, row_id: int) -> HttpResponse:
    grid = grid_or_404(grid_id)
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    target = request.POST.get("target", "")
    value = request.POST.get("value", "")
    try:
        row_set_cells(
            grid=grid,
            row=row,
            cells={target: value},
            # An editor from before this field existed (a page left open) saves as it did.
            shown={target: request.POST["shown"]} if "shown" in request.POST else None,
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
    except Problem as problem:
        return problem_response(request, grid, problem)
    if not request.htmx:
        return back_to_grid(request, grid)
    return row_response(request, grid, Row.objects.get(pk=row.pk))


@require_http_methods(["GET", "POST"])
@permission_required("campaigns.change_grid", raise_exception=True)
def row_edit(request: HttpRequest, grid_id: int, row_id: int) -> HttpResponse:
    """The whole row as one form: editing without JavaScript."""
    grid = grid_or_404(grid_id)
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    columns = grid_display_columns(grid)
    choices = status_and_agent_choices(grid)
    conflict = None
    if request.method == "POST":
        cells = {t: request.POST.get(t, "") for t in columns if t in request.POST}
        shown = {t: request.POST[f"shown-{t}"] for t in cells if f"shown-{t}" in request.POST}
        try:
            row_set_cells(
                grid=grid,
                row=row,
                cells=cells,
                shown=shown,
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
    return render(
        request,
        "campaigns/row_edit.html",
        {
            "grid": grid,
            "row": row,
            # Each cell with the text its field holds: as stored, or as typed after a conflict.
            "fields": [
                (cell, request.POST.get(cell.target, cell.raw) if conflict else cell.raw)
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


def _conflict_editor(request: HttpRequest, grid: Grid, conflict: CellConflict) -> HttpResponse:
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
            "row": row,
            "cell": cell,
            "conflict": conflict,
            **status_and_agent_choices(grid),
        },
    )
    where = f'tr[data-row="{row.pk}"] td[data-target="{conflict.target}"]'
    return reswap(retarget(response, where), "innerHTML")


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def rows_add(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = grid_or_404(grid_id)
    try:
        grid_add_rows(grid=grid, count=1, author=request.user, rules=live_rules(grid))
    except Problem as problem:
        return problem_response(request, grid, problem)
    messages.success(request, _("A row was added at the end of the grid."))
    return back_to_grid(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def rows_delete(request: HttpRequest, grid_id: int) -> HttpResponse:
    """First post: which rows would go, to confirm by their count. With `confirm` and the same
    count: the rows are deleted (one edit, one Undo)."""
    grid = grid_or_404(grid_id)
    ids = posted_row_ids(request)
    numbers = sorted(grid.rows.filter(id__in=ids).values_list("number", flat=True))
    confirmed = request.POST.get("confirm") == "yes"
    if numbers and not (confirmed and ascii_int(request.POST.get("count", "")) == len(numbers)):
        # Not confirmed, or confirmed for another number of rows (the ticks changed).
        again = [(k, v) for k, v in posted_again(request, ids) if k != "count"]
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
    try:
        edit = grid_delete_rows(grid=grid, row_ids=ids, author=request.user, rules=live_rules(grid))
    except Problem as problem:
        return problem_response(request, grid, problem)
    deleted = len(edit.deleted)
    messages.success(
        request,
        ngettext("%(count)s row was deleted.", "%(count)s rows were deleted.", deleted)
        % {"count": deleted},
    )
    return back_to_grid(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def bulk_set(request: HttpRequest, grid_id: int) -> HttpResponse:
    """First post: how many rows change, for confirmation. With `confirm`: the change."""
    grid = grid_or_404(grid_id)
    try:
        plan = grid_bulk_plan(
            grid=grid,
            target=request.POST.get("target", ""),
            text=request.POST.get("value", ""),
            clear=request.POST.get("clear") == "on",
            row_ids=posted_row_ids(request),
            filters=RowFilter.from_query(request.POST)
            if request.POST.get("scope") == "filter"
            else None,
            fill_down=request.POST.get("fill") == "down",
            only_empty=request.POST.get("only_empty") == "on",
        )
    except Problem as problem:
        return problem_response(request, grid, problem)
    ids, target, text, clear = plan.row_ids, plan.target, plan.text, plan.clear
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "campaigns/grid_confirm.html",
            {
                "grid": grid,
                "count": len(ids),
                "target_label": label(target),
                "text": text,
                "clear": clear,
                # What was posted, so the confirming post plans the same change again.
                "hidden": posted_again(request, posted_row_ids(request)),
                "action": reverse("campaigns:grid_bulk", args=[grid.pk]),
            },
        )
    try:
        edit = grid_bulk_set(
            grid=grid,
            row_ids=ids,
            target=target,
            text=text,
            author=request.user,
            rules=live_rules(grid),
        )
    except Problem as problem:
        return problem_response(request, grid, problem)
    messages.success(
        request,
        ngettext(
            "%(count)s row changed in “%(column)s”.",
            "%(count)s rows changed in “%(column)s”.",
            edit.size,
        )
        % {"count": edit.size, "column": label(target)},
    )
    return back_to_grid(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def paste(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = grid_or_404(grid_id)
    try:
        number = int(request.POST.get("start_row", "0"))
    except ValueError:
        number = 0
    start = grid.rows.filter(number__gte=number).order_by("number", "id").first()
    try:
        if start is None:
            raise EditProblem(
                _("There is no row %(number)s. Give the number of a row in the grid.")
                % {"number": number}
            )
        plan = grid_paste_plan(
            grid=grid,
            start_row=start,
            start_target=request.POST.get("start_column", ""),
            block=request.POST.get("block", ""),
            # The view the person pastes into: the block fills its visible rows only.
            filters=RowFilter.from_query(QueryDict(request.POST.get("return_query", ""))),
        )
        if plan.overwrites and request.POST.get("confirm") != "yes":
            return render(
                request,
                "campaigns/grid_confirm.html",
                {
                    "grid": grid,
                    "plan": plan,
                    "overwrites": [
                        (n, label(t), old, new) for n, t, old, new in plan.overwrites[:200]
                    ],
                    "hidden": posted_again(request, []),
                    "action": reverse("campaigns:grid_paste", args=[grid.pk]),
                },
            )
        edit = grid_paste(grid=grid, plan=plan, author=request.user, rules=live_rules(grid))
    except Problem as problem:
        return problem_response(request, grid, problem)
    messages.success(
        request,
        _("Pasted: cells changed: %(cells)s, rows added: %(rows)s.")
        % {"cells": len(edit.changes), "rows": len(edit.added)},
    )
    return back_to_grid(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def find_replace(request: HttpRequest, grid_id: int) -> HttpResponse:
    """First post: every cell that would change, for confirmation. With `confirm`: the change.
    It searches the rows the view shows (the filter is posted with the form)."""
    grid = grid_or_404(grid_id)
    try:
        plan = grid_replace_plan(
            grid=grid,
            target=request.POST.get("target", ""),
            find=request.POST.get("find", ""),
            replace=request.POST.get("replace", ""),
            filters=RowFilter.from_query(request.POST),
            whole_cell=request.POST.get("whole_cell") == "on",
            match_case=request.POST.get("match_case") == "on",
        )
        if request.POST.get("confirm") != "yes":
            return render(
                request,
                "campaigns/grid_confirm.html",
                {
                    "grid": grid,
                    "replace_plan": plan,
                    "target_label": label(plan.target),
                    "replacements": list(plan.changes.values())[:REPLACEMENTS_SHOWN],
                    "hidden": posted_again(request, []),
                    "action": reverse("campaigns:grid_replace", args=[grid.pk]),
                },
            )
        edit = grid_replace(grid=grid, plan=plan, author=request.user, rules=live_rules(grid))
    except Problem as problem:
        return problem_response(request, grid, problem)
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


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def undo(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = grid_or_404(grid_id)
    try:
        edit = grid_undo(grid=grid, rules=live_rules(grid), author=request.user)
    except Problem as problem:
        return problem_response(request, grid, problem)
    if edit is None:
        messages.info(request, _("There is nothing to undo."))
    else:
        messages.success(request, _("Undone: %(edit)s.") % {"edit": edit.get_kind_display()})
    return back_to_grid(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def redo(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = grid_or_404(grid_id)
    try:
        edit = grid_redo(grid=grid, rules=live_rules(grid), author=request.user)
    except Problem as problem:
        return problem_response(request, grid, problem)
    if edit is None:
        messages.info(request, _("There is nothing to redo."))
    else:
        messages.success(request, _("Made again: %(edit)s.") % {"edit": edit.get_kind_display()})
    return back_to_grid(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def column_remap(request: HttpRequest, grid_id: int) -> HttpResponse:
    """Point a file column at another target (or at nothing); every row is checked again."""
    grid = grid_or_404(grid_id)
    column = ascii_int(request.POST.get("column", ""))
    target = request.POST.get("target", "")
    try:
        grid_remap(
            grid=grid,
            column=-1 if column is None else column,
            target=target,
            rules=live_rules(grid),
            author=request.user,
        )
    except Problem as problem:
        return problem_response(request, grid, problem)
    messages.success(
        request,
        _("“%(column)s” now goes to %(target)s; every row was checked again.")
        % {"column": grid.headers[column], "target": label(target)},
    )
    return back_to_grid(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def group_fix(request: HttpRequest, grid_id: int) -> HttpResponse:
    """One decision for every row of a problem group: fill cells, read a text as a status or
    an agent from now on (a value rule) or for these rows only, keep one of each set of copies,
    or drop the rows."""
    grid = grid_or_404(grid_id)
    key = request.POST.get("problem", "")
    action = request.POST.get("action", "")
    try:
        rules = live_rules(grid)
        if action == "rule" and request.POST.get("remember") != "once":
            rule = value_rule_set(
                grid=grid,
                target=request.POST.get("target", ""),
                source=request.POST.get("source", ""),
                value=request.POST.get("value", ""),
                author=request.user,
                rules=rules,
            )
            shown = {s.status_id: s.name for s in rules.statuses}.get(rule.value, rule.value)
            done = _("From now on “%(text)s” is read as “%(value)s” in this campaign.") % {
                "text": rule.source_text,
                "value": shown,
            }
        elif action in ("keep_first", "keep_last"):
            edit = grid_copies_keep(
                grid=grid,
                key=key,
                keep=action.removeprefix("keep_"),
                author=request.user,
                rules=rules,
            )
            count = len(edit.deleted)
            done = ngettext(
                "%(count)s copy was deleted; Undo puts it back.",
                "%(count)s copies were deleted; Undo puts them back.",
                count,
            ) % {"count": count}
        elif action == "time":
            edit = grid_group_time(
                grid=grid,
                key=key,
                time=request.POST.get("time", ""),
                author=request.user,
                rules=rules,
            )
            rows = len({change[0] for change in edit.changes})
            done = ngettext("%(count)s row changed.", "%(count)s rows changed.", rows) % {
                "count": rows
            }
        elif action == "column":
            edits = grid_group_column_fix(grid=grid, key=key, author=request.user, rules=rules)
            done = ngettext(
                "Fixed by its column; Undo takes it back.",
                "Fixed by %(count)s columns; Undo takes them back one by one.",
                len(edits),
            ) % {"count": len(edits)}
        elif action == "every_record":
            # Not an edit of the rows: how they find their records (as on the review).
            grid_sending_options_set(
                grid=grid,
                search_additional=grid.search_additional,
                duplicates=Duplicates.EVERY_RECORD,
                match_by=grid.match_by,
                rules=rules,
                actor=request.user,
            )
            done = _(
                "Each of these rows will change every record holding its number. The review "
                "shows it, and changes it back if you choose."
            )
        elif action == "drop":
            edit = grid_group_drop(grid=grid, key=key, author=request.user, rules=rules)
            count = len(edit.deleted)
            done = ngettext(
                "%(count)s row was deleted; Undo puts it back.",
                "%(count)s rows were deleted; Undo puts them back.",
                count,
            ) % {"count": count}
        else:
            if action == "rule":
                # The rule's choice for these rows only: nothing remembered.
                column = "agent_login" if request.POST.get("target") == "agent_login" else "status"
                cells = {column: request.POST.get("value", "")}
            else:
                cells = {
                    target: request.POST.get(target, "")
                    for target in ("agent_login", "next_call_date")
                    if target in request.POST
                }
            edit = grid_group_set(grid=grid, key=key, cells=cells, author=request.user, rules=rules)
            rows = len({change[0] for change in edit.changes})
            done = ngettext("%(count)s row changed.", "%(count)s rows changed.", rows) % {
                "count": rows
            }
    except Problem as problem:
        return problem_response(request, grid, problem)
    messages.success(request, done)
    # The group is fixed: back to the view without it (a filter on it would show nothing).
    query = QueryDict(request.POST.get("return_query", ""), mutable=True)
    query.pop("problem", None)
    url = reverse("campaigns:grid_detail", args=[grid.pk])
    return redirect(f"{url}?{query.urlencode()}" if query else url)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def value_rule_forget_view(request: HttpRequest, grid_id: int, rule_id: int) -> HttpResponse:
    grid = grid_or_404(grid_id)
    try:
        value_rule_forget(grid=grid, rule_id=rule_id, author=request.user, rules=live_rules(grid))
    except Problem as problem:
        return problem_response(request, grid, problem)
    messages.success(request, _("The value rule is forgotten; every row was checked again."))
    return back_to_grid(request, grid)
