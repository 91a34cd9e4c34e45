"""Benchmarks that print numbers (never assertions): `python -m pipeline.bench throughput|accuracy`.

throughput: pages per minute of the real `run` (local S3 endpoint, Prefect, database) on
synthetic charts, against bare Tesseract on the same pages with the same parallelism.
accuracy: per-field accuracy, automation and auto-accepted precision against ground truth.
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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.bench")
    parser.add_argument("what", choices=["throughput", "accuracy"])
    parser.add_argument("--charts", type=int, default=30)
    parser.add_argument("--seed", type=int, default=9001)
    parser.add_argument("--show-errors", action="store_true", help="accuracy: list wrong values")
    args = parser.parse_args()
    if args.what == "throughput":
        throughput(args.charts, args.seed)
    else:
        accuracy(args.charts, args.seed, args.show_errors)


if __name__ == "__main__":
    main()
