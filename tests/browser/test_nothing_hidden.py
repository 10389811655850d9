"""Nothing on the grid page hides behind anything else, at 1440×900 and 1280×800, in English and
Polish: the grid is the one scroll area and its header stays in view, the sticky columns never
cover a data column or the row numbers, a problem group's column comes into view marked, and a
row's errors come before its warnings and notes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from tests.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORTS = [(1440, 900), (1280, 800)]
STATUSES = ["Kontakt ponowny", "Mój rekord", "NOWY!!", "Nowy", "Oddzwonić"]
AGENTS = ["", "Anna Nowak", "j.kowalski", "Kowalski"]


@pytest.fixture(params=VIEWPORTS, ids=lambda size: f"{size[0]}x{size[1]}")
def viewport(request: pytest.FixtureRequest) -> tuple[int, int]:
    return request.param


@pytest.fixture(params=["en", "pl"])
def language(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def screen(browser: Browser, viewport: tuple[int, int]) -> Iterator[Page]:
    width, height = viewport
    context = browser.new_context(locale="en-GB", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def wide_export(rows: int) -> bytes:
    """A CRM export wider than the window: the date, status and agent (the columns with
    problems) come last, after long record fields."""
    lines = ["Nr tel.;Imię;Nazwisko;Miasto;Pole1;Pole2;Status;Konsultant;Następny kontakt"]
    for n in range(rows):
        lines.append(
            f"{600000000 + n};Zażółć {n};Gęślą-Jaźń {n};Łódź Bałuty;"
            f"umowa {n} do odnowienia w grudniu;oddzwonić po szesnastej, pyta o rabat;"
            f"{STATUSES[n % 5]};{AGENTS[n % 4]};{'31.02.2027 10:00' if n % 6 == 0 else ''}"
        )
    return "\n".join(lines).encode("cp1250")


@pytest.fixture
def wide_grid(campaign: Any, api: thulium.ThuliumClient) -> Grid:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=wide_export(300), filename="szeroki.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def open_grid(page: Page, live_server: Any, grid: Grid, language: str, query: str = "") -> None:
    log_in(page, live_server)
    if language == "pl":
        page.get_by_role("button", name="PL").click()
    page.goto(f"{live_server.url}/grids/{grid.pk}/{query}")
    expect(page.locator("table.grid tbody tr").first).to_be_visible()


# Where a column's cells meet the sticky cells of the same rows, among the rows in view.
# Returns the overlaps (pixels, with what overlapped) and whether the column lies inside the
# grid's visible box.
COVERED = """
([target, wrapSelector]) => {
  const wrap = document.querySelector(wrapSelector);
  const view = wrap.getBoundingClientRect();
  const inside = {
    left: view.left + wrap.clientLeft, right: view.left + wrap.clientLeft + wrap.clientWidth,
    top: view.top + wrap.clientTop, bottom: view.top + wrap.clientTop + wrap.clientHeight,
  };
  const table = wrap.querySelector("table.grid");
  const heads = [...table.querySelectorAll("thead th")];
  const index = heads.findIndex(th => th.dataset.target === target);
  const sticky = cell => getComputedStyle(cell).position === "sticky";
  const overlaps = [];
  let seen = 0;
  for (const row of table.querySelectorAll("tr")) {
    const box = row.getBoundingClientRect();
    if (box.bottom <= inside.top || box.top >= inside.bottom) continue;
    const cells = [...row.children];
    const mine = cells[index].getBoundingClientRect();
    seen += 1;
    for (const other of cells) {
      if (other === cells[index] || !sticky(other) || sticky(cells[index])) continue;
      const them = other.getBoundingClientRect();
      const width = Math.min(mine.right, them.right) - Math.max(mine.left, them.left);
      if (width > 0.5) overlaps.push([row.rowIndex, other.className, Math.round(width)]);
    }
  }
  const head = heads[index].getBoundingClientRect();
  return {
    overlaps, seen,
    inView: head.left >= inside.left - 0.5 && head.right <= inside.right + 0.5
      && head.top >= inside.top - 0.5 && head.top < inside.bottom,
  };
}
"""


def test_no_data_column_is_covered_by_a_sticky_column(
    screen: Page, live_server: Any, supervisor: Any, wide_grid: Grid, language: str
) -> None:
    open_grid(screen, live_server, wide_grid, language)
    targets = screen.locator("table.grid thead th[data-target]").evaluate_all(
        "heads => heads.map(th => th.dataset.target)"
    )
    assert len(targets) >= 8
    first = wide_grid.rows.order_by("number").first()
    # Right across and back, as the arrow keys go: each cell focused is scrolled to by the
    # browser, and must then sit clear of the sticky columns, header included.
    for target in [*targets, *reversed(targets)]:
        screen.locator(f"#row-{first.pk} td[data-target='{target}']").focus()
        found = screen.evaluate(COVERED, [target, ".table-wrap"])
        assert found["seen"] > 5
        assert found["overlaps"] == [], target
        assert found["inView"], target


def test_opening_a_problem_group_brings_its_column_into_view_marked(
    screen: Page, live_server: Any, supervisor: Any, wide_grid: Grid, language: str
) -> None:
    open_grid(screen, live_server, wide_grid, language)
    screen.locator("#problems a.problem[href^='?problem=date_impossible']").click()

    screen.wait_for_url(re.compile(r"\?problem=date_impossible"))
    header = screen.locator("table.grid thead th[data-target=next_call_date]")
    expect(header).to_have_class(re.compile(r"\bis-problem\b"))
    expect(screen.locator("table.grid tbody td.is-problem").first).to_be_visible()
    found = screen.evaluate(COVERED, ["next_call_date", ".table-wrap"])
    assert found["inView"]
    assert found["overlaps"] == []


def test_the_header_stays_in_view_after_scrolling_200_rows(
    screen: Page, live_server: Any, supervisor: Any, wide_grid: Grid, language: str
) -> None:
    open_grid(screen, live_server, wide_grid, language, "?size=500")
    rows = screen.locator("table.grid tbody tr")
    expect(rows).to_have_count(300)
    row_height = rows.first.bounding_box()["height"]  # type: ignore[index]
    wrap = screen.locator(".table-wrap").bounding_box()
    assert wrap is not None

    # Scrolled as a supervisor scrolls: the wheel over the grid, 10 rows at a time.
    screen.mouse.move(wrap["x"] + wrap["width"] / 2, wrap["y"] + min(wrap["height"] / 2, 200))
    for _step in range(20):
        screen.mouse.wheel(0, 10 * row_height)
        screen.wait_for_timeout(30)
    screen.wait_for_function("() => document.querySelector('.table-wrap').scrollTop > 0")

    height = screen.evaluate("() => innerHeight")
    # The header cells are what sticks (the <thead> box itself scrolls away with the rows).
    tops, bottoms = screen.locator("table.grid thead th").evaluate_all(
        "heads => [heads.map(th => th.getBoundingClientRect().top),"
        " heads.map(th => th.getBoundingClientRect().bottom)]"
    )
    assert min(tops) >= 0
    assert max(bottoms) <= height
    # One scroll area: the page itself does not scroll, the grid does.
    assert screen.evaluate("() => document.scrollingElement.scrollTop") == 0
    assert screen.evaluate("() => document.scrollingElement.scrollHeight") <= height
    assert screen.locator(".table-wrap").evaluate("wrap => wrap.scrollTop") >= 150 * row_height


def test_row_numbers_are_whole_after_scrolling_sideways(
    screen: Page, live_server: Any, supervisor: Any, wide_grid: Grid, language: str
) -> None:
    open_grid(screen, live_server, wide_grid, language)
    screen.locator(".table-wrap").evaluate("wrap => { wrap.scrollLeft = wrap.scrollWidth; }")

    clipped = screen.evaluate(
        """() => [...document.querySelectorAll('table.grid tr')].slice(0, 40).flatMap(row => {
            const number = row.children[1], phone = row.children[2];
            const text = document.createRange();
            text.selectNodeContents(number);
            const drawn = text.getBoundingClientRect();
            return drawn.right > phone.getBoundingClientRect().left + 0.5
              || drawn.right > number.getBoundingClientRect().right + 0.5
              ? [number.textContent.trim()] : [];
        })"""
    )
    assert screen.locator(".table-wrap").evaluate("wrap => wrap.scrollLeft") > 0
    assert clipped == []


def test_a_rows_errors_come_before_its_notes(
    screen: Page, live_server: Any, supervisor: Any, wide_grid: Grid, language: str
) -> None:
    open_grid(screen, live_server, wide_grid, language)
    # “NOWY!!” read as “Nowy” from now on: a note on the status of every such row. Line 14 of
    # the file also has a next call date that cannot exist (an error, in a later column).
    screen.locator("#problems a.problem", has_text="NOWY!!").click()
    screen.locator(".group-fix form button[type=submit]").first.click()
    expect(screen.locator(".banner--success")).to_be_visible()
    row = wide_grid.rows.get(number=14)
    assert [m["level"] for m in row.messages] == ["info", "error"], row.messages
    screen.goto(f"{live_server.url}/grids/{wide_grid.pk}/")

    line = screen.locator(f"#row-{row.pk} .messages__first")
    expect(line).to_have_class(re.compile(r"\bmessage--error\b"))
    screen.locator(f"#row-{row.pk} .notes summary").click()
    expect(screen.locator(f"#row-{row.pk} .notes__panel li.message")).to_have_class(
        [re.compile(r"\bmessage--info\b")]
    )


def test_the_shortcuts_dialog_shows_its_title(
    screen: Page, live_server: Any, supervisor: Any, wide_grid: Grid, language: str
) -> None:
    open_grid(screen, live_server, wide_grid, language)
    screen.locator("table.grid tbody td[data-target]").first.focus()
    screen.keyboard.press("?")

    title = screen.locator("#shortcuts-heading")
    expect(title).to_be_in_viewport(ratio=1)
    dialog = screen.locator("#shortcuts").bounding_box()
    box = title.bounding_box()
    assert dialog is not None
    assert box is not None
    assert box["y"] >= dialog["y"]
    expect(screen.locator("#shortcuts form button")).to_be_in_viewport(ratio=1)


def test_every_problem_chip_shows_whole_above_the_grid(
    screen: Page, live_server: Any, supervisor: Any, wide_grid: Grid, language: str
) -> None:
    # Seven kinds of problem take three lines of chips at these widths (a revert grid's long
    # “not put back” chips take five): none is clipped, none reaches the grid's header.
    open_grid(screen, live_server, wide_grid, language)
    chips = screen.locator("#problems .problem-groups > li > .problem")
    expect(chips).to_have_count(7)
    hidden = screen.evaluate(
        """() => {
            const list = document.querySelector('#problems .problem-groups');
            const box = list.getBoundingClientRect();
            const header = document.querySelector('table.grid thead th').getBoundingClientRect();
            return [...list.querySelectorAll(':scope > li > .problem')].filter(chip => {
                const c = chip.getBoundingClientRect();
                return c.top < box.top - 0.5 || c.bottom > box.bottom + 0.5
                    || c.bottom > header.top + 0.5;
            }).map(chip => chip.textContent);
        }"""
    )
    assert hidden == []
