"""A scan into cleaned page images and OCR pages, page by page: rasterise, clean, turn, read."""

from __future__ import annotations

import errno
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from pipeline.config import Settings
from pipeline.ingest.pages import RasterPage, iter_pages
from pipeline.models import OcrPage, OcrWord, PageImage, RawScan
from pipeline.ocr.cleanup import CleanPage, clean_page
from pipeline.ocr.components import components
from pipeline.ocr.engine import ocr_page, read_image
from pipeline.ocr.orientation import upside_down
from pipeline.ocr.recover import recover_missed_text
from pipeline.ocr.stops import unprinted_stops
from pipeline.ocr.ticks import mark_ticks
from pipeline.timing import count, stage

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


def detect_language(page: OcrPage, least: int = 5) -> str:
    """``en`` when the page reads as English (at least ``least`` English words, twice as many
    as Vietnamese ones), else ``vi`` (the archive's main language)."""
    tokens = [
        re.sub(r"[^\w]", "", unicodedata.normalize("NFC", w.text).lower()) for w in page.words
    ]
    english = sum(t in _ENGLISH_HINTS for t in tokens)
    vietnamese = sum(t in _VIETNAMESE_HINTS for t in tokens)
    return "en" if english > 2 * vietnamese and english >= least else "vi"


def _write_page(pixels: np.ndarray, path: Path) -> None:
    # Uncompressed PGM: written in a few ms (PNG took ~0.1 s a page); re-reads load it back.
    with stage("write page image"):
        if not cv2.imwrite(str(path), pixels):  # a full disk says so only by this False
            raise OSError(errno.ENOSPC, "cannot write a page image to the scratch folder")


def _clean(raster: RasterPage, settings: Settings) -> CleanPage:
    if settings.cleanup:
        return clean_page(raster.pixels, raster.dpi)
    return CleanPage(raster.pixels, 0.0, raster.dpi)  # as scanned: to measure cleanup against


