"""The grid page and its edits. Every page works as a plain form post; htmx only picks partials."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import (
    HttpResponseClientRedirect,
    HttpResponseClientRefresh,
    reswap,
    retarget,
)

from campaigns.charts import outcome_chart
from campaigns.models import (
    COMMON_OUTCOMES,
    FAILED_OUTCOMES,
    MODE_OUTCOMES,
    Campaign,
    CampaignField,
    Duplicates,
    Grid,
    MatchBy,
    Outcome,
    Row,
    Submission,
)
from campaigns.row_html import RowRenderer
from campaigns.services.connection import Problem, ThuliumProblem, thulium_session
from campaigns.services.editing import (
    COUNT_LIMIT,
    PAGE_SIZES,
    EditProblem,
    RowFilter,
    grid_add_rows,
    grid_bulk_plan,
    grid_bulk_set,
    grid_delete_rows,
    grid_display_columns,
    grid_paste,
    grid_paste_plan,
    grid_redo,
    grid_redoable_edit,
    grid_remap,
    grid_row_page,
    grid_rows_count,
    grid_undo,
    grid_undoable_edit,
    row_set_cells,
)
from campaigns.services.exports import csv_delimiter, grid_export, grid_export_name
from campaigns.services.problems import (
    GROUPS_SHOWN,
    campaign_value_rules,
    grid_group_drop,
    grid_group_set,
    grid_problem_groups,
    value_rule_forget,
    value_rule_set,
)
from campaigns.services.review import (
    grid_finds_by_identifier,
    grid_review,
    grid_review_read,
    grid_sending_options_set,
)
from campaigns.services.submissions import (
    grid_outcome_counts,
    grid_refusal_groups,
    grid_sendable_counts,
    submission_cancel,
    submission_counts,
    submission_create,
    submission_pause_counts,
    submission_revert,
    submissions_reap,
)
from campaigns.services.templates import campaign_template_xlsx
from campaigns.services.thulium_now import grid_compare, rows_attach_thulium_now
from campaigns.services.validation import campaign_rules
from campaigns.targets import RECORD_TARGETS, field_target, label
from campaigns.text import ascii_int
from campaigns.validation import CampaignRules

logger = logging.getLogger(__name__)
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _grid(grid_id: int) -> Grid:
    return get_object_or_404(Grid.objects.select_related("campaign", "author"), pk=grid_id)


def _rules(grid: Grid) -> CampaignRules:
    """The campaign's live rules; edits are validated against them."""
    with thulium_session(deadline=settings.THULIUM["PAGE_DEADLINE"]) as client:
        return campaign_rules(campaign=grid.campaign, client=client)


def _back(request: HttpRequest, grid: Grid) -> HttpResponse:
    url = reverse("campaigns:grid_detail", args=[grid.pk])
    query = request.POST.get("return_query") or ""
    return redirect(f"{url}?{query}" if query else url)


def _row_ids(request: HttpRequest) -> list[int]:
    return [n for i in request.POST.getlist("rows") if (n := ascii_int(i)) is not None]


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("size", 100))
    except ValueError:
        return 100
    return size if size in PAGE_SIZES else 100


def _choices(grid: Grid) -> dict[str, Any]:
    """Statuses and agents for drop-downs; empty when Thulium cannot be asked right now."""
    try:
        rules = _rules(grid)
    except ThuliumProblem as problem:
        return {
            "statuses": [],
            "agents": [],
            "agent_options": [],
            "rules_problem": problem.text,
            "rules": None,
        }
    return {
        "statuses": rules.statuses,
        "agents": rules.agents,
        "agent_options": [
            (
                a.login,
                f"{a.login} ({name})"
                if (name := grid.campaign.agent_names.get(a.login))
                else a.login,
                a.active,
            )
            for a in rules.agents
        ],
        "rules_problem": None,
        "rules": rules,
    }


