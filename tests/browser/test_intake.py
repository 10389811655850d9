"""A supervisor uploads a CRM export, confirms the columns and sees the flagged rows."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.helpers import FILES, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_confirm_mapping_and_see_flagged_rows(
    page: Page, live_server: Any, supervisor: Any, campaign: Any
) -> None:
    log_in(page, live_server)
    page.get_by_role("link", name="Odnowienia umów — Warszawa").click()

    page.get_by_label("File (CSV, XLSX or ODS)").set_input_files(str(FILES / "crm_export.xlsx"))
    page.get_by_role("button", name="Read the file").click()

    expect(page.get_by_role("heading", name="Confirm the columns")).to_be_visible()
    expect(page.get_by_label("Numer telefonu")).to_have_value("phone_number")
    expect(page.get_by_label("Imię")).to_have_value("field:imię")
    page.get_by_label("Uwagi").select_option("field:pole1")
    page.get_by_role("button", name="Build the grid").click()

    expect(page.get_by_role("heading", name="Grid #")).to_be_visible()
    counts = page.get_by_role("list", name="Rows by state")
    expect(counts).to_contain_text("Errors 8")
    # "Uwagi" now feeds pole1, so the row with only a note changes something: valid.
    expect(counts).to_contain_text("Valid 6")
    page.get_by_role("link", name="Errors 8").click()
    expect(page.locator("tr.row--error")).to_have_count(8)
    expect(page.locator("table.grid tbody")).to_contain_text(
        "Status “Mój rekord” needs an agent and a next call date."
    )
    expect(page.locator("table.grid tbody")).to_contain_text(
        "Agent “j.doe” is not in this campaign."
    )
