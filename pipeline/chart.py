"""One chart through the stages, as plain functions: scan -> pages -> OCR -> fields -> routing.

``read_chart`` is what the Prefect task runs for each document and what ``inspect`` runs on
one local file; it knows nothing of Prefect or the database.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

from pipeline.config import Settings
from pipeline.extract.fields import cross_check, extract_fields, label_pages
from pipeline.extract.lists import find_medications, find_secondary_codes
from pipeline.extract.reread import (
    PageBoxes,
    reread_fields,
    restore_vietnamese_marks,
    second_opinion,
)
from pipeline.ingest.pages import detect_media_type
from pipeline.models import ChartReading, RawScan, ScanRef
from pipeline.ocr.reader import JPEG_QUALITY, jpeg_path, read_scan
from pipeline.review.calibration import load_calibration
from pipeline.review.routing import route_fields, route_list_entries
from pipeline.timing import stage


def identify(ref: ScanRef, path: Path, sha256: str) -> RawScan:
    """Decide what the copied bytes are (raises a DocumentRejected with a clerk's reason)."""
    return RawScan(ref, sha256, detect_media_type(path, ref.key), path)


#: spaCy's shared vocabulary (its string store) is not safe to write from two threads, and the
#: flow reads two documents at once: the few milliseconds of label and value finding take turns.
_SPACY = threading.Lock()


def read_chart(raw: RawScan, settings: Settings, page_dir: Path) -> ChartReading:
    language, images, ocr_pages = read_scan(raw, settings, page_dir)
    with (
        stage("spaCy labels, fields"),
        _SPACY,
    ):  # each page's Doc and labels, built once, read by fields and lists
        labelled = label_pages(ocr_pages, language)
        candidates = extract_fields(labelled)
        medications = find_medications(labelled)
        secondary_codes = find_secondary_codes(labelled)
    if settings.reread:  # doubtful values read again from their boxes
        boxes = PageBoxes(images)  # each page loaded once for all three
        with stage("field re-reads"):
            candidates = reread_fields(candidates, boxes, language, settings.ocr_timeout)
            if language == "en":
                candidates = restore_vietnamese_marks(candidates, boxes, settings.ocr_timeout)
        with stage("second opinions"):
            candidates = second_opinion(candidates, boxes, settings.ocr_timeout)
    # then held against each other as kept
    candidates = cross_check(candidates)
    return ChartReading(
        sha256=raw.sha256,
        language=language,
        pages=tuple(ocr_pages),
        fields=route_fields(candidates, load_calibration(settings.calibration)),
        medications=route_list_entries(medications),
        secondary_icd10=route_list_entries(secondary_codes),
        page_images=tuple(images),
    )


def encode_pages(reading: ChartReading, quality: int = JPEG_QUALITY) -> dict[int, bytes]:
    """The cleaned pages as JPEG, kept for the review desk's crops (boxes are in their pixels):
    the files encoded while each page was in memory, else encoded from its PGM."""
    import cv2

    out = {}
    for page in reading.page_images:
        encoded = jpeg_path(page)
        if quality == JPEG_QUALITY and encoded.is_file():
            out[page.number] = encoded.read_bytes()
            continue
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
