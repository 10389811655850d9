"""One stage of bench/run.py, in a process of its own (so its peak memory is its own): the child
run.py starts for each measurement. It reads its arguments, points Django at the stage's
database and the sandbox, sets Django up, and only then imports the stage modules, which import
the project they measure.

    .venv/bin/python bench/stages.py --stage intake-csv --workdir DIR --api URL [--rows N]

The stages live by what they measure: bench/stage_floors.py (the same work with nothing of
ours), bench/stage_intake.py, bench/stage_import_export.py, bench/stage_sending.py (the review's
read, sending, end to end), bench/stage_pages.py, bench/stage_load.py (its clients:
bench/load_client.py) and bench/stage_capacity.py; bench/stage_common.py holds what several of
them use, and prepare.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def arguments() -> Any:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--extra", default="{}")
    parser.add_argument("--load-interval-ms", type=int, default=2000)
    return parser.parse_args()


def configure(args: Any) -> None:
    """The stage's database and the dashboard's settings, in the environment Django reads."""
    workdir = Path(args.workdir)
    template = workdir / "template.sqlite3"
    if os.environ.get("BENCH_SHARED_DB"):
        database = os.environ["BENCH_SHARED_DB"]  # a worker of the stage that started it
    elif args.database_url:
        database = args.database_url
    elif args.stage == "prepare":
        database = f"sqlite:///{template}"
    else:
        # Each stage starts from a copy of the migrated template: no migrate in the timings.
        shutil.copy(template, workdir / f"{args.stage}.sqlite3")
        database = f"sqlite:///{workdir / (args.stage + '.sqlite3')}"
    # Production settings (cached templates, no debug), but plain HTTP on loopback.
    os.environ.update(
        DATABASE_URL=database,
        DEBUG="0",
        SECRET_KEY="bench-only-not-a-secret-" + "x" * 40,
        AUDIT_KEY="bench-only-audit-key-" + "y" * 40,
        # Seals the passwords of the capacity stage's systems (kept in the database).
        CONNECTIONS_KEY="bench-only-connections-key-" + "z" * 40,
        SECURE_COOKIES="0",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="thulium_admin.settings",
        THULIUM_BASE_URL=args.api,
        THULIUM_API_USER="api_user",
        THULIUM_API_PASSWORD="api_pass",
        LOG_LEVEL="ERROR",
        LANGUAGE_CODE="en",
    )


ARGS = arguments()
configure(ARGS)

import django  # noqa: E402

django.setup()

# Every stage by its --only name: the module that holds it and its function there (prepare
# and submit-worker are helpers, not measurements). Only the stage's own module is imported, so
# a stage's peak memory holds no other stage's libraries (django-import-export, gunicorn's
# clients): the intake's RSS is one of the figures.
STAGES = {
    "prepare": ("stage_common", "stage_prepare"),
    "floor-csv": ("stage_floors", "stage_floor_csv"),
    "floor-xlsx": ("stage_floors", "stage_floor_xlsx"),
    "floor-store": ("stage_floors", "stage_floor_store"),
    "floor-sandbox": ("stage_floors", "stage_floor_sandbox"),
    "intake-csv": ("stage_intake", "stage_intake_csv"),
    "intake-xlsx": ("stage_intake", "stage_intake_xlsx"),
    "iex-plain": ("stage_import_export", "stage_iex_plain"),
    "iex-tuned": ("stage_import_export", "stage_iex_tuned"),
    "end-to-end": ("stage_sending", "stage_end_to_end"),
    "pages": ("stage_pages", "stage_pages"),
    "listing": ("stage_sending", "stage_listing"),
    "listing-kept": ("stage_sending", "stage_listing_kept"),
    "submission": ("stage_sending", "stage_submission"),
    "submit-worker": ("stage_sending", "stage_submit_worker"),
    "load": ("stage_load", "stage_load"),
    "capacity": ("stage_capacity", "stage_capacity"),
}


def main() -> None:
    # The stage modules import the project at their top: only now, with Django set up above.
    module, function = STAGES[ARGS.stage]
    result = getattr(import_module(f"bench.{module}"), function)(ARGS, Path(ARGS.workdir))
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
