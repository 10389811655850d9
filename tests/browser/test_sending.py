"""Send from the page with a real task worker: progress, badges, fix a refused row, resend."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from tests.browser.conftest import log_in
from tests.conftest import Sandbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def grid(campaign: Any, api: thulium.ThuliumClient) -> Grid:
    data = "Telefon;Status;Konsultant\n555123321;3;a.nowak\n123123123;3;\n509708024;Nowy;\n"
    made = grid_create_from_file(
        campaign=campaign, author=None, data=data.encode(), filename="lista.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def test_send_watch_progress_fix_a_refused_row_and_resend(
    page: Page,
    live_server: Any,
    supervisor: Any,
    grid: Grid,
    sandbox: Sandbox,
    worker: Any,
    settings: Any,
) -> None:
    settings.SUBMISSION_CHUNK_SIZE = 1
    sandbox.inject({"kind": "delay", "seconds": 0.7, "times": 3, "method": "PUT"})
    log_in(page, live_server)
    page.goto(f"{live_server.url}/grids/{grid.pk}/")

    page.get_by_role("button", name="Send 3 rows to Thulium").click()

    sending = page.locator("#sending")
    expect(sending.get_by_role("progressbar")).to_be_visible()
    expect(sending).to_contain_text("requests answered")
    # When the job ends the panel reloads the page: every row has its badge.
    expect(sending).to_contain_text("Finished", timeout=20_000)
    refused = page.locator("table.grid tbody tr", has_text="123123123")
    expect(refused.locator(".badge--not_found")).to_have_text("Not found")
    expect(refused).to_contain_text("Thulium: “Record not found.”")
    expect(page.locator("table.grid tbody .badge--updated")).to_have_count(2)

    refused = page.locator("#" + refused.get_attribute("id"))  # the phone is about to change
    refused.locator("td[data-target=phone_number]").click()
    refused.get_by_label("Phone number").fill("111222333")
    page.keyboard.press("Enter")
    expect(page.locator("table.grid tbody tr", has_text="111222333")).to_be_visible()
    page.get_by_role("button", name="Resend the 1 row that failed").click()

    expect(sending).to_contain_text("resend of failed rows")
    expect(sending).to_contain_text("Finished", timeout=20_000)
    expect(page.locator("table.grid tbody .badge--updated")).to_have_count(3)
    assert sandbox.record("00001", "111222333")["status_id"] == "3"
    puts = [r["body"]["records"] for r in sandbox.requests() if r["method"] == "PUT"]
    assert [[r["phone_number"] for r in body] for body in puts][-1] == ["111222333"]
