"""The table bench/run.py prints: every figure of a run next to its target and its floor or
anchor (a run of some stages, --only, prints the lines it has figures for)."""

from __future__ import annotations

from typing import Any


def report(r: dict[str, Any]) -> None:
    """Print the table; a run of some stages (--only) prints the lines it has figures for."""
    n = r["meta"]["rows"]
    big = n >= 100_000
    lines: list[tuple[str, str, str, str]] = []

    def add(what: str, figure: str, target: str = "", floor: str = "") -> None:
        lines.append((what, figure, target.rstrip(), floor))

    def verdict(value: float, limit: float) -> str:
        return "" if not big else ("met" if value <= limit else "MISSED")

    def at_least(value: float, limit: float) -> str:
        return "" if not big else ("met" if value >= limit else "MISSED")

    def floor(key: str, text: str) -> str:
        found = r.get(f"floor-{key}")
        return text % found["seconds"] if found else ""

    if "intake-csv" in r:
        csv_intake = r["intake-csv"]
        store = r.get("floor-store", {}).get("seconds")
        ratio = f", {csv_intake['seconds'] / store:.1f}× raw store" if store else ""
        add(
            f"CSV {n:,} rows → validated grid",
            f"{csv_intake['seconds']:.2f} s ({n / csv_intake['seconds']:,.0f} rows/s{ratio})",
            ", ".join(
                f"{limit} {verdict(value, bound)}".rstrip()
                for limit, value, bound in (
                    ("≤ 3× raw store", csv_intake["seconds"] / store if store else 0, 3),
                    ("≤ 5 s", csv_intake["seconds"], 5),
                )
                if store or limit == "≤ 5 s"
            ),
            "; ".join(
                f
                for f in (
                    floor("csv", "csv.reader %.2f s"),
                    floor("store", "raw store %.2f s"),
                )
                if f
            ),
        )
        add(
            "  of which: read + store / validate + store",
            f"{csv_intake['upload_s']:.2f} s / {csv_intake['confirm_s']:.2f} s",
        )
    if "intake-xlsx" in r:
        add(
            f"XLSX {n:,} rows → validated grid",
            f"{r['intake-xlsx']['seconds']:.2f} s",
            f"≤ 6 s {verdict(r['intake-xlsx']['seconds'], 6)}",
            floor("xlsx", "XLSX reader %.2f s"),
        )
    if {"intake-csv", "iex-plain", "iex-tuned"} <= r.keys():
        ours, plain, tuned = r["intake-csv"], r["iex-plain"], r["iex-tuned"]
        ratio = tuned["seconds"] / ours["seconds"]
        add(
            "django-import-export, plain ModelResource",
            f"{plain['seconds']:.2f} s ({plain['seconds'] / ours['seconds']:.1f}× ours)",
            "",
            "anchor: ~74 s at 100k on 2 cores",
        )
        add(
            "django-import-export, tuned (bulk, skip_diff, cached loader)",
            f"{tuned['seconds']:.2f} s ({ratio:.1f}× ours)",
            f"ours ≥ 10× faster {'met' if ratio >= 10 else 'MISSED' if big else ''}",
            "anchor: 8–50 s at 100k",
        )
        add(
            "peak RSS: import-export plain / tuned",
            f"{plain['rss_mb']:.0f} MB / {tuned['rss_mb']:.0f} MB",
        )
    if intakes := [kind for kind in ("csv", "xlsx") if f"intake-{kind}" in r]:
        rss = [r[f"intake-{kind}"]["rss_mb"] for kind in intakes]
        add(
            "peak RSS: " + " / ".join(f"{kind.upper()} intake" for kind in intakes),
            " / ".join(f"{mb:.0f} MB" for mb in rss),
            f"≤ 250 MB {verdict(max(rss), 250)}".rstrip(),
            f"csv.reader process {r['floor-csv']['rss_mb']:.0f} MB" if "floor-csv" in r else "",
        )
    if "pages" in r:
        pages = r["pages"]
        for size, ms in pages["page_ms"].items():
            add(
                f"grid page (100 rows) in a {int(size):,}-row grid",
                f"{ms:.1f} ms",
                f"≤ 30 ms {verdict(ms, 30)}",
                f"template engine, bare 100×10 table: {pages['template_floor_ms']:.1f} ms",
            )
        if "rows_ms" in pages:
            add(
                "100 rows rendered (row_html, server time)",
                f"{pages['rows_ms']:.1f} ms, {pages['rows_kb']:.0f} KB",
                f"≤ 20 ms {verdict(pages['rows_ms'], 20)}".rstrip()
                + f", ≤ 60 KB {verdict(pages['rows_kb'], 60)}",
                f"template engine, bare 100×10 table: {pages['template_floor_ms']:.1f} ms",
            )
        add(
            "cell save (htmx round trip)",
            f"{pages['cell_save_ms']:.1f} ms",
            f"≤ 30 ms {verdict(pages['cell_save_ms'], 30)}",
        )
    if "listing" in r:
        listing = r["listing"]["runs"]
        for latency in ("0", "20"):
            one, four = listing[f"1@{latency}"], listing[f"4@{latency}"]
            times = " / ".join(f"{listing[f'{c}@{latency}']['seconds']:.2f}" for c in (1, 2, 4, 8))
            add(
                f"review: read {one['records']:,} records, {latency} ms a page",
                f"{times} s at 1/2/4/8 pages at once",
                f"{one['seconds'] / four['seconds']:.1f}× faster at 4",
            )
    if "listing-kept" in r:
        kept = r["listing-kept"]
        add(
            f"listing kept while mapping: {kept['records']:,} records",
            f"read {kept['read_s']:.2f} s, read and kept {kept['read_and_keep_s']:.2f} s, "
            f"loaded back {kept['load_s']:.2f} s",
            f"keeping adds {kept['read_and_keep_s'] / kept['read_s']:.2f}× to the read",
        )
    if "submission" in r:
        runs = r["submission"]["runs"]
        sandbox_floor = r.get("floor-sandbox", {}).get("seconds")
        for key, run in runs.items():
            workers, latency = key.split("@")
            speedup = ""
            target = ""
            if workers != "1":
                times = runs[f"1@{latency}"]["send_s"] / run["send_s"]
                speedup = f", {times:.2f}× one worker"
                wanted = {"2": 1.9, "4": 3.2}.get(workers)
                if latency == "50" and wanted:
                    target = f"≥ {wanted}× one worker {at_least(times, wanted)}"
            floor_text = ""
            if key == "1@0":
                if sandbox_floor:
                    ratio = run["total_s"] / sandbox_floor
                    target = f"≤ 3× listing + PUTs alone {verdict(ratio, 3)}"
                    floor_text = f"listing + PUTs alone {sandbox_floor:.1f} s ({ratio:.1f}×)"
                else:
                    target = "≤ 3× listing + PUTs alone (run floor-sandbox)"
            add(
                f"review + send {run.get('rows', n):,} rows, {workers} worker(s), {latency} ms",
                f"{run['total_s']:.1f} s (read {run['read_s']:.1f} + send {run['send_s']:.1f}"
                f"{speedup})",
                target,
                floor_text,
            )
    if "end-to-end" in r:
        e2e = r["end-to-end"]
        add(
            f"upload → every row answered, {e2e['rows']:,} rows, 1 worker",
            f"{e2e['seconds']:.1f} s",
            f"≤ 25 s {verdict(e2e['seconds'], 25)}",
        )
    if "load" in r:
        load_lines(r["load"], add)
    if "capacity" in r:
        capacity_lines(r["capacity"], add)

    width = [max(len(line[i]) for line in lines) for i in range(4)]
    header = ("measure", "figure", "target", "floor / anchor")
    width = [max(w, len(h)) for w, h in zip(width, header, strict=True)]
    meta = r["meta"]
    print(
        f"\n{meta['rows']:,} rows · {meta['database']} · {meta['cpus']} CPUs · "
        f"Python {meta['python']} · {meta['when']}"
    )
    for line in (header, tuple("-" * w for w in width), *lines):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, width, strict=True)).rstrip())


