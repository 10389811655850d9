"""A large sending through a long outage, with nobody acting: does every row end updated?

    .venv/bin/python bench/outage.py [--rows 20000] [--outage-minutes 10] [--database-url URL]

Generates a sandbox campaign of --rows records and a CSV changing each one's status, then runs
`manage.py push_records` on it (the sending in that process, as a script would). After its
first three requests Thulium answers 503 to every batch edit for --outage-minutes minutes (the
sandbox's `for_seconds` fault). Prints push_records' lines with the time each appeared, and
checks at the end that every record holds its new status. Takes the outage's length plus up to
the longest pause (SUBMISSION_OUTAGE_LONGEST_PAUSE, 15 minutes by default) plus the sending.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import control  # noqa: E402
from bench.sandbox_throughput import fixture  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--outage-minutes", type=float, default=10)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-outage-"))
    phones = [f"{600000000 + n}" for n in range(1, args.rows + 1)]
    csv = workdir / "nie-dzwonic.csv"
    csv.write_text("Telefon;Status\n" + "".join(f"{p};Nie dzwonić\n" for p in phones))
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "thulium_sandbox", "--port", "0", "--log-size", "50"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        api = sandbox.stdout.readline().rsplit(" ", 1)[-1].strip()  # type: ignore[union-attr]
        control("POST", api, "fixture", fixture(args.rows))
        control(
            "POST",
            api,
            "faults",
            [
                {"kind": "delay", "seconds": 0, "method": "PUT", "times": 3},
                {
                    "kind": "status",
                    "status": 503,
                    "method": "PUT",
                    "for_seconds": args.outage_minutes * 60,
                },
            ],
        )
        env = {
            **os.environ,
            "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'db.sqlite3'}",
            "THULIUM_BASE_URL": api,
            "THULIUM_API_USER": "api_user",
            "THULIUM_API_PASSWORD": "api_pass",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-not-a-secret"),
            "AUDIT_KEY": os.environ.get("AUDIT_KEY", "bench-only-audit-key-not-a-secret"),
            "LANGUAGE_CODE": "en",
            "LOG_LEVEL": "ERROR",
            "PYTHONUNBUFFERED": "1",  # each line as it is printed, for its time
        }
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        started = time.monotonic()
        push = subprocess.Popen(
            [*manage, "push_records", "00001", str(csv), "--chunk-size", "500"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in push.stdout:  # type: ignore[union-attr]
            if line.startswith(("  {", "  }", "[", "]", '    "')):
                continue  # the review's first rows, as sent
            print(f"{time.monotonic() - started:7.1f} s  {line.rstrip()}", flush=True)
        code = push.wait()
        took = time.monotonic() - started
        records = control("GET", api, "campaigns/00001/records")
        updated = sum(1 for r in records if r["status_id"] == "5")
    finally:
        sandbox.terminate()
    print(
        f"\n{args.rows:,} rows, outage {args.outage_minutes:g} min: push_records exit {code} "
        f"after {took:.0f} s; {updated:,} of {len(records):,} records hold the new status."
    )


if __name__ == "__main__":
    main()
