"""The grid page at 1440×900 with a one-megabyte cell and a date stored with a three-digit year:
it shows both, one line a row, and the long cell's whole value opens in the row's panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from campaigns.models import Grid, Row
from tests.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots")


def test_a_long_cell_and_a_malformed_date_leave_the_grid_usable(
    browser: Browser, live_server: Any, supervisor: Any, crm_grid: Grid
) -> None:
    row = crm_grid.rows.get(number=5)
    position = crm_grid.mapping.index("field:miasto")
    long = "Zażółć gęślą jaźń. " * 55_189
    raw = list(row.raw)
    raw[position] = long
    fields = row.values.get("record_fields", {}) | {"miasto": long}
    values = row.values | {"record_fields": fields, "next_call_date": "226-12-24 09:30"}
    Row.objects.filter(pk=row.pk).update(raw=raw, values=values)
    context = browser.new_context(locale="en-GB", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)

    log_in(page, live_server)
    page.goto(f"{live_server.url}/grids/{crm_grid.pk}/")
    line = page.locator(f"#row-{row.pk}")
    expect(line).to_contain_text("226-12-24 09:30")
    expect(line).to_contain_text("Zażółć gęślą jaźń.")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "grid-long-cell-and-malformed-date.png"))
    line.locator("details.notes summary").click()
    line.get_by_role("link", name="The whole value of “Field: miasto”").click()
    # A megabyte comes from the server and is laid out: on a loaded machine (three test workers
    # on two cores) that took longer than expect's own five seconds.
    expect(line.locator(".cell-full__text")).to_contain_text(
        "Zażółć gęślą jaźń. Zażółć", timeout=20_000
    )
    page.screenshot(path=str(SHOTS / "grid-long-cell-whole-value.png"))
    assert len(line.locator(".cell-full__text").inner_text()) >= len(long.strip())
    context.close()
