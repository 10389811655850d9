"""The campaign page leads with the work: the ways in sit in one strip at the top, and the newest
grids and sendings are on screen without scrolling, at 1440×900 and at 1280×800, in both
languages. Its figures from Thulium say how old they are, and a refresh swaps the new ones in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from campaigns.models import Submission, ThuliumSnapshot
from campaigns.services.connection import thulium_client
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.tasks import refresh_thulium_snapshot
from tests.helpers import FILES, Sandbox, log_in

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(1440, 900), (1280, 800)]
WORDS = {
    "en": {"grids": "Grids", "sendings": "Sendings", "pull": "Start from Thulium"},
    "pl": {"grids": "Siatki", "sendings": "Wysyłki", "pull": "Zacznij od Thulium"},
}


def on_screen(page: Page, element: Locator) -> None:
    """The element is inside the viewport as the page opens, unscrolled."""
    box = element.bounding_box()
    assert box is not None
    viewport = page.viewport_size
    assert viewport is not None
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= viewport["height"], (element, box, viewport)
    assert box["x"] + box["width"] <= viewport["width"], (element, box, viewport)


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_work_is_on_screen_without_scrolling(
    page: Page,
    live_server: Any,
    supervisor: Any,
    sent: Any,
    crm_grid: Any,
    language: str,
    width: int,
    height: int,
) -> None:
    # More grids than the page lists before "show all": the newest come first.
    with thulium_client(system=crm_grid.campaign.system) as client:
        for _ in range(6):
            made = grid_create_from_file(
                campaign=crm_grid.campaign,
                author=None,
                data=(FILES / "crm_export.xlsx").read_bytes(),
                filename="crm_export.xlsx",
            )
            newest = grid_confirm_mapping(grid=made, mapping=made.mapping, client=client)
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, live_server)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/campaigns/thulium/00001/")
    words = WORDS[language]

    on_screen(page, page.locator("#id_file"))
    on_screen(page, page.locator(".work-strip__upload button[type=submit]"))
    on_screen(page, page.get_by_text(words["pull"], exact=True))
    grids = page.locator("section[aria-labelledby=grids-heading]")
    on_screen(page, grids.get_by_role("heading", name=words["grids"]))
    on_screen(page, grids.locator("tbody tr").first)
    expect(grids.locator("tbody tr").first).to_contain_text(re.compile(rf"(#|nr ){newest.pk}\b"))
    expect(grids.locator("tbody tr")).to_have_count(5)
    sendings = page.locator("section[aria-labelledby=sendings-heading]")
    on_screen(page, sendings.get_by_role("heading", name=words["sendings"]))
    on_screen(page, sendings.locator("tbody tr").first)
    expect(sendings.locator("tbody tr").first).to_contain_text(
        re.compile(rf"(#|nr ){Submission.objects.latest('id').pk}\b")
    )

    # "Show all" lists every grid; the pull form opens over the page from its button.
    grids.locator("a[href*='all=grids']").click()
    expect(page.locator("section[aria-labelledby=grids-heading] tbody tr")).to_have_count(7)
    page.get_by_text(words["pull"], exact=True).click()
    expect(page.locator("form.form--pull")).to_be_visible()


def test_refresh_now_swaps_the_new_figures_in_when_the_read_lands(
    page: Page,
    live_server: Any,
    supervisor: Any,
    campaign: Any,
    sandbox: Sandbox,
    demo_world: dict[str, Any],
) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/campaigns/thulium/00001/")
    age = page.locator("#figures-age")
    charts = page.locator("#campaign-charts")
    expect(age).to_contain_text("Figures from Thulium as of")
    expect(charts).to_contain_text("Nowy")
    # Thulium renames a status meanwhile: the page shows what it read until asked again.
    demo_world["campaigns"][0]["statuses"][0]["name"] = "Nowy kontakt"
    sandbox.load(demo_world)

    age.get_by_role("button", name="Refresh now").click()
    expect(age).to_contain_text("Reading them again…")
    expect(charts).not_to_contain_text("Nowy kontakt")
    figures = ThuliumSnapshot.objects.get(thulium_id="00001")
    assert refresh_thulium_snapshot.call(figures.pk) == "read"  # the worker's read

    expect(charts).to_contain_text("Nowy kontakt", timeout=6000)  # the figures poll every 2 s
    expect(age.get_by_role("button", name="Refresh now")).to_be_visible()
    expect(age).to_contain_text("Figures from Thulium as of")
