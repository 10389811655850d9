"""The grid page: its rows, filters and problems; one row's views; the comparison with Thulium;
exports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import access_of
from campaigns.exceptions import Problem
from campaigns.intake.text import ascii_int
from campaigns.models import (
    COMMON_OUTCOMES,
    MODE_OUTCOMES,
    CampaignField,
    Grid,
    Row,
)
from campaigns.presentation.row_html import problem_column, whole_cell_text
from campaigns.rules.stored_values import one_render
from campaigns.rules.targets import RECORD_TARGETS, field_target, label
from campaigns.services.exports import csv_delimiter, grid_export, grid_export_name
from campaigns.services.listing import grid_listing_reading
from campaigns.services.problems import (
    GROUPS_SHOWN,
    campaign_value_rules,
    grid_problem_groups,
)
from campaigns.services.retention import grid_removed_summary
from campaigns.services.review import grid_can_find_by_identifier
from campaigns.services.rows import (
    COUNT_LIMIT,
    PAGE_SIZES,
    RowFilter,
    RowPage,
    grid_display_columns,
    grid_row_numbers,
    grid_row_page,
    grid_row_page_at,
    grid_row_place,
    grid_rows_count,
)
from campaigns.services.thulium_now import grid_compare, rows_attach_thulium_now
from campaigns.services.undo import grid_redoable_edit, grid_undoable_edit
from campaigns.views.common import (
    AuthenticatedRequest,
    back_to_grid,
    grid_or_404,
    grid_perms,
    page_client,
    place_permission_required,
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


def _page_size(request: AuthenticatedRequest) -> int:
    try:
        size = int(request.GET.get("size", 100))
    except ValueError:
        return 100
    return size if size in PAGE_SIZES else 100


@require_GET
@place_permission_required("campaigns.view_grid")
def grid_detail(request: AuthenticatedRequest, grid_id: int) -> HttpResponse:
    # The campaign's kept listing comes along (without its records): the page says while it
    # is read for this grid, at no query of its own.
    grid = get_object_or_404(
        Grid.objects.select_related("campaign__system", "author", "campaign__listing")
        .defer("campaign__listing__records")
        .filter(access_of(request.user).campaigns_q("campaign__")),
        pk=grid_id,
    )
    if grid.state == Grid.State.MAPPING:
        return redirect("campaigns:grid_mapping", grid_id=grid.pk)
    if grid.personal_data_removed_at is not None:
        return render(request, "campaigns/grid_removed.html", grid_removed_summary(grid))
    filters = RowFilter.from_query(request.GET)
    size = _page_size(request)
    params = filters.query_params() | ({"size": str(size)} if size != 100 else {})
    if "goto" in request.GET:
        return _go_to_row(request, grid, filters, params, size)
    matching = grid_rows_count(grid, filters)
    # The view's size is known for free (the grid's totals, or the capped count the page
    # shows anyway); past the cap the page count is left unknown rather than counted.
    pages = -(-matching // size) if matching <= COUNT_LIMIT or not filters.active else None
    total = matching if pages is not None else None
    page = _row_page(request, grid, filters, size=size, total=total)
    rows_attach_thulium_now(grid, page.rows)
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
            "here": grid_perms(request.user, grid),
            "page": page,
            "filters": filters,
            "query": urlencode(params),
            "matching": matching,
            "pages": pages,
            "pager": _pager_links(params, page, pages),
            "marked": _marked_row(request, page),
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
            "problem_column": problem_column(page.rows, filters.problem),
            "can_find_by_identifier": grid_can_find_by_identifier(grid)
            and not grid.finds_by_identifier,
            "value_rules": [
                (rule, statuses_by_id.get(rule.value, rule.value))
                for rule in campaign_value_rules(grid)
            ],
            # The campaign's listing, while it is read for this grid (services/listing.py).
            "listing_reading": grid_listing_reading(grid),
            **choices,
        }
        return render(request, "campaigns/grid_detail.html", context)


def _row_page(
    request: AuthenticatedRequest, grid: Grid, filters: RowFilter, *, size: int, total: int | None
) -> RowPage:
    """The page the query names: by cursor (previous, next), by number (first, last, a jump),
    or the first. The page number rides along with a cursor so that nothing is counted."""
    after, before = request.GET.get("after", ""), request.GET.get("before", "")
    number = ascii_int(request.GET.get("page", ""))
    pages = -(-total // size) if total is not None else None
    if after or before:
        page = grid_row_page(grid, filters, size=size, after=after, before=before)
        known = number if number and (pages is None or number <= pages) else None
        return RowPage(page.rows, page.next_cursor, page.previous_cursor, size, known)
    number = max(1, min(number or 1, pages or 1)) if pages is not None else max(1, number or 1)
    if number == 1:
        page = grid_row_page(grid, filters, size=size)
        return RowPage(page.rows, page.next_cursor, page.previous_cursor, size, 1)
    return grid_row_page_at(grid, filters, size=size, number=number, total=total)


def _marked_row(request: AuthenticatedRequest, page: RowPage) -> Row | None:
    """The row a jump landed on, when it is on this page."""
    number = ascii_int(request.GET.get("mark", ""))
    return next((row for row in page.rows if row.number == number), None)


def _pager_links(params: dict[str, str], page: RowPage, pages: int | None) -> dict[str, str]:
    """First, previous, next and last, each keeping the view's filters, sort and size."""
    number = page.number
    links = {}

    def link(**extra: str | int) -> str:
        return "?" + urlencode(params | {k: str(v) for k, v in extra.items()})

    if page.previous_cursor:
        links["first"] = link()
        links["previous"] = (
            link(before=page.previous_cursor, page=number - 1)
            if number and number > 1
            else link(before=page.previous_cursor)
        )
    if page.next_cursor:
        links["next"] = (
            link(after=page.next_cursor, page=number + 1)
            if number
            else link(after=page.next_cursor)
        )
        if pages:
            links["last"] = link(page=pages)
    return links


