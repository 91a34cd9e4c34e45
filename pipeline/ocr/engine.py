"""Tesseract, run through pytesseract on image files, one single-threaded process per core."""

from __future__ import annotations

import logging
import os
import shutil
from functools import lru_cache
from pathlib import Path

from pipeline.errors import MissingDependency
from pipeline.models import OcrPage, OcrWord
from pipeline.ocr.tsv import parse_tsv

log = logging.getLogger(__name__)

TESSERACT_LANGUAGES = {"vi": "vie", "en": "eng"}


def limit_threads() -> None:
    """With OpenMP on 2 cores Tesseract runs 2.2x slower; one single-threaded process per core
    wins. Must be set before the first Tesseract process starts (children inherit it)."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@lru_cache(maxsize=1)
def check_tesseract() -> str:
    """Fail before the first page ('missing dependency') if Tesseract or a language is absent."""
    import pytesseract

    if shutil.which("tesseract") is None:
        raise MissingDependency(
            "Tesseract is not installed: run `make demo` (or apt-get install tesseract-ocr "
            "tesseract-ocr-vie tesseract-ocr-eng)"
        )
    version = str(pytesseract.get_tesseract_version())
    installed = set(pytesseract.get_languages(config=""))
    missing = sorted(set(TESSERACT_LANGUAGES.values()) - installed)
    if missing:
        raise MissingDependency(
            f"Tesseract language data missing: {', '.join(missing)}: install "
            + " ".join(f"tesseract-ocr-{m}" for m in missing)
        )
    from pipeline.ocr.lines import tessdata_dir

    tessdata_dir()  # field boxes are re-read in-process, with the same models
    if shutil.which("pdftoppm") is None:
        raise MissingDependency("poppler-utils (pdftoppm) is not installed: run `make demo`")
    limit_threads()
    return version


def run_tesseract(
    image: Path, language: str, timeout: float, psm: int = 3, page_number: int = 1
) -> tuple[tuple[OcrWord, ...], tuple[str, ...]]:
    """Words of one page image. A timeout gives an empty page and a warning, not a crash."""
    import pytesseract

    limit_threads()
    try:
        tsv = pytesseract.image_to_data(
            str(image),  # a path: handing pytesseract a PIL image costs a PNG encode
            lang=TESSERACT_LANGUAGES.get(language, language),
            config=f"--psm {psm}",
            timeout=timeout,
        )
    except RuntimeError as exc:
        if "timeout" not in str(exc).lower():
            raise
        log.warning("OCR of page %d timed out after %.0f s: page kept empty", page_number, timeout)
        return (), (f"OCR timed out after {timeout:.0f} s",)
    return parse_tsv(tsv), ()


def ocr_page(
    image: Path, number: int, width: int, height: int, language: str, timeout: float
) -> OcrPage:
    words, warnings = run_tesseract(image, language, timeout, page_number=number)
    return OcrPage(number, width, height, words, language, warnings)
