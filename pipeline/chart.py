"""One chart through the stages, as plain functions: scan -> pages -> OCR -> fields -> routing.

``read_chart`` is what the Prefect task runs for each document and what ``inspect`` runs on
one local file; it knows nothing of Prefect or the database.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pipeline.config import Settings
from pipeline.extract.candidates import mark_ambiguous
from pipeline.extract.fields import cross_check, extract_fields, label_pages
from pipeline.extract.lists import find_medications, find_secondary_codes
from pipeline.extract.reread import reread_fields, restore_vietnamese_marks, second_opinion
from pipeline.ingest.pages import detect_media_type
from pipeline.models import BoxReader, ChartReading, OcrPage, PageImage, RawScan, ScanRef
from pipeline.ocr.boxes import ImageBoxReader, StoredBoxReader
from pipeline.ocr.engine import TESSERACT_LANGUAGES, check_tesseract
from pipeline.ocr.reader import prepare_pages, read_pages
from pipeline.ocr.tree import DocumentTree, Engine, PageTree
from pipeline.review.calibration import Calibration, load_calibration
from pipeline.review.routing import route_fields, route_list_entries


def identify(ref: ScanRef, path: Path, sha256: str) -> RawScan:
    """Decide what the copied bytes are (raises a DocumentRejected with a clerk's reason)."""
    return RawScan(ref, sha256, detect_media_type(path, ref.key), path)


#: spaCy's shared vocabulary (its string store) is not safe to write from two threads, and the
#: flow reads two documents at once: the few milliseconds of label and value finding take turns.
_SPACY = threading.Lock()


def read_chart(raw: RawScan, settings: Settings, page_dir: Path) -> ChartReading:
    pages = prepare_pages(raw, settings, page_dir)
    language, images, ocr_pages = read_pages(
        pages, settings.language, settings.ocr_timeout, recover=settings.reread
    )
    boxes = ImageBoxReader(images, settings.ocr_timeout)  # each page loaded once for all
    reading = extract_chart(
        raw.sha256,
        language,
        ocr_pages,
        boxes if settings.reread else None,
        load_calibration(settings.calibration),
        settings.ocr_timeout,
    )
    tree = document_tree(raw.sha256, language, ocr_pages, images, boxes, settings)
    return replace(reading, page_images=tuple(images), ocr=tree)


def extract_chart(
    sha256: str,
    language: str,
    ocr_pages: Sequence[OcrPage],
    boxes: BoxReader | None,
    calibration: Calibration | None,
    timeout: float = 120.0,
) -> ChartReading:
    """Fields, lists and routing from a chart's OCR: the same whether the pages were just read
    or come from stored trees (``replay_chart``). ``boxes``: the reader of field boxes (None:
    no re-reading)."""
    with _SPACY:  # each page's Doc and labels, built once, read by fields and lists
        labelled = label_pages(ocr_pages, language)
        candidates = extract_fields(labelled)
        medications = find_medications(labelled)
        secondary_codes = find_secondary_codes(labelled)
    if boxes is not None:  # doubtful values read again from their boxes
        candidates = reread_fields(candidates, boxes, language, timeout)
        if language == "en":
            candidates = restore_vietnamese_marks(candidates, boxes, timeout)
        candidates = second_opinion(candidates, boxes, timeout)
    # then held against each other as kept, and against the other values the page offered
    candidates = mark_ambiguous(cross_check(candidates), cross_check)
    return ChartReading(
        sha256=sha256,
        language=language,
        pages=tuple(ocr_pages),
        fields=route_fields(candidates, calibration),
        medications=route_list_entries(medications),
        secondary_icd10=route_list_entries(secondary_codes),
    )


def document_tree(
    sha256: str,
    language: str,
    ocr_pages: Sequence[OcrPage],
    images: Sequence[PageImage],
    boxes: ImageBoxReader,
    settings: Settings,
) -> DocumentTree:
    """The chart's OCR as kept: each page's words and the field boxes read again on it."""
    by_number = {i.number: i for i in images}
    engine = Engine(
        name="tesseract",
        version=check_tesseract(),
        model=TESSERACT_LANGUAGES.get(language, language),
        settings=tuple(
            sorted(
                {
                    "psm": "3",
                    "cleanup": str(settings.cleanup),
                    "reread": str(settings.reread),
                    "pdf_dpi": str(settings.pdf_dpi),
                }.items()
            )
        ),
    )
    pages = []
    for page in ocr_pages:
        readings, marks = boxes.page_readings(page.number)
        pages.append(PageTree.of(page, by_number.get(page.number), engine, readings, marks))
    return DocumentTree(sha256, language, tuple(pages))


def replay_chart(tree: DocumentTree, calibration: Calibration | None) -> ChartReading:
    """A chart read again from its stored OCR, without the engine: box re-readings come from
    the tree (``StoredBoxReader``), so the result is the live run's."""
    boxes = StoredBoxReader(tree) if tree.rereads_boxes else None
    reading = extract_chart(tree.sha256, tree.language, tree.ocr_pages(), boxes, calibration)
    return replace(reading, ocr=tree)


def encode_pages(reading: ChartReading, quality: int = 80) -> dict[int, bytes]:
    """The cleaned pages as JPEG, kept for the review desk's crops (boxes are in their pixels)."""
    import cv2

    out = {}
    for page in reading.page_images:
        pixels = cv2.imread(str(page.path), cv2.IMREAD_GRAYSCALE)
        if pixels is not None:
            ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok:
                out[page.number] = data.tobytes()
    return out


class Scratch:
    """A private scratch folder per document, removed afterwards unless asked to keep it."""

    def __init__(self, settings: Settings, keep: bool = False) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="emr-doc-", dir=settings.scratch_dir()))
        self.keep = keep

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)
