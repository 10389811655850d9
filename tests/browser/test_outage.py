"""An outage seen in a browser: the panel says the sending waits for Thulium (never that
Thulium refused anything), then that it resumed by itself and finished, with a real worker."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns import thulium
from campaigns.models import Grid, Outcome
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from tests.helpers import Sandbox, log_in, start_db_worker, stop_db_worker

pytestmark = pytest.mark.django_db(transaction=True)

TRIES = 3  # tries the outage outlasts, a second or two apart


@pytest.fixture
def grid(campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox) -> Grid:
    records = sandbox.records("00001")
    held = Counter(r["phone_number"] for r in records)
    phones = [r["phone_number"] for r in records if held[r["phone_number"]] == 1]
    status = {r["phone_number"]: r["status_id"] for r in records}
    phones = [p for p in phones if status[p] != "5"][:45]
    data = "Telefon;Status\n" + "".join(f"{p};Nie dzwonić\n" for p in phones)
    made = grid_create_from_file(
        campaign=campaign, author=None, data=data.encode(), filename="a.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


@pytest.fixture
def patient_worker(sandbox: Sandbox) -> Iterator[Any]:
    """A real db_worker whose client does not retry on its own, waiting 1–2 s an outage try."""
    process = start_db_worker(
        sandbox,
        THULIUM_MAX_RETRIES="0",
        SUBMISSION_OUTAGE_FIRST_PAUSE="1",
        SUBMISSION_OUTAGE_LONGEST_PAUSE="2",
        SUBMISSION_CHUNK_SIZE="10",
    )
    yield process
    stop_db_worker(process)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            {
                "review": "Review sending 45 rows",
                "send": "Send 45 rows to Thulium",
                "waiting": "Thulium did not answer (503) since",
                "finished": "Finished: 45 updated",
            },
        ),
        (
            "pl",
            {
                "review": "Przejrzyj wysyłkę 45 wierszy",
                "send": "Wyślij 45 wierszy do Thulium",
                "waiting": "Thulium nie odpowiedział (503) od",
                "finished": "Zakończona: 45 zmienionych",
            },
        ),
    ],
)
def test_an_outage_shows_as_waiting_then_the_sending_resumes_and_finishes_by_itself(
    page: Page,
    live_server: Any,
    supervisor: Any,
    grid: Grid,
    sandbox: Sandbox,
    patient_worker: Any,
    language: str,
    words: dict[str, str],
) -> None:
    log_in(page, live_server)
    if language == "pl":
        page.get_by_role("button", name="PL").click()  # remembered with the account
        expect(page.locator("html")).to_have_attribute("lang", "pl")
    page.goto(f"{live_server.url}/grids/{grid.pk}/")
    page.get_by_role("button", name=words["review"]).click()
    # The canary goes through; then Thulium answers 503 for a while.
    sandbox.inject(
        {"kind": "delay", "seconds": 0, "method": "PUT", "times": 1},
        {"kind": "status", "status": 503, "method": "PUT", "times": TRIES},
    )
    page.get_by_role("button", name=words["send"]).click()

    sending = page.locator("#sending")
    expect(sending).to_contain_text(words["waiting"], timeout=20_000)
    expect(sending.locator(".badge--sub-waiting").first).to_be_visible()
    # It says nothing was refused, and nowhere that anything was.
    text = sending.inner_text().lower()
    text = text.replace("nothing was refused", "").replace("nic nie zostało odrzucone", "")
    assert "refused" not in text
    assert "odrzuc" not in text
    page.screenshot(path=f"/tmp/outage_waiting_{language}.png")

    expect(sending).to_contain_text(words["finished"], timeout=30_000)
    expect(page.locator("table.grid tbody .badge--updated")).to_have_count(45)
    assert set(grid.rows.values_list("outcome", flat=True)) == {Outcome.UPDATED}
    page.screenshot(path=f"/tmp/outage_finished_{language}.png")
