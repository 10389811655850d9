"""Review and send from the page with a real task worker: progress, badges, fix a row the
review left out, resend."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from tests.helpers import Sandbox, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def grid(campaign: Any, api: thulium.ThuliumClient) -> Grid:
    data = "Telefon;Status;Konsultant\n555123321;3;a.nowak\n123123123;3;\n509708024;Nie dzwonić;\n"
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

    page.get_by_role("button", name="Review sending 3 rows").click()

    # The review read the campaign: the number it lacks is left out, with what will change.
    expect(page.get_by_role("heading", name="2 rows go to Thulium")).to_be_visible()
    expect(page.locator(".review__left-out")).to_contain_text(
        "1 row: Thulium has no record with this number"
    )
    expect(page.locator(".review__changes")).to_contain_text("Kontakt ponowny")
    expect(page.locator(".review__json pre")).to_contain_text('"phone_number": "555123321"')
    page.get_by_role("button", name="Send 2 rows to Thulium").click()

    sending = page.locator("#sending")
    expect(sending.get_by_role("progressbar")).to_be_visible()
    expect(sending).to_contain_text("Requests answered")
    # When the job ends the panel reloads the page: every row has its badge.
    expect(sending).to_contain_text("Finished", timeout=20_000)
    left_out = page.locator("table.grid tbody tr", has_text="123123123")
    expect(left_out.locator(".badge--not_sent")).to_have_text("Not sent")
    expect(left_out).to_contain_text("Thulium has no record with this number")
    expect(page.locator("table.grid tbody .badge--updated")).to_have_count(2)

    left_out = page.locator("#" + left_out.get_attribute("id"))  # the phone is about to change
    left_out.locator("td[data-target=phone_number]").click()
    left_out.get_by_label("Phone number").fill("845400588")
    page.keyboard.press("Enter")
    expect(page.locator("table.grid tbody tr", has_text="845400588")).to_be_visible()
    page.get_by_role("button", name="Review resending 1 row").click()
    expect(page.get_by_role("heading", name="1 row goes to Thulium")).to_be_visible()
    page.get_by_role("button", name="Send 1 row to Thulium").click()

    expect(sending).to_contain_text("resend of failed rows")
    expect(sending).to_contain_text("Finished", timeout=20_000)
    expect(page.locator("table.grid tbody .badge--updated")).to_have_count(3)
    assert sandbox.record("00001", "845400588")["status_id"] == "3"
    puts = [r["body"]["records"] for r in sandbox.requests() if r["method"] == "PUT"]
    assert [[r["phone_number"] for r in body] for body in puts][-1] == ["845400588"]
