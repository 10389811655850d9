"""Find and replace within one column, over the rows the view shows: previewed, one edit, undone
and redone like any other."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.exceptions import EditProblem
from campaigns.models import AuditEntry, Edit, Grid, Row
from campaigns.rules.validation import CampaignRules
from campaigns.services.edit_plans import grid_replace, grid_replace_plan
from campaigns.services.rows import RowFilter
from campaigns.services.undo import grid_redo, grid_undo

pytestmark = pytest.mark.django_db


def cell(grid: Grid, number: int, target: str) -> str:
    raw = grid.rows.get(number=number).raw
    position = grid.mapping.index(target)
    return raw[position] if position < len(raw) else ""


def test_a_status_spelt_wrong_everywhere_is_fixed_in_one_edit_that_undo_takes_back(
    crm_grid: Grid, rules: CampaignRules
) -> None:
    assert crm_grid.rows.get(number=7).state == Row.State.ERROR  # "Nieznany status"
    before = {r.number: r.raw for r in crm_grid.rows.all()}

    plan = grid_replace_plan(
        grid=crm_grid, target="status", find="Nieznany status", replace="Nowy", whole_cell=True
    )
    edit = grid_replace(grid=crm_grid, plan=plan, author=None, rules=rules)

    assert edit.kind == Edit.Kind.REPLACE
    assert [number for number, _now, _after in plan.changes.values()] == [7]
    assert crm_grid.rows.get(number=7).state == Row.State.VALID
    assert AuditEntry.objects.filter(action=AuditEntry.Action.REPLACE).count() == 1
    grid_undo(grid=crm_grid, rules=rules)
    assert {r.number: r.raw for r in crm_grid.rows.all()} == before
    assert grid_redo(grid=crm_grid, rules=rules) == edit
    assert cell(crm_grid, 7, "status") == "Nowy"


def test_case_does_not_matter_unless_asked_and_whole_cell_leaves_longer_texts(
    crm_grid: Grid,
) -> None:
    def rows(**options: bool) -> list[int]:
        plan = grid_replace_plan(
            grid=crm_grid, target="status", find="Kontakt ponowny", replace="Nowy", **options
        )
        return sorted(number for number, _now, _after in plan.changes.values())

    texts = {r.number: cell(crm_grid, r.number, "status") for r in crm_grid.rows.all()}
    any_case = sorted(n for n, t in texts.items() if t.lower() == "kontakt ponowny")
    exact = sorted(n for n, t in texts.items() if t == "Kontakt ponowny")

    assert len(any_case) > len(exact) >= 1  # the file holds "Kontakt ponowny" and "kontakt PONOWNY"
    assert rows(whole_cell=True) == any_case
    assert rows(whole_cell=True, match_case=True) == exact
    with pytest.raises(EditProblem, match="No cell of “Status"):
        grid_replace_plan(
            grid=crm_grid, target="status", find="ponowny", replace="", whole_cell=True
        )


def test_a_part_of_a_cell_is_replaced_and_the_texts_are_taken_literally(
    crm_grid: Grid, rules: CampaignRules
) -> None:
    surname = "field:nazwisko"
    row = next(r.number for r in crm_grid.rows.all() if "[" in cell(crm_grid, r.number, surname))

    plan = grid_replace_plan(grid=crm_grid, target=surname, find="[", replace=r"\1(")
    grid_replace(grid=crm_grid, plan=plan, author=None, rules=rules)

    assert [number for number, _now, _after in plan.changes.values()] == [row]
    assert cell(crm_grid, row, surname).startswith(r"\1(")


def test_only_the_rows_the_filter_shows_are_searched(crm_grid: Grid, rules: CampaignRules) -> None:
    holding = {
        r.pk: r.state
        for r in crm_grid.rows.all()
        if "ponowny" in cell(crm_grid, r.number, "status").lower()
    }
    shown = {pk for pk, state in holding.items() if state == Row.State.ERROR}
    hidden = {pk: Row.objects.get(pk=pk).raw for pk in set(holding) - shown}
    # The file has such statuses on both sides of the filter.
    assert shown
    assert hidden

    plan = grid_replace_plan(
        grid=crm_grid,
        target="status",
        find="ponowny",
        replace="ponowny!",
        filters=RowFilter(show="errors"),
    )
    grid_replace(grid=crm_grid, plan=plan, author=None, rules=rules)

    assert set(plan.changes) == shown
    assert {pk: Row.objects.get(pk=pk).raw for pk in hidden} == hidden


def test_nothing_to_find_or_an_unknown_column_says_what_to_do(crm_grid: Grid) -> None:
    with pytest.raises(EditProblem, match="Type the text to find"):
        grid_replace_plan(grid=crm_grid, target="status", find="", replace="x")
    with pytest.raises(EditProblem, match="Choose the column"):
        grid_replace_plan(grid=crm_grid, target="field:nope", find="a", replace="x")
    with pytest.raises(EditProblem, match="Check the spelling"):
        grid_replace_plan(grid=crm_grid, target="status", find="Zamknięty", replace="x")


def test_the_page_previews_every_change_then_makes_it(logged_in: Client, crm_grid: Grid) -> None:
    url = reverse("campaigns:grid_replace", args=[crm_grid.pk])
    form = {
        "target": "status",
        "find": "Nieznany status",
        "replace": "Nowy",
        "whole_cell": "on",
        "return_query": "show=errors",
        "show": "errors",
    }

    preview = logged_in.post(url, form).content.decode()
    assert Edit.objects.count() == 0
    assert "“Nieznany status” is replaced in 1 cell of “Status" in preview
    assert 'name="show" value="errors"' in preview  # the confirmation searches the same view
    done = logged_in.post(url, form | {"confirm": "yes"}, follow=True)

    assert Edit.objects.get().kind == Edit.Kind.REPLACE
    assert "replaced in 1 cell of “Status" in done.content.decode()
    assert done.redirect_chain[-1][0].endswith("?show=errors")
    assert cell(crm_grid, 7, "status") == "Nowy"


def test_nothing_found_on_the_page_is_said_plainly_in_polish(
    logged_in: Client, crm_grid: Grid
) -> None:
    page = logged_in.post(
        reverse("campaigns:grid_replace", args=[crm_grid.pk]),
        {"target": "status", "find": "Zamknięty", "replace": "Nowy"},
        follow=True,
        headers={"Accept-Language": "pl"},
    ).content.decode()

    assert "Żadna komórka" in page
    assert Edit.objects.count() == 0


def test_viewers_cannot_replace(client: Client, viewer: object, crm_grid: Grid) -> None:
    client.force_login(viewer)

    response = client.post(
        reverse("campaigns:grid_replace", args=[crm_grid.pk]),
        {"target": "status", "find": "Nieznany status", "replace": "Nowy", "confirm": "yes"},
    )
    page = client.get(reverse("campaigns:grid_detail", args=[crm_grid.pk])).content.decode()

    assert response.status_code == 403
    assert 'id="replace-tools"' not in page
    assert cell(crm_grid, 7, "status") == "Nieznany status"
