"""A supervisor downloads the rows that failed, to fix them in a spreadsheet."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.sending import submission_run
from tests.helpers import log_in, queue_sending

pytestmark = pytest.mark.django_db(transaction=True)


def test_download_the_failed_rows_as_csv(
    page: Page,
    live_server: Any,
    supervisor: Any,
    crm_grid: Grid,
    rules: Any,
    api: thulium.ThuliumClient,
    tmp_path: Path,
) -> None:
    submission = queue_sending(grid=crm_grid, author=None, rules=rules)
    submission_run(submission_id=submission.pk, client=api)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/grids/{crm_grid.pk}/")

    page.locator("#download-tools > summary").click()  # the downloads open over the rows
    with page.expect_download() as download:
        page.locator("#downloads").get_by_role("link", name="CSV").nth(1).click()

    assert download.value.suggested_filename == f"crm_export_cp1250-{crm_grid.pk}-results.csv"
    path = tmp_path / "failed.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 8
    assert {r["Outcome [outcome]"] for r in rows} == {"Not sent"}
    assert all(r["Messages [messages]"] for r in rows)
