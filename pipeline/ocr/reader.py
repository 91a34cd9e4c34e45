"""Turn a scan into cleaned page images and OCR pages: rasterise, clean, decide language, read."""

from __future__ import annotations

import errno
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from pipeline.config import Settings
from pipeline.ingest.pages import iter_pages
from pipeline.models import OcrPage, PageImage, RawScan
from pipeline.ocr.cleanup import CleanPage, clean_page
from pipeline.ocr.engine import ocr_page
from pipeline.ocr.recover import recover_missed_text
from pipeline.ocr.stops import unprinted_stops
from pipeline.ocr.ticks import mark_ticks

# A page read upside down gives few, low-confidence words: only then is it turned and re-read.
_UPSIDE_DOWN_SUSPECT = 0.55

_ENGLISH_HINTS = {
    "patient",
    "name",
    "date",
    "birth",
    "sex",
    "gender",
    "address",
    "admitted",
    "admission",
    "discharged",
    "discharge",
    "diagnosis",
    "hospital",
    "department",
    "insurance",
    "national",
    "physician",
    "outcome",
    "occupation",
    "the",
    "of",
    "and",
}
_VIETNAMESE_HINTS = {
    "họ",
    "tên",
    "ngày",
    "sinh",
    "giới",
    "bệnh",
    "viện",
    "vào",
    "ra",
    "khoa",
    "chẩn",
    "đoán",
    "địa",
    "chỉ",
    "nghề",
    "nghiệp",
    "dân",
    "tộc",
    "số",
    "thẻ",
    "điều",
    "trị",
    "người",
}


def detect_language(page: OcrPage) -> str:
    """``en`` when the page reads as English, else ``vi`` (the archive's main language)."""
    tokens = [
        re.sub(r"[^\w]", "", unicodedata.normalize("NFC", w.text).lower()) for w in page.words
    ]
    english = sum(t in _ENGLISH_HINTS for t in tokens)
    vietnamese = sum(t in _VIETNAMESE_HINTS for t in tokens)
    return "en" if english > 2 * vietnamese and english >= 5 else "vi"


def _write_page(pixels: np.ndarray, path: Path) -> None:
    # Uncompressed PGM: written in a few ms (PNG took ~0.1 s a page) and Tesseract reads it.
    if not cv2.imwrite(str(path), pixels):  # a full disk says so only by this False
        raise OSError(errno.ENOSPC, "cannot write a page image to the scratch folder")


def prepare_pages(raw: RawScan, settings: Settings, out_dir: Path) -> list[PageImage]:
    out_dir.mkdir(parents=True, exist_ok=True)
    pages: list[PageImage] = []
    pages_in = iter_pages(
        raw.path, raw.media_type, settings.pdf_dpi, settings.max_page_pixels, settings.max_pages
    )
    for raster in pages_in:
        if settings.cleanup:
            clean = clean_page(raster.pixels, raster.dpi)
        else:  # the page as scanned: a baseline to measure cleanup against
            clean = CleanPage(raster.pixels, 0.0, raster.dpi)
        path = out_dir / f"page-{raster.number:03d}.pgm"
        _write_page(clean.pixels, path)
        h, w = clean.pixels.shape
        pages.append(PageImage(raster.number, path, w, h, clean.dpi, False, clean.skew_degrees))
    return pages


def _read_upright(page: PageImage, language: str, timeout: float) -> tuple[PageImage, OcrPage]:
    ocr = ocr_page(page.path, page.number, page.width, page.height, language, timeout)
    if ocr.words and ocr.mean_confidence >= _UPSIDE_DOWN_SUSPECT:
        return page, ocr
    if _timed_out(ocr):  # kept empty with its warning: reading it again would time out again
        return page, ocr
    # Cleanup (deskew, lighting, furniture) does not depend on which way up the page is:
    # turning the page is all that is left to do.
    grey = np.asarray(cv2.imread(str(page.path), cv2.IMREAD_GRAYSCALE), dtype=np.uint8)
    turned_path = page.path.with_name(page.path.stem + "-turned.pgm")
    _write_page(cv2.rotate(grey, cv2.ROTATE_180), turned_path)
    turned = ocr_page(turned_path, page.number, page.width, page.height, language, timeout)
    if sum(w.confidence for w in turned.words) > sum(w.confidence for w in ocr.words):
        turned_path.replace(page.path)
        return replace(page, rotated_180=True), turned
    turned_path.unlink(missing_ok=True)
    return page, ocr


def read_pages(
    pages: list[PageImage], language: str, timeout: float, recover: bool = True
) -> tuple[str, list[PageImage], list[OcrPage]]:
    """OCR every page with one language model: the batch's, or detected on the first page
    (running ``vie+eng`` together is slower and loses diacritics); with ``recover``, print the
    page reading missed is read again (``recover.py``), ticked boxes are marked in the
    words (``ticks.py``) and full stops the page does not show are taken off (``stops.py``)."""
    if not pages:
        return (language if language != "auto" else "vi"), [], []
    first_lang = "vi" if language == "auto" else language
    first_image, first = _read_upright(pages[0], first_lang, timeout)
    chosen = first_lang
    if language == "auto":
        chosen = detect_language(first)
        if chosen != first_lang:
            first_image, first = _read_upright(first_image, chosen, timeout)
    images, ocr_pages = [first_image], [first]
    for page in pages[1:]:
        image, ocr = _read_upright(page, chosen, timeout)
        images.append(image)
        ocr_pages.append(ocr)
    if recover:
        ocr_pages = [_recover(o, i, timeout) for o, i in zip(ocr_pages, images, strict=True)]
    return chosen, images, ocr_pages


def _timed_out(ocr: OcrPage) -> bool:
    return not ocr.words and bool(ocr.warnings)


def _recover(ocr: OcrPage, image: PageImage, timeout: float) -> OcrPage:
    """Missed print read again, then ticked boxes marked and full stops the page does not
    show taken off, on the page image loaded once."""
    if _timed_out(ocr):  # every line of it would be 'missed' and read again, one by one
        return ocr
    pixels = cv2.imread(str(image.path), cv2.IMREAD_GRAYSCALE)
    if pixels is None:
        return ocr
    grey = np.asarray(pixels, dtype=np.uint8)
    return unprinted_stops(mark_ticks(recover_missed_text(ocr, grey, timeout), grey), grey)
