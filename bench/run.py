"""Every performance figure of the dashboard, in one run, next to its anchor and its floor.

    .venv/bin/python bench/run.py [--rows 100000] [--quick] [--database-url URL] [--only STAGE,…]
                                  [--load-interval-ms 2000]

Generates its inputs with a fixed seed (a CSV and an XLSX of --rows record changes, a sandbox
campaign holding those records), then runs each measurement in its own process — so each one's
peak memory (RSS) is its own — and prints one table, each figure with its target and its floor;
the figures also go to bench/results/<time>.json. --quick uses 5,000 rows and shorter runs.
Verdicts (met / MISSED) on speed are printed for runs of 100,000 rows or more.

Stages (bench/stages.py runs each one):
  floors        csv.reader alone, the XLSX reader alone, the rows written raw into the same
                table (executemany on SQLite, COPY on PostgreSQL), and the sending floor: the
                campaign's listing and the same batch edits sent straight to the sandbox
  intake        CSV and XLSX to a validated, stored grid (read, map, validate against the
                sandbox campaign, store)
  import-export the same CSV through django-import-export into the same table, plain and tuned
  listing-kept  the campaign's listing read, read and kept (services/listing.py), and loaded back
  end-to-end    a CSV of --rows rows from upload to every row answered (1 worker, in-process)
  pages         a grid page of 100 rows at 1%, 10% and 100% of --rows, the 100 rows alone (time
                and size), and one cell's save
  submission    --rows rows sent to the sandbox with 1, 2 and 4 workers, at 0 and 50 ms latency
  load          8 supervisors at a fixed rate (bench/load_client.py, its own process) against
                gunicorn (--workers 4 --timeout 120) while 1 sending of --rows rows and 1 upload
                of the --rows file run: p50 / p95 per endpoint, errors, rates, CPU
  capacity      only with --only: 8 workers sending to 4 more sandboxes (4 Thulium systems, 50 ms
                a batch edit, --rows / 4 rows each) next to one worker alone

The database is a fresh SQLite file per stage unless --database-url names another (PostgreSQL:
give an empty database; stages share it).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Once the checkout is on the path (run.py runs as a script).
from bench.report import report  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SEED = 20261126
HEADERS = ["Telefon", "Status", "Konsultant", "Następny kontakt", "Imię", "Miasto"]
CITIES = ["Łódź", "Kraków", "Gdańsk", "Wrocław", "Poznań", "Zielona Góra"]
NAMES = ["Łucja", "Żaneta", "Ścibor", "Józef", "Agnieszka", "Mikołaj"]
STATUSES = ["Dzwonić", "Nowy", "Nie dzwonić", "3"]


# --- inputs ---------------------------------------------------------------------------------


def phone(n: int) -> str:
    return f"{600000000 + n}"


def make_rows(count: int) -> list[list[str]]:
    pick = random.Random(SEED)
    return [
        [
            phone(n),
            pick.choice(STATUSES),
            "a.nowak" if n % 3 else "",
            f"{pick.randint(1, 28):02}.12.2030 {pick.randint(8, 17):02}:30",
            pick.choice(NAMES),
            pick.choice(CITIES),
        ]
        for n in range(1, count + 1)
    ]


def write_inputs(workdir: Path, count: int) -> None:
    rows = make_rows(count)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows)
    (workdir / "records.csv").write_text(out.getvalue(), encoding="utf-8")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Rekordy")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(workdir / "records.xlsx")


def sandbox_fixture(count: int) -> dict[str, Any]:
    # Not at the top: sandbox_throughput imports the project's client, and the parent never
    # loads the project (each stage does, in its own process, once Django is set up).
    from bench.sandbox_throughput import fixture

    return fixture(count)


# --- the parent: orchestrate, print, save ---------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated stages to run (default: all but capacity, which runs only if named)",
    )
    parser.add_argument(
        "--load-interval-ms",
        type=int,
        default=2000,
        help="load: each supervisor sends one request every so many ms (default 2000)",
    )
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--extra", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.rows = args.rows or (5_000 if args.quick else 100_000)
    chosen = args.only.split(",") if args.only else DEFAULT_STAGES
    if unknown := set(chosen) - set(STAGE_ORDER):
        parser.error(f"no such stage: {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    print(f"{args.rows:,} rows; inputs in {workdir}", flush=True)
    write_inputs(workdir, args.rows)
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "thulium_sandbox", "--port", "0", "--log-size", "50"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    results: dict[str, Any] = {}
    try:
        api = sandbox.stdout.readline().rsplit(" ", 1)[-1].strip()
        control("POST", api, "fixture", sandbox_fixture(args.rows))
        common = {"workdir": workdir, "api": api, "args": args, "sandbox_pid": sandbox.pid}
        run_child("prepare", **common)
        for stage in STAGE_ORDER:
            if stage not in chosen:
                continue
            print(f"  {stage}…", flush=True)
            results[stage] = run_child(stage, **common)
    finally:
        sandbox.terminate()
        shutil.rmtree(workdir, ignore_errors=True)
    results["meta"] = {
        "rows": args.rows,
        "quick": args.quick,
        "database": "postgresql" if args.database_url.startswith("postgres") else "sqlite",
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "when": datetime.now().isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
    }
    report(results)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now():%Y%m%d-%H%M%S}-{args.rows}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten to {path.relative_to(ROOT)}; whole run {results['meta']['seconds']} s")


def control(method: str, api: str, path: str, body: Any = None) -> Any:
    import requests

    answer = requests.request(
        method, api.removesuffix("api/") + "_sandbox/" + path, json=body, timeout=600
    )
    answer.raise_for_status()
    return answer.json()


def run_child(stage: str, *, workdir: Path, api: str, args: Any, sandbox_pid: int) -> Any:
    command = [
        sys.executable,
        str(ROOT / "bench" / "stages.py"),
        "--stage",
        stage,
        "--rows",
        str(args.rows),
        "--workdir",
        str(workdir),
        "--api",
        api,
        "--load-interval-ms",
        str(args.load_interval_ms),
    ]
    if args.quick:
        command.append("--quick")
    if args.database_url:
        command += ["--database-url", args.database_url]
    sandbox_cpu = cpu_seconds(sandbox_pid)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-5000:], sep="\n")
        raise SystemExit(f"stage {stage} failed")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["sandbox_cpu_s"] = round(cpu_seconds(sandbox_pid) - sandbox_cpu, 2)
    return result


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The stages a run measures, in order (bench/stages.py: prepare and submit-worker are helpers).
STAGE_ORDER = [
    "floor-csv",
    "floor-xlsx",
    "floor-store",
    "floor-sandbox",
    "intake-csv",
    "intake-xlsx",
    "iex-plain",
    "iex-tuned",
    "end-to-end",
    "pages",
    "listing",
    "listing-kept",
    "submission",
    "load",
    "capacity",
]
# Capacity starts four more sandboxes and eight workers: only when --only names it.
DEFAULT_STAGES = [stage for stage in STAGE_ORDER if stage != "capacity"]


if __name__ == "__main__":
    main()
