"""A viewer follows one phone number through the history."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.sending import submission_run
from tests.helpers import log_in, queue_sending

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_phone_numbers_timeline(
    page: Page,
    live_server: Any,
    viewer: Any,
    crm_grid: Grid,
    rules: Any,
    api: thulium.ThuliumClient,
) -> None:
    submission = queue_sending(grid=crm_grid, author=None, rules=rules)
    submission_run(submission_id=submission.pk, client=api)
    log_in(page, live_server, "wiktor")

    page.goto(f"{live_server.url}/grids/{crm_grid.pk}/?phone=845400588")
    first = page.locator("table.grid tbody tr").first
    first.locator(".notes summary").click()
    first.get_by_role("link", name="History").click()

    expect(page.get_by_role("heading", name="Phone number 845400588")).to_be_visible()
    entry = page.locator(".timeline li").first
    expect(entry.locator(".badge")).to_have_text("Updated")
    expect(entry).to_contain_text("Odnowienia umów — Warszawa")
    expect(entry.get_by_role("row", name="Agent")).to_contain_text("a.nowak")
    expect(entry.get_by_role("row", name="Next call date")).to_contain_text("24/12/2030 09:30")
