"""Moving in a big grid at 1440×900, in English and Polish: a jump to a row on another page
lands on that page with the row marked, in view and clear of the sticky header."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from tests.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wide(browser: Browser) -> Any:
    context = browser.new_context(locale="en-GB", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def grid_of_300(campaign: Any, api: thulium.ThuliumClient) -> Grid:
    lines = ["Telefon;Status;Miasto"] + [
        f"{600000000 + i};Kontakt ponowny;Łódź {i}" for i in range(300)
    ]
    made = grid_create_from_file(
        campaign=campaign, author=None, data="\n".join(lines).encode(), filename="big.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_going_to_a_row_on_another_page_shows_it_marked_and_in_view(
    wide: Page, live_server: Any, supervisor: Any, grid_of_300: Grid, language: str
) -> None:
    log_in(wide, live_server)
    if language == "pl":
        wide.get_by_role("button", name="PL").click()
    wide.goto(f"{live_server.url}/grids/{grid_of_300.pk}/")
    expect(wide.locator(".pager__where").first).to_have_text(re.compile(r"\b1\b\D+\b3\b"))
    row = grid_of_300.rows.get(number=250)

    wide.locator("#goto-row").fill("250")
    wide.locator("#goto-row").press("Enter")

    wide.wait_for_url(re.compile(rf"page=3&mark=250#row-{row.pk}$"))
    expect(wide.locator(".pager__where").first).to_have_text(re.compile(r"\b3\b\D+\b3\b"))
    marked = wide.locator(f"#row-{row.pk}")
    expect(marked).to_be_in_viewport()
    assert marked.evaluate("row => row.matches(':target')")
    header = wide.locator("table.grid thead").bounding_box()
    box = marked.bounding_box()
    assert header is not None
    assert box is not None
    assert box["y"] >= header["y"] + header["height"] - 1  # not under the sticky header
    assert box["y"] + box["height"] <= 900

    wide.locator("a[rel=first]").first.click()
    expect(wide.locator(".pager__where").first).to_have_text(re.compile(r"\b1\b\D+\b3\b"))
    wide.locator("#goto-row").fill("9999")
    wide.locator("#goto-row").press("Enter")
    expect(wide.get_by_text(re.compile("9999"))).to_be_visible()
