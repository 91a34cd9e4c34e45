"""One chart through the stages, as plain functions: scan -> pages -> OCR -> fields -> routing.

``read_chart`` is what the Prefect task runs for each document and what ``inspect`` runs on
one local file; it knows nothing of Prefect or the database.
"""

from __future__ import annotations

import errno
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import BlankScan, ScratchFull, UnrecognisedChart
from pipeline.extract.candidates import mark_ambiguous
from pipeline.extract.fields import cross_check, extract_fields, label_pages
from pipeline.extract.lists import find_medications, find_secondary_codes
from pipeline.extract.reread import reread_fields, restore_vietnamese_marks, second_opinion
from pipeline.ingest.pages import detect_media_type
from pipeline.models import (
    BoxReader,
    ChartReading,
    Decision,
    FieldCandidate,
    OcrPage,
    PageImage,
    RawScan,
    ScanRef,
)
from pipeline.ocr.boxes import ImageBoxReader, StoredBoxReader
from pipeline.ocr.engine import SECOND_OPINION_MODEL, TESSERACT_LANGUAGES, check_tesseract
from pipeline.ocr.reader import JPEG_QUALITY, jpeg_path, read_scan
from pipeline.ocr.tree import DocumentTree, Engine, PageTree
from pipeline.review.calibration import Calibration, load_calibration
from pipeline.review.routing import route_fields, route_list_entries
from pipeline.timing import count, stage

#: the check the second model's agreement adds (``extract/reread.second_opinion``)
SECOND_MODEL_AGREES = "second_model_agrees"


def identify(ref: ScanRef, path: Path, sha256: str) -> RawScan:
    """Decide what the copied bytes are (raises a DocumentRejected with a clerk's reason)."""
    return RawScan(ref, sha256, detect_media_type(path, ref.key), path)


#: spaCy's shared vocabulary (its string store) is not safe to write from two threads, and the
#: flow reads two documents at once: the few milliseconds of label and value finding take turns.
_SPACY = threading.Lock()


def read_chart(raw: RawScan, settings: Settings, page_dir: Path) -> ChartReading:
    language, images, ocr_pages = read_scan(raw, settings, page_dir)
    if not _timed_out(ocr_pages) and not any(_has_print(p) for p in ocr_pages):
        raise BlankScan(
            "no print was found on any page (a blank sheet, the back of a page or a scan of "
            "the scanner's lid): check the paper chart and scan it again"
        )
    boxes = ImageBoxReader(images, settings.ocr_timeout)  # each page loaded once for all
    reading = extract_chart(
        raw.sha256,
        language,
        ocr_pages,
        boxes if settings.reread else None,
        load_calibration(settings.calibration),
        every_opinion=settings.second_opinions == "all",
    )
    tree = document_tree(raw.sha256, language, ocr_pages, images, boxes, settings)
    return replace(reading, page_images=tuple(images), ocr=tree)


def extract_chart(
    sha256: str,
    language: str,
    ocr_pages: Sequence[OcrPage],
    boxes: BoxReader | None,
    calibration: Calibration | None,
    every_opinion: bool = False,
) -> ChartReading:
    """Fields, lists and routing from a chart's OCR: the same whether the pages were just read
    or come from stored trees (``replay_chart``). ``boxes``: the reader of field boxes (None:
    no re-reading). The second model reads only the fields whose routing its agreement could
    change (``deciding_fields``); every one with ``every_opinion`` or without a calibration
    (to gather evidence for fitting one)."""
    with stage("spaCy labels, fields"), _SPACY:  # each page's Doc and labels, built once
        labelled = label_pages(ocr_pages, language)
        if not _timed_out(ocr_pages) and not any(p.hits for p in labelled):
            # A page whose OCR timed out is kept empty for a person; otherwise words were read
            # but none is a label of either lexicon: no field could ever be found on this chart.
            raise UnrecognisedChart(
                "words were read but none of the labels of a Vietnamese or English chart: the "
                "chart is in another language, or is not an inpatient chart; enter it by hand or "
                "set it aside"
            )
        candidates = extract_fields(labelled)
        medications = find_medications(labelled)
        secondary_codes = find_secondary_codes(labelled)
    if boxes is not None:  # doubtful values read again from their boxes
        with stage("field re-reads"):
            candidates = reread_fields(candidates, boxes, language)
            if language == "en":
                candidates = restore_vietnamese_marks(candidates, boxes)
        with stage("second opinions"):
            asked = (
                range(len(candidates))
                if every_opinion or calibration is None
                else deciding_fields(candidates, calibration)
            )
            count("second opinions skipped", len(candidates) - len(asked))
            opinions = second_opinion([candidates[i] for i in asked], boxes, SECOND_OPINION_MODEL)
            candidates = list(candidates)
            for i, c in zip(asked, opinions, strict=True):
                candidates[i] = c
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


def _routed(candidates: Sequence[FieldCandidate], calibration: Calibration) -> list[Decision]:
    final = mark_ambiguous(cross_check(list(candidates)), cross_check)
    return [f.decision for f in route_fields(final, calibration)]


def deciding_fields(candidates: Sequence[FieldCandidate], calibration: Calibration) -> list[int]:
    """The fields whose routing the second model's agreement could change: those routed one
    way without it and the other with it (all agreements at once: the weights of passed
    checks keep their sign, so agreement can only raise a score). A value already accepted
    without it, or one that stays below its threshold even with it (a failed check, a rival
    value as plausible, too little else said for it), is not read by the second model."""
    agreed = [
        replace(c, checks_passed=(*c.checks_passed, SECOND_MODEL_AGREES)) if c.value else c
        for c in candidates
    ]
    without, with_agreement = _routed(candidates, calibration), _routed(agreed, calibration)
    return [i for i, (a, b) in enumerate(zip(without, with_agreement, strict=True)) if a != b]


def _timed_out(pages: Sequence[OcrPage]) -> bool:
    return any(p.warnings and not p.words for p in pages)


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


def _has_print(page: OcrPage) -> bool:
    """Any word with a letter or digit: specks read as '.' or '|' are not print."""
    return any(any(ch.isalnum() for ch in w.text) for w in page.words)


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


#: below this much free space a failure in the scratch folder is the disk's, not the scan's
_SCRATCH_FULL_BYTES = 16 * 1024 * 1024


def check_scratch_space(settings: Settings) -> None:
    """Refuse to start a run on a scratch folder with less room than a few pages need."""
    folder = settings.scratch_dir()
    free = shutil.disk_usage(folder).free
    if free < settings.min_scratch_mib * 1024 * 1024:
        raise ScratchFull(
            f"the scratch folder {folder} has only {free // (1024 * 1024)} MiB free (at least "
            f"{settings.min_scratch_mib} MiB are needed): free some space or set EMR_WORKDIR "
            "to a larger disk, then run again"
        )


def scratch_full(folder: Path, exc: BaseException) -> ScratchFull | None:
    """The error to stop the run with when ``exc`` came from a full scratch disk, else None.

    Tools such as pdftoppm report a full disk as a page they could not render, so the free
    space decides as well as the error number."""
    no_space = isinstance(exc, OSError) and exc.errno == errno.ENOSPC
    if not no_space and shutil.disk_usage(folder).free >= _SCRATCH_FULL_BYTES:
        return None
    return ScratchFull(
        f"the scratch folder {folder.parent} ran out of space: free some space or set "
        "EMR_WORKDIR to a larger disk, then run again to resume (no document was lost)"
    )


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
