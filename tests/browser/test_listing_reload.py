"""The grid page reloads when the campaign's records, read in the background, have come: never
while a cell is being edited, which the reload would throw away (found by the Polish keyboard
test under load: the read ended while the date was being typed)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.grids import campaign_listing_read
from tests.helpers import FILES, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_read_ending_waits_for_the_cell_being_typed(
    page: Page, live_server: Any, supervisor: Any, campaign: Any, api: thulium.ThuliumClient
) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/campaigns/{campaign.system.name}/{campaign.thulium_id}/")
    page.locator("#id_file").set_input_files(str(FILES / "crm_export.xlsx"))
    page.get_by_role("button", name="Read the file").click()
    page.get_by_role("button", name="Build the grid").click()
    banner = page.locator("#listing-status")
    expect(banner).to_contain_text("Reading the campaign's records")  # no worker: it waits
    grid = Grid.objects.get()
    row = grid.rows.get(number=10)  # "Oddzwonić nie wcześniej niż" without its next call date
    line = page.locator(f"#row-{row.pk}")
    line.locator("td[data-target=next_call_date]").click()
    editor = line.get_by_label("Next call date")
    expect(editor).to_be_focused()
    editor.type("24.12.2030 10:00")

    campaign_listing_read(campaign=campaign, client=api)  # the worker ends the read
    page.wait_for_timeout(2500)  # the banner asks every second

    expect(editor).to_be_focused()
    expect(editor).to_have_value("24.12.2030 10:00")
    page.keyboard.press("Enter")
    expect(line.locator(".badge").first).not_to_have_text("Has errors")
    # Saved, the page reloads to show what the read tells.
    expect(banner).to_have_count(0)
    row.refresh_from_db()
    assert "24.12.2030 10:00" in row.raw
