"""Browser tests: Playwright drives Debian's Chromium against the live test server."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.helpers import Sandbox, start_db_worker, stop_db_worker

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# where an event loop is, unless told the code is in fact synchronous (it is).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Browser tests need Chromium at {CHROMIUM}. Install it with "
            "`sudo apt-get install chromium`, or set CHROMIUM to its path. `make test` does this."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _on_the_sandbox(dashboard_on_the_sandbox: None) -> None:
    """Every page's dashboard talks to this process's sandbox."""


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def worker(sandbox: Sandbox) -> Iterator[subprocess.Popen[bytes]]:
    """A real `db_worker` process running the sending jobs the pages queue."""
    process = start_db_worker(sandbox)
    yield process
    stop_db_worker(process)
