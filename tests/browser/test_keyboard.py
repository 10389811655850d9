"""The whole grid by keyboard: move, edit, tick, bulk tools, undo, and the shortcut list."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import Grid
from tests.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def grid_page(page: Page, live_server: Any, supervisor: Any, crm_grid: Grid) -> Page:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/grids/{crm_grid.pk}/")
    return page


def focused(page: Page) -> dict[str, str]:
    return page.evaluate(
        """() => {
          const cell = document.activeElement;
          return {row: cell.closest("tr") ? cell.closest("tr").dataset.row : "",
                  target: cell.dataset.target || cell.tagName};
        }"""
    )


def test_arrow_keys_move_between_cells(grid_page: Page, crm_grid: Grid) -> None:
    first, second = (str(row.pk) for row in crm_grid.rows.order_by("number")[:2])
    grid_page.locator(f"#row-{first} td[data-target=phone_number]").focus()

    grid_page.keyboard.press("ArrowRight")
    assert focused(grid_page) == {"row": first, "target": "status"}
    grid_page.keyboard.press("ArrowDown")
    assert focused(grid_page) == {"row": second, "target": "status"}
    grid_page.keyboard.press("ArrowUp")
    grid_page.keyboard.press("ArrowLeft")
    assert focused(grid_page) == {"row": first, "target": "phone_number"}
    grid_page.keyboard.press("End")
    assert focused(grid_page)["target"] == grid_page.locator(
        f"#row-{first} td[data-target]"
    ).last.get_attribute("data-target")


def test_edit_save_and_move_on_without_a_mouse(grid_page: Page, crm_grid: Grid) -> None:
    row = crm_grid.rows.get(number=12)
    grid_page.locator(f"#row-{row.pk} td[data-target=agent_login]").focus()

    grid_page.keyboard.press("ArrowRight")  # to the next call date
    grid_page.keyboard.press("Enter")
    expect(grid_page.get_by_label("Next call date")).to_be_focused()  # the editor has come
    grid_page.keyboard.type("24.12.2030 10:00")
    grid_page.keyboard.press("Enter")

    line = grid_page.locator(f"#row-{row.pk}")
    expect(line.locator(".badge").first).to_have_text("Valid")
    expect(line.locator("td[data-target=next_call_date]")).to_be_focused()
    expect(grid_page.locator("#undo-form button")).to_be_enabled()  # it names the edit just made
    grid_page.keyboard.press("u")  # undo brings the old value back
    expect(grid_page.locator(f"#row-{row.pk} .badge").first).not_to_have_text("Valid")


def test_space_ticks_the_row_and_b_opens_the_bulk_change(grid_page: Page, crm_grid: Grid) -> None:
    row = crm_grid.rows.get(number=5)
    grid_page.locator(f"#row-{row.pk} td[data-target=status]").focus()

    grid_page.keyboard.press(" ")
    expect(grid_page.locator(f"#row-{row.pk} input[name=rows]")).to_be_checked()
    grid_page.keyboard.press(" ")
    expect(grid_page.locator(f"#row-{row.pk} input[name=rows]")).not_to_be_checked()
    grid_page.keyboard.press(" ")
    grid_page.keyboard.press("b")

    expect(grid_page.locator("#bulk-tools")).to_have_attribute("open", "")
    expect(grid_page.locator("#b-target")).to_be_focused()


def test_question_mark_lists_every_shortcut(grid_page: Page) -> None:
    grid_page.locator("table.grid td[data-target]").first.focus()

    grid_page.keyboard.press("?")

    dialog = grid_page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Tick or untick the row")
    expect(dialog).to_contain_text("Undo the last change")
    grid_page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
