"""The whole job in Polish, by keyboard: upload, confirm, fix, send, read the results."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import Grid
from tests.helpers import FILES, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def press_on(page: Page, element: Any, key: str = "Enter") -> None:
    element.focus()
    expect(element).to_be_focused()
    page.keyboard.press(key)


def test_a_polish_supervisor_does_the_whole_job_by_keyboard(
    page: Page, live_server: Any, supervisor: Any, campaign: Any, worker: Any
) -> None:
    log_in(page, live_server)
    press_on(page, page.get_by_role("button", name="PL"))  # remembered with the account
    expect(page.locator("html")).to_have_attribute("lang", "pl")

    page.goto(f"{live_server.url}/campaigns/thulium/00001/")
    expect(page.get_by_role("heading", name="W skrócie")).to_be_visible()
    # The one step a browser hands to its own file dialog (itself reachable by keyboard).
    page.locator("#id_file").set_input_files(str(FILES / "crm_export.xlsx"))
    press_on(page, page.get_by_role("button", name="Wczytaj plik"))
    expect(page.get_by_role("heading", name="Potwierdź kolumny")).to_be_visible()
    press_on(page, page.get_by_role("button", name="Utwórz siatkę"))
    expect(page.get_by_role("list", name="Wiersze według stanu")).to_contain_text("Błędy 8")

    grid = Grid.objects.get()
    row = grid.rows.get(number=10)  # "Oddzwonić nie wcześniej niż" without its next call date
    line = page.locator(f"#row-{row.pk}")
    expect(line).to_contain_text("wymaga")
    line.locator("td[data-target=agent_login]").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(line.get_by_label("Data następnego kontaktu")).to_be_focused()
    page.keyboard.type("24.12.2030 10:00")
    page.keyboard.press("Enter")
    expect(line.locator(".badge").first).to_have_text("Poprawny")
    expect(page.get_by_role("list", name="Wiersze według stanu")).to_contain_text("Błędy 7")

    press_on(page, page.get_by_role("button", name=re.compile(r"Przejrzyj wysyłkę \d+ wiersz")))
    expect(page.get_by_role("heading", name=re.compile(r"\d+ wiersz\w* trafi"))).to_be_visible()
    expect(page.locator(".review__changes")).to_contain_text("Oddzwonić nie wcześniej niż")
    press_on(page, page.get_by_role("button", name=re.compile(r"Wyślij \d+ wiersz")))
    expect(page.locator("#sending")).to_contain_text("Zakończona", timeout=30_000)
    expect(page.locator(f"#row-{row.pk} .badge--updated")).to_have_text("Zmieniony")
    expect(page.locator("#chart-outcomes")).to_contain_text("Wiersze według wyniku")
