"""Where a page's time goes: the documents migrated in this process, one at a time, by stage.

No Prefect, one thread, a folder source and a SQLite database: each stage's seconds (from the
stage timer in ``pipeline.timing``) over the same synthetic charts, and beside them what
Prefect's start costs (``emr-migrate run`` on an empty folder, the whole command).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def prefect_start_seconds(work: Path) -> float:
    """The whole ``emr-migrate run`` on an empty folder: interpreter, imports, Prefect, database."""
    empty = work / "empty"
    empty.mkdir(exist_ok=True)
    env = {**os.environ, "EMR_DATABASE_URL": f"sqlite:///{work / 'empty.db'}"}
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", str(empty), "--batch", "empty"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - started


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
        started, cpu = time.perf_counter(), cpu_seconds()
        for doc_id in ids:
            migrate_document(sessions, source, doc_id, settings)
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        with sessions() as session:
            pages = session.query(Page).count()
        prefect = prefect_start_seconds(work)
    print(f"{charts} charts ({design} design, seed {seed}), {pages} pages, one thread")
    print(stage_table(pages, wall, cpu))
    print(f"{'Prefect start (run on no scans)':32} {'':8} {prefect:8.2f}   clock, once per run")
