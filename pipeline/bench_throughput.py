"""`make bench`: the whole `emr-migrate run` against bare `tesseract -l vie`, same pages and cores.

In one run on the same synthetic charts: bare Tesseract (one single-threaded process per
core, pages rasterised beforehand, untimed), the whole `run` command (local S3 endpoint,
Prefect, SQLite; its start-up included) with 1 worker and with one per core, their ratio,
each run's peak resident memory (its worker threads share one process), and a short
accuracy run of both chart designs beside. Prints numbers, asserts nothing: on a shared
machine they are as noisy as its load.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.timing import peak_in

CLI = [sys.executable, "-m", "pipeline.cli"]


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (and theirs, waited for)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _run(scans: Path, work: Path, batch: str, workers: int) -> tuple[float, float, float]:
    """The whole `emr-migrate run` on the scans (uploaded to a local S3 endpoint first):
    seconds, the peak RSS of its process in MiB, and its CPU seconds (Prefect's server and
    pdftoppm included)."""
    from pipeline.ingest.local_s3 import LocalS3Server, upload_folder

    work.mkdir(parents=True, exist_ok=True)
    s3 = LocalS3Server().start()
    try:
        upload_folder(s3.settings, scans, "bench", batch)
        env = {
            **os.environ,
            **s3.env(),
            "EMR_DATABASE_URL": f"sqlite:///{work / 'emr.db'}",
            "EMR_WORKDIR": str(work / "scratch"),
        }
        started, cpu = time.monotonic(), _children_cpu()
        command = [*CLI, "run", f"s3://bench/{batch}", "--batch", batch, "--workers", str(workers)]
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
        elapsed, cpu = time.monotonic() - started, _children_cpu() - cpu
        if done.returncode:
            raise SystemExit(f"emr-migrate run failed with exit code {done.returncode}")
        # the run reports its own peak (VmHWM): a child's ru_maxrss starts at its parent's
        return elapsed, peak_in(done.stdout), cpu
    finally:
        s3.stop()


def _bare_tesseract(scans: Path, work: Path, workers: int) -> tuple[int, float, float]:
    """Rasterise every page (not timed), then time plain `tesseract -l vie` on them, N at a
    time, each single-threaded: pages, seconds, CPU seconds."""
    import cv2

    from pipeline.ingest.pages import detect_media_type, iter_pages

    pages = []
    for i, path in enumerate(sorted(scans.iterdir())):
        kind = detect_media_type(path, path.name)
        for page in iter_pages(path, kind, 300, 10**9):
            out = work / f"raw-{i:04d}-{page.number}.png"
            cv2.imwrite(str(out), page.pixels, [cv2.IMWRITE_PNG_COMPRESSION, 1])
            pages.append(out)
    import pytesseract

    os.environ["OMP_THREAD_LIMIT"] = "1"  # the engine's command, each single-threaded

    def ocr(path: Path) -> None:
        # pytesseract runs the `tesseract` command itself: the bare engine, as a user would
        pytesseract.image_to_data(str(path), lang="vie")

    started, cpu = time.monotonic(), _children_cpu()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(ocr, pages))
    return len(pages), time.monotonic() - started, _children_cpu() - cpu


def _accuracy_line(charts: int, seed: int, design: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.bench", "accuracy", "--charts", str(charts),
         "--seed", str(seed), "--design", design],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    overall = next((ln for ln in done.stdout.splitlines() if ln.startswith("ALL")), "ALL ?")
    cells = overall.split()[1:]
    return f"{design:5} design, {charts} charts (seed {seed}): fields {' '.join(cells)}"


def throughput(charts: int, seed: int, accuracy_charts: int) -> None:
    from pipeline.synthetic import generate_charts

    cores = max(1, min(4, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory(prefix="emr-bench-") as tmp:
        scans, work = Path(tmp) / "scans", Path(tmp) / "work"
        work.mkdir()
        generate_charts(scans, Path(tmp) / "truth", count=charts, seed=seed)
        pages, bare, bare_cpu = _bare_tesseract(scans, work, cores)
        one, one_rss, one_cpu = _run(scans, work / "one", "one", 1)
        many, many_rss, many_cpu = _run(scans, work / "many", "many", cores)
    rate = lambda seconds: pages / seconds * 60  # noqa: E731
    print(f"charts: {charts} (seed {seed}), pages: {pages}, cores: {cores} "
          f"(machine load now {os.getloadavg()[0]:.1f}: shared, numbers as noisy)")  # fmt: skip
    print(f"bare tesseract -l vie, {cores} at a time:        {bare:7.1f} s "
          f"= {rate(bare):6.1f} pages/min")  # fmt: skip
    print(f"emr-migrate run, {cores} workers (whole command): {many:7.1f} s "
          f"= {rate(many):6.1f} pages/min, peak RSS {many_rss:5.0f} MiB "
          f"({many_rss / cores:4.0f} MiB a worker)")  # fmt: skip
    print(f"emr-migrate run, 1 worker (whole command):  {one:7.1f} s "
          f"= {rate(one):6.1f} pages/min, peak RSS {one_rss:5.0f} MiB")  # fmt: skip
    print(f"ratio run/bare: {bare / many:.2f} (target >= 0.85); "
          f"{cores} workers against 1: {one / many:.2f}x")  # fmt: skip
    per_page = lambda cpu: cpu / max(pages, 1)  # noqa: E731
    print(f"CPU s a page (the machine's load left out): bare {per_page(bare_cpu):.2f}, "
          f"run {per_page(many_cpu):.2f} ({cores} workers), {per_page(one_cpu):.2f} (1 worker); "
          f"ratio by CPU {bare_cpu / many_cpu:.2f}")  # fmt: skip
    if accuracy_charts:
        for design in ("form", "grid"):
            print(_accuracy_line(accuracy_charts, 4242, design))
