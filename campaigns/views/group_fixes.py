"""Fixing a problem group in one step: one decision for every row of the group (fill cells,
read a text as a status or an agent from now on or for these rows only, keep one of each set of
copies, give dates a time, fix by the column, change every record with the number, or drop the
rows), and forgetting a value rule."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.forms.editing import GridForm, GroupFixForm
from campaigns.models import Duplicates, Edit, Grid
from campaigns.rules.validation import CampaignRules
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
from campaigns.views.common import AuthenticatedRequest, back_to_grid, grid_post, live_rules

# A fix: what it did, in words. Each is called with the request, the grid, the form and the rules.
Fix = Callable[[AuthenticatedRequest, Grid, GroupFixForm, CampaignRules], str]


def _rows_changed(edit: Edit) -> str:
    rows = len({change[0] for change in edit.changes})
    return ngettext("%(count)s row changed.", "%(count)s rows changed.", rows) % {"count": rows}


def _remember_rule(
    request: AuthenticatedRequest, grid: Grid, form: GroupFixForm, rules: CampaignRules
) -> str:
    data = form.cleaned_data
    rule = value_rule_set(
        grid=grid,
        target=data["target"],
        source=data["source"],
        value=data["value"],
        author=request.user,
        rules=rules,
    )
    shown = {s.status_id: s.name for s in rules.statuses}.get(rule.value, rule.value)
    return _("From now on “%(text)s” is read as “%(value)s” in this campaign.") % {
        "text": rule.source_text,
        "value": shown,
    }


def _keep_copies(
    request: AuthenticatedRequest, grid: Grid, form: GroupFixForm, rules: CampaignRules
) -> str:
    edit = grid_copies_keep(
        grid=grid,
        key=form.cleaned_data["problem"],
        keep=form.cleaned_data["action"].removeprefix("keep_"),
        author=request.user,
        rules=rules,
    )
    count = len(edit.deleted)
    return ngettext(
        "%(count)s copy was deleted; Undo puts it back.",
        "%(count)s copies were deleted; Undo puts them back.",
        count,
    ) % {"count": count}


def _give_time(
    request: AuthenticatedRequest, grid: Grid, form: GroupFixForm, rules: CampaignRules
) -> str:
    edit = grid_group_time(
        grid=grid,
        key=form.cleaned_data["problem"],
        time=form.cleaned_data["time"],
        author=request.user,
        rules=rules,
    )
    return _rows_changed(edit)


def _fix_column(
    request: AuthenticatedRequest, grid: Grid, form: GroupFixForm, rules: CampaignRules
) -> str:
    edits = grid_group_column_fix(
        grid=grid, key=form.cleaned_data["problem"], author=request.user, rules=rules
    )
    return ngettext(
        "Fixed by its column; Undo takes it back.",
        "Fixed by %(count)s columns; Undo takes them back one by one.",
        len(edits),
    ) % {"count": len(edits)}


def _every_record(
    request: AuthenticatedRequest, grid: Grid, form: GroupFixForm, rules: CampaignRules
) -> str:
    # Not an edit of the rows: how they find their records (as on the review).
    grid_sending_options_set(
        grid=grid,
        search_additional=grid.search_additional,
        duplicates=Duplicates.EVERY_RECORD,
        match_by=grid.match_by,
        rules=rules,
        actor=request.user,
    )
    return _(
        "Each of these rows will change every record holding its number. The review "
        "shows it, and changes it back if you choose."
    )


def _drop(
    request: AuthenticatedRequest, grid: Grid, form: GroupFixForm, rules: CampaignRules
) -> str:
    edit = grid_group_drop(
        grid=grid, key=form.cleaned_data["problem"], author=request.user, rules=rules
    )
    count = len(edit.deleted)
    return ngettext(
        "%(count)s row was deleted; Undo puts it back.",
        "%(count)s rows were deleted; Undo puts them back.",
        count,
    ) % {"count": count}


def _set_cells(
    request: AuthenticatedRequest, grid: Grid, form: GroupFixForm, rules: CampaignRules
) -> str:
    data = form.cleaned_data
    if data["action"] == "rule":
        # The rule's choice for these rows only: nothing remembered.
        column = "agent_login" if data["target"] == "agent_login" else "status"
        cells = {column: data["value"]}
    else:
        cells = form.group_cells()
    edit = grid_group_set(
        grid=grid, key=data["problem"], cells=cells, author=request.user, rules=rules
    )
    return _rows_changed(edit)


FIXES: dict[str, Fix] = {
    "keep_first": _keep_copies,
    "keep_last": _keep_copies,
    "time": _give_time,
    "column": _fix_column,
    "every_record": _every_record,
    "drop": _drop,
}


@grid_post(GroupFixForm)
def group_fix(request: AuthenticatedRequest, grid: Grid, form: GroupFixForm) -> HttpResponse:
    """One decision for every row of a problem group; any other action fills the posted cells."""
    rules = live_rules(grid)
    action = form.cleaned_data["action"]
    if action == "rule" and form.cleaned_data["remember"] != "once":
        fix: Fix = _remember_rule
    else:
        fix = FIXES.get(action, _set_cells)
    messages.success(request, fix(request, grid, form, rules))
    # The group is fixed: back to the view without it (a filter on it would show nothing).
    query = QueryDict(form.cleaned_data["return_query"], mutable=True)
    query.pop("problem", None)
    url = reverse("campaigns:grid_detail", args=[grid.pk])
    return redirect(f"{url}?{query.urlencode()}" if query else url)


@grid_post(GridForm)
def value_rule_forget_view(
    request: AuthenticatedRequest, grid: Grid, form: GridForm, *, rule_id: int
) -> HttpResponse:
    value_rule_forget(grid=grid, rule_id=rule_id, author=request.user, rules=live_rules(grid))
    messages.success(request, _("The value rule is forgotten; every row was checked again."))
    return back_to_grid(request, grid)
