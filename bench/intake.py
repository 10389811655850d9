"""Intake of a large file: read, store, validate — next to bare CSV parsing of the same bytes.

    .venv/bin/python bench/intake.py [--rows 100000]

Uses a throwaway SQLite database (or DATABASE_URL when set) and its own sandbox process for the
campaign's statuses and agents. Prints seconds per stage and the ratio of the whole intake to
`csv.reader` alone, both measured in this run.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
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
    args = parser.parse_args()

    tmp = tempfile.mkdtemp()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thulium_admin.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from campaigns import thulium
    from campaigns.services.grids import (
        campaign_fields_add,
        campaign_for,
        grid_confirm_mapping,
        grid_create_from_file,
        intake_limits,
    )
    from campaigns.spreadsheets import read_table

    call_command("migrate", verbosity=0)
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "thulium_sandbox", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        api_url = sandbox.stdout.readline().rsplit(" ", 1)[-1].strip()
        lines = ["Telefon;Status;Konsultant;Następny kontakt;Imię;Miasto"]
        lines += [
            f"{600000000 + i};Kontakt ponowny;a.nowak;24.12.2030 09:30;Łucja;Łódź"
            for i in range(args.rows)
        ]
        data = "\n".join(lines).encode("cp1250")
        campaign = campaign_for(thulium_id="00001", name="bench")
        campaign_fields_add(campaign=campaign, names=["imię", "miasto"])

        started = time.perf_counter()
        rows = sum(1 for _ in csv.reader(io.StringIO(data.decode("cp1250")), delimiter=";"))
        bare = time.perf_counter() - started

        started = time.perf_counter()
        read_table(data, "bench.csv", limits=intake_limits())
        reading = time.perf_counter() - started

        started = time.perf_counter()
        grid = grid_create_from_file(campaign=campaign, author=None, data=data, filename="b.csv")
        stored = time.perf_counter() - started

        config = thulium.ThuliumConfig(base_url=api_url, user="api_user", password="api_pass")
        started = time.perf_counter()
        with thulium.ThuliumClient(config) as client:
            grid_confirm_mapping(grid=grid, mapping=grid.mapping, client=client)
        validated = time.perf_counter() - started
    finally:
        sandbox.terminate()

    total = stored + validated
    print(f"{rows - 1:,} rows, {len(data) / 1e6:.1f} MB, {django.db.connection.vendor}")
    print(f"  csv.reader alone:           {bare:6.2f} s")
    print(f"  read_table (detect, text):  {reading:6.2f} s")
    print(f"  upload (read + store):      {stored:6.2f} s")
    print(f"  confirm (validate + store): {validated:6.2f} s")
    print(f"  intake total:               {total:6.2f} s = {args.rows / total:,.0f} rows/s")
    print(f"  intake / csv.reader ratio:  {total / bare:6.1f}")


if __name__ == "__main__":
    main()
