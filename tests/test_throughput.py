"""Reading at the machine's limit: the engine loaded once per worker, each page read once, a
long PDF streamed in bounded memory, a bad source told before Prefect starts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline import timing
from pipeline.bench_models import REAL_DIR
from pipeline.config import settings_from_env
from pipeline.models import OcrPage, PageImage, RawScan, ScanRef
from pipeline.ocr.reader import read_scan

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
VI_LINES = [
    "BỆNH ÁN NỘI KHOA",
    "1. Họ và tên (In hoa): TRẦN THỊ BÌNH",
    "2. Sinh ngày: 05/11/1978        Giới: Nữ",
    "3. Địa chỉ: Phường Bến Nghé, Quận 1, TP Hồ Chí Minh",
    "4. Chẩn đoán ra viện: Sốt xuất huyết Dengue",
]
EN_LINES = [
    "INPATIENT MEDICAL RECORD",
    "Patient name: TRAN THI BINH",
    "Date of birth: 05/11/1978    Sex: Female",
    "Address: 12 Le Loi Street, District 1",
    "Principal diagnosis: Dengue fever",
]
T = TypeVar("T")


def page(lines: list[str], top: int = 150) -> Image.Image:
    img = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 30)
    for i, line in enumerate(lines):
        draw.text((120, top + i * 70), line, font=font, fill=0)
    return img


def pdf(path: Path, pages: list[Image.Image]) -> RawScan:
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=200)
    return RawScan(ScanRef(str(path.parent), path.name, path.stat().st_size), "0" * 64, "pdf", path)


def in_new_thread(job: Callable[[], T]) -> T:
    """A worker thread of its own: no model loaded in it yet."""
    out: list[T] = []
    worker = threading.Thread(target=lambda: out.append(job()))
    worker.start()
    worker.join()
    return out[0]


@pytest.mark.tesseract
def test_the_model_is_loaded_once_per_worker_and_each_page_read_once(tmp_path: Path) -> None:
    upside_down = page(VI_LINES + VI_LINES, top=900).rotate(180)
    raw = pdf(tmp_path / "chart.pdf", [page(VI_LINES), upside_down, page(VI_LINES[1:])])
    settings = settings_from_env({"EMR_WORKDIR": str(tmp_path / "w")})

    def worker() -> tuple[dict[str, int], tuple[str, list[PageImage], list[OcrPage]], int]:
        timing.reset()
        first = read_scan(raw, settings, tmp_path / "p")
        counted = {k: timing.calls(k) for k in ("engine loads", "page reads", "page rows read")}
        read_scan(raw, settings, tmp_path / "again")  # a second chart in the same worker
        return counted, first, timing.calls("engine loads")

    counted, (language, images, pages), loads = in_new_thread(worker)
    assert language == "vi" and len(pages) == 3
    assert counted["engine loads"] == 1  # the Vietnamese model, for the pages and boxes
    assert loads == 1  # and kept for the next chart
    assert counted["page reads"] == 3
    # the language was decided on a band of the first page, not on a second read of it
    assert counted["page rows read"] <= sum(i.height for i in images)
    assert [i.rotated_180 for i in images] == [False, True, False]
    assert "BÌNH" in [w.text for w in pages[1].words]


@pytest.mark.tesseract
def test_an_english_chart_is_read_once_in_english(tmp_path: Path) -> None:
    raw = pdf(tmp_path / "chart.pdf", [page(EN_LINES), page(EN_LINES[1:])])
    settings = settings_from_env({"EMR_WORKDIR": str(tmp_path / "w")})
    timing.reset()
    language, images, pages = read_scan(raw, settings, tmp_path / "p")
    assert language == "en" and [p.language for p in pages] == ["en", "en"]
    assert timing.calls("page reads") == 2
    first = images[0].height
    # the band that told the language, then the page once: well under two reads of it
    assert timing.calls("page rows read") <= 0.3 * first + sum(i.height for i in images)
    assert "BINH" in [w.text for w in pages[0].words]


_LONG_CHART = """
import sys
from pathlib import Path
from pipeline.chart import encode_pages, read_chart
from pipeline.timing import peak_memory_mib
from pipeline.config import settings_from_env
from pipeline.models import OcrPage, PageImage, RawScan, ScanRef
path = Path(sys.argv[1])
raw = RawScan(ScanRef(str(path.parent), path.name, path.stat().st_size), "0" * 64, "pdf", path)
settings = settings_from_env({"EMR_WORKDIR": sys.argv[2], "EMR_CLEANUP": "off"})
reading = read_chart(raw, settings, Path(sys.argv[2]) / "pages")
jpegs = encode_pages(reading)
print(len(reading.pages), len(jpegs), round(peak_memory_mib()))
"""


@pytest.mark.tesseract
@pytest.mark.slow
def test_a_300_page_pdf_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """Each page is rasterised, read and written on its own: a worker's memory does not grow
    with the chart (300 A4 pages at 300 dpi held whole would be 2.6 GB of pixels)."""
    one = tmp_path / "one.pdf"
    page(VI_LINES[:2]).save(one, resolution=200)
    long_pdf = tmp_path / "long.pdf"
    subprocess.run(["pdfunite", *([str(one)] * 300), str(long_pdf)], check=True)
    done = subprocess.run(
        [sys.executable, "-c", _LONG_CHART, str(long_pdf), str(tmp_path / "w")],
        # a clean environment: what the suite's other tests left in it does not count
        env={
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/root"),
            "OMP_THREAD_LIMIT": "1",
            "PYTHONPATH": os.getcwd(),
        },  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    )
    pages, jpegs, peak = done.stdout.split()
    assert (pages, jpegs) == ("300", "300")
    print(f"\n300-page PDF: peak RSS {peak} MiB")  # the child's own (VmHWM), not the suite's
    assert int(peak) < 1024, f"peak RSS {peak} MiB"


def test_a_bad_source_is_rejected_before_prefect_starts(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from pipeline.cli import main\n"
        "code = main(['run', sys.argv[1], '--batch', 'b'])\n"
        "print('prefect imported' if 'prefect' in sys.modules else 'no prefect')\n"
        "sys.exit(code)\n"
    )
    missing = tmp_path / "no-such-folder"
    done = subprocess.run(
        [sys.executable, "-c", probe, str(missing)],
        env={**os.environ, "EMR_DATABASE_URL": f"sqlite:///{tmp_path / 'emr.db'}"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "neither s3://bucket/prefix nor an existing folder" in done.stderr
    assert done.stdout.strip() == "no prefect"
    assert not (tmp_path / "emr.db").exists()  # nothing was started, not even the database


def test_stage_timer_counts_calls_and_rows() -> None:
    timing.reset()
    with timing.stage("x"):
        timing.count("rows", 5)
    timing.count("rows", 2)
    assert timing.calls("x") == 1 and timing.calls("rows") == 7
    table = timing.stage_table(pages=1, wall=1.0, cpu=1.0)
    assert table.splitlines()[1].startswith("x")


@pytest.mark.skipif(shutil.which("pdfunite") is None, reason="poppler-utils absent")
def test_pages_stream_one_at_a_time(tmp_path: Path) -> None:
    """The generator gives a page before the next is rasterised: a consumer holds one."""
    from pipeline.ingest.pages import iter_pages

    raw = pdf(tmp_path / "c.pdf", [page(VI_LINES), page(EN_LINES), page(VI_LINES)])
    pages = iter_pages(raw.path, "pdf", 100, 10**9)
    first = next(pages)
    rendered = list((tmp_path / "c.pdf.pages").iterdir())
    assert first.number == 1 and rendered == []  # its file is gone, the next not yet made
    assert isinstance(first.pixels, np.ndarray) and first.pixels.ndim == 2
    assert [p.number for p in pages] == [2, 3]
    assert cv2.countNonZero(255 - first.pixels) > 0


def test_small_print_is_told_by_letter_height() -> None:
    """A page's print at 300 dpi is not small; the same page captured at a third of its size
    (as a phone gives, claiming no resolution) is."""
    from pipeline.ocr.reader import small_print

    grey = np.asarray(page(VI_LINES).resize((2480, 3508)))
    assert not small_print(grey, 300)
    tiny = cv2.resize(grey, None, fx=1 / 3, fy=1 / 3, interpolation=cv2.INTER_AREA)
    assert small_print(tiny, 300)
    assert not small_print(tiny, 100)  # the same pixels, at the resolution they were taken at


REAL = REAL_DIR  # ../shared/realdata/vaipe beside the repository


@pytest.mark.tesseract
@pytest.mark.skipif(not REAL.is_dir(), reason="real prescriptions not at hand")
def test_cleanup_is_switched_off_on_real_pages_it_reads_worse(tmp_path: Path) -> None:
    """On real phone captures the pipeline's reading is at least as good as the bare scan's,
    where cleanup on every page loses words (word F1 against the published boxes' text)."""
    import csv

    from pipeline.bench_models import _word_f1

    def f1(image: Path, cleanup: str) -> float:
        settings = settings_from_env({"EMR_WORKDIR": str(tmp_path), "EMR_CLEANUP": cleanup},
                                     language="vi")  # fmt: skip
        raw = RawScan(ScanRef(str(REAL), image.name, 0), "0" * 64, "png", image)
        _, _, pages = read_scan(raw, settings, tmp_path / "p")
        with (REAL / "labels" / (image.stem + ".csv")).open(encoding="utf-8") as fh:
            truth = " ".join(r["Object"] for r in csv.DictReader(fh) if r.get("Object"))
        return _word_f1(" ".join(w.text for w in pages[0].words), truth)

    images = sorted((REAL / "images").glob("*.png"))[:4]
    timing.reset()
    chosen = [f1(i, "on") for i in images]
    assert timing.calls("cleanup switched off") >= 1
    bare = [f1(i, "off") for i in images]
    assert sum(chosen) >= sum(bare) - 0.02 * len(images)


class _CountingReader:
    """The stored box readings of a chart, counting what the second model is asked to read."""

    def __init__(self, tree: object) -> None:
        from pipeline.ocr.boxes import StoredBoxReader

        self.inner = StoredBoxReader(tree)  # type: ignore[arg-type]
        self.second_model_reads = 0

    def read(self, page, bbox, model, **how):  # type: ignore[no-untyped-def]
        from pipeline.ocr.engine import SECOND_OPINION_MODEL

        self.second_model_reads += model == SECOND_OPINION_MODEL
        return self.inner.read(page, bbox, model, **how)

    def marks_printed(self, page, bbox):  # type: ignore[no-untyped-def]
        return self.inner.marks_printed(page, bbox)


def test_second_opinions_only_where_they_can_change_the_routing() -> None:
    """The regression corpus (stored OCR, every box read by the second model) routed with the
    shipped calibration: asking the second model only about the fields its agreement could
    move across their threshold gives every field the same value and decision, and asks it
    about fewer fields."""
    from pipeline.chart import extract_chart
    from pipeline.replay import load_stored
    from pipeline.review.calibration import load_calibration

    calibration = load_calibration(None)
    asked = {True: 0, False: 0}
    charts = load_stored(Path(__file__).parent / "corpus")
    assert charts
    for chart in charts:
        tree = chart.ocr
        routed = {}
        for every in (True, False):
            boxes = _CountingReader(tree)
            reading = extract_chart(tree.sha256, tree.language, tree.ocr_pages(), boxes,
                                    calibration, every_opinion=every)  # fmt: skip
            routed[every] = {f.key: (f.candidate.value, f.decision) for f in reading.fields}
            asked[every] += boxes.second_model_reads
        assert routed[False] == routed[True], chart.name
    assert 0 < asked[False] < asked[True] / 2


def test_a_live_run_asking_fewer_second_opinions_replays_without_misses(tmp_path: Path) -> None:
    """A chart read with the default settings (the second model asked only where it could
    change the routing) replays from its stored tree with the same calibration to the same
    fields, every box it asks for stored."""
    from pipeline.chart import extract_chart, identify, read_chart
    from pipeline.config import Settings
    from pipeline.ocr.boxes import StoredBoxReader
    from pipeline.review.calibration import load_calibration
    from pipeline.synthetic import generate_charts

    (truth,) = generate_charts(tmp_path / "scans", tmp_path / "truth", 1, 7300, formats=("png",))
    path = tmp_path / "scans" / truth.document
    raw = identify(ScanRef(str(path.parent), truth.document, path.stat().st_size), path, "x")
    timing.reset()
    live = read_chart(raw, Settings(), tmp_path / "pages")
    assert live.ocr is not None and timing.calls("second opinions skipped") > 0
    boxes = StoredBoxReader(live.ocr)
    tree = live.ocr
    again = extract_chart(tree.sha256, tree.language, tree.ocr_pages(), boxes,
                          load_calibration(None))  # fmt: skip
    assert boxes.misses == 0
    assert again.fields == live.fields
