"""A supervisor chooses *Add or update records* on the campaign page and uploads a CRM export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import Grid
from tests.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_add_or_update_mode_is_chosen_on_the_campaign_page(
    page: Page, live_server: Any, supervisor: Any, campaign: Any, tmp_path: Path
) -> None:
    export = tmp_path / "crm.csv"
    export.write_text(
        "Telefon;Status;Identyfikator;Kolejność\n555123321;3;;\n700100200;3;CRM-1;10\n",
        encoding="utf-8",
    )
    log_in(page, live_server)
    page.get_by_role("link", name="Odnowienia umów — Warszawa").click()

    upload = page.locator("form.work-strip__upload")
    upload.get_by_label("Add or update records").check()
    page.get_by_label("File (CSV, XLSX or ODS)").set_input_files(str(export))
    page.get_by_role("button", name="Read the file").click()

    expect(page.get_by_role("heading", name="Confirm the columns")).to_be_visible()
    expect(page.get_by_label("Identyfikator")).to_have_value("identifier")
    expect(page.get_by_label("Kolejność")).to_have_value("order")
    page.get_by_role("button", name="Build the grid").click()

    expect(page.get_by_role("heading", name="Grid #")).to_be_visible()
    grid = Grid.objects.get()
    assert grid.mode == Grid.Mode.UPSERT
    assert grid.rows_error == 0
