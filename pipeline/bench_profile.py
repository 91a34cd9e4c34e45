"""Where a page's time goes: the documents migrated in this process, one at a time, by stage.

No Prefect, one thread, a folder source and a SQLite database: each stage's seconds (from the
stage timer in ``pipeline.timing``) over the same synthetic charts, and beside them what
Prefect's start costs (``emr-migrate run`` on an empty folder, the whole command).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def prefect_start_seconds(work: Path) -> tuple[float, float]:
    """The whole ``emr-migrate run`` on an empty folder (interpreter, imports, Prefect and its
    temporary server, database): its CPU seconds (the server's included) and clock seconds.
    The run exits 1 (no scans under the folder), after doing everything but read a page."""
    empty = work / "empty"
    empty.mkdir(exist_ok=True)
    env = {**os.environ, "EMR_DATABASE_URL": f"sqlite:///{work / 'empty.db'}"}
    started, cpu = time.monotonic(), _children_cpu()
    subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", str(empty), "--batch", "empty"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return _children_cpu() - cpu, time.monotonic() - started


def _process_cpu() -> float:
    """CPU seconds of every thread of this process and of its finished children."""
    return time.process_time() + _children_cpu()


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def profile(charts: int, seed: int, design: str = "form") -> None:
    from pipeline.config import settings_from_env
    from pipeline.ingest.sources import open_source
    from pipeline.migrate import migrate_document
    from pipeline.ocr.engine import check_tesseract
    from pipeline.state import register_scans
    from pipeline.synthetic import generate_charts
    from pipeline.timing import cpu_seconds, reset, stage_table
    from schemas.database import open_database
    from schemas.tables import Page

    with tempfile.TemporaryDirectory(prefix="emr-profile-") as tmp:
        work = Path(tmp)
        scans = work / "scans"
        generate_charts(scans, work / "truth", count=charts, seed=seed, design=design)
        url = f"sqlite:///{work / 'emr.db'}"
        settings = settings_from_env({"EMR_DATABASE_URL": url, "EMR_WORKDIR": str(work / "s")})
        check_tesseract()
        sessions = open_database(url)
        source = open_source(str(scans), settings)
        ids = register_scans(sessions, "profile", source.uri, source.list_scans())
        reset()
        started, cpu, process = time.perf_counter(), cpu_seconds(), _process_cpu()
        for doc_id in ids:
            migrate_document(sessions, source, doc_id, settings)
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        process = _process_cpu() - process
        with sessions() as session:
            pages = session.query(Page).count()
    print(f"{charts} charts ({design} design, seed {seed}), {pages} pages, one thread")
    print(stage_table(pages, wall, cpu))
    # a library's own threads (OpenCV's pool, when it has one) are not in the stages' CPU
    print(f"{'all (whole process)':32} {process:8.2f} {'':8} {'':7} {process / max(pages, 1):8.3f}",
          flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="emr-profile-") as tmp:
        start_cpu, start_clock = prefect_start_seconds(Path(tmp))
    print(f"{'run start (run on no scans)':32} {start_cpu:8.2f} {start_clock:8.2f}   once per run")
