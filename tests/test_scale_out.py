"""Scale-out on real parts: a Prefect server, a process work pool and two workers (separate
processes, as on two machines) sharing the local S3 endpoint and one PostgreSQL database.

20 charts are migrated by both workers; one worker is killed with SIGKILL mid-batch (with its
flow run, as when a machine loses power) and the other finishes its documents once their
leases lapse; every chart is processed exactly once. Then a scheduled deployment watching the
prefix migrates a scan uploaded afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from pipeline.ingest.local_s3 import LocalS3Server, upload_folder
from pipeline.synthetic import generate_charts
from schemas.database import open_database
from schemas.tables import DocState, Document, DocumentEvent
from tests.batch import CLI

pytestmark = [pytest.mark.tesseract, pytest.mark.s3, pytest.mark.postgres, pytest.mark.slow]

BUCKET, PREFIX, BATCH = "scale", "ward-s", "scale"
CHARTS = 20
LEASE_SECONDS = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (a worker's flow runs)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _wait(what: str, check: Callable[[], bool], timeout: float, procs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    logs = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in procs if p.exists())
    raise AssertionError(f"{what}: not within {timeout:.0f} s\n{logs}")


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes this test starts; each stopped (by its pid) at the end."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            for child in _children(p.pid):
                os.kill(child, signal.SIGTERM)
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def test_two_workers_process_each_chart_once_and_survive_a_dead_one(
    tmp_path: Path,
    s3_server: LocalS3Server,
    pg_url: str,
    started: list[subprocess.Popen[bytes]],
) -> None:
    scans, truth = tmp_path / "scans", tmp_path / "truth"
    # one-page charts: the engine is not what this test is about, the orchestration is
    generate_charts(scans, truth, CHARTS, seed=71, formats=("png",), design="grid", clean=True)
    upload_folder(s3_server.settings, scans, BUCKET, PREFIX)
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        **s3_server.env(),
        "EMR_DATABASE_URL": pg_url,
        "EMR_LEASE_SECONDS": str(LEASE_SECONDS),
        "EMR_REREAD": "off",
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
    }
    for name in ("PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK"):
        env.pop(name, None)  # our entry point must turn usage reporting off
    logs: list[Path] = []

    def start(name: str, *args: str) -> subprocess.Popen[bytes]:
        log = tmp_path / f"{name}.log"
        logs.append(log)
        with log.open("wb") as out:
            p = subprocess.Popen([*CLI, *args], env=env, stdout=out, stderr=out, cwd=tmp_path)
        started.append(p)
        return p

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*args], env=env, capture_output=True, text=True, timeout=180, cwd=tmp_path
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def healthy() -> bool:
        try:
            return httpx.get(f"{api}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    server = start("server", "server", "--port", str(port))
    _wait("the Prefect server answers", healthy, 150, logs)
    # the server got usage reporting off from our entry point
    server_env = Path(f"/proc/{server.pid}/environ").read_bytes().split(b"\0")
    assert b"PREFECT_SERVER_ANALYTICS_ENABLED=false" in server_env
    assert b"DO_NOT_TRACK=1" in server_env
    cli(*CLI, "deploy")
    workers = [start(f"worker-{n}", "worker", "--name", f"w{n}") for n in (1, 2)]
    sessions = open_database(pg_url)
    params = {
        "source_uri": f"s3://{BUCKET}/{PREFIX}",
        "batch": BATCH,
        "parallel_runs": 2,
        "documents_at_once": 1,
    }
    prefect = [CLI[0], "-m", "prefect"]
    cli(*prefect, "deployment", "run", "migrate-batch/migrate", "--params", json.dumps(params))

    def finished() -> int:
        with sessions() as s:
            return int(
                s.scalar(select(func.count()).where(Document.state.in_(DocState.FINISHED))) or 0
            )

    def holders() -> set[str]:
        with sessions() as s:
            return set(
                s.scalars(
                    select(Document.claimed_by).where(
                        Document.state == DocState.QUEUED, Document.claimed_by.is_not(None)
                    )
                )
            )

    def unfinished_of(owner: str) -> set[int]:
        with sessions() as s:
            return set(
                s.scalars(
                    select(Document.id).where(
                        Document.claimed_by == owner, Document.state == DocState.QUEUED
                    )
                )
            )

    _wait("both workers hold documents", lambda: len(holders()) == 2 and finished() >= 2, 240, logs)
    # Kill the worker of one holder, and its flow run, as a machine losing power: frozen
    # first (SIGSTOP), so that what it holds unfinished is known when it dies.
    victim_owner = sorted(holders())[0]
    run_pid = int(victim_owner.split(":")[1])
    [victim] = [w for w in workers if run_pid in _children(w.pid)]
    for _ in range(200):
        os.kill(run_pid, signal.SIGSTOP)
        held = unfinished_of(victim_owner)
        if held:
            break
        os.kill(run_pid, signal.SIGCONT)  # between two documents: let it claim the next
        time.sleep(0.1)
    assert held, "the worker to kill never held an unfinished document"
    os.kill(run_pid, signal.SIGKILL)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)

    _wait("the surviving worker finishes the batch", lambda: finished() == CHARTS, 300, logs)
    with sessions() as s:
        events = s.execute(
            select(DocumentEvent.document_id, func.count())
            .where(DocumentEvent.state.in_(DocState.FINISHED))
            .group_by(DocumentEvent.document_id)
        ).all()
        assert len(events) == CHARTS and {n for _, n in events} == {1}  # each exactly once
        docs = s.scalars(select(Document)).all()
        assert {d.state for d in docs} <= {DocState.IN_REVIEW, DocState.LOADED}
        by_owner: dict[str, int] = {}
        for d in docs:
            by_owner[str(d.claimed_by)] = by_owner.get(str(d.claimed_by), 0) + 1
        assert len(by_owner) == 2, by_owner  # both workers did work
        unfinished_of_victim = [d for d in docs if d.id in held and d.claimed_by != victim_owner]
        assert len(unfinished_of_victim) == len(held)  # what the dead one held, the other did
        times = sorted(s.scalars(select(DocumentEvent.at)))
    minutes = max((times[-1] - times[0]).total_seconds() / 60, 1e-6)
    print(  # figures for the record, not assertions: this machine is shared
        f"\n{CHARTS} charts, each finished once; by worker {sorted(by_owner.values())}; "
        f"{len(unfinished_of_victim)} taken over from the killed one; "
        f"{(CHARTS - 1) / minutes:.1f} charts per minute between first and last"
    )

    # A scheduled deployment watching the prefix migrates a scan uploaded later.
    cli(*CLI, "deploy", "--watch", f"s3://{BUCKET}/{PREFIX}", "--batch", BATCH, "--every", "10")
    late = tmp_path / "late"
    generate_charts(late, tmp_path / "late-truth", 1, seed=72, formats=("png",), design="grid")
    upload_folder(s3_server.settings, late, BUCKET, PREFIX)
    _wait("the watch picks up the new scan", lambda: finished() == CHARTS + 1, 240, logs)
