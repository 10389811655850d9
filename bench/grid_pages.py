"""Grid page times at 100 rows and at 100,000 rows: the keyset pages must not slow down.

    .venv/bin/python bench/grid_pages.py [--rows 100000] [--repeat 15]

Builds both grids in a throwaway SQLite database (or DATABASE_URL), then times the first page, a
page near the end, and a filtered, sorted page, through Django's test client, in this process.
Prints medians and the big/small ratio for each, all measured in this run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thulium_admin.settings")
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "thulium_sandbox", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    api_url = sandbox.stdout.readline().rsplit(" ", 1)[-1].strip()
    os.environ.update(
        THULIUM_BASE_URL=api_url, THULIUM_API_USER="api_user", THULIUM_API_PASSWORD="api_pass"
    )
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from campaigns.services.connection import thulium_client
    from campaigns.services.grids import campaign_for, grid_confirm_mapping, grid_create_from_file

    settings.ALLOWED_HOSTS = ["testserver"]
    try:
        call_command("migrate", verbosity=0)
        campaign = campaign_for(thulium_id="00001", name="bench")
        grids = {}
        for rows in (100, args.rows):
            lines = ["Telefon;Status"]
            lines += [
                f"{600000000 + i};{'Kontakt ponowny' if i % 7 else 'Xyz'}" for i in range(rows)
            ]
            made = grid_create_from_file(
                campaign=campaign, author=None, data="\n".join(lines).encode(), filename="b.csv"
            )
            with thulium_client() as client:
                grids[rows] = grid_confirm_mapping(grid=made, mapping=made.mapping, client=client)
        user = get_user_model().objects.create_user("bench", password="x")
        browser = Client()
        browser.force_login(user)

        def timed(url: str) -> float:
            browser.get(url)  # warm
            samples = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                assert browser.get(url).status_code == 200
                samples.append(time.perf_counter() - started)
            return statistics.median(samples)

        print(f"grid page medians over {args.repeat} requests; {django.db.connection.vendor}")
        for label, query in (
            ("first page", ""),
            ("near the end", "after={last}~{last_id}"),
            ("errors, sorted by phone", "show=errors&sort=phone"),
        ):
            results = []
            for grid in grids.values():
                last_row = grid.rows.order_by("-number").values_list("number", "id")[50]
                url = f"/grids/{grid.pk}/?" + query.format(last=last_row[0], last_id=last_row[1])
                results.append(timed(url))
            small, big = results
            print(
                f"  {label:26} {small * 1000:7.1f} ms at 100 rows, {big * 1000:7.1f} ms at "
                f"{args.rows:,}: ratio {big / small:.2f}"
            )
    finally:
        sandbox.terminate()


if __name__ == "__main__":
    main()
