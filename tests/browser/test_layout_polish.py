"""Long pages keep their one action on screen and cut nothing short, at 1440×900 and 1280×800, in
both languages: the mapping's lists show their longest choice whole and "Build the grid" is in
view; the review's Send button is in view and its JSON closed; the campaign's chart labels are
whole and clear of their numbers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from campaigns import thulium
from campaigns.services.grids import grid_create_from_file
from campaigns.services.review import grid_review_read
from tests.helpers import FILES, log_in

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(1440, 900), (1280, 800)]
LANGUAGES = ["en", "pl"]
BUILD = {"en": "Build the grid", "pl": "Utwórz siatkę"}
SEND = {"en": re.compile(r"Send \d+ rows? to Thulium"), "pl": re.compile(r"Wyślij \d+ wiersz")}


def open_as(page: Page, live_server: Any, language: str, size: tuple[int, int], path: str) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    log_in(page, live_server)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(live_server.url + path)
    expect(page.locator("html")).to_have_attribute("lang", language)


def in_viewport(page: Page, element: Locator) -> None:
    """The element is whole inside the viewport as the page opens, unscrolled."""
    assert page.evaluate("window.scrollY") == 0
    box = element.bounding_box()
    viewport = page.viewport_size
    assert box is not None
    assert viewport is not None
    assert box["y"] >= 0, (box, viewport)
    assert box["y"] + box["height"] <= viewport["height"], (box, viewport)
    assert box["x"] >= 0, (box, viewport)
    assert box["x"] + box["width"] <= viewport["width"], (box, viewport)


def apart(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_the_mapping_shows_every_choice_whole_and_its_build_button_on_screen(
    page: Page,
    live_server: Any,
    supervisor: Any,
    campaign: Any,
    language: str,
    size: tuple[int, int],
) -> None:
    grid = grid_create_from_file(
        campaign=campaign,
        author=None,
        data=(FILES / "crm_export.xlsx").read_bytes(),
        filename="crm_export.xlsx",
    )
    open_as(page, live_server, language, size, f"/grids/{grid.pk}/mapping/")

    selects = page.locator("main form select")
    assert selects.count() >= 5
    for n in range(selects.count()):
        select = selects.nth(n)
        # A select is as wide as its widest choice needs: Chromium's scrollWidth of a select
        # does not grow with a cut choice, so compare the widest option's text with the room.
        cut = select.evaluate(
            """(select) => {
                const probe = document.createElement("span");
                probe.style.cssText = "position:absolute;visibility:hidden;white-space:pre;font:"
                    + getComputedStyle(select).font;
                document.body.append(probe);
                let widest = 0;
                for (const option of select.options) {
                    probe.textContent = option.text;
                    widest = Math.max(widest, probe.getBoundingClientRect().width);
                }
                probe.remove();
                const style = getComputedStyle(select);
                const room = select.clientWidth - parseFloat(style.paddingLeft)
                    - parseFloat(style.paddingRight) - 16;  // the arrow
                return {widest, room, scroll: select.scrollWidth, client: select.clientWidth};
            }"""
        )
        assert cut["scroll"] <= cut["client"], cut
        assert cut["widest"] <= cut["room"], (n, cut)

    build = page.get_by_role("button", name=BUILD[language])
    expect(build).to_have_count(1)
    in_viewport(page, build)
    build.click()
    expect(page).to_have_url(re.compile(rf"/grids/{grid.pk}/$"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_the_review_shows_its_send_button_on_screen_and_its_json_closed(
    page: Page,
    live_server: Any,
    supervisor: Any,
    crm_grid: Any,
    api: thulium.ThuliumClient,
    language: str,
    size: tuple[int, int],
) -> None:
    grid_review_read(grid=crm_grid, client=api)
    open_as(page, live_server, language, size, f"/grids/{crm_grid.pk}/review/")

    send = page.get_by_role("button", name=SEND[language])
    expect(send).to_have_count(1)
    in_viewport(page, send)
    json = page.locator("details.review__json")
    expect(json).not_to_have_attribute("open", re.compile(".*"))
    expect(json.locator("pre")).to_contain_text('"phone_number": "509708024"')
    expect(json.locator("summary")).to_contain_text("JSON")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_the_campaign_charts_write_each_label_whole_and_clear_of_the_numbers(
    page: Page,
    live_server: Any,
    supervisor: Any,
    campaign: Any,
    language: str,
    size: tuple[int, int],
) -> None:
    open_as(page, live_server, language, size, "/campaigns/thulium/00001/")
    expect(page.locator("#chart-system-statuses .chart__item").first).to_be_visible()

    for chart in page.locator(".chart--bars").all():
        svg = chart.locator("svg").bounding_box()
        assert svg is not None
        items = chart.locator(".chart__item").all()
        assert items
        values = [item.locator(".chart__value").bounding_box() for item in items]
        bars = [item.locator(".chart__bar").bounding_box() for item in items]
        for item in items:
            label = item.locator(".chart__label")
            box = label.bounding_box()
            assert box is not None
            for other in [*values, *bars]:
                assert other is not None
                if other["width"]:
                    assert apart(box, other), (label.text_content(), box, other)
            assert box["x"] >= svg["x"] - 1
            assert box["x"] + box["width"] <= svg["x"] + svg["width"]
            # The label is written whole, as the bar's tooltip names it.
            whole = item.locator(".chart__bar title").text_content() or ""
            assert whole.startswith(f"{label.text_content()}: "), (whole, label.text_content())
