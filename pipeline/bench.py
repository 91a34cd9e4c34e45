"""Benchmarks that print numbers, never assertions: `python -m pipeline.bench WHAT`.

throughput: pages per minute of the real `run` (local S3 endpoint, Prefect, database) on
synthetic charts, against bare Tesseract on the same pages with the same parallelism.
accuracy: per-field accuracy, automation and auto-accepted precision against ground truth.
load: EMR load throughput (charts per second, one transaction per chart) into SQLite and
PostgreSQL, and patient matching precision and recall, on a synthetic archive (no OCR).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.synthetic.archive import ArchiveChart

CLI = [sys.executable, "-m", "pipeline.cli"]


def _processing_seconds(database_url: str) -> float:
    """From the first document picked up to the last one finished (no start-up costs)."""
    from sqlalchemy import func, select

    from schemas.database import sessions_for
    from schemas.tables import DocumentEvent

    with sessions_for(database_url)() as s:
        first, last, longest = s.execute(
            select(
                func.min(DocumentEvent.at),
                func.max(DocumentEvent.at),
                func.max(DocumentEvent.seconds),
            )
        ).one()
    # The first document's own time is added back: events are written when a document ends.
    return float((last - first).total_seconds() + (longest or 0.0))


def _run_pipeline(scans: Path, work: Path, batch: str) -> tuple[float, dict[str, str]]:
    from pipeline.ingest.local_s3 import LocalS3Server, upload_folder

    s3 = LocalS3Server().start()
    try:
        upload_folder(s3.settings, scans, "bench", batch)
        env = {
            **os.environ,
            **s3.env(),
            "EMR_DATABASE_URL": f"sqlite:///{work / 'emr.db'}",
            "EMR_WORKDIR": str(work / "scratch"),
        }
        started = time.monotonic()
        subprocess.run(
            [*CLI, "run", f"s3://bench/{batch}", "--batch", batch],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.monotonic() - started, env
    finally:
        s3.stop()


def _bare_tesseract(scans: Path, work: Path, workers: int) -> tuple[int, float]:
    """Rasterise every page (not timed), then time plain `tesseract` on them, N at a time."""
    import cv2

    from pipeline.ingest.pages import detect_media_type, iter_pages

    pages = []
    for i, path in enumerate(sorted(scans.iterdir())):
        kind = detect_media_type(path, path.name)
        for page in iter_pages(path, kind, 300, 10**9):
            out = work / f"raw-{i:04d}-{page.number}.png"
            cv2.imwrite(str(out), page.pixels, [cv2.IMWRITE_PNG_COMPRESSION, 1])
            pages.append(out)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def ocr(path: Path) -> None:
        subprocess.run(
            ["tesseract", str(path), "-", "-l", "vie", "tsv"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(ocr, pages))
    return len(pages), time.monotonic() - started


def throughput(charts: int, seed: int) -> None:
    from pipeline.synthetic import generate_charts

    workers = max(1, min(4, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory(prefix="emr-bench-") as tmp:
        scans, truth, work = Path(tmp) / "scans", Path(tmp) / "truth", Path(tmp) / "work"
        work.mkdir()
        generate_charts(scans, truth, count=charts, seed=seed)
        elapsed, env = _run_pipeline(scans, work, "throughput")
        steady = _processing_seconds(env["EMR_DATABASE_URL"])
        pages, bare = _bare_tesseract(scans, work, workers)
    print(f"charts: {charts} (seed {seed}), pages: {pages}, workers: {workers}")
    print(
        f"emr-migrate run (whole command, incl. Prefect start): {elapsed:7.1f} s "
        f"= {pages / elapsed * 60:6.1f} pages/min"
    )
    print(
        f"  of which processing documents (first to last):  {steady:7.1f} s "
        f"= {pages / steady * 60:6.1f} pages/min"
    )
    print(
        f"bare tesseract -l vie, same pages, {workers} at a time: {bare:7.1f} s "
        f"= {pages / bare * 60:6.1f} pages/min"
    )
    print(
        f"overhead over bare Tesseract: {elapsed / bare - 1:+.0%} whole command, "
        f"{steady / bare - 1:+.0%} processing"
    )


def accuracy(charts: int, seed: int, show_errors: bool = False) -> None:
    from pipeline.evaluation import read_jsonl, score
    from pipeline.synthetic import generate_charts

    with tempfile.TemporaryDirectory(prefix="emr-bench-") as tmp:
        scans, truth, work = Path(tmp) / "scans", Path(tmp) / "truth", Path(tmp) / "work"
        work.mkdir()
        generate_charts(scans, truth, count=charts, seed=seed)
        elapsed, env = _run_pipeline(scans, work, "accuracy")
        out = work / "export.jsonl"
        subprocess.run(
            [*CLI, "export", "--batch", "accuracy", "--output", str(out)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        card = score(read_jsonl(out), truth)
    print(f"charts: {charts} (seed {seed}), run took {elapsed:.1f} s")
    print(card.table())
    if card.wrong_auto:
        print(f"auto-accepted but wrong: {len(card.wrong_auto)}")
        for document, key in card.wrong_auto:
            print(f"  {document}: {key}")
    if show_errors:  # synthetic charts only: these values are made up
        for document, key, got, expected, decision in card.errors:
            print(f"  {document} {key}: read {got!r}, truth {expected!r} ({decision})")


def _load_archive(url: str, charts: list[ArchiveChart]) -> tuple[float, tuple[int, int, int], int]:
    from sqlalchemy import func, select

    from pipeline.load.emr import load_document
    from pipeline.synthetic.archive import merge_counts, store_charts
    from schemas.database import open_database
    from schemas.tables import Document, Encounter, PatientMatchQuestion

    sessions = open_database(url)
    with sessions.begin() as session:
        ids = [d.id for d in store_charts(session, "bench", charts)]
    started = time.monotonic()
    for doc_id in ids:
        load_document(sessions, doc_id)
    elapsed = time.monotonic() - started
    with sessions() as session:
        rows = session.execute(select(Document.key, Encounter.patient_id).join(Encounter)).all()
        questions = session.scalar(select(func.count()).select_from(PatientMatchQuestion)) or 0
    sessions.kw["bind"].dispose()
    return elapsed, merge_counts(charts, {k: p for k, p in rows}), questions


def load(people: int, seed: int, pg_admin_url: str) -> None:
    import uuid

    import psycopg

    from pipeline.synthetic.archive import make_archive

    charts = make_archive(seed, people=people)
    targets: list[tuple[str, str, str | None]] = []
    with tempfile.TemporaryDirectory(prefix="emr-bench-") as tmp:
        targets.append(("sqlite", f"sqlite:///{tmp}/emr.db", None))
        name = f"emr_bench_{uuid.uuid4().hex[:8]}"
        try:
            with psycopg.connect(pg_admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            base = pg_admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            targets.append(("postgresql", f"{base}/{name}", name))
        except psycopg.OperationalError:
            print("PostgreSQL not reachable: SQLite only")
        print(f"archive: {len(charts)} charts of {people}+ people (seed {seed})")
        for label, url, pg_name in targets:
            try:
                elapsed, (tp, fp, fn), questions = _load_archive(url, charts)
            finally:
                if pg_name:
                    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            print(f"{label:10s} load: {len(charts) / elapsed:7.1f} charts/s "
                  f"({elapsed:.1f} s, one transaction per chart)")  # fmt: skip
        precision = tp / (tp + fp) if tp + fp else 1.0
        print(f"automatic merges: precision {precision:.3f}, recall {tp / max(tp + fn, 1):.3f} "
              f"({tp} of {tp + fn} same-patient chart pairs, {fp} wrong; "
              f"{questions} same-patient? questions)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.bench")
    parser.add_argument("what", choices=["throughput", "accuracy", "load"])
    parser.add_argument("--people", type=int, default=300, help="load: people in the archive")
    parser.add_argument(
        "--pg",
        default=os.environ.get("EMR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
        help="load: PostgreSQL admin URL (a scratch database is created and dropped)",
    )
    parser.add_argument("--charts", type=int, default=30)
    parser.add_argument("--seed", type=int, default=9001)
    parser.add_argument("--show-errors", action="store_true", help="accuracy: list wrong values")
    args = parser.parse_args()
    if args.what == "throughput":
        throughput(args.charts, args.seed)
    elif args.what == "load":
        load(args.people, args.seed, args.pg)
    else:
        accuracy(args.charts, args.seed, args.show_errors)


if __name__ == "__main__":
    main()