def prepare_pages(raw: RawScan, settings: Settings, out_dir: Path) -> list[PageImage]:
    """The scan's pages cleaned and written, not read (to look at what cleanup did)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pages: list[PageImage] = []
    pages_in = iter_pages(
        raw.path, raw.media_type, settings.pdf_dpi, settings.max_page_pixels, settings.max_pages
    )
    for raster in pages_in:
        clean = _clean(raster, settings)
        path = out_dir / f"page-{raster.number:03d}.pgm"
        _write_page(clean.pixels, path)
        h, w = clean.pixels.shape
        pages.append(PageImage(raster.number, path, w, h, clean.dpi, False, clean.skew_degrees))
    return pages


#: a letter's median height (px) below which the page's print is smaller than on a flatbed
#: scan at the resolution it claims (a phone capture): cleanup's sizes may not fit it
_SMALL_PRINT = 18


def _confident_characters(words: tuple[OcrWord, ...]) -> float:
    """Characters read, each weighted by its word's confidence: fewer words read surely, or
    as many read doubtfully, both score lower."""
    return sum(len(w.text) * w.confidence for w in words if any(c.isalnum() for c in w.text))


def small_print(grey: np.ndarray, dpi: int = 300) -> bool:
    """Whether the page's letters are smaller than cleanup is made for (the median height of
    letter-sized pieces of ink, at 300 dpi): phone captures of a page, where cleanup made for
    flatbed scans (deskew, rules erased) cost words on 16 of 20 real prescriptions."""
    ink = (grey < 128).astype(np.uint8)
    found, _, stats = components(ink)
    w, h = stats[1:found, 2], stats[1:found, 3]
    letters = h[(h >= 4) & (w >= 2) & (w <= 3 * h) & (h <= 200)]
    return bool(letters.size) and float(np.median(letters)) * 300 / dpi < _SMALL_PRINT


#: the band of a chart's first page read first, to decide its language: its first lines of
#: print (heading and first labels), within its top 40 %
_STRIP_LINES, _STRIP_MAX = 8, 0.4
#: English words a strip must show (the whole page: 5) for the chart to be read as English
_STRIP_LEAST = 3
_SPECK = 8  # px: inked rows fewer than this are specks or rules, not a line of print


def _strip_end(pixels: np.ndarray) -> int | None:
    """A blank row after the page's first ``_STRIP_LINES`` lines of print (or after as many as
    its top 40 % holds): a cut through no line. None when the top holds no print at all."""
    inked = (pixels[: round(pixels.shape[0] * _STRIP_MAX)] < 128).any(axis=1)
    edges = np.diff(np.concatenate(([0], inked.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    lines = [(a, b) for a, b in zip(starts, ends, strict=True) if b - a >= _SPECK]
    if not lines:
        return None
    last = lines[min(_STRIP_LINES, len(lines)) - 1][1]
    later = [a for a, _ in lines if a > last]  # the next line, if the top holds one
    return int((last + later[0]) // 2 if later else last + 1)


def _shifted(words: tuple[OcrWord, ...], dy: int, lines: int) -> tuple[OcrWord, ...]:
    return tuple(
        replace(w, bbox=(w.bbox[0], w.bbox[1] + dy, w.bbox[2], w.bbox[3] + dy),
                line_id=w.line_id + lines)
        for w in words
    )  # fmt: skip


def read_first_page(
    page: PageImage, pixels: np.ndarray, timeout: float
) -> tuple[str, tuple[OcrWord, ...], tuple[str, ...]]:
    """The chart's language and its first (upright) page's words, the page read about once:
    a band at its top read with the Vietnamese model decides; a Vietnamese page then has the
    rest read with the same model, an English one is read whole with the English model. Where
    the band misjudged, the whole Vietnamese reading still tells (and the page is read again)."""
    cut = _strip_end(pixels)
    top = pixels[: cut or round(pixels.shape[0] * _STRIP_MAX)]
    with stage("language (strip read)"):
        strip, warnings = read_image(top, "vi", timeout, page.dpi, page.number, whole=False)
    language = detect_language(OcrPage(1, page.width, top.shape[0], strip, "vi"), _STRIP_LEAST)
    if language == "en":
        words, warnings = read_image(pixels, "en", timeout, page.dpi, page.number)
        return language, words, warnings
    if cut is None:  # no clean cut: the band was only a look, the page is read whole
        words, warnings = read_image(pixels, "vi", timeout, page.dpi, page.number)
    else:
        count("page reads")  # the band and the rest: one page read
        rest, more = read_image(pixels[cut:], "vi", timeout, page.dpi, page.number, whole=False)
        lines = max((w.line_id for w in strip), default=-1) + 1
        words, warnings = strip + _shifted(rest, cut, lines), warnings + more
    if warnings:  # a part timed out: the page is kept empty with its warning, not in part
        return "vi", (), warnings
    if detect_language(OcrPage(1, page.width, page.height, words, "vi")) == "en":
        with stage("language (second read)"):
            words, warnings = read_image(pixels, "en", timeout, page.dpi, page.number)
        return "en", words, warnings
    return "vi", words, warnings


def _read_upright(
    page: PageImage, pixels: np.ndarray, language: str, timeout: float
) -> tuple[PageImage, np.ndarray, OcrPage]:
    """The page turned upright if its print shows it upside down, then read once (``auto``:
    the first page, its language decided on the way). Only a page whose print cannot tell,
    read with few and doubtful words, is read again turned."""
    with stage("orientation"):
        turned = upside_down(pixels, page.dpi)
    if turned:
        pixels = cv2.rotate(pixels, cv2.ROTATE_180)
        page = replace(page, rotated_180=True)
    if language == "auto":
        language, words, warnings = read_first_page(page, pixels, timeout)
        ocr = OcrPage(page.number, page.width, page.height, words, language, warnings)
    else:
        ocr = ocr_page(pixels, page.number, page.width, page.height, language, timeout, page.dpi)
    language = ocr.language
    if turned is not None or (ocr.words and ocr.mean_confidence >= _UPSIDE_DOWN_SUSPECT):
        return page, pixels, ocr
    if _timed_out(ocr):  # kept empty with its warning: reading it again would time out again
        return page, pixels, ocr
    other = cv2.rotate(pixels, cv2.ROTATE_180)
    with stage("orientation (turned re-read)"):
        again = ocr_page(other, page.number, page.width, page.height, language, timeout, page.dpi)
    if sum(w.confidence for w in again.words) > sum(w.confidence for w in ocr.words):
        return replace(page, rotated_180=not page.rotated_180), other, again
    return page, pixels, ocr


def _read_one(
    page: PageImage,
    pixels: np.ndarray,
    language: str,
    timeout: float,
    recover: bool,
    as_scanned: tuple[PageImage, np.ndarray] | None = None,
) -> tuple[PageImage, OcrPage]:
    """One page from its pixels in memory: read upright, its image written for re-reads and
    the review desk's crops (PGM, and the JPEG the desk shows, encoded from the same array),
    then what the reading missed recovered. With ``as_scanned`` (a page cleanup may harm),
    the scan is read too and the cleaned page kept only if it read better: cleanup is
    switched off for a page where it made the reading worse."""
    page, pixels, ocr = _read_upright(page, pixels, language, timeout)
    if as_scanned is not None:
        with stage("cleanup judged (scan read)"):
            bare_page, bare_pixels, bare = _read_upright(*as_scanned, ocr.language, timeout)
        if _confident_characters(bare.words) > _confident_characters(ocr.words):
            count("cleanup switched off")
            page, pixels, ocr = bare_page, bare_pixels, bare
    _write_page(pixels, page.path)
    with stage("JPEG for crops"):
        ok, jpeg = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if ok:
            jpeg_path(page).write_bytes(jpeg.tobytes())
    if recover:
        ocr = _recover(ocr, pixels, timeout)
    return page, ocr


#: the review desk's page images: enough to read a crop, a fifth of the PGM's bytes
JPEG_QUALITY = 80


def jpeg_path(page: PageImage) -> Path:
    return page.path.with_suffix(".jpg")


def read_scan(
    raw: RawScan, settings: Settings, out_dir: Path
) -> tuple[str, list[PageImage], list[OcrPage]]:
    """Every page of the scan, one at a time (a 500-page PDF is never held whole): rasterised,
    cleaned, turned upright and read once with the chart's model: the batch's, or the one a
    read of the first page's top decides (running ``vie+eng`` together is slower and loses
    diacritics). A page whose print is smaller than cleanup is made for is also read as
    scanned, and cleanup kept only if it read better. With ``settings.reread``, what the page
    reading missed is read again (``recover.py``), ticked boxes marked (``ticks.py``) and
    unprinted stops taken off."""
    out_dir.mkdir(parents=True, exist_ok=True)
    language = settings.language
    images: list[PageImage] = []
    ocr_pages: list[OcrPage] = []
    for raster in iter_pages(raw.path, raw.media_type, settings.pdf_dpi, settings.max_page_pixels):
        clean = _clean(raster, settings)
        h, w = clean.pixels.shape
        path = out_dir / f"page-{raster.number:03d}.pgm"
        page = PageImage(raster.number, path, w, h, clean.dpi, False, clean.skew_degrees)
        scanned = None
        if settings.cleanup and small_print(raster.pixels, raster.dpi):
            scanned = (replace(page, width=raster.pixels.shape[1], height=raster.pixels.shape[0],
                               dpi=raster.dpi, skew_degrees=0.0), raster.pixels)  # fmt: skip
        image, ocr = _read_one(
            page, clean.pixels, language, settings.ocr_timeout, settings.reread, scanned
        )
        language = ocr.language
        images.append(image)
        ocr_pages.append(ocr)
    return (language if language != "auto" else "vi"), images, ocr_pages


def read_pages(
    pages: list[PageImage], language: str, timeout: float, recover: bool = True
) -> tuple[str, list[PageImage], list[OcrPage]]:
    """``read_scan`` for pages already cleaned and written (their files are rewritten upright)."""
    images: list[PageImage] = []
    ocr_pages: list[OcrPage] = []
    for page in pages:
        pixels = np.asarray(cv2.imread(str(page.path), cv2.IMREAD_GRAYSCALE), dtype=np.uint8)
        image, ocr = _read_one(page, pixels, language, timeout, recover)
        language = ocr.language
        images.append(image)
        ocr_pages.append(ocr)
    return (language if language != "auto" else "vi"), images, ocr_pages


def _timed_out(ocr: OcrPage) -> bool:
    return not ocr.words and bool(ocr.warnings)


def _recover(ocr: OcrPage, grey: np.ndarray, timeout: float) -> OcrPage:
    """Missed print read again, then ticked boxes marked and full stops the page does not
    show taken off, on the page's pixels in memory."""
    if _timed_out(ocr):  # every line of it would be 'missed' and read again, one by one
        return ocr
    with stage("recover missed print"):
        ocr = recover_missed_text(ocr, grey, timeout)
    with stage("ticks, stops"):
        return unprinted_stops(mark_ticks(ocr, grey), grey)
