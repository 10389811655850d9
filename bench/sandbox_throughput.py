"""How fast the sandbox answers, next to what the client itself spends: the sandbox must never be
the bottleneck of our benchmarks.

    .venv/bin/python bench/sandbox_throughput.py [--records 100000] [--chunk 500] [--chunks 100]

Starts a sandbox process, loads a campaign of --records records, then
  1. sends --chunks batch edits of --chunk rows through campaigns.thulium.ThuliumClient;
  2. pages through the whole campaign (100 records a page, Thulium's maximum).
For each it prints wall time, throughput, and the CPU seconds spent in the sandbox process and in
the client process during the same run. The ratio sandbox/client tells who the bottleneck is.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from campaigns import thulium  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def fixture(records: int) -> dict:
    statuses = [
        {"status_id": "1", "name": "Nowy", "system_status": "TO_CALL", "dictionary_status_id": 1},
        {"status_id": "3", "name": "Dzwonić", "system_status": "CALL", "dictionary_status_id": 3},
        {
            "status_id": "5",
            "name": "Nie dzwonić",
            "system_status": "NO_CALL",
            "dictionary_status_id": 5,
        },
    ]
    return {
        "users": [{"login": "api_user", "password": "api_pass", "methods": ["*"]}],
        "campaigns": [
            {
                "id": "00001",
                "name": "Benchmark",
                "fields": ["imię", "miasto"],
                "statuses": statuses,
                "agents": [{"login": "a.nowak", "agent_id": 1}],
                "records": [
                    {
                        "record_id": n,
                        "phone_number": f"{600000000 + n}",
                        "status_id": "1",
                        "identifier": f"B-{n}",
                        "record_fields": {"imię": "Łucja", "miasto": "Łódź"},
                        "create_date": "2026-11-02 08:00",
                    }
                    for n in range(1, records + 1)
                ],
            }
        ],
    }


def measure(label: str, sandbox_pid: int, units: int, unit: str, work) -> None:
    sandbox_before, client_before = cpu_seconds(sandbox_pid), time.process_time()
    started = time.perf_counter()
    work()
    wall = time.perf_counter() - started
    sandbox_cpu = cpu_seconds(sandbox_pid) - sandbox_before
    client_cpu = time.process_time() - client_before
    print(f"{label}:")
    print(f"  wall {wall:.2f} s, {units / wall:,.0f} {unit}/s")
    print(f"  CPU: sandbox {sandbox_cpu:.2f} s, client {client_cpu:.2f} s")
    print(f"  sandbox/client CPU ratio: {sandbox_cpu / max(client_cpu, 1e-9):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--chunks", type=int, default=100)
    args = parser.parse_args()

    process = subprocess.Popen(
        [sys.executable, "-m", "thulium_sandbox", "--port", "0", "--log-size", "100"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        api_url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        root = api_url.removesuffix("api/")
        loaded = requests.post(root + "_sandbox/fixture", json=fixture(args.records), timeout=300)
        loaded.raise_for_status()
        print(f"sandbox with {args.records:,} records, chunks of {args.chunk} rows")

        config = thulium.ThuliumConfig(base_url=api_url, user="api_user", password="api_pass")
        with thulium.ThuliumClient(config) as client:

            def edits() -> None:
                for c in range(args.chunks):
                    rows = [
                        thulium.RecordEdit(
                            phone_number=f"{600000000 + 1 + (c * args.chunk + i) % args.records}",
                            status_id="3",
                            record_fields={"miasto": "Kraków"},
                        )
                        for i in range(args.chunk)
                    ]
                    result = client.batch_edit("00001", rows)
                    assert all(r.succeeded for r in result.rows.values())

            def listing() -> None:
                count = sum(1 for _ in client.iter_records("00001"))
                assert count == args.records

            measure(
                "batch edits (PUT batch/outbounds/:id/records)",
                process.pid,
                args.chunks * args.chunk,
                "rows",
                edits,
            )
            measure(
                "listing (GET outbounds/:id/records, 100 a page)",
                process.pid,
                args.records,
                "records",
                listing,
            )
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