def _go_to_row(
    request: AuthenticatedRequest, grid: Grid, filters: RowFilter, params: dict[str, str], size: int
) -> HttpResponse:
    """The page of the view holding a row of the source file, that row marked; a row the
    filters hide is shown in the whole grid, and a number the grid lacks gets a message."""
    url = reverse("campaigns:grid_detail", args=[grid.pk])
    back = {k: v for k, v in request.GET.items() if k != "goto"}
    number = ascii_int(request.GET.get("goto", "").strip())
    place = grid_row_place(grid, filters, number=number) if number is not None else None
    if place is None:
        span = grid_row_numbers(grid)
        text = request.GET.get("goto", "").strip()
        if span is None:
            messages.error(request, _("This grid has no rows yet."))
        else:
            messages.error(
                request,
                _(
                    "There is no row “%(row)s” in this grid: its rows are numbered "
                    "%(first)s to %(last)s."
                )
                % {"row": text, "first": span[0], "last": span[1]},
            )
        return redirect(f"{url}?{urlencode(back)}" if back else url)
    if not place.in_view:
        messages.info(
            request,
            _("Row %(row)s does not match the filters: it is shown among every row of the grid.")
            % {"row": place.row.number},
        )
        filters = RowFilter(sort=filters.sort)
        params = filters.query_params() | ({"size": str(size)} if size != 100 else {})
        place = grid_row_place(grid, filters, number=place.row.number)
        assert place is not None
    query = urlencode(
        params | {"page": str(place.before // size + 1), "mark": str(place.row.number)}
    )
    return redirect(f"{url}?{query}#row-{place.row.pk}")


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
@place_permission_required("campaigns.view_grid")
def row_view(request: AuthenticatedRequest, grid_id: int, row_id: int) -> HttpResponse:
    grid = grid_or_404(request, grid_id, "campaigns.view_grid")
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    return row_response(request, grid, row)


@require_GET
@place_permission_required("campaigns.view_grid")
def row_payload_view(request: AuthenticatedRequest, grid_id: int, row_id: int) -> HttpResponse:
    """The JSON a row would send, loaded when its preview is opened (a page of 100 rows would
    otherwise spend a third of its time on JSON nobody looks at)."""
    grid = grid_or_404(request, grid_id, "campaigns.view_grid")
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    return render(
        request,
        "campaigns/grid_detail.html#row-payload",
        {"grid": grid, "row": row, "here": grid_perms(request.user, grid)},
    )


@require_GET
@place_permission_required("campaigns.view_grid")
def cell_full_view(request: AuthenticatedRequest, grid_id: int, row_id: int) -> HttpResponse:
    """One cell's whole value: the grid page shows a long one cut short, and links here (loaded
    into the row's panel with htmx, a page of its own without)."""
    grid = grid_or_404(request, grid_id, "campaigns.view_grid")
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
@place_permission_required("campaigns.change_grid")
def grid_compare_view(request: AuthenticatedRequest, grid_id: int) -> HttpResponse:
    """Read what Thulium holds for the grid's phones, so the rows show old → new. A write (it
    checks every row again and makes a review stale), so it is for those who may edit: a
    viewer reads the comparison a supervisor made."""
    grid = grid_or_404(request, grid_id, "campaigns.change_grid")
    try:
        with page_client(grid.campaign.system) as client:
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
@place_permission_required("campaigns.export_grid")
def grid_export_view(request: AuthenticatedRequest, grid_id: int) -> HttpResponse:
    """The grid's rows (as filtered on the page) with their outcomes, as CSV or XLSX."""
    grid = grid_or_404(request, grid_id, "campaigns.export_grid")
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
