"""The grid page: its rows, filters and problems; one row's views; the comparison with Thulium;
exports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import (
    COMMON_OUTCOMES,
    MODE_OUTCOMES,
    CampaignField,
    Grid,
    Row,
)
from campaigns.row_html import whole_cell_text
from campaigns.services.connection import Problem, thulium_session
from campaigns.services.exports import csv_delimiter, grid_export, grid_export_name
from campaigns.services.problems import (
    GROUPS_SHOWN,
    campaign_value_rules,
    grid_problem_groups,
)
from campaigns.services.retention import grid_removed_summary
from campaigns.services.rows import (
    COUNT_LIMIT,
    PAGE_SIZES,
    RowFilter,
    grid_display_columns,
    grid_row_page,
    grid_rows_count,
)
from campaigns.services.thulium_now import grid_compare, rows_attach_thulium_now
from campaigns.services.undo import grid_redoable_edit, grid_undoable_edit
from campaigns.stored_values import one_render
from campaigns.targets import RECORD_TARGETS, field_target, label
from campaigns.views.common import (
    back_to_grid,
    grid_or_404,
    problem_response,
    row_renderer,
    row_response,
    sending_context,
    status_and_agent_choices,
)

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("size", 100))
    except ValueError:
        return 100
    return size if size in PAGE_SIZES else 100


@require_GET
@permission_required("campaigns.view_grid", raise_exception=True)
def grid_detail(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = grid_or_404(grid_id)
    if grid.state == Grid.State.MAPPING:
        return redirect("campaigns:grid_mapping", grid_id=grid.pk)
    if grid.personal_data_removed_at is not None:
        return render(request, "campaigns/grid_removed.html", grid_removed_summary(grid))
    filters = RowFilter.from_query(request.GET)
    size = _page_size(request)
    page = grid_row_page(
        grid,
        filters,
        size=size,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    rows_attach_thulium_now(grid, page.rows)
    params = filters.query_params() | ({"size": str(size)} if size != 100 else {})
    last_edit = grid_undoable_edit(grid)
    redo_edit = grid_redoable_edit(grid)
    fields = list(grid.campaign.fields.values_list("name", "state"))
    choices = status_and_agent_choices(grid)
    groups = grid_problem_groups(grid, choices["rules"])
    statuses_by_id = {s.status_id: s.name for s in choices["statuses"]}
    with one_render():  # what the page cannot format is logged once
        context = {
            **sending_context(grid),
            "grid": grid,
            "page": page,
            "filters": filters,
            "query": urlencode(params),
            "matching": grid_rows_count(grid, filters),
            "count_limit": COUNT_LIMIT,
            "columns": grid_display_columns(grid),
            "field_names": [name for name, _state in fields],
            "ignored": [h for h, t in zip(grid.headers, grid.mapping, strict=False) if not t],
            "file_columns": list(enumerate(zip(grid.headers, grid.mapping, strict=False))),
            "remap_targets": _remap_targets(fields),
            "last_edit": last_edit,
            "redo_edit": redo_edit,
            "page_sizes": PAGE_SIZES,
            "outcome_choices": [
                (o.value, o.label) for o in (*MODE_OUTCOMES[grid.mode], *COMMON_OUTCOMES)
            ],
            "size": size,
            "rows_html": row_renderer(request, grid, choices).rows(page.rows),
            "problem_groups": groups[:GROUPS_SHOWN],
            "problem_groups_more": groups[GROUPS_SHOWN:],
            "problem_group": next((g for g in groups if g.key == filters.problem), None),
            "value_rules": [
                (rule, statuses_by_id.get(rule.value, rule.value))
                for rule in campaign_value_rules(grid)
            ],
            **choices,
        }
        return render(request, "campaigns/grid_detail.html", context)


def _remap_targets(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What a file column can go to: the record targets and the campaign's fields, `fields`
    being (name, state) pairs."""
    targets = [("", label(""))] + [(t, label(t)) for t in RECORD_TARGETS]
    for name, state in fields:
        text = label(field_target(name))
        if state == CampaignField.State.UNKNOWN:
            text = _("%(field)s — unknown to Thulium") % {"field": text}
        targets.append((field_target(name), text))
    return targets


@require_GET
@permission_required("campaigns.view_grid", raise_exception=True)
def row_view(request: HttpRequest, grid_id: int, row_id: int) -> HttpResponse:
    grid = grid_or_404(grid_id)
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    return row_response(request, grid, row)


@require_GET
@permission_required("campaigns.view_grid", raise_exception=True)
def row_payload_view(request: HttpRequest, grid_id: int, row_id: int) -> HttpResponse:
    """The JSON a row would send, loaded when its preview is opened (a page of 100 rows would
    otherwise spend a third of its time on JSON nobody looks at)."""
    grid = grid_or_404(grid_id)
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    return render(request, "campaigns/grid_detail.html#row-payload", {"grid": grid, "row": row})


@require_GET
@permission_required("campaigns.view_grid", raise_exception=True)
def cell_full_view(request: HttpRequest, grid_id: int, row_id: int) -> HttpResponse:
    """One cell's whole value: the grid page shows a long one cut short, and links here (loaded
    into the row's panel with htmx, a page of its own without)."""
    grid = grid_or_404(grid_id)
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    target = request.GET.get("target", "")
    context = {
        "grid": grid,
        "row": row,
        "target": target,
        "text": whole_cell_text(row, grid, target),
    }
    template = "campaigns/cell_full.html" + ("#cell-full" if request.htmx else "")
    return render(request, template, context)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def grid_compare_view(request: HttpRequest, grid_id: int) -> HttpResponse:
    """Read what Thulium holds for the grid's phones, so the rows show old → new. A write (it
    checks every row again and makes a review stale), so it is for those who may edit: a
    viewer reads the comparison a supervisor made."""
    grid = grid_or_404(grid_id)
    try:
        with thulium_session(deadline=settings.THULIUM["PAGE_DEADLINE"]) as client:
            matched = grid_compare(grid=grid, client=client).matched
    except Problem as problem:  # Thulium, or a grid being sent meanwhile
        return problem_response(request, grid, problem)
    messages.success(
        request,
        ngettext(
            "Compared with Thulium: %(n)s phone number has exactly one record there.",
            "Compared with Thulium: %(n)s phone numbers have exactly one record there.",
            matched,
        )
        % {"n": matched},
    )
    return back_to_grid(request, grid)


@require_GET
@permission_required("campaigns.export_grid", raise_exception=True)
def grid_export_view(request: HttpRequest, grid_id: int) -> HttpResponse:
    """The grid's rows (as filtered on the page) with their outcomes, as CSV or XLSX."""
    grid = grid_or_404(grid_id)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    data = grid_export(
        grid=grid,
        filters=RowFilter.from_query(request.GET),
        fmt=fmt,
        actor=request.user,
        delimiter=csv_delimiter(request.GET.get("delimiter", "")),
    )
    response = HttpResponse(data, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, grid_export_name(grid, fmt))
    return response