LOAD_ENDPOINTS = ("grid page", "grid page, filtered", "cell save", "campaign page")


def load_lines(load: dict[str, Any], add: Any) -> None:
    """The load's lines: each endpoint's p50 / p95 next to its time alone, the errors, the
    rates, the CPU (saturated or not) and what the background work got done meanwhile."""
    for endpoint, figures in load["endpoints"].items():
        limit = 100 if "save" in endpoint else 150
        add(
            f"load: {endpoint} (p50 / p95, {figures['count']} requests)",
            f"{figures['p50']:.0f} / {figures['p95']:.0f} ms",
            f"p95 ≤ {limit} ms {'met' if figures['p95'] <= limit else 'MISSED'}",
            f"alone {load['alone_ms'][endpoint]:.0f} ms",
        )
    end = load.get("background_end_s")
    for part, words in (
        ("during", f"while the sending and upload ran (0–{end or 0:.0f} s)"),
        ("after", f"after them ({end or 0:.0f}–{load['seconds']} s)"),
    ):
        found = load.get("split", {}).get(part, {})
        if not found:
            continue
        add(
            f"load p95, {words}",
            " / ".join(f"{found[e]['p95']:.0f}" if e in found else "–" for e in LOAD_ENDPOINTS)
            + " ms",
            "",
            "grid page / filtered / cell save / campaign page; "
            + " / ".join(str(found[e]["count"]) if e in found else "0" for e in LOAD_ENDPOINTS)
            + " requests",
        )
    errors = load["errors"]
    add(
        "load: errors (5xx / connection / 4xx)",
        f"{errors.get('5xx', 0)} / {errors.get('connection', 0)} / {errors.get('4xx', 0)}",
        "0" + (" met" if not any(errors.values()) else " MISSED"),
    )
    add(
        "load: requests offered / answered",
        f"{load['offered_per_s']:.1f} / {load['achieved_per_s']:.1f} a second",
        "",
        f"{load['supervisors']} supervisors, 1 request each every {load['interval_ms']} ms, "
        f"{load['seconds']} s",
    )
    samples = load["cpu_busy_seconds"]
    add(
        f"load: CPU busy, all {load['cpus']} cores",
        f"{load['cpu_busy']:.0%} ({sum(b >= 0.95 for b in samples)} of {len(samples)} seconds "
        f"≥ 95 %)",
        "",
        f"of which the clients {load['client_cpu_s'] / load['window_s'] / load['cpus']:.0%}",
    )
    add(
        "load: CPU of the load's own processes",
        f"{load['ours_cpu_s'] / load['ours_watched_s'] / load['cpus']:.0%} of all cores",
        "",
        "gunicorn, clients, sending, upload; no DB, no sandbox",
    )
    if load.get("database_cpu_s") is not None:
        add(
            "load: CPU of the PostgreSQL backends of its database",
            f"{load['database_cpu_s'] / load['ours_watched_s'] / load['cpus']:.0%} of all cores",
        )
    sent = load["background_send_s"]
    add(
        "load: the background sending",
        f"{load['background_rows_answered']:,} of {load['background_rows']:,} rows answered"
        + (
            f", all in {sent:.1f} s"
            if sent is not None
            else f" in the window ({load['background_rows_answered'] / load['window_s']:,.0f}/s)"
        ),
    )
    upload = load["upload_s"]
    add(
        "load: the background upload (push_records --dry-run)",
        f"taken in in {upload:.1f} s (exit {load['upload_exit']})"
        if upload is not None
        else "still taking the file in when the window ended",
    )


def capacity_lines(c: dict[str, Any], add: Any) -> None:
    """Capacity: what 8 workers sending to 4 systems did here, and what is extrapolated."""
    one = c["one_worker_rows_per_s"]
    add(
        f"capacity: {c['rows']:,} rows to {c['systems']} systems, {c['workers']} workers, "
        f"{c['latency_ms']:.0f} ms",
        f"{c['rows_per_s']:,.0f} rows/s ({c['rows_per_s_per_worker']:,.0f} a worker; "
        f"{c['all_s']:.1f} s)",
        f"{c['rows_per_s'] / one:.1f}× one worker (measured)",
        f"one worker alone {one:,.0f} rows/s; CPU busy {c['cpu_busy']:.0%}",
    )
    add(
        f"capacity: {c['workers']} workers, each on a core of its own",
        f"{c['workers'] * one:,.0f} rows/s",
        "extrapolated",
        f"{c['workers']} × one worker, if the database keeps up",
    )
