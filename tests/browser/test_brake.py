"""Review, send, pause on a field Thulium does not know, remap the column, resume: in a browser."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns import thulium
from campaigns.models import Grid, Outcome, Submission
from campaigns.services.campaigns import campaign_fields_add
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from tests.helpers import Sandbox, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def grid(campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox) -> Grid:
    campaign_fields_add(campaign=campaign, names=["Kolor"])  # Thulium's campaign has no such
    records = sandbox.records("00001")
    held = Counter(r["phone_number"] for r in records)
    phones = [r["phone_number"] for r in records if held[r["phone_number"]] == 1]
    status = {r["phone_number"]: r["status_id"] for r in records}
    phones = [p for p in phones if status[p] != "5"][:25]
    data = "Telefon;Status;Kolor\n" + "".join(f"{p};Nie dzwonić;zielony\n" for p in phones)
    made = grid_create_from_file(
        campaign=campaign, author=None, data=data.encode(), filename="crm.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def test_review_send_pause_remap_and_resume(
    page: Page, live_server: Any, supervisor: Any, grid: Grid, sandbox: Sandbox, worker: Any
) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/grids/{grid.pk}/")

    page.get_by_role("button", name="Review sending 25 rows").click()
    expect(page.get_by_role("heading", name="25 rows go to Thulium")).to_be_visible()
    expect(page.locator(".review__changes")).to_contain_text("Field “Kolor”")
    page.get_by_role("button", name="Send 25 rows to Thulium").click()

    sending = page.locator("#sending")
    expect(sending.locator(".badge--sub-paused").first).to_have_text(
        "Paused: 20 refused, 5 not sent", timeout=20_000
    )
    expect(sending).to_contain_text("Thulium refused 20 of the 20 rows it answered")
    expect(sending).to_contain_text('20 rows: “Record field "Kolor" does not exist')
    assert Counter(grid.rows.values_list("outcome", flat=True)) == {
        Outcome.REJECTED: 20,
        Outcome.NOT_SENT: 5,
    }

    sending.get_by_role("link", name="Remap or ignore the column").click()
    columns = page.locator("#column-tools")
    expect(columns.get_by_label("Where “Kolor” goes")).to_be_visible()
    columns.get_by_label("Where “Kolor” goes").select_option(label="— ignore this column —")
    kolor = columns.locator("tbody tr").filter(has=page.get_by_role("rowheader", name="Kolor"))
    kolor.get_by_role("button", name="Change").click()

    page.get_by_role("button", name="Review and resume").click()
    expect(page.get_by_role("heading", name="25 rows go to Thulium")).to_be_visible()
    expect(page.locator(".review__changes")).not_to_contain_text("Kolor")
    page.get_by_role("button", name="Send 25 rows to Thulium").click()

    expect(sending).to_contain_text("Finished", timeout=20_000)
    expect(page.locator("table.grid tbody .badge--updated")).to_have_count(25)
    resumed = Submission.objects.order_by("-id").first()
    assert resumed.resumes_id == Submission.objects.order_by("id").first().pk
    assert {
        sandbox.record("00001", p)["status_id"] for p in grid.rows.values_list("phone", flat=True)
    } == {"5"}
    page.screenshot(path="/tmp/brake_resumed.png", full_page=False)


def test_the_review_shows_how_far_the_read_of_the_campaign_is(
    page: Page, live_server: Any, supervisor: Any, grid: Grid, sandbox: Sandbox
) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/grids/{grid.pk}/")
    # The listing's 15 pages of 100 records, each slowed down: the read takes a few seconds.
    sandbox.inject(
        {"kind": "delay", "seconds": 0.6, "method": "GET", "path": "/records", "times": 15}
    )

    # Not waiting for the review page: the grid page is what shows the read going on.
    page.on("console", lambda m: print("CONSOLE", m.text))
    page.get_by_role("button", name="Review sending 25 rows").click(no_wait_after=True)

    note = page.locator("#sending .review-progress").first
    expect(note).to_contain_text(re.compile(r"Reading the campaign's records: [\d,]+ of 1,500"))
    expect(page.get_by_role("heading", name="25 rows go to Thulium")).to_be_visible()
    expect(page.locator(".review").first).to_contain_text("1,500 records read in")
