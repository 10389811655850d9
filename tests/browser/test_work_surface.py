"""The grid as a work surface at 1440×900: many rows in view, problems fixed by group, and the
spreadsheet keys — Ctrl+V into the rows a filtered view shows, Ctrl+C, Ctrl+Z and redo."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from tests.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)

STATUSES = ["Kontakt ponowny", "Mój rekord", "NOWY!!", "Nowy", "Oddzwonić"]
AGENTS = ["", "Anna Nowak", "j.kowalski", "Kowalski"]


@pytest.fixture
def wide(browser: Browser) -> Any:
    context = browser.new_context(locale="en-GB", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def export_of(rows: int) -> bytes:
    """A CRM export with the kinds of problem a real one has, row by row."""
    lines = ["Nr tel.;Status;Konsultant;Następny kontakt;Imię;Miasto;Uwagi"]
    for n in range(rows):
        lines.append(
            f"{600000000 + n};{STATUSES[n % 5]};{AGENTS[n % 4]};"
            f"{'31.02.2027 10:00' if n % 6 == 0 else ''};Zażółć {n};Łódź;"
            + "bardzo długa uwaga o kliencie, który prosi o kontakt po szesnastej "
            * (n % 2)
        )
    return "\n".join(lines).encode("cp1250")


@pytest.fixture
def big_grid(campaign: Any, api: thulium.ThuliumClient) -> Grid:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=export_of(300), filename="eksport.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def test_at_1440x900_fifteen_one_line_rows_show_above_the_fold(
    wide: Page, live_server: Any, supervisor: Any, big_grid: Grid
) -> None:
    log_in(wide, live_server)
    wide.goto(f"{live_server.url}/grids/{big_grid.pk}/")

    heights = wide.evaluate(
        "() => [...document.querySelectorAll('table.grid tbody tr')]"
        ".map(row => row.getBoundingClientRect())"
        ".map(box => [Math.round(box.height), box.bottom <= innerHeight])"
    )
    assert max(height for height, _shown in heights) <= 40
    assert sum(1 for _height, shown in heights if shown) >= 15
    # the problems are above the grid, grouped, each a filter
    expect(wide.locator("#problems .problem").first).to_be_visible()
    assert wide.evaluate("() => document.documentElement.scrollWidth") <= 1440


def test_the_header_and_the_phone_column_stay_in_view_while_scrolling(
    wide: Page, live_server: Any, supervisor: Any, big_grid: Grid
) -> None:
    log_in(wide, live_server)
    wide.goto(f"{live_server.url}/grids/{big_grid.pk}/")
    table = wide.locator(".table-wrap")
    table.evaluate("wrap => { wrap.scrollTop = 2000; wrap.scrollLeft = 600; }")

    header = wide.locator("table.grid thead th.cell--phone").bounding_box()
    wrap = table.bounding_box()
    assert header is not None
    assert wrap is not None
    assert abs(header["y"] - wrap["y"]) < 3  # still at the top of the grid
    assert header["x"] < wrap["x"] + 200  # still at its left


def test_a_group_of_rows_is_fixed_with_one_decision(
    wide: Page, live_server: Any, supervisor: Any, big_grid: Grid
) -> None:
    log_in(wide, live_server)
    wide.goto(f"{live_server.url}/grids/{big_grid.pk}/")
    before = big_grid.rows.filter(state="error").count()

    wide.locator("#problems .problem", has_text="status “NOWY!!” does not exist").click()
    fix = wide.locator(".group-fix")
    expect(fix).to_contain_text("Did you mean “Nowy”?")
    fix.get_by_role("button", name="Apply to 60 rows and remember for this campaign").click()

    expect(wide.locator(".banner--success")).to_contain_text("“NOWY!!” is read as “Nowy”")
    expect(wide.locator("#problems .problem-groups > li > .problem")).not_to_contain_text(
        ["NOWY!!"]
    )
    expect(wide.locator("#problems .value-rules")).to_contain_text("“NOWY!!” is read as “Nowy”")
    assert big_grid.rows.filter(state="error").count() < before


def test_ctrl_v_in_a_filtered_view_fills_the_rows_it_shows_and_ctrl_z_and_redo_follow(
    page: Page, live_server: Any, supervisor: Any, crm_grid: Grid
) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/grids/{crm_grid.pk}/?show=errors")
    shown = [int(n) for n in page.locator("table.grid tbody td.num").all_inner_texts()]
    hidden = {r.number: r.raw for r in crm_grid.rows.exclude(number__in=shown)}

    page.locator(f"#row-{crm_grid.rows.get(number=shown[0]).pk} td[data-target=status]").focus()
    page.evaluate(
        """() => {
            const data = new DataTransfer();
            data.setData('text/plain', 'Nowy\\nNowy\\nNowy');
            document.activeElement.dispatchEvent(
                new ClipboardEvent('paste', {clipboardData: data, bubbles: true}));
        }"""
    )
    # the block overwrites filled cells: they are shown before anything changes
    expect(page.get_by_role("heading", name="Confirm the change")).to_be_visible()
    page.get_by_role("button", name="Yes, change the grid").click()
    expect(page.locator(".banner--success")).to_contain_text("Pasted")
    assert "show=errors" in page.url  # back in the view pasted into

    position = crm_grid.mapping.index("status")
    statuses = dict(crm_grid.rows.values_list("number", "raw"))
    assert [statuses[n][position] for n in shown[:3]] == ["Nowy"] * 3
    assert {r.number: r.raw for r in crm_grid.rows.exclude(number__in=shown)} == hidden

    page.locator("table.grid td[data-target=status]").first.focus()
    page.keyboard.press("Control+z")
    expect(page.locator(".banner--success")).to_contain_text("Undone: Paste")
    assert crm_grid.rows.get(number=shown[0]).raw[position] != "Nowy"

    page.locator("table.grid td[data-target=status]").first.focus()
    page.keyboard.press("Control+y")
    expect(page.locator(".banner--success")).to_contain_text("Made again: Paste")
    assert crm_grid.rows.get(number=shown[0]).raw[position] == "Nowy"


def test_ctrl_c_copies_the_selected_cells_as_excel_reads_them(
    page: Page, live_server: Any, supervisor: Any, crm_grid: Grid
) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/grids/{crm_grid.pk}/")
    first = crm_grid.rows.order_by("number").first()
    page.locator(f"#row-{first.pk} td[data-target=phone_number]").focus()
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    expect(page.locator("td.is-selected")).to_have_count(4)

    copied = page.evaluate(
        """() => {
            const data = new DataTransfer();
            document.activeElement.dispatchEvent(
                new ClipboardEvent('copy', {clipboardData: data, bubbles: true}));
            return data.getData('text/plain');
        }"""
    )

    assert copied == "509708024\tKontakt ponowny\n845400588\tMój rekord"
