"""The floors: the same work as ours with nothing of ours. csv.reader alone, the XLSX reader
alone, the rows stored raw into the same table, and the sending's floor (the campaign's listing
and the same batch edits sent straight to the sandbox)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from python_calamine import CalamineWorkbook

from bench.run import make_rows
from bench.stage_common import campaign, timed
from campaigns import thulium
from campaigns.models import Grid, Row


def stage_floor_csv(args: Any, workdir: Path) -> dict[str, Any]:
    data = (workdir / "records.csv").read_bytes()
    seconds, rows = timed(
        lambda: sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8")), delimiter=";"))
    )
    return {"seconds": seconds, "rows": rows - 1}


def stage_floor_xlsx(args: Any, workdir: Path) -> dict[str, Any]:
    path = workdir / "records.xlsx"
    seconds, rows = timed(
        lambda: len(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())
    )
    return {"seconds": seconds, "rows": rows - 1}


def stage_floor_store(args: Any, workdir: Path) -> dict[str, Any]:
    """The rows written into the same table, with the same indexes, and nothing else: the
    values already encoded, one executemany per 2,000 rows on SQLite, COPY on PostgreSQL."""
    grid = Grid.objects.create(campaign=campaign(), source=Grid.Source.FILE)
    rows = make_rows(args.rows)
    columns = ["grid_id", "number", "raw", "values", "messages", "phone", "state", "status_id"]
    columns += ["agent_login", "clears", "unchanged", "problems", "outcome", "outcome_detail"]
    columns += ["kind"]
    encoded = [
        (grid.pk, n, json.dumps(cells), json.dumps({"phone_number": cells[0]}))
        + ("[]", cells[0], "valid", "", "", False, False, "", "", "{}", "")
        for n, cells in enumerate(rows, start=2)
    ]
    table = connection.ops.quote_name(Row._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)

    def store() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in encoded:
                        copy.write_row(row)
                return
            marks = ", ".join(["%s"] * len(columns))
            for start in range(0, len(encoded), 2000):
                cursor.executemany(
                    f"INSERT INTO {table} ({names}) VALUES ({marks})",
                    encoded[start : start + 2000],
                )

    seconds, _ = timed(store)
    return {"seconds": seconds}


def stage_floor_sandbox(args: Any, workdir: Path) -> dict[str, Any]:
    """The sending floor, with no database at all: the campaign's listing read as the sending
    reads it (THULIUM_READ_CONCURRENCY pages at once), then the same batch edits, 500 a request,
    sent straight to the sandbox."""
    config = thulium.ThuliumConfig(base_url=args.api, user="api_user", password="api_pass")
    edits = [
        thulium.RecordEdit(
            phone_number=cells[0],
            status_id="3",
            agent_login=cells[2] or None,
            next_call_date=datetime.strptime(cells[3], "%d.%m.%Y %H:%M"),
            record_fields={"imię": cells[4], "miasto": cells[5]},
        )
        for cells in make_rows(args.rows)
    ]
    concurrency = settings.THULIUM["READ_CONCURRENCY"]
    with thulium.ThuliumClient(config) as client:
        listing, _ = timed(
            lambda: sum(1 for _r in client.iter_records("00001", concurrency=concurrency))
        )
        puts, _ = timed(
            lambda: [
                client.batch_edit("00001", edits[i : i + 500]) for i in range(0, len(edits), 500)
            ]
        )
    return {"seconds": listing + puts, "listing_s": listing, "puts_s": puts}
