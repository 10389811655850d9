"""axe-core checks every main page in the browser: no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from campaigns.models import Grid
from tests.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()


def serious_violations(page: Page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_the_login_page(page: Page, live_server: Any) -> None:
    page.goto(live_server.url + "/accounts/login/")

    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["en", "pl"])
def test_every_main_page(
    page: Page, live_server: Any, supervisor: Any, crm_grid: Grid, language: str
) -> None:
    log_in(page, live_server)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    row = crm_grid.rows.get(number=4)
    pages = [
        "/",
        "/campaigns/thulium/00001/",
        f"/grids/{crm_grid.pk}/",
        f"/grids/{crm_grid.pk}/?show=errors",
        f"/grids/{crm_grid.pk}/rows/{row.pk}/edit/",
        "/history/",
        f"/history/phone/{row.phone}/",
    ]
    found = {}
    for path in pages:
        page.goto(live_server.url + path)
        if path == "/campaigns/thulium/00001/":
            expect(page.locator("#chart-statuses")).to_be_visible()  # the charts have loaded
        found[path] = serious_violations(page)

    assert found == {path: [] for path in pages}


def test_the_grid_with_its_editor_and_shortcut_list_open(
    page: Page, live_server: Any, supervisor: Any, crm_grid: Grid
) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/grids/{crm_grid.pk}/")
    page.locator("table.grid td[data-target=status]").first.click()
    expect(page.locator("form.cell-editor")).to_have_count(1)
    with_editor = serious_violations(page)

    page.keyboard.press("Escape")
    expect(page.locator("form.cell-editor")).to_have_count(0)
    page.locator("table.grid td[data-target]").first.focus()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_be_visible()

    assert with_editor == []
    assert serious_violations(page) == []