def _renderer(request: HttpRequest, grid: Grid, choices: dict[str, Any]) -> RowRenderer:
    """The row renderer for this page and reader (see campaigns.row_html)."""
    return RowRenderer(
        grid,
        grid_display_columns(grid),
        can_edit=request.user.has_perm("campaigns.change_grid"),
        can_see_history=request.user.has_perm("campaigns.view_auditentry"),
        status_names={s.status_id: s.name for s in choices.get("statuses", [])},
        agent_names=grid.campaign.agent_names,
    )


@require_GET
@permission_required("campaigns.view_grid", raise_exception=True)
def grid_detail(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = _grid(grid_id)
    if grid.state == Grid.State.MAPPING:
        return redirect("campaigns:grid_mapping", grid_id=grid.pk)
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
    choices = _choices(grid)
    groups = grid_problem_groups(grid, choices["rules"])
    statuses_by_id = {s.status_id: s.name for s in choices["statuses"]}
    context = {
        **_sending_context(grid),
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
        "rows_html": _renderer(request, grid, choices).rows(page.rows),
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


@require_GET
@permission_required("campaigns.change_grid", raise_exception=True)
def cell_edit(request: HttpRequest, grid_id: int, row_id: int) -> HttpResponse:
    grid = _grid(grid_id)
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    target = request.GET.get("target", "")
    cell = next((c for c in row.cells([target], grid.mapping)), None)
    return render(
        request,
        "campaigns/grid_detail.html#cell-editor",
        {"grid": grid, "row": row, "cell": cell, **_choices(grid)},
    )


@require_GET
@permission_required("campaigns.view_grid", raise_exception=True)
def row_view(request: HttpRequest, grid_id: int, row_id: int) -> HttpResponse:
    grid = _grid(grid_id)
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    return _row_response(request, grid, row)


@require_GET
@permission_required("campaigns.view_grid", raise_exception=True)
def row_payload_view(request: HttpRequest, grid_id: int, row_id: int) -> HttpResponse:
    """The JSON a row would send, loaded when its preview is opened (a page of 100 rows would
    otherwise spend a third of its time on JSON nobody looks at)."""
    grid = _grid(grid_id)
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    return render(request, "campaigns/grid_detail.html#row-payload", {"grid": grid, "row": row})


def _row_response(request: HttpRequest, grid: Grid, row: Row) -> HttpResponse:
    grid.refresh_from_db()
    rows_attach_thulium_now(grid, [row])
    choices = _choices(grid)
    return render(
        request,
        "campaigns/grid_detail.html#row-and-counts",
        {
            # The sending panel's counts follow the edit (its send button says how many go).
            **_sending_context(grid),
            "grid": grid,
            "row": row,
            "row_html": _renderer(request, grid, choices).row(row),
            "columns": grid_display_columns(grid),
            # the page's undo button names the edit just made
            "last_edit": grid_undoable_edit(grid),
            "redo_edit": grid_redoable_edit(grid),
            "query": request.POST.get("return_query", ""),
        },
    )


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def cell_save(request: HttpRequest, grid_id: int, row_id: int) -> HttpResponse:
    grid = _grid(grid_id)
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    target = request.POST.get("target", "")
    try:
        row_set_cells(
            grid=grid,
            row=row,
            cells={target: request.POST.get("value", "")},
            author=request.user,
            rules=_rules(grid),
        )
    except Problem as problem:
        return _problem(request, grid, problem)
    if not request.htmx:
        return _back(request, grid)
    return _row_response(request, grid, Row.objects.get(pk=row.pk))


@require_http_methods(["GET", "POST"])
@permission_required("campaigns.change_grid", raise_exception=True)
def row_edit(request: HttpRequest, grid_id: int, row_id: int) -> HttpResponse:
    """The whole row as one form: editing without JavaScript."""
    grid = _grid(grid_id)
    row = get_object_or_404(Row, grid=grid, pk=row_id)
    columns = grid_display_columns(grid)
    if request.method == "POST":
        cells = {t: request.POST.get(t, "") for t in columns if t in request.POST}
        try:
            row_set_cells(grid=grid, row=row, cells=cells, author=request.user, rules=_rules(grid))
        except Problem as problem:
            return _problem(request, grid, problem)
        return _back(request, grid)
    return render(
        request,
        "campaigns/row_edit.html",
        {
            "grid": grid,
            "row": row,
            "cells": row.cells(columns, grid.mapping),
            "return_query": request.GET.urlencode(),
            **_choices(grid),
        },
    )


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def rows_add(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = _grid(grid_id)
    try:
        grid_add_rows(grid=grid, count=1, author=request.user, rules=_rules(grid))
    except Problem as problem:
        return _problem(request, grid, problem)
    messages.success(request, _("A row was added at the end of the grid."))
    return _back(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def rows_delete(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = _grid(grid_id)
    ids = _row_ids(request)
    try:
        edit = grid_delete_rows(grid=grid, row_ids=ids, author=request.user, rules=_rules(grid))
    except Problem as problem:
        return _problem(request, grid, problem)
    deleted = len(edit.deleted)
    messages.success(
        request,
        ngettext("%(count)s row was deleted.", "%(count)s rows were deleted.", deleted)
        % {"count": deleted},
    )
    return _back(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def bulk_set(request: HttpRequest, grid_id: int) -> HttpResponse:
    """First post: how many rows change, for confirmation. With `confirm`: the change."""
    grid = _grid(grid_id)
    try:
        plan = grid_bulk_plan(
            grid=grid,
            target=request.POST.get("target", ""),
            text=request.POST.get("value", ""),
            clear=request.POST.get("clear") == "on",
            row_ids=_row_ids(request),
            filters=RowFilter.from_query(request.POST)
            if request.POST.get("scope") == "filter"
            else None,
            fill_down=request.POST.get("fill") == "down",
            only_empty=request.POST.get("only_empty") == "on",
        )
    except Problem as problem:
        return _problem(request, grid, problem)
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
                "hidden": _hidden(request, _row_ids(request)),
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
            rules=_rules(grid),
        )
    except Problem as problem:
        return _problem(request, grid, problem)
    messages.success(
        request,
        ngettext(
            "%(count)s row changed in “%(column)s”.",
            "%(count)s rows changed in “%(column)s”.",
            edit.size,
        )
        % {"count": edit.size, "column": label(target)},
    )
    return _back(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def paste(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = _grid(grid_id)
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
                    "hidden": _hidden(request, []),
                    "action": reverse("campaigns:grid_paste", args=[grid.pk]),
                },
            )
        edit = grid_paste(grid=grid, plan=plan, author=request.user, rules=_rules(grid))
    except Problem as problem:
        return _problem(request, grid, problem)
    messages.success(
        request,
        _("Pasted: %(cells)s cells changed, %(rows)s rows added.")
        % {"cells": len(edit.changes), "rows": len(edit.added)},
    )
    return _back(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def undo(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = _grid(grid_id)
    try:
        edit = grid_undo(grid=grid, rules=_rules(grid), author=request.user)
    except Problem as problem:
        return _problem(request, grid, problem)
    if edit is None:
        messages.info(request, _("There is nothing to undo."))
    else:
        messages.success(request, _("Undone: %(edit)s.") % {"edit": edit.get_kind_display()})
    return _back(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def redo(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = _grid(grid_id)
    try:
        edit = grid_redo(grid=grid, rules=_rules(grid), author=request.user)
    except Problem as problem:
        return _problem(request, grid, problem)
    if edit is None:
        messages.info(request, _("There is nothing to redo."))
    else:
        messages.success(request, _("Made again: %(edit)s.") % {"edit": edit.get_kind_display()})
    return _back(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def column_remap(request: HttpRequest, grid_id: int) -> HttpResponse:
    """Point a file column at another target (or at nothing); every row is checked again."""
    grid = _grid(grid_id)
    column = ascii_int(request.POST.get("column", ""))
    target = request.POST.get("target", "")
    try:
        grid_remap(
            grid=grid,
            column=-1 if column is None else column,
            target=target,
            rules=_rules(grid),
            author=request.user,
        )
    except Problem as problem:
        return _problem(request, grid, problem)
    messages.success(
        request,
        _("“%(column)s” now goes to %(target)s; every row was checked again.")
        % {"column": grid.headers[column], "target": label(target)},
    )
    return _back(request, grid)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def group_fix(request: HttpRequest, grid_id: int) -> HttpResponse:
    """One decision for every row of a problem group: fill cells, read a text as a status or
    an agent from now on (a value rule), or drop the rows."""
    grid = _grid(grid_id)
    key = request.POST.get("problem", "")
    action = request.POST.get("action", "")
    try:
        rules = _rules(grid)
        if action == "rule":
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
        elif action == "drop":
            edit = grid_group_drop(grid=grid, key=key, author=request.user, rules=rules)
            count = len(edit.deleted)
            done = ngettext(
                "%(count)s row was deleted; Undo puts it back.",
                "%(count)s rows were deleted; Undo puts them back.",
                count,
            ) % {"count": count}
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
        return _problem(request, grid, problem)
    messages.success(request, done)
    # The group is fixed: back to the view without it (a filter on it would show nothing).
    query = QueryDict(request.POST.get("return_query", ""), mutable=True)
    query.pop("problem", None)
    url = reverse("campaigns:grid_detail", args=[grid.pk])
    return redirect(f"{url}?{query.urlencode()}" if query else url)


@require_POST
@permission_required("campaigns.change_grid", raise_exception=True)
def value_rule_forget_view(request: HttpRequest, grid_id: int, rule_id: int) -> HttpResponse:
    grid = _grid(grid_id)
    try:
        value_rule_forget(grid=grid, rule_id=rule_id, author=request.user, rules=_rules(grid))
    except Problem as problem:
        return _problem(request, grid, problem)
    messages.success(request, _("The value rule is forgotten; every row was checked again."))
    return _back(request, grid)


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


@require_http_methods(["GET", "POST"])
@permission_required("campaigns.add_submission", raise_exception=True)
def grid_review_view(request: HttpRequest, grid_id: int) -> HttpResponse:
    """The review before a sending. POST reads the campaign's records, then shows the review
    (GET) of what a sending would change as of that read."""
    grid = _grid(grid_id)
    params = request.POST if request.method == "POST" else request.GET
    resend = params.get("resend") == "yes"
    include_unchanged = params.get("unchanged") == "yes"
    query = urlencode(
        {
            name: "yes"
            for name, chosen in (("resend", resend), ("unchanged", include_unchanged))
            if chosen
        }
    )
    if request.method == "POST":
        try:
            with thulium_session(deadline=settings.THULIUM["PAGE_DEADLINE"]) as client:
                read = grid_review_read(grid=grid, client=client)
        except ThuliumProblem as problem:
            return _problem(request, grid, problem)
        request.session[f"review-read-{grid.pk}"] = [read.records, round(read.seconds, 2)]
        url = reverse("campaigns:grid_review", args=[grid.pk])
        url = f"{url}?{query}" if query else url
        # Sent by htmx, the page stayed to show the read's progress: now it goes to the review.
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    try:
        rules = _rules(grid)
    except ThuliumProblem as problem:
        return _problem(request, grid, problem)
    review = grid_review(grid=grid, rules=rules, resend=resend, include_unchanged=include_unchanged)
    records, seconds = request.session.get(f"review-read-{grid.pk}", [None, None])
    return render(
        request,
        "campaigns/grid_review.html",
        {
            "grid": grid,
            "review": review,
            "records_read": records,
            "read_seconds": seconds,
            "max_age_minutes": round(settings.SUBMISSION_REVIEW_MAX_AGE / 60),
            "canary_rows": settings.SUBMISSION_CANARY_ROWS,
            "duplicates_choices": Duplicates.choices,
            "match_by_choices": MatchBy.choices if grid_finds_by_identifier(grid) else [],
            "query": query,
        },
    )


@require_GET
@permission_required("campaigns.add_submission", raise_exception=True)
def grid_read_progress(request: HttpRequest, grid_id: int) -> JsonResponse:
    """How far the review's read of the campaign is ({} when none runs); the page polls it."""
    grid = _grid(grid_id)
    return JsonResponse(grid.read_progress or {})


@require_POST
@permission_required("campaigns.add_submission", raise_exception=True)
def grid_sending_options(request: HttpRequest, grid_id: int) -> HttpResponse:
    """How the rows find their records (additional numbers, numbers held twice)."""
    grid = _grid(grid_id)
    duplicates = request.POST.get("duplicates", Duplicates.SKIP)
    if duplicates not in Duplicates.values:
        duplicates = Duplicates.SKIP
    match_by = request.POST.get("match_by", MatchBy.PHONE)
    if match_by not in MatchBy.values:
        match_by = MatchBy.PHONE
    try:
        grid_sending_options_set(
            grid=grid,
            search_additional=request.POST.get("search_additional") == "yes",
            duplicates=duplicates,
            match_by=match_by,
            rules=_rules(grid),
            actor=request.user,
        )
    except Problem as problem:
        return _problem(request, grid, problem)
    messages.success(request, _("Sending options saved; the rows were checked again."))
    url = reverse("campaigns:grid_review", args=[grid.pk])
    query = request.POST.get("return_query") or ""
    return redirect(f"{url}?{query}" if query else url)


@require_POST
@permission_required("campaigns.add_submission", raise_exception=True)
def grid_send(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = _grid(grid_id)
    resend = request.POST.get("resend") == "yes"
    confirmed = request.POST.get("confirm", "")
    try:
        submission_create(
            grid=grid,
            author=request.user,
            rules=_rules(grid),
            review=request.POST.get("review", ""),
            resend=resend,
            include_unchanged=request.POST.get("unchanged") == "yes",
            confirmed_count=ascii_int(confirmed),
        )
    except Problem as problem:
        return _problem(request, grid, problem)
    messages.success(
        request,
        _("Sending the failed rows again.") if resend else _("Sending started."),
    )
    return redirect("campaigns:grid_detail", grid_id=grid.pk)


@require_POST
@permission_required("campaigns.view_grid", raise_exception=True)
def grid_compare_view(request: HttpRequest, grid_id: int) -> HttpResponse:
    """Read what Thulium holds for the grid's phones, so the rows show old → new."""
    grid = _grid(grid_id)
    try:
        with thulium_session(deadline=settings.THULIUM["PAGE_DEADLINE"]) as client:
            matched = grid_compare(grid=grid, client=client).matched
    except ThuliumProblem as problem:
        return _problem(request, grid, problem)
    messages.success(
        request,
        ngettext(
            "Compared with Thulium: %(n)s phone number has exactly one record there.",
            "Compared with Thulium: %(n)s phone numbers have exactly one record there.",
            matched,
        )
        % {"n": matched},
    )
    return _back(request, grid)


@require_GET
@permission_required("campaigns.export_grid", raise_exception=True)
def grid_export_view(request: HttpRequest, grid_id: int) -> HttpResponse:
    """The grid's rows (as filtered on the page) with their outcomes, as CSV or XLSX."""
    grid = _grid(grid_id)
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


@require_GET
@permission_required("campaigns.view_grid", raise_exception=True)
def grid_progress(request: HttpRequest, grid_id: int) -> HttpResponse:
    """The sending panel; htmx polls it while a submission is active."""
    grid = _grid(grid_id)
    submissions_reap()
    context = _sending_context(grid)
    submission = context["submission"]
    if request.htmx and submission is not None and not submission.active:
        # Done: reload the page so every row shows its badge.
        return HttpResponseClientRefresh()
    return render(request, "campaigns/grid_detail.html#sending", {"grid": grid, **context})


@require_POST
@permission_required("campaigns.change_submission", raise_exception=True)
def submission_stop(request: HttpRequest, grid_id: int, submission_id: int) -> HttpResponse:
    grid = _grid(grid_id)
    submission = get_object_or_404(Submission, pk=submission_id, grid=grid)
    submission_cancel(submission=submission)
    messages.info(request, _("Sending stops before its next chunk."))
    return _back(request, grid)


@require_POST
@permission_required("campaigns.add_grid", raise_exception=True)
def submission_revert_view(request: HttpRequest, grid_id: int, submission_id: int) -> HttpResponse:
    grid = _grid(grid_id)
    submission = get_object_or_404(Submission, pk=submission_id, grid=grid)
    try:
        revert = submission_revert(submission=submission, author=request.user, rules=_rules(grid))
    except Problem as problem:
        return _problem(request, grid, problem)
    messages.success(
        request,
        _("This grid puts back the values from before sending #%(id)s. Review it, then send it.")
        % {"id": submission.pk},
    )
    return redirect("campaigns:grid_detail", grid_id=revert.pk)


def _sending_context(grid: Grid) -> dict[str, Any]:
    submission = grid.submissions.first()
    counts = submission_counts(submission) if submission else {}
    chunks = submission.chunks.values_list("state", flat=True) if submission else []
    done = sum(1 for state in chunks if state in {"done", "skipped"})
    to_send, to_resend = grid_sendable_counts(grid)
    return {
        "submission": submission,
        "outcome_counts": [
            (value, text, counts.get(value, 0))
            for value, text in Outcome.choices
            if counts.get(value)
        ],
        "chunks_done": done,
        "chunks_total": len(chunks),
        "to_send": to_send,
        "to_resend": to_resend,
        "outcome_chart": outcome_chart(grid_outcome_counts(grid)) if submission else None,
        "refused_rows": sum(counts.get(outcome, 0) for outcome in FAILED_OUTCOMES),
        "refusal_groups": grid_refusal_groups(grid) if submission else [],
        "paused": submission_pause_counts(submission) if submission else None,
    }


@require_GET
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_template(request: HttpRequest, campaign_id: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, thulium_id=campaign_id)
    try:
        with thulium_session(deadline=settings.THULIUM["PAGE_DEADLINE"]) as client:
            rules = campaign_rules(campaign=campaign, client=client)
    except ThuliumProblem as problem:
        messages.error(request, problem.text)
        return redirect("campaigns:detail", campaign_id=campaign_id)
    response = HttpResponse(
        campaign_template_xlsx(campaign=campaign, rules=rules),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="kampania-{campaign_id}.xlsx"'
    return response


def _hidden(request: HttpRequest, ids: list[int]) -> list[tuple[str, str]]:
    """The posted form again, as hidden fields for the confirming post."""
    pairs = [
        (k, v)
        for k, values in request.POST.lists()
        for v in values
        if k not in {"csrfmiddlewaretoken", "confirm", "rows"}
    ]
    if request.POST.get("scope") != "filter":
        pairs += [("rows", str(i)) for i in ids]
    return pairs


def _problem(request: HttpRequest, grid: Grid, problem: Exception) -> HttpResponse:
    text = problem.text if isinstance(problem, Problem) else str(problem)
    if request.htmx:
        response = render(request, "campaigns/grid_detail.html#grid-problem", {"problem": text})
        return reswap(retarget(response, "#grid-problem"), "outerHTML")
    messages.error(request, text)
    return _back(request, grid)
