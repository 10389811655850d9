"""The API's reference page draws Swagger UI in a real browser under the dashboard's Content
Security Policy, from the dashboard's own files: nothing is fetched from another host."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_docs_page_draws_every_route_from_our_own_files(page: Page, live_server: Any) -> None:
    asked: list[str] = []
    refused: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    def console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", console)

    page.goto(live_server.url + "/api/v1/docs")

    expect(page.get_by_text("/api/v1/campaigns/{system}/{campaign_id}/grids")).to_be_visible()
    expect(page.locator(".opblock")).to_have_count(12)
    assert [url for url in asked if not url.startswith(live_server.url)] == []
    assert refused == []


def test_a_person_makes_a_token_and_sees_it_once(
    page: Page, live_server: Any, supervisor: Any, system: Any
) -> None:
    log_in(page, live_server)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("CRM nightly")
    page.get_by_role("button", name="Make a token").click()

    secret = page.locator("#token-secret").inner_text()
    assert secret.startswith("thd_")
    expect(page.get_by_role("cell", name="CRM nightly")).to_be_visible()
    page.goto(live_server.url + "/account/tokens/")
    expect(page.get_by_role("cell", name="CRM nightly")).to_be_visible()
    expect(page.get_by_text(secret)).to_have_count(0)
