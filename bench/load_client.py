"""The load stage's supervisors, in a process of their own: an open-loop client at a fixed rate.

    .venv/bin/python bench/load_client.py PLAN.json

Reads the plan bench/stage_load.py writes (the server's address, one account, grid and rows per
supervisor, the interval, the window), signs every supervisor in, warms the server up, measures
each endpoint alone (one request at a time: the floor), prints "ready" and waits for a line on
stdin (the stage then starts its background work). Then each supervisor sends one request every
`interval_ms`, in turn a grid page, the grid page filtered, a cell save and the campaign page,
whether or not earlier answers came: the offered load does not depend on the server's speed.
A request's time runs from when it was due, not from when a thread was free to send it, so
time spent queueing behind a slow server counts (no coordinated omission). Prints one JSON line:
per endpoint p50 / p95 / count, errors, offered and achieved rates, the machine's CPU (from
/proc/stat) and the CPU this process spent.
"""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

ENDPOINTS = ("grid page", "grid page, filtered", "cell save", "campaign page")
# Requests in flight at most: far above what the offered rate needs while the server keeps up;
# beyond it requests wait for a thread, and that wait counts in their time.
SENDERS = 64
TIMEOUT_S = 30


@dataclass
class Supervisor:
    base: str
    grid: int
    rows: list[int]
    campaign_url: str
    pick: random.Random
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, endpoint: str, session: requests.Session) -> requests.Response:
        if endpoint == "grid page":
            return session.get(
                f"{self.base}/grids/{self.grid}/", cookies=self.cookies, timeout=TIMEOUT_S
            )
        if endpoint == "grid page, filtered":
            url = f"{self.base}/grids/{self.grid}/?show=errors"
            return session.get(url, cookies=self.cookies, timeout=TIMEOUT_S)
        if endpoint == "cell save":
            row = self.pick.choice(self.rows)
            return session.post(
                f"{self.base}/grids/{self.grid}/rows/{row}/cell/save/",
                data={
                    "target": "field:miasto",
                    "value": self.pick.choice(["Łódź", "Kraków", "Gdańsk", "Poznań"]),
                    "csrfmiddlewaretoken": self.cookies["csrftoken"],
                },
                headers={"HX-Request": "true"},
                cookies=self.cookies,
                timeout=TIMEOUT_S,
            )
        url = self.base + self.campaign_url
        return session.get(url, cookies=self.cookies, timeout=TIMEOUT_S)


def sign_in(base: str, username: str, password: str) -> dict[str, str]:
    with requests.Session() as session:
        form = session.get(base + "/accounts/login/", timeout=TIMEOUT_S)
        answer = session.post(
            base + "/accounts/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": form.url},
            timeout=TIMEOUT_S,
        )
        assert "sessionid" in session.cookies, (username, answer.status_code)
        return dict(session.cookies)


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores together, from /proc/stat's first line."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already inside user and nice
    return total - idle, total


def busy_between(before: tuple[int, int], after: tuple[int, int]) -> float:
    return (after[0] - before[0]) / max(1, after[1] - before[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


class Local(threading.local):
    session: requests.Session | None = None


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    base = plan["base"]
    supervisors = [
        Supervisor(
            base=base,
            grid=s["grid"],
            rows=s["rows"],
            campaign_url=plan["campaign_url"],
            pick=random.Random(n),
            cookies=sign_in(base, s["username"], plan["password"]),
        )
        for n, s in enumerate(plan["supervisors"])
    ]
    local = Local()

    def session() -> requests.Session:
        if local.session is None:
            local.session = requests.Session()
        return local.session

    # Warm-up: two rounds of every endpoint from every supervisor at once, so each gunicorn
    # worker has its templates compiled and its connections open before anything is measured.
    with ThreadPoolExecutor(len(supervisors)) as pool:
        for _round in range(2):
            list(pool.map(lambda s: [s.request(e, session()) for e in ENDPOINTS], supervisors))
    # The floor: each endpoint alone, one request at a time, nothing else running.
    alone: dict[str, float] = {}
    for endpoint in ENDPOINTS:
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            supervisors[0].request(endpoint, session())
            samples.append((time.perf_counter() - started) * 1000)
        alone[endpoint] = percentile(samples, 0.5)

    print("ready", flush=True)
    sys.stdin.readline()

    interval = plan["interval_ms"] / 1000
    window = plan["seconds"]
    timings: dict[str, list[float]] = defaultdict(list)
    # Each request: [endpoint, when it was due (s into the window), ms]: the stage splits them
    # into those due while its background work ran and those due after.
    samples: list[tuple[str, float, float]] = []
    failures: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    completed_at: list[float] = []

    def send(due: float, supervisor: Supervisor, endpoint: str) -> None:
        try:
            answer = supervisor.request(endpoint, session())
            status = answer.status_code
        except requests.RequestException:
            status = 0
        done = time.perf_counter()
        with lock:
            timings[endpoint].append((done - due) * 1000)
            samples.append((endpoint, round(due - start, 3), round((done - due) * 1000, 1)))
            completed_at.append(done)
            if status == 0:
                failures["connection"] += 1
            elif status >= 500:
                failures["5xx"] += 1
            elif status >= 400:
                failures["4xx"] += 1

    # Every request of the window, due at a fixed time: supervisor n starts n/8 of an interval
    # after the first, so the requests are spread evenly, and goes through the endpoints in turn.
    schedule = sorted(
        (k * interval + n * interval / len(supervisors), n, k % len(ENDPOINTS))
        for n in range(len(supervisors))
        for k in range(int(window / interval))
    )
    cpu_before, own_before = cpu_ticks(), resource.getrusage(resource.RUSAGE_SELF)
    cpu_samples: list[float] = []
    last_sample = cpu_before
    start = time.perf_counter()
    next_sample = start + 1
    with ThreadPoolExecutor(SENDERS) as pool:
        for offset, n, e in schedule:
            due = start + offset
            while (now := time.perf_counter()) < due:
                if now >= next_sample:
                    sample = cpu_ticks()
                    cpu_samples.append(busy_between(last_sample, sample))
                    last_sample, next_sample = sample, next_sample + 1
                time.sleep(min(0.005, due - now))
            pool.submit(send, due, supervisors[n], ENDPOINTS[e])
        scheduled_until = time.perf_counter()
        cpu_window = busy_between(cpu_before, cpu_ticks())
    own = resource.getrusage(resource.RUSAGE_SELF)
    own_cpu = (own.ru_utime + own.ru_stime) - (own_before.ru_utime + own_before.ru_stime)
    last = max(completed_at) if completed_at else scheduled_until
    print(
        json.dumps(
            {
                "window_s": scheduled_until - start,
                "drained_s": last - start,
                "offered_per_s": len(schedule) / window,
                "achieved_per_s": len(completed_at) / (last - start),
                "requests": len(schedule),
                "errors": dict(failures),
                "alone_ms": alone,
                "cpu_busy": cpu_window,
                "cpu_busy_seconds": cpu_samples,
                "cpus": os.cpu_count(),
                "client_cpu_s": own_cpu,
                "samples": samples,
                "endpoints": {
                    name: {
                        "count": len(values),
                        "p50": percentile(values, 0.5),
                        "p95": percentile(values, 0.95),
                        "max": max(values),
                    }
                    for name, values in timings.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
