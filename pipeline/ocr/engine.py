"""Tesseract, run through pytesseract on image files, one single-threaded process per core."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from pipeline.errors import MissingDependency
from pipeline.models import OcrPage, OcrWord
from pipeline.ocr.tsv import parse_tsv

log = logging.getLogger(__name__)

TESSERACT_LANGUAGES = {"vi": "vie", "en": "eng"}
#: a second, independently trained model that reads every field's box again: Tesseract's
#: Vietnamese *script* model (trained on all languages written in Vietnamese script), whose
#: agreement with the page reading is evidence a re-reading with the same model is not
SECOND_OPINION_MODEL = "Vietnamese"
#: the Debian package of each model the pipeline needs
MODEL_PACKAGES = {"vie": "tesseract-ocr-vie", "eng": "tesseract-ocr-eng",
                  SECOND_OPINION_MODEL: "tesseract-ocr-script-viet"}  # fmt: skip


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
            + " ".join(MODEL_PACKAGES.values())
            + ")"
        )
    version = str(pytesseract.get_tesseract_version())
    # pytesseract's own list leaves out models with capitals in their names ("Vietnamese")
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True)
    installed = set(listed.stdout.split())
    missing = sorted(set(MODEL_PACKAGES) - installed)
    if missing:
        raise MissingDependency(
            f"Tesseract language data missing: {', '.join(missing)}: run `make demo` (or "
            "apt-get install " + " ".join(MODEL_PACKAGES[m] for m in missing) + ")"
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
