"""Outages a weeks-long migration meets, made for real: the object store stopped for a minute,
the database restarted, the scratch disk full. The batch rides them out or stops with one clear
line, and every chart ends up processed exactly once; nothing is quarantined for the outage."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.ingest.local_s3 import LocalS3Server, _free_port, upload_folder
from pipeline.synthetic import generate_charts
from tests.batch import CLI

pytestmark = [pytest.mark.slow, pytest.mark.tesseract, pytest.mark.s3]

CHARTS, SEED, BUCKET = 3, 31, "outage"
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("outage")
    generate_charts(root / "scans", root / "truth", count=CHARTS, seed=SEED, formats=("pdf",))
    return root / "scans"


def _env(tmp: Path, s3: LocalS3Server, database_url: str, prefect_api: str) -> dict[str, str]:
    return {
        **os.environ,
        **s3.env(),
        "EMR_DATABASE_URL": database_url,
        "EMR_WORKDIR": str(tmp / "work"),
        "PREFECT_API_URL": prefect_api,
    }


def _states(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("select state, count(*) from documents group by state"))
            return {state: count for state, count in rows}
    except sa.exc.SQLAlchemyError:
        return {}  # not created yet, or the database is down
    finally:
        engine.dispose()


def _wait_for_first_chart(proc: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        states = _states(url)
        if sum(n for s, n in states.items() if s != "queued") >= 1 and states.get("queued"):
            return
        time.sleep(0.3)
    pytest.fail("the run did not get half-way through the batch")


def _finished_once(url: str) -> None:
    """Every chart processed, none quarantined, one encounter per loaded chart."""
    states = _states(url)
    assert sum(states.values()) == CHARTS
    assert not states.get("failed") and not states.get("queued"), states
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        loaded = conn.execute(
            sa.text("select count(*) from documents where state = 'loaded'")
        ).scalar_one()
        assert conn.execute(sa.text("select count(*) from encounters")).scalar_one() == loaded
        # one completion event per document: nothing was done twice
        done = conn.execute(
            sa.text(
                "select document_id, count(*) from document_events "
                "where state in ('loaded', 'in_review') group by document_id"
            )
        ).all()
    engine.dispose()
    assert len(done) == CHARTS and all(n == 1 for _, n in done)


def test_the_object_store_stopped_for_a_minute_mid_batch(
    scans: Path, tmp_path: Path, prefect_api: str
) -> None:
    url = f"sqlite:///{tmp_path / 'emr.db'}"
    server = LocalS3Server(log_path=tmp_path / "s3.log").start()
    try:
        upload_folder(server.settings, scans, BUCKET, "a")
        env = _env(tmp_path, server, url, prefect_api)
        proc = subprocess.Popen(
            [*CLI, "run", f"s3://{BUCKET}/a", "--batch", "b"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_for_first_chart(proc, url)
        server.stop()  # connections refused from here on
        time.sleep(60)
        # moto keeps objects in memory: its restart comes back empty, so the same objects are
        # put back, as a MinIO restarted on its disks would serve them
        server = LocalS3Server(port=server.port, log_path=tmp_path / "s3-2.log").start()
        upload_folder(server.settings, scans, BUCKET, "a")
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
    finally:
        server.stop()
    _finished_once(url)


def _pg(cluster: Path, *args: str, check: bool = True) -> None:
    assert PG_BIN is not None
    subprocess.run(
        ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(cluster), *args],
        check=check,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture
def private_postgres() -> Iterator[tuple[Path, str]]:
    """A PostgreSQL cluster of the test's own (initdb as the postgres user), free to restart
    without touching the machine's server the other tests use."""
    if PG_BIN is None or shutil.which("runuser") is None or os.geteuid() != 0:
        pytest.skip("needs root, runuser and the PostgreSQL server binaries")
    home = Path(tempfile.mkdtemp(prefix="emr-pg-"))
    shutil.chown(home, "postgres")
    cluster = home / "data"
    port = _free_port()
    subprocess.run(
        ["runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(cluster)]
        + ["-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with (cluster / "postgresql.conf").open("a") as conf:  # kept across restarts
        conf.write(
            f"port = {port}\nunix_socket_directories = '{home}'\n"
            "listen_addresses = '127.0.0.1'\nlogging_collector = off\n"
        )
    _pg(cluster, "-l", str(home / "log"), "-w", "start")
    try:
        yield cluster, f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        _pg(cluster, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(home, ignore_errors=True)


def test_the_database_restarted_mid_batch(
    scans: Path,
    tmp_path: Path,
    s3_server: LocalS3Server,
    prefect_api: str,
    private_postgres: tuple[Path, str],
) -> None:
    cluster, url = private_postgres
    upload_folder(s3_server.settings, scans, BUCKET, "pg")
    proc = subprocess.Popen(
        [*CLI, "run", f"s3://{BUCKET}/pg", "--batch", "b"],
        env=_env(tmp_path, s3_server, url, prefect_api),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_first_chart(proc, url)
    _pg(cluster, "-m", "fast", "-w", "stop")  # every connection is cut
    time.sleep(15)
    _pg(cluster, "-l", str(cluster.parent / "log"), "-w", "start")
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    _finished_once(url)


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 6 MiB tmpfs: smaller than one rasterised page."""
    where = Path(tempfile.mkdtemp(prefix="emr-small-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        where.rmdir()
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)
        where.rmdir()


def test_a_full_scratch_disk_stops_the_run_with_one_clear_line_and_loses_nothing(
    scans: Path,
    tmp_path: Path,
    s3_server: LocalS3Server,
    prefect_api: str,
    small_disk: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'emr.db'}"
    upload_folder(s3_server.settings, scans, BUCKET, "disk")
    env = {**_env(tmp_path, s3_server, url, prefect_api), "EMR_WORKDIR": str(small_disk)}
    args = [*CLI, "run", f"s3://{BUCKET}/disk", "--batch", "b"]

    refused = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0 and "MiB free" in refused.stderr

    # past the start-up check, the disk fills while the first page is rendered
    env["EMR_MIN_SCRATCH_MIB"] = "1"
    stopped = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert stopped.returncode != 0
    lines = stopped.stderr.strip().splitlines()
    assert len(lines) == 1 and "ran out of space" in lines[0] and "Traceback" not in lines[0]
    assert _states(url) == {"queued": CHARTS}  # nothing quarantined for the disk's fault

    env["EMR_WORKDIR"] = str(tmp_path / "work")
    resumed = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    _finished_once(url)
