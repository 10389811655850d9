"""One stage of bench/run.py, in a process of its own (so its peak memory is its own): the child
run.py starts for each measurement. It reads its arguments, points Django at the stage's
database and the sandbox, sets Django up, and only then imports the project, which the stages
measure.

    .venv/bin/python bench/stages.py --stage intake-csv --workdir DIR --api URL [--rows N]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
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

# The inputs run.py wrote, and the project, imported once Django is set up above.
from bench.run import CITIES, HEADERS, NAMES, control, make_rows  # noqa: E402
from campaigns import thulium  # noqa: E402
from campaigns.models import (  # noqa: E402
    Grid,
    Outcome,
    Row,
    RowOutcome,
    Submission,
    ThuliumSystem,
)
from campaigns.presentation.row_html import RowRenderer  # noqa: E402
from campaigns.services.campaigns import campaign_fields_add, campaign_for  # noqa: E402
from campaigns.services.connection import thulium_client  # noqa: E402
from campaigns.services.grids import (  # noqa: E402
    campaign_listing_read,
    grid_confirm_mapping,
    grid_create_from_file,
)
from campaigns.services.listing import campaign_listing_fresh, campaign_records_by_phone  # noqa: E402
from campaigns.services.review import grid_review, grid_review_read  # noqa: E402
from campaigns.services.rows import RowFilter, grid_display_columns, grid_row_page  # noqa: E402
from campaigns.services.sending import submission_run  # noqa: E402
from campaigns.services.submissions import submission_create  # noqa: E402
from campaigns.services.validation import campaign_rules  # noqa: E402


def stage_prepare(args: Any, workdir: Path) -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # pages render {% static %}
    return {}


def _system() -> ThuliumSystem:
    """The sandbox, as THULIUM_BASE_URL names it (migrate made it a system)."""
    return ThuliumSystem.objects.get(from_environment=True)


def _campaign() -> Any:

    campaign = campaign_for(system=_system(), thulium_id="00001", name="Benchmark")
    campaign_fields_add(campaign=campaign, names=["imię", "miasto"])
    return campaign


def _timed(work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


def stage_floor_csv(args: Any, workdir: Path) -> dict[str, Any]:
    data = (workdir / "records.csv").read_bytes()
    seconds, rows = _timed(
        lambda: sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8")), delimiter=";"))
    )
    return {"seconds": seconds, "rows": rows - 1}


def stage_floor_xlsx(args: Any, workdir: Path) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook

    path = workdir / "records.xlsx"
    seconds, rows = _timed(
        lambda: len(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())
    )
    return {"seconds": seconds, "rows": rows - 1}


def stage_floor_store(args: Any, workdir: Path) -> dict[str, Any]:
    """The rows written into the same table, with the same indexes, and nothing else: the
    values already encoded, one executemany per 2,000 rows on SQLite, COPY on PostgreSQL."""
    import json as json_module

    from django.db import connection, transaction

    grid = Grid.objects.create(campaign=_campaign(), source=Grid.Source.FILE)
    rows = make_rows(args.rows)
    columns = ["grid_id", "number", "raw", "values", "messages", "phone", "state", "status_id"]
    columns += ["agent_login", "clears", "unchanged", "problems", "outcome", "outcome_detail"]
    columns += ["kind"]
    encoded = [
        (grid.pk, n, json_module.dumps(cells), json_module.dumps({"phone_number": cells[0]}))
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

    seconds, _ = _timed(store)
    return {"seconds": seconds}


def stage_floor_sandbox(args: Any, workdir: Path) -> dict[str, Any]:
    """The sending floor, with no database at all: the campaign's listing read as the sending
    reads it (THULIUM_READ_CONCURRENCY pages at once), then the same batch edits, 500 a request,
    sent straight to the sandbox."""
    from datetime import datetime as moment

    from django.conf import settings

    config = thulium.ThuliumConfig(base_url=args.api, user="api_user", password="api_pass")
    edits = [
        thulium.RecordEdit(
            phone_number=cells[0],
            status_id="3",
            agent_login=cells[2] or None,
            next_call_date=moment.strptime(cells[3], "%d.%m.%Y %H:%M"),
            record_fields={"imię": cells[4], "miasto": cells[5]},
        )
        for cells in make_rows(args.rows)
    ]
    concurrency = settings.THULIUM["READ_CONCURRENCY"]
    with thulium.ThuliumClient(config) as client:
        listing, _ = _timed(
            lambda: sum(1 for _r in client.iter_records("00001", concurrency=concurrency))
        )
        puts, _ = _timed(
            lambda: [
                client.batch_edit("00001", edits[i : i + 500]) for i in range(0, len(edits), 500)
            ]
        )
    return {"seconds": listing + puts, "listing_s": listing, "puts_s": puts}


def stage_end_to_end(args: Any, workdir: Path) -> dict[str, Any]:
    """A CSV from upload to every row answered, as a supervisor does it: read the file,
    confirm its columns, review (one read of the campaign), send with one worker."""

    campaign = _campaign()
    data = (workdir / "records.csv").read_bytes()

    def whole() -> Any:
        made = grid_create_from_file(
            campaign=campaign, author=None, data=data, filename="records.csv"
        )
        with thulium_client(system=_system()) as client:
            grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=client)
            rules = campaign_rules(campaign=campaign, client=client)
            token, _read = _reviewed(grid, client, rules)
            submission = submission_create(grid=grid, author=None, rules=rules, review=token)
            while submission_run(submission_id=submission.pk, client=client).retry_after:
                time.sleep(0.05)
        return Submission.objects.get(pk=submission.pk)

    seconds, done = _timed(whole)
    assert done.state == Submission.State.FINISHED, done.state
    return {"seconds": seconds, "rows": done.rows_total}


def _intake(workdir: Path, name: str) -> dict[str, Any]:

    campaign = _campaign()
    data = (workdir / name).read_bytes()
    upload, grid = _timed(
        lambda: grid_create_from_file(campaign=campaign, author=None, data=data, filename=name)
    )
    with thulium_client(system=_system()) as client:
        confirm, grid = _timed(
            lambda: grid_confirm_mapping(grid=grid, mapping=grid.mapping, client=client)
        )
    return {
        "seconds": upload + confirm,
        "upload_s": upload,
        "confirm_s": confirm,
        "valid": grid.rows_valid + grid.rows_warning,
        "errors": grid.rows_error,
    }


def stage_intake_csv(args: Any, workdir: Path) -> dict[str, Any]:
    return _intake(workdir, "records.csv")


def stage_intake_xlsx(args: Any, workdir: Path) -> dict[str, Any]:
    return _intake(workdir, "records.xlsx")


def _import_export(args: Any, workdir: Path, *, tuned: bool) -> dict[str, Any]:
    """The same CSV through django-import-export into the same table (Row), as its users would
    write it: one Field per column, import_id_fields to match existing rows."""
    import tablib
    from import_export import fields, instance_loaders, resources

    grid = Grid.objects.create(campaign=_campaign(), source=Grid.Source.FILE)

    class Meta:
        model = Row
        fields = ("grid", "number", "phone", "status_id", "agent_login")
        import_id_fields = ("grid", "number")
        if tuned:
            use_bulk = True
            batch_size = 1000
            skip_diff = True
            instance_loader_class = instance_loaders.CachedInstanceLoader

    attributes = {
        "Meta": Meta,
        "grid": fields.Field(attribute="grid_id", column_name="grid"),
        "number": fields.Field(attribute="number", column_name="number"),
        "phone": fields.Field(attribute="phone", column_name="Telefon"),
        "status_id": fields.Field(attribute="status_id", column_name="Status"),
        "agent_login": fields.Field(attribute="agent_login", column_name="Konsultant"),
    }
    RowResource = type("RowResource", (resources.ModelResource,), attributes)

    def work() -> Any:
        text = (workdir / "records.csv").read_text(encoding="utf-8")
        dataset = tablib.Dataset().load(text, format="csv", delimiter=";")
        dataset.append_col([grid.pk] * dataset.height, header="grid")
        dataset.append_col(list(range(2, dataset.height + 2)), header="number")
        return RowResource().import_data(dataset, raise_errors=True)

    seconds, outcome = _timed(work)
    return {"seconds": seconds, "rows": outcome.totals.get("new", 0)}


def stage_iex_plain(args: Any, workdir: Path) -> dict[str, Any]:
    return _import_export(args, workdir, tuned=False)


def stage_iex_tuned(args: Any, workdir: Path) -> dict[str, Any]:
    return _import_export(args, workdir, tuned=True)


def _grid_of(rows: int) -> Any:

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADERS)
    writer.writerows(make_rows(rows))
    made = grid_create_from_file(
        campaign=_campaign(), author=None, data=out.getvalue().encode(), filename=f"{rows}.csv"
    )
    with thulium_client(system=_system()) as client:
        return grid_confirm_mapping(grid=made, mapping=made.mapping, client=client)


def _median_ms(work: Any, repeat: int) -> float:
    work()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def stage_pages(args: Any, workdir: Path) -> dict[str, Any]:
    from django.contrib.auth.models import Group, User
    from django.test import Client

    user = User.objects.create_user("bench", password="x" * 12)
    user.groups.add(Group.objects.get(name="Supervisor"))
    browser = Client()
    browser.force_login(user)
    repeat = 7 if args.quick else 15
    page_ms = {}
    last = None
    for size in (args.rows // 100, args.rows // 10, args.rows):
        grid = _grid_of(size)
        url = f"/grids/{grid.pk}/"
        page_ms[size] = _median_ms(lambda url=url: _ok(browser.get(url)), repeat)
        last = grid
    # The floor: Django's template engine alone, filling a table of as many cells as the page
    # shows (100 rows of 10), each cell with one attribute lookup and one condition.
    from django.template import Context, Template

    table = Template(
        "<table>{% for row in rows %}<tr>{% for cell in row %}"
        "<td{% if cell.level %} class='x'{% endif %}>{{ cell.value }}</td>"
        "{% endfor %}</tr>{% endfor %}</table>"
    )
    cells = [[{"value": f"v{r}-{c}", "level": ""} for c in range(10)] for r in range(100)]
    engine_ms = _median_ms(lambda: table.render(Context({"rows": cells})), repeat)
    row = last.rows.order_by("number")[len(HEADERS)]
    save = f"/grids/{last.pk}/rows/{row.pk}/cell/save/"
    values = iter(NAMES * 100)
    cell_ms = _median_ms(
        lambda: _ok(
            browser.post(
                save,
                {"target": "field:imię", "value": next(values)},
                headers={"HX-Request": "true"},
            )
        ),
        repeat,
    )
    # The rows alone, as the page renders them (renderer built per page, as the view does),
    # and what they weigh: the budget is per 100 rows, at any grid size.

    shown = grid_row_page(last, RowFilter(), size=100).rows

    def rows_html() -> str:
        renderer = RowRenderer(
            last,
            grid_display_columns(last),
            can_edit=True,
            can_see_history=True,
            status_names={},
            agent_names={},
        )
        return renderer.rows(shown)

    rows_ms = _median_ms(rows_html, repeat)
    return {
        "page_ms": page_ms,
        "cell_save_ms": cell_ms,
        "template_floor_ms": engine_ms,
        "rows_ms": rows_ms,
        "rows_kb": len(rows_html().encode()) / 1024,
    }


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.status_code
    return response


def _reviewed(grid: Any, client: Any, rules: Any) -> tuple[str, float]:
    """The review a sending needs: the campaign read once, then the token. (token, read s)"""

    read = grid_review_read(grid=grid, client=client)
    return grid_review(grid=grid, rules=rules).token, read.seconds


def stage_listing(args: Any, workdir: Path) -> dict[str, Any]:
    """Read every record of the campaign (the review's read), 1, 2, 4 and 8 pages at a time,
    with 0 and 20 ms of latency per page."""

    runs = {}
    for latency in (0, 20):
        control("DELETE", args.api, "faults")
        if latency:
            delay = {"kind": "delay", "seconds": latency / 1000, "method": "GET", "times": 10**6}
            control("POST", args.api, "faults", [delay])
        for concurrency in (1, 2, 4, 8):
            with thulium_client(system=_system()) as client:
                seconds, records = _timed(
                    lambda c=client, n=concurrency: sum(
                        1 for _r in c.iter_records("00001", concurrency=n)
                    )
                )
            runs[f"{concurrency}@{latency}"] = {"seconds": seconds, "records": records}
    control("DELETE", args.api, "faults")
    return {"runs": runs}


def stage_listing_kept(args: Any, workdir: Path) -> dict[str, Any]:
    """What keeping the campaign's listing costs (services/listing.py): the read alone, the
    read kept for the grids of the next minutes, and the kept read loaded back (the mapping's
    and the review's side), 4 pages at a time, no latency."""

    campaign = _campaign()
    control("DELETE", args.api, "faults")
    with thulium_client(system=_system()) as client:
        read, records = _timed(lambda: campaign_records_by_phone(client, campaign))
        kept, _listing = _timed(lambda: campaign_listing_read(campaign=campaign, client=client))
    loaded, listing = _timed(lambda: campaign_listing_fresh(campaign))
    assert listing is not None
    return {
        "records": sum(len(found) for found in records.values()),
        "read_s": read,
        "read_and_keep_s": kept,
        "load_s": loaded,
    }


def stage_submission(args: Any, workdir: Path) -> dict[str, Any]:
    """Send the same grid again and again: 1, 2 and 4 worker processes, 0 and 50 ms latency.
    Each sending is reviewed first (the campaign read once); the sending reuses that read."""

    grid = _grid_of(args.rows)
    with thulium_client(system=_system()) as client:
        rules = campaign_rules(campaign=grid.campaign, client=client)
    runs = {}
    for latency in (0, 50):
        control("DELETE", args.api, "faults")
        if latency:
            delay = {"kind": "delay", "seconds": latency / 1000, "method": "PUT", "times": 10**6}
            control("POST", args.api, "faults", [delay])
        for workers in (1, 2, 4):
            grid.rows.update(outcome=Outcome.NONE, outcome_detail={})
            with thulium_client(system=_system()) as client:
                token, read_s = _reviewed(grid, client, rules)
            submission = submission_create(grid=grid, author=None, rules=rules, review=token)
            procs = [
                start_sender(args, workdir, submission.pk, helper=bool(i)) for i in range(workers)
            ]
            for proc in procs:
                proc.wait(timeout=900)
            done = Submission.objects.get(pk=submission.pk)
            assert done.state == Submission.State.FINISHED, done.state
            send_s = (done.finished_at - done.started_at).total_seconds()
            runs[f"{workers}@{latency}"] = {
                "total_s": read_s + send_s,
                "read_s": read_s,
                "send_s": send_s,
                "rows": done.rows_total,
            }
    control("DELETE", args.api, "faults")
    return {"runs": runs}


def start_sender(
    args: Any, workdir: Path, submission_id: int, *, helper: bool
) -> subprocess.Popen[bytes]:
    """A process that sends chunks of the submission (submit-worker), on this stage's database."""
    command = [sys.executable, __file__, "--stage", "submit-worker", "--workdir", str(workdir)]
    command += ["--api", args.api, "--rows", str(args.rows)]
    command += ["--extra", json.dumps({"submission": submission_id, "helper": helper})]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        env=os.environ | {"BENCH_SHARED_DB": os.environ["DATABASE_URL"], "SUBMISSION_WORKERS": "4"},
    )


def stage_submit_worker(args: Any, workdir: Path) -> dict[str, Any]:

    extra = json.loads(args.extra)
    with thulium_client(system=_system()) as client:
        while True:
            result = submission_run(
                submission_id=extra["submission"], client=client, helper=extra["helper"]
            )
            if result.retry_after is None:
                return {"state": result.state}
            time.sleep(min(result.retry_after, 0.2))


def stage_load(args: Any, workdir: Path) -> dict[str, Any]:
    """gunicorn on loopback; 10 supervisor threads browse grid pages and save cells while
    another process takes in a file and workers send a grid."""
    import requests
    from django.contrib.auth.models import Group, User

    seconds = 6 if args.quick else 30
    grids = [_grid_of(max(args.rows // 10, 200)) for _ in range(2)]
    big = _grid_of(args.rows)
    for n in range(10):
        user = User.objects.create_user(f"s{n}", password="bench-password-1")
        user.groups.add(Group.objects.get(name="Supervisor"))
    env = os.environ | {"SUBMISSION_WORKERS": "2"}
    with socket_port() as port:
        pass
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "thulium_admin.wsgi",
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    background: list[subprocess.Popen[bytes]] = []
    timings: dict[str, list[float]] = defaultdict(list)
    errors = 0
    lock = threading.Lock()
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz")
        # Background load: a file taken in by the command line, and a grid being sent.
        background.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "push_records",
                    "00001",
                    str(workdir / "records.csv"),
                    "--dry-run",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        with thulium_client(system=_system()) as client:
            rules = campaign_rules(campaign=big.campaign, client=client)
            token, _read_s = _reviewed(big, client, rules)
        submission = submission_create(grid=big, author=None, rules=rules, review=token)
        for helper in (False, True):
            background.append(start_sender(args, workdir, submission.pk, helper=helper))
        stop = time.monotonic() + seconds

        def supervisor(n: int) -> None:
            nonlocal errors
            session = requests.Session()
            login = session.get(base + "/accounts/login/")
            token = session.cookies["csrftoken"]
            session.post(
                base + "/accounts/login/",
                data={
                    "username": f"s{n}",
                    "password": "bench-password-1",
                    "csrfmiddlewaretoken": token,
                },
                headers={"Referer": login.url},
            )
            grid = grids[n % 2]
            row_ids = list(grid.rows.order_by("number").values_list("id", flat=True)[:100])
            pick = random.Random(n)
            while time.monotonic() < stop:
                for name, method, url, data in (
                    ("grid page", "get", f"/grids/{grid.pk}/", None),
                    ("grid page, filtered", "get", f"/grids/{grid.pk}/?show=errors", None),
                    (
                        "cell save",
                        "post",
                        f"/grids/{grid.pk}/rows/{pick.choice(row_ids)}/cell/save/",
                        {
                            "target": "field:miasto",
                            "value": pick.choice(CITIES),
                            "csrfmiddlewaretoken": session.cookies["csrftoken"],
                        },
                    ),
                    ("campaign page", "get", "/campaigns/thulium/00001/", None),
                ):
                    started = time.perf_counter()
                    answer = session.request(
                        method,
                        base + url,
                        data=data,
                        headers={"HX-Request": "true"} if method == "post" else {},
                    )
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        timings[name].append(elapsed)
                        errors += answer.status_code >= 500

        threads = [threading.Thread(target=supervisor, args=(n,)) for n in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Proof that the background work ran alongside: rows the sending got answers for.
        answered = RowOutcome.objects.filter(submission_id=submission.pk).count()
    finally:
        for proc in background:
            proc.terminate()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "seconds": seconds,
        "errors_5xx": errors,
        "background_rows_answered": answered,
        "endpoints": {
            name: {"count": len(v), "p50": pct(v, 0.5), "p95": pct(v, 0.95)}
            for name, v in timings.items()
        },
    }


class socket_port:
    """A free loopback port."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        return None


def wait_for(url: str) -> None:
    import requests

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


STAGES = {
    "prepare": stage_prepare,
    "floor-csv": stage_floor_csv,
    "floor-xlsx": stage_floor_xlsx,
    "floor-store": stage_floor_store,
    "floor-sandbox": stage_floor_sandbox,
    "intake-csv": stage_intake_csv,
    "intake-xlsx": stage_intake_xlsx,
    "iex-plain": stage_iex_plain,
    "iex-tuned": stage_iex_tuned,
    "end-to-end": stage_end_to_end,
    "pages": stage_pages,
    "listing": stage_listing,
    "listing-kept": stage_listing_kept,
    "submission": stage_submission,
    "submit-worker": stage_submit_worker,
    "load": stage_load,
}
# The stages a run measures, in order (prepare and submit-worker are helpers).


def main() -> None:
    result = STAGES[ARGS.stage](ARGS, Path(ARGS.workdir))
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
