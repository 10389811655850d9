"""A supervisor takes flagged rows to valid in the page: cell edits, bulk set, paste."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import Grid
from tests.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def grid(crm_grid: Grid) -> Grid:
    return crm_grid


@pytest.fixture
def grid_page(page: Page, live_server: Any, supervisor: Any, grid: Grid) -> Page:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/grids/{grid.pk}/")
    return page


def test_edit_a_bad_cell_until_the_row_turns_valid(grid_page: Page, grid: Grid) -> None:
    row = grid_page.locator(f"#row-{grid.rows.get(number=6).pk}")
    expect(row.locator(".badge")).to_have_text("Has errors")

    row.locator("td[data-target=agent_login]").click()
    row.get_by_label("Agent").select_option("a.nowak")
    expect(row).to_contain_text("needs a next call date")
    expect(grid_page.locator("#counts")).to_contain_text("Errors 8")

    row.locator("td[data-target=next_call_date]").click()
    row.get_by_label("Next call date").fill("24.12.2030 10:00")
    grid_page.keyboard.press("Enter")

    expect(row.locator(".badge")).to_have_text("Valid")
    expect(row).to_contain_text("24/12/2030 10:00")  # in the reader's format
    expect(grid_page.locator("#counts")).to_contain_text("Errors 7")


def test_enter_on_a_focused_cell_opens_its_editor(grid_page: Page, grid: Grid) -> None:
    row = grid_page.locator(f"#row-{grid.rows.get(number=12).pk}")

    row.locator("td[data-target=next_call_date]").focus()
    grid_page.keyboard.press("Enter")
    row.get_by_label("Next call date").fill("24.12.2030 10:00")
    grid_page.keyboard.press("Enter")

    expect(row.locator(".badge")).to_have_text("Valid")


def test_escape_cancels_a_cell_edit(grid_page: Page, grid: Grid) -> None:
    row = grid_page.locator(f"#row-{grid.rows.get(number=4).pk}")

    row.locator("td[data-target=status]").click()
    expect(row.locator("form.cell-editor")).to_have_count(1)
    grid_page.keyboard.press("Escape")

    expect(row.locator("form.cell-editor")).to_have_count(0)
    expect(row).to_contain_text("Kontakt ponowny")


def test_select_by_filter_and_bulk_set_agent_and_date(grid_page: Page, grid: Grid) -> None:
    grid_page.get_by_text("Filter and sort").click()
    grid_page.get_by_label("Status", exact=True).select_option(label="Mój rekord")
    grid_page.get_by_role("button", name="Apply").click()
    expect(grid_page.get_by_text("Filter and sort · rows matching: 2")).to_be_visible()

    for column, value in (("Agent", "m.wisniewska"), ("Next call date", "31.12.2030 09:00")):
        grid_page.get_by_text("Change many rows").click()
        grid_page.get_by_label("All rows matching the filter (2), on every page").check()
        grid_page.get_by_label("Column", exact=True).select_option(label=column)
        grid_page.get_by_label("New value").fill(value)
        grid_page.get_by_role("button", name="Review the change").click()
        expect(grid_page.locator(".confirm")).to_contain_text("in 2 rows")
        grid_page.get_by_role("button", name="Yes, change the grid").click()

    expect(grid_page.locator("table.grid tbody tr")).to_have_count(2)
    for row in grid_page.locator("table.grid tbody tr").all():
        expect(row.locator(".badge")).to_have_text("Valid")
        expect(row).to_contain_text("m.wisniewska")
        expect(row).to_contain_text("31/12/2030 09:00")


def test_paste_a_block_from_the_clipboard(grid_page: Page, grid: Grid) -> None:
    grid_page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    block = "777888999\tNowy\n777888998\tNie dzwonić"
    grid_page.evaluate("text => navigator.clipboard.writeText(text)", block)

    grid_page.get_by_text("Paste from Excel").click()
    grid_page.get_by_label("Starting at row").fill("19")
    grid_page.get_by_label("and column").select_option(label="Phone number")
    grid_page.get_by_label("Cells copied from Excel or LibreOffice").focus()
    grid_page.keyboard.press("Control+V")
    grid_page.get_by_role("button", name="Paste", exact=True).click()

    # Row 19 had a phone: the overwrite is shown first.
    expect(grid_page.get_by_text("The block overwrites 1 filled cell")).to_be_visible()
    grid_page.get_by_role("button", name="Yes, change the grid").click()

    expect(grid_page.locator("ul.messages")).to_contain_text("rows added: 1")
    assert grid.rows.get(number=19).values == {"phone_number": "777888999", "status_id": "1"}
    assert grid.rows.get(number=20).values == {"phone_number": "777888998", "status_id": "5"}


def test_the_json_preview_loads_when_opened(grid_page: Page, grid: Grid) -> None:
    row = grid_page.locator(f"#row-{grid.rows.get(number=4).pk}")

    row.locator(".notes summary").click()  # the row's messages, folded in the row, and its JSON
    expect(row.locator(".notes__panel")).to_contain_text("What Thulium gets")

    expect(row.locator(".payload pre")).to_contain_text('"phone_number": "')
