"""Fixing and bulk-editing a grid through its services: cells, bulk sets, paste, undo and redo,
pages, filters, and its counts kept exact. The same through the page: test_grid_editing_pages.py."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from campaigns import thulium
from campaigns.exceptions import EditProblem
from campaigns.models import Grid, Row
from campaigns.rules.validation import CampaignRules
from campaigns.services.edit_plans import grid_paste, grid_paste_plan
from campaigns.services.editing import grid_add_rows, grid_bulk_set, grid_delete_rows, row_set_cells
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.rows import RowFilter, grid_row_page
from campaigns.services.undo import grid_redo, grid_redoable_edit, grid_undo

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid(crm_grid: Grid) -> Grid:
    return crm_grid


def row(grid: Grid, number: int) -> Row:
    return grid.rows.get(number=number)


def codes(r: Row) -> list[str]:
    return [m["code"] for m in r.messages]


def test_fixing_cells_turns_a_row_valid_and_updates_the_counts(
    grid: Grid, rules: CampaignRules
) -> None:
    broken = row(grid, 6)  # Mój rekord without agent and date
    assert grid.rows_error == 8

    row_set_cells(grid=grid, row=broken, cells={"agent_login": "a.nowak"}, author=None, rules=rules)
    assert codes(row(grid, 6)) == ["status_needs_date"]
    row_set_cells(
        grid=grid,
        row=broken,
        cells={"next_call_date": "24.12.2030 10:00"},
        author=None,
        rules=rules,
    )

    fixed = row(grid, 6)
    assert fixed.state == Row.State.VALID
    assert fixed.values["next_call_date"] == "2030-12-24 10:00"
    assert fixed.pk == broken.pk
    grid.refresh_from_db()
    assert (grid.rows_error, grid.rows_valid) == (7, 6)


def test_editing_one_duplicate_clears_the_other(grid: Grid, rules: CampaignRules) -> None:
    assert codes(row(grid, 17)) == ["phone_duplicate"]

    row_set_cells(
        grid=grid, row=row(grid, 18), cells={"phone_number": "758917324"}, author=None, rules=rules
    )

    assert row(grid, 17).state == Row.State.VALID
    assert row(grid, 18).state == Row.State.VALID


def test_making_a_duplicate_flags_both_rows(grid: Grid, rules: CampaignRules) -> None:
    row_set_cells(
        grid=grid, row=row(grid, 5), cells={"phone_number": "509 708 024"}, author=None, rules=rules
    )

    assert "phone_duplicate" in codes(row(grid, 4))
    assert "phone_duplicate" in codes(row(grid, 5))
    # the edited row is validated first, yet the message lists the rows in the grid's order
    listed = {m["params"]["rows"] for m in row(grid, 5).messages if m["code"] == "phone_duplicate"}
    assert listed == {"4, 5"}


def test_a_cell_the_grid_has_no_column_for_gets_one(
    campaign: Any, api: thulium.ThuliumClient, rules: CampaignRules
) -> None:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=b"Telefon\n555123321\n", filename="a.csv"
    )
    small = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)

    row_set_cells(
        grid=small, row=small.rows.get(), cells={"field:miasto": "Łódź"}, author=None, rules=rules
    )

    small.refresh_from_db()
    assert small.mapping == ["phone_number", "field:miasto"]
    assert small.rows.get().values["record_fields"] == {"miasto": "Łódź"}


def test_bulk_set_changes_every_chosen_row(grid: Grid, rules: CampaignRules) -> None:
    ids = list(grid.rows.filter(number__in=[6, 10]).values_list("id", flat=True))

    grid_bulk_set(
        grid=grid,
        row_ids=ids,
        target="next_call_date",
        text="31.12.2030 08:00",
        author=None,
        rules=rules,
    )

    assert row(grid, 10).state == Row.State.VALID  # CALL_NO_SOONER_THAN now has its date
    assert codes(row(grid, 6)) == ["status_needs_agent"]


def test_bulk_clear_and_the_preview_json(grid: Grid, rules: CampaignRules) -> None:
    ids = list(grid.rows.filter(number__in=[4, 16]).values_list("id", flat=True))

    grid_bulk_set(
        grid=grid, row_ids=ids, target="field:miasto", text="[clear]", author=None, rules=rules
    )

    assert row(grid, 4).values["record_fields"]["miasto"] == ""
    assert row(grid, 4).clears is True


def test_paste_over_empty_cells_and_past_the_end(grid: Grid, rules: CampaignRules) -> None:
    last = row(grid, 19)
    plan = grid_paste_plan(
        grid=grid,
        start_row=last,
        start_target="agent_login",
        block="a.nowak\t24.12.2030 12:00\np.zielinski\t25.12.2030 12:00\r\n",
    )

    assert plan.overwrites == []
    assert plan.new_rows == 1
    edit = grid_paste(grid=grid, plan=plan, author=None, rules=rules)

    assert len(edit.added) == 1
    assert row(grid, 19).values["agent_login"] == "a.nowak"
    added = grid.rows.get(pk=edit.added[0])
    assert added.number == 20
    assert added.values["agent_login"] == "p.zielinski"
    assert codes(added) == ["phone_missing"]


def test_paste_reports_the_filled_cells_it_would_overwrite(grid: Grid) -> None:
    plan = grid_paste_plan(
        grid=grid, start_row=row(grid, 4), start_target="status", block="Nowy\nNowy"
    )

    assert plan.overwrites == [
        (4, "status", "Kontakt ponowny", "Nowy"),
        (5, "status", "Mój rekord", "Nowy"),
    ]


def test_paste_in_a_filtered_view_fills_the_visible_rows_never_a_hidden_one(
    grid: Grid, rules: CampaignRules
) -> None:
    errors = RowFilter(show="errors")  # rows 6, 7, 8, 10, 12, 15, 17, 18
    hidden_before = row(grid, 9).raw

    plan = grid_paste_plan(
        grid=grid,
        start_row=row(grid, 8),
        start_target="agent_login",
        block="a.nowak\nk.wojcik\n",
        filters=errors,
    )
    grid_paste(grid=grid, plan=plan, author=None, rules=rules)

    assert {grid.rows.get(pk=pk).number for pk, _target in plan.changes} == {8, 10}
    assert row(grid, 8).values["agent_login"] == "a.nowak"
    assert row(grid, 10).values["agent_login"] == "k.wojcik"
    assert row(grid, 9).raw == hidden_before  # the row between, not shown, is untouched


def test_paste_in_a_sorted_view_follows_the_order_shown(grid: Grid) -> None:
    by_phone = RowFilter(sort="phone")
    shown = list(grid.rows.order_by("phone", "id"))
    start = shown[3]

    plan = grid_paste_plan(
        grid=grid,
        start_row=start,
        start_target="agent_login",
        block="a.nowak\na.nowak",
        filters=by_phone,
    )

    assert {pk for pk, _target in plan.changes} == {shown[3].pk, shown[4].pk}


def test_paste_past_the_end_of_a_filtered_view_is_refused_not_added(grid: Grid) -> None:
    with pytest.raises(EditProblem, match="only 1 row follows in this view"):
        grid_paste_plan(
            grid=grid,
            start_row=row(grid, 18),
            start_target="agent_login",
            block="a.nowak\na.nowak\n",
            filters=RowFilter(show="errors"),
        )
    with pytest.raises(EditProblem, match="Row 9 is not in this view"):
        grid_paste_plan(
            grid=grid,
            start_row=row(grid, 9),
            start_target="agent_login",
            block="a.nowak",
            filters=RowFilter(show="errors"),
        )


def test_undo_goes_back_in_reverse_order_and_survives_a_reload(
    grid: Grid, rules: CampaignRules
) -> None:
    before = {r.number: (r.raw, r.state) for r in grid.rows.all()}
    row_set_cells(
        grid=grid, row=row(grid, 6), cells={"agent_login": "a.nowak"}, author=None, rules=rules
    )
    grid_bulk_set(
        grid=grid,
        row_ids=[row(grid, 6).pk],
        target="next_call_date",
        text="24.12.2030 10:00",
        author=None,
        rules=rules,
    )
    grid_add_rows(grid=grid, count=2, author=None, rules=rules)
    grid_delete_rows(grid=grid, row_ids=[row(grid, 4).pk], author=None, rules=rules)

    reloaded = Grid.objects.get(pk=grid.pk)  # nothing kept in memory between requests
    kinds = [grid_undo(grid=reloaded, rules=rules).kind for _ in range(4)]

    assert kinds == ["delete", "add", "bulk", "cell"]
    assert grid_undo(grid=reloaded, rules=rules) is None
    assert {r.number: (r.raw, r.state) for r in reloaded.rows.all()} == before
    reloaded.refresh_from_db()
    assert (reloaded.rows_total, reloaded.rows_error) == (16, 8)


def test_undo_removes_a_column_the_edit_added(
    campaign: Any, api: thulium.ThuliumClient, rules: CampaignRules
) -> None:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=b"Telefon\n555123321\n", filename="a.csv"
    )
    small = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    row_set_cells(
        grid=small, row=small.rows.get(), cells={"agent_login": "a.nowak"}, author=None, rules=rules
    )

    grid_undo(grid=small, rules=rules)

    small.refresh_from_db()
    assert small.mapping == ["phone_number"]
    assert small.rows.get().raw == ["555123321"]


def test_keyset_pages_walk_forward_and_back(grid: Grid) -> None:
    first = grid_row_page(grid, RowFilter(), size=5)
    second = grid_row_page(grid, RowFilter(), size=5, after=first.next_cursor)
    back = grid_row_page(grid, RowFilter(), size=5, before=second.previous_cursor)

    assert [r.number for r in first.rows] == [4, 5, 6, 7, 8]
    assert [r.number for r in second.rows] == [9, 10, 11, 12, 13]
    assert [r.number for r in back.rows] == [4, 5, 6, 7, 8]
    assert first.previous_cursor is None


def test_filters_combine_and_sort(grid: Grid) -> None:
    errors_in_my_record = grid_row_page(grid, RowFilter(show="errors", status="4"), size=50).rows
    by_phone = grid_row_page(grid, RowFilter(sort="phone"), size=50).rows
    clears = grid_row_page(grid, RowFilter(show="clears"), size=50).rows
    city = grid_row_page(grid, RowFilter(field="miasto", value="Gdańsk"), size=50).rows
    phone = grid_row_page(grid, RowFilter(phone="767 215"), size=50).rows

    assert [r.number for r in errors_in_my_record] == [6]
    phones = [r.phone for r in by_phone]
    assert phones == sorted(phones)
    assert [r.number for r in clears] == [13]
    assert [r.number for r in city] == [13]
    assert [r.number for r in phone] == [6]


def test_counts_stay_exact_through_cell_edits_bulk_changes_and_undo(
    crm_grid: Grid, rules: Any
) -> None:

    def exact() -> None:
        crm_grid.refresh_from_db()
        states = Counter(crm_grid.rows.values_list("state", flat=True))
        assert (crm_grid.rows_valid, crm_grid.rows_warning, crm_grid.rows_error) == (
            states["valid"],
            states["warning"],
            states["error"],
        )
        assert crm_grid.rows_total == sum(states.values())

    first = crm_grid.rows.order_by("number").first()
    row_set_cells(grid=crm_grid, row=first, cells={"status": "Xyz"}, author=None, rules=rules)
    exact()
    row_set_cells(grid=crm_grid, row=first, cells={"status": "3"}, author=None, rules=rules)
    exact()
    ids = list(crm_grid.rows.values_list("id", flat=True)[:5])
    grid_bulk_set(grid=crm_grid, row_ids=ids, target="status", text="Xyz", author=None, rules=rules)
    exact()
    grid_undo(grid=crm_grid, author=None, rules=rules)
    exact()


def test_redo_makes_the_undone_edits_again_in_order_until_a_new_edit_ends_it(
    crm_grid: Grid, rules: CampaignRules
) -> None:

    first = row_set_cells(
        grid=crm_grid, row=row(crm_grid, 5), cells={"status": "Nowy"}, author=None, rules=rules
    )
    second = grid_delete_rows(
        grid=crm_grid, row_ids=[row(crm_grid, 7).pk], author=None, rules=rules
    )
    grid_undo(grid=crm_grid, rules=rules)
    grid_undo(grid=crm_grid, rules=rules)
    assert row(crm_grid, 5).raw[1] == "Mój rekord"
    assert crm_grid.rows.filter(number=7).exists()

    assert grid_redo(grid=crm_grid, rules=rules) == first
    assert row(crm_grid, 5).raw[1] == "Nowy"
    assert row(crm_grid, 5).state == "valid"
    assert grid_redo(grid=crm_grid, rules=rules) == second
    assert not crm_grid.rows.filter(number=7).exists()
    assert grid_redoable_edit(crm_grid) is None
    crm_grid.refresh_from_db()
    assert crm_grid.rows_total == 15

    grid_undo(grid=crm_grid, rules=rules)
    row_set_cells(
        grid=crm_grid,
        row=row(crm_grid, 6),
        cells={"agent_login": "a.nowak"},
        author=None,
        rules=rules,
    )
    # a new edit after an undo ends what can be redone
    assert grid_redoable_edit(crm_grid) is None
    assert grid_redo(grid=crm_grid, rules=rules) is None


def test_redo_is_not_offered_for_an_edit_that_added_rows(
    crm_grid: Grid, rules: CampaignRules
) -> None:

    grid_add_rows(grid=crm_grid, count=2, author=None, rules=rules)
    grid_undo(grid=crm_grid, rules=rules)

    assert grid_redoable_edit(crm_grid) is None
