"""`make bench-review`: reviewers at once against `emr-migrate review serve` on loopback.

Two runs against one server, each for ``--seconds``:

- paced (what "20 reviewers" means for a desk): each reviewer looks at a field for a while
  before deciding it, ``--think`` seconds on average (drawn evenly between half and one and a
  half times that), then claims the next chart;
- saturated (the desk's capacity): no time between answer and next request, a closed loop
  that keeps every reviewer's request waiting on the server; latency here is mostly queueing.

Each simulated reviewer logs in, claims a chart's fields, confirms them and claims the next,
until the time is up or the queue is empty. Printed per run: next-item and decision latency
(p50, p95), errors (any answer but 200/204, or no answer), items handed to two reviewers (must
be 0), decisions per second and the server's CPU time per decision. Run on PostgreSQL (a
scratch database, dropped afterwards) or any EMR_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CLI = [sys.executable, "-m", "pipeline.cli"]
PG_ADMIN = os.environ.get("EMR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its descendants still running (Linux)."""
    total, todo = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


@dataclass
class Run:
    """What one run measured."""

    next_ms: list[float] = field(default_factory=list)
    decide_ms: list[float] = field(default_factory=list)
    errors: int = 0
    doubles: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    emptied: bool = False

    def lines(self, title: str) -> list[str]:
        n, d = self.next_ms, self.decide_ms
        per = f"{1000 * self.server_cpu / len(d):.1f} ms" if d else "-"
        return [
            title,
            f"  next item:  n={len(n)}  p50 {_pct(n, 50):7.1f} ms  p95 {_pct(n, 95):7.1f} ms",
            f"  decision:   n={len(d)}  p50 {_pct(d, 50):7.1f} ms  p95 {_pct(d, 95):7.1f} ms",
            f"  errors: {self.errors}  items handed to two reviewers: {self.doubles}",
            f"  throughput: {len(d) / self.seconds:.1f} decisions/s over {self.seconds:.1f} s; "
            f"server CPU {self.server_cpu:.1f} s ({per} per decision)"
            + ("; the queue ran out" if self.emptied else ""),
        ]


def reviewers_run(
    base: str,
    people: dict[str, str],
    seconds: float,
    think: float,
    server_pid: int,
    holder: dict[int, str],
    seed: int = 1,
) -> Run:
    """``people`` (name -> password) review on ``base`` for ``seconds``, ``think`` seconds per
    field on average (0: none). ``holder`` (item id -> reviewer) is shared across runs."""
    import httpx

    run, deadline = Run(), 0.0
    lock = threading.Lock()
    start = threading.Barrier(len(people) + 1)

    def confirm(client: httpx.Client, item_id: int) -> int:
        t0 = time.perf_counter()
        try:
            status = client.post(f"/api/review/items/{item_id}", json={"action": "confirm"})
        except httpx.HTTPError:
            status = None
        with lock:
            run.decide_ms.append((time.perf_counter() - t0) * 1000)
        return status.status_code if status is not None else 0

    def work(name: str, password: str, rng: random.Random) -> None:
        client = httpx.Client(base_url=base, timeout=60)
        r = client.post("/api/session", json={"username": name, "password": password})
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        start.wait()
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            answer: httpx.Response | None
            try:
                answer = client.get("/api/review/next")
            except httpx.HTTPError:
                answer = None
            with lock:
                run.next_ms.append((time.perf_counter() - t0) * 1000)
            if answer is not None and answer.status_code == 204:
                run.emptied = True
                break
            if answer is None or answer.status_code != 200:
                with lock:
                    run.errors += 1
                continue
            for item in answer.json()["items"]:
                with lock:
                    if holder.setdefault(item["id"], name) != name:
                        run.doubles += 1
                if think:
                    time.sleep(rng.uniform(0.5, 1.5) * think)
                if confirm(client, item["id"]) != 200:
                    with lock:
                        run.errors += 1
        client.close()

    threads = [
        threading.Thread(target=work, args=(n, p, random.Random(f"{seed}-{n}")))
        for n, p in people.items()
    ]
    for t in threads:
        t.start()
    cpu0, began = cpu_seconds(server_pid), time.monotonic()
    deadline = began + seconds
    start.wait()
    for t in threads:
        t.join()
    run.seconds = time.monotonic() - began
    run.server_cpu = cpu_seconds(server_pid) - cpu0
    return run


def review_load(
    charts: int, reviewers: int, url: str, seconds: float, think: float, workers: int | None
) -> tuple[Run, Run]:
    """Seed ``charts`` charts on ``url``, serve them, run the paced then the saturated run."""
    import httpx

    from pipeline.synthetic.desk import seed_desk
    from schemas.database import open_database

    names = [f"r{i:02d}" for i in range(reviewers)]
    people = {n: (f"reviewer-{n}-pass", "reviewer") for n in names}
    sessions = open_database(url)
    seed_desk(sessions, charts, batch="bench", people=people)
    sessions.kw["bind"].dispose()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [*CLI, "review", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, *(["--workers", str(workers)] if workers else [])],
        env={**os.environ, "EMR_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    holder: dict[int, str] = {}
    try:
        for _ in range(600):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        time.sleep(1)  # every worker up
        login = {n: p for n, (p, _) in people.items()}
        paced = reviewers_run(base, login, seconds, think, server.pid, holder)
        saturated = reviewers_run(base, login, seconds, 0, server.pid, holder)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return paced, saturated


def main(
    charts: int,
    reviewers: int,
    database_url: str | None,
    pg: str = PG_ADMIN,
    seconds: float = 120.0,
    think: float = 1.5,
    workers: int | None = None,
) -> None:
    from pipeline.scratchdb import scratch_postgres

    if database_url:
        (paced, saturated), where = (
            review_load(charts, reviewers, database_url, seconds, think, workers),
            "given database",
        )
    else:
        with scratch_postgres(pg, "emr_bench") as url:
            (paced, saturated), where = (
                review_load(charts, reviewers, url, seconds, think, workers),
                "postgresql",
            )
    processes = f"{workers} server processes" if workers else "server processes: default"
    print(f"{reviewers} reviewers, {charts} charts x 3 fields, {where}, {processes}")
    for line in paced.lines(
        f"paced: {think:g} s per field on average (x0.5-1.5), {seconds:.0f} s"
    ) + saturated.lines(f"saturated (capacity): no think time, closed loop, {seconds:.0f} s"):
        print(line)


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.bench_review", description=__doc__)
    parser.add_argument("--charts", type=int, default=3000, help="charts seeded (3 fields each)")
    parser.add_argument("--reviewers", type=int, default=20, help="reviewers at once")
    parser.add_argument("--seconds", type=float, default=120.0, help="length of each run")
    parser.add_argument("--think", type=float, default=1.5, help="paced: seconds per field")
    parser.add_argument("--workers", type=int, help="server processes (default: the server's)")
    parser.add_argument("--database-url", help="database (default: a scratch one on --pg)")
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL admin URL")
    a = parser.parse_args(argv)
    main(a.charts, a.reviewers, a.database_url, a.pg, a.seconds, a.think, a.workers)


if __name__ == "__main__":
    cli()
