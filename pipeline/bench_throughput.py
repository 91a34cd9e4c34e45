"""`make bench`: the whole `emr-migrate run` against bare `tesseract -l vie`, same pages and cores.

In one run on the same synthetic charts: bare Tesseract (one single-threaded process per
core, pages rasterised beforehand, untimed), the whole `run` command (local S3 endpoint,
Prefect, SQLite; its start-up included) with 1 worker and with one per core, their ratio,
each run's peak resident memory (its worker threads share one process), OCRmyPDF
``--deskew --clean -l vie`` on the same page images (the peer, where it is installed: `make
bench` installs it, `pip install -e ".[bench]"` and Debian's ghostscript and unpaper) and a
short accuracy run of both chart designs beside. Prints numbers, asserts nothing: on a
shared machine they are as noisy as its load.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import shutil
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


def _rasterise(scans: Path, work: Path) -> list[Path]:
    """Every page of the scans as a 300 dpi PNG (not timed): the pages the peers read."""
    import cv2

    from pipeline.ingest.pages import detect_media_type, iter_pages

    pages = []
    for i, path in enumerate(sorted(scans.iterdir())):
        kind = detect_media_type(path, path.name)
        for page in iter_pages(path, kind, 300, 10**9):
            out = work / f"raw-{i:04d}-{page.number}.png"
            cv2.imwrite(str(out), page.pixels, [cv2.IMWRITE_PNG_COMPRESSION, 1])
            pages.append(out)
    return pages


def _bare_tesseract(pages: list[Path], workers: int) -> tuple[float, float]:
    """Plain `tesseract -l vie` on the pages, N at a time, each single-threaded: seconds and
    CPU seconds."""
    import pytesseract

    os.environ["OMP_THREAD_LIMIT"] = "1"  # the engine's command, each single-threaded

    def ocr(path: Path) -> None:
        # pytesseract runs the `tesseract` command itself: the bare engine, as a user would
        pytesseract.image_to_data(str(path), lang="vie")

    started, cpu = time.monotonic(), _children_cpu()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(ocr, pages))
    return time.monotonic() - started, _children_cpu() - cpu


#: what OCRmyPDF's `--deskew --clean` needs beside its Python package
OCRMYPDF_PROGRAMS = ("gs", "unpaper", "tesseract")


def ocrmypdf_missing() -> list[str]:
    """What is missing to run OCRmyPDF here (empty: it runs)."""
    missing = [] if importlib.util.find_spec("ocrmypdf") else ["the ocrmypdf package"]
    return missing + [p for p in OCRMYPDF_PROGRAMS if shutil.which(p) is None]


def _ocrmypdf(pages: list[Path], work: Path, workers: int) -> tuple[float, float]:
    """`ocrmypdf --deskew --clean -l vie` on the same page images, N at a time, each with one
    job and single-threaded Tesseract (as the bare engine): seconds and CPU seconds."""
    out = work / "ocrmypdf"
    out.mkdir(exist_ok=True)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def ocr(path: Path) -> None:
        command = [sys.executable, "-m", "ocrmypdf", "--deskew", "--clean", "-l", "vie",
                   "--jobs", "1", "--image-dpi", "300", "--quiet",
                   str(path), str(out / (path.stem + ".pdf"))]  # fmt: skip
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"ocrmypdf failed on {path.name}: {done.stderr.strip()[-500:]}")

    started, cpu = time.monotonic(), _children_cpu()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(ocr, pages))
    return time.monotonic() - started, _children_cpu() - cpu


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
        images = _rasterise(scans, work)
        pages = len(images)
        bare, bare_cpu = _bare_tesseract(images, cores)
        missing = ocrmypdf_missing()
        peer = None if missing else _ocrmypdf(images, work, cores)
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
    if peer is None:
        print("OCRmyPDF --deskew --clean -l vie: not available here (missing: "
              f"{', '.join(missing)}); `make bench` installs it")  # fmt: skip
    else:
        print(f"OCRmyPDF --deskew --clean -l vie, {cores} at a time: {peer[0]:7.1f} s "
              f"= {rate(peer[0]):6.1f} pages/min, {peer[1] / max(pages, 1):.2f} CPU s a page; "
              f"emr-migrate run {peer[0] / many:.1f}x its pace")  # fmt: skip
    print(f"ratio run/bare: {bare / many:.2f} (target >= 0.85); "
          f"{cores} workers against 1: {one / many:.2f}x")  # fmt: skip
    per_page = lambda cpu: cpu / max(pages, 1)  # noqa: E731
    print(f"CPU s a page (the machine's load left out): bare {per_page(bare_cpu):.2f}, "
          f"run {per_page(many_cpu):.2f} ({cores} workers), {per_page(one_cpu):.2f} (1 worker); "
          f"ratio by CPU {bare_cpu / many_cpu:.2f}")  # fmt: skip
    if accuracy_charts:
        for design in ("form", "grid"):
            print(_accuracy_line(accuracy_charts, 4242, design))


def long_chart(charts: int, seed: int) -> None:
    """One PDF of several synthetic charts' pages read as one chart (`read_chart`), its pages
    one after another (one engine slot) and spread over one slot per core: wall and CPU
    seconds, and whether both read the same words and fields."""
    import threading

    from pipeline import timing
    from pipeline.chart import identify, read_chart
    from pipeline.config import settings_from_env
    from pipeline.models import ChartReading, ScanRef
    from pipeline.synthetic import generate_charts

    cores = max(1, min(4, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory(prefix="emr-long-") as tmp:
        scans = Path(tmp) / "scans"
        generate_charts(scans, Path(tmp) / "truth", count=charts, seed=seed, formats=("pdf",))
        long_pdf = Path(tmp) / "long.pdf"
        subprocess.run(["pdfunite", *map(str, sorted(scans.glob("*.pdf"))), str(long_pdf)],
                       check=True)  # fmt: skip

        def read(workers: int, name: str) -> tuple[ChartReading, float, float, float]:
            copy = Path(tmp) / name / "long.pdf"  # each its own copy (its pages beside it)
            copy.parent.mkdir()
            shutil.copy(long_pdf, copy)
            raw = identify(ScanRef(str(copy.parent), copy.name, copy.stat().st_size), copy, "0")
            settings = settings_from_env({"EMR_WORKDIR": tmp}, workers=workers)
            out: list[ChartReading] = []
            timing.reset()
            started, cpu = time.monotonic(), time.process_time()
            # a worker thread of its own, as the flow's
            worker = threading.Thread(
                target=lambda: out.append(read_chart(raw, settings, copy.parent / "pages"))
            )
            worker.start()
            worker.join()
            elapsed, used = time.monotonic() - started, time.process_time() - cpu
            return out[0], elapsed, used, timing.seconds("read scan")

        read(cores, "warm")  # every slot's model loaded first, not in either timing
        alone, alone_s, alone_cpu, alone_pages = read(1, "alone")
        spread, spread_s, spread_cpu, spread_pages = read(cores, "spread")
    pages = len(alone.pages)
    same_words = [p.words for p in alone.pages] == [p.words for p in spread.pages]
    same_fields = alone.fields == spread.fields
    print(f"one PDF of {charts} charts (seed {seed}): {pages} pages, read as one chart "
          f"(machine load now {os.getloadavg()[0]:.1f})")  # fmt: skip
    print(f"pages one after another (1 slot): {alone_s:6.1f} s wall, {alone_cpu:6.1f} CPU s "
          f"= {pages / alone_s * 60:5.1f} pages/min; its pages read in "
          f"{alone_pages:.1f} s")  # fmt: skip
    print(f"pages spread ({cores} slots):        {spread_s:6.1f} s wall, {spread_cpu:6.1f} CPU s "
          f"= {pages / spread_s * 60:5.1f} pages/min ({alone_s / spread_s:.2f}x); its pages "
          f"read in {spread_pages:.1f} s ({alone_pages / spread_pages:.2f}x)")  # fmt: skip
    print(f"same words on every page: {same_words}; same fields and decisions: {same_fields}")
