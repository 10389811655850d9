"""Make the README's screenshots by driving the real product in a browser: `make screenshots`.

Starts the whole product as `make run` does (the demo command: sandbox with demo data, dashboard,
task worker) on a throw-away database, then, as the demo supervisor, uploads the CRM export from
tests/files, fixes a row, sends the grid and reads the results — taking a picture at each step.
The pictures land in docs/screenshots/; nothing is drawn by hand.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
EXPORT = ROOT / "tests" / "files" / "crm_export.xlsx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def shoot(page: Page, name: str, *, full: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
    print(f"  docs/screenshots/{name}.png")


def tour(page: Page, url: str) -> None:
    page.goto(url + "/accounts/login/")
    shoot(page, "01-login")
    page.get_by_label("User name").fill("supervisor")
    page.get_by_label("Password").fill("supervisor")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
    shoot(page, "02-campaigns")

    page.get_by_role("link", name="Odnowienia umów — Warszawa").click()
    expect(page.locator("#chart-statuses")).to_be_visible()
    shoot(page, "03-campaign", full=True)

    page.get_by_label("File (CSV, XLSX or ODS)").set_input_files(str(EXPORT))
    page.get_by_role("button", name="Read the file").click()
    expect(page.get_by_role("heading", name="Confirm the columns")).to_be_visible()
    shoot(page, "04-mapping")
    page.get_by_role("button", name="Build the grid").click()
    expect(page.get_by_role("heading", name="Grid #")).to_be_visible()
    shoot(page, "05-grid-flagged")

    # Fix a flagged row by keyboard, as a supervisor would: "Mój rekord" needs a next call date.
    flagged = page.locator("tr.row--error", has_text="needs a next call date").first
    flagged.locator("td[data-target=next_call_date]").focus()
    page.keyboard.press("Enter")
    expect(flagged.get_by_label("Next call date")).to_be_focused()
    page.keyboard.type("24.12.2030 10:00")
    page.keyboard.press("Enter")
    expect(page.locator("#counts")).to_contain_text("Errors 7")
    page.locator("table.grid td[data-target]").first.focus()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_be_visible()
    shoot(page, "06-shortcuts")
    page.keyboard.press("Escape")

    page.get_by_role("button", name=re.compile(r"^Review sending \d+ rows?$")).click()
    expect(page.get_by_role("heading", name=re.compile(r"rows? goe?s? to Thulium"))).to_be_visible()
    shoot(page, "07-review")
    page.get_by_role("button", name=re.compile(r"^Send \d+ rows? to Thulium$")).click()
    expect(page.locator("#sending")).to_contain_text("Finished", timeout=60_000)
    page.reload()
    shoot(page, "08-grid-sent", full=True)

    page.get_by_role("link", name="History").first.click()
    expect(page.locator("#chart-sendings")).to_be_visible()
    shoot(page, "09-history")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="screenshots-"))
    port, sandbox_port = free_port(), free_port()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "DEBUG": "1",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "screenshots-only-" + "x" * 40),
        "LANGUAGE_CODE": "en",
    }
    env.pop("THULIUM_BASE_URL", None)  # always the demo sandbox
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    demo = subprocess.Popen(
        [*manage, "demo", "--port", str(port), "--sandbox-port", str(sandbox_port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/healthz")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="en-GB")
            tour(page, url)
            browser.close()
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(timeout=30)


if __name__ == "__main__":
    main()
