"""`make bench-review`: reviewers at once against `emr-migrate review serve` on loopback.

Each simulated reviewer logs in, claims a chart's fields, confirms them and claims the next,
until the time is up or the queue is empty. Printed: next-item and decision latency (p50,
p95), errors (any answer but 200/204), items handed to two reviewers (must be 0), throughput.
Run on PostgreSQL (a scratch database, dropped afterwards) or any EMR_DATABASE_URL.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

CLI = [sys.executable, "-m", "pipeline.cli"]


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    import psycopg

    name = f"emr_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def review_load(charts: int, reviewers: int, url: str, seconds: float) -> dict[str, float]:
    """Run the simulated reviewers against a desk on ``url``; return the figures."""
    import httpx

    from pipeline.synthetic.desk import seed_desk
    from schemas.database import open_database

    people = {f"r{i:02d}": (f"reviewer-{i:02d}-pass", "reviewer") for i in range(reviewers)}
    seed_desk(open_database(url), charts, batch="bench", people=people)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*CLI, "review", "serve", "--port", str(port)],
        env={**os.environ, "EMR_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    next_ms: list[float] = []
    decide_ms: list[float] = []
    errors = 0
    holder: dict[int, str] = {}  # item id -> the reviewer it was handed to
    doubles = 0
    lock = threading.Lock()
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        start = threading.Barrier(reviewers)
        deadline = time.monotonic() + seconds

        def work(name: str, password: str) -> None:
            nonlocal errors, doubles
            client = httpx.Client(base_url=base, timeout=30)
            r = client.post("/api/session", json={"username": name, "password": password})
            client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
            start.wait()
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                r = client.get("/api/review/next")
                with lock:
                    next_ms.append((time.perf_counter() - t0) * 1000)
                if r.status_code == 204:
                    return
                if r.status_code != 200:
                    with lock:
                        errors += 1
                    continue
                for item in r.json()["items"]:
                    with lock:
                        if holder.setdefault(item["id"], name) != name:
                            doubles += 1
                    t0 = time.perf_counter()
                    d = client.post(f"/api/review/items/{item['id']}", json={"action": "confirm"})
                    with lock:
                        decide_ms.append((time.perf_counter() - t0) * 1000)
                        errors += d.status_code != 200

        began = time.monotonic()
        threads = [threading.Thread(target=work, args=(n, p)) for n, (p, _) in people.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - began
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {
        "next_n": len(next_ms),
        "next_p50": _pct(next_ms, 50),
        "next_p95": _pct(next_ms, 95),
        "decide_n": len(decide_ms),
        "decide_p50": _pct(decide_ms, 50),
        "decide_p95": _pct(decide_ms, 95),
        "errors": errors,
        "double_assignments": doubles,
        "seconds": elapsed,
    }


def main(charts: int, reviewers: int, database_url: str | None, pg: str, seconds: float) -> None:
    if database_url:
        figures, where = review_load(charts, reviewers, database_url, seconds), "given"
    else:
        with scratch_postgres(pg) as url:
            figures, where = review_load(charts, reviewers, url, seconds), "postgresql"
    f = figures
    print(f"{reviewers} reviewers for up to {seconds:.0f} s, {charts} charts x 3 fields, {where}")
    print(
        f"next item:  n={f['next_n']:.0f}  p50 {f['next_p50']:6.1f} ms  p95 {f['next_p95']:6.1f} ms"
    )
    print(
        f"decision:   n={f['decide_n']:.0f}  p50 {f['decide_p50']:6.1f} ms  "
        f"p95 {f['decide_p95']:6.1f} ms"
    )
    print(
        f"errors: {f['errors']:.0f}  items handed to two reviewers: {f['double_assignments']:.0f}"
    )
    print(f"throughput: {f['decide_n'] / f['seconds']:.0f} decisions/s over {f['seconds']:.1f} s")
