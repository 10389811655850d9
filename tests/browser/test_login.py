"""A supervisor logs in with a real browser and sees the demo campaigns."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import ThuliumSnapshot
from campaigns.tasks import refresh_thulium_snapshot
from tests.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_supervisor_logs_in_and_sees_the_demo_campaigns(
    page: Page, live_server: Any, supervisor: Any, system: Any
) -> None:
    page.goto(live_server.url + "/")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    page.get_by_label("User name").fill("ewa")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
    table = page.locator("#campaign-table table")
    expect(table.get_by_role("row")).to_have_count(6)
    expect(table).to_contain_text("Odnowienia umów — Warszawa")
    expect(table).to_contain_text("Akcja świąteczna 2025 (zakończona)")
    first_row = table.get_by_role("row").nth(1)
    expect(first_row).to_contain_text("00001")
    expect(first_row).to_contain_text("1,500")


def test_refresh_reads_again_and_the_table_updates_in_place_with_htmx(
    page: Page, live_server: Any, supervisor: Any, sandbox: Any, system: Any
) -> None:
    log_in(page, live_server)
    expect(page.locator("#campaign-table table")).to_be_visible()
    sandbox.inject({"kind": "status", "status": 503, "times": 10})

    page.get_by_role("button", name="Refresh").click()
    # The read is queued for the worker; the table polls until it lands.
    table = page.locator("#campaign-table")
    expect(table).to_contain_text("Reading them again…")
    listed = ThuliumSnapshot.objects.get(system=system, thulium_id="")
    assert refresh_thulium_snapshot.call(listed.pk) == "failed"  # the worker's read

    expect(table).to_contain_text("The last read from Thulium failed", timeout=6000)
    expect(table).to_contain_text("is not answering right now")
    expect(page.locator("#campaign-table table")).to_be_visible()  # the figures stay
    expect(page.get_by_role("heading", name="Campaigns")).to_have_count(1)


def test_language_switch_to_polish(
    page: Page, live_server: Any, supervisor: Any, system: Any
) -> None:
    page.goto(live_server.url + "/accounts/login/")

    page.get_by_role("button", name="PL").click()

    expect(page.get_by_role("heading", name="Zaloguj się")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
