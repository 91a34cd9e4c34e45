"""Tesseract in-process: one model per language loaded once per worker thread and kept.

Every read of the program (a whole page, a field's box, a strip) goes through ``engine``: the
thread's ``PyTessBaseAPI`` for that language, created on first use. Starting a ``tesseract``
process per page cost a model load and an image file decode each time; the API reads the
page's pixels from memory. An API is not thread-safe, so each thread keeps its own; its
``Recognize`` lets go of the GIL, so one thread per core keeps every core reading.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
import subprocess
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import MissingDependency
from pipeline.models import OcrPage, OcrWord
from pipeline.ocr.tsv import parse_tsv
from pipeline.timing import count, stage

log = logging.getLogger(__name__)

TESSERACT_LANGUAGES = {"vi": "vie", "en": "eng"}
#: a second, independently trained model that reads every field's box again: Tesseract's
#: Vietnamese *script* model (trained on all languages written in Vietnamese script), whose
#: agreement with the page reading is evidence a re-reading with the same model is not
SECOND_OPINION_MODEL = "Vietnamese"
#: the Debian package of each model the pipeline needs
MODEL_PACKAGES = {"vie": "tesseract-ocr-vie", "eng": "tesseract-ocr-eng",
                  SECOND_OPINION_MODEL: "tesseract-ocr-script-viet"}  # fmt: skip
_AUTO_SEGMENTATION = 3  # Tesseract's default page segmentation, as the `tesseract` command
#: the API's TSV is the command's without its header row
_TSV_HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)


def limit_threads() -> None:
    """With OpenMP on 2 cores Tesseract runs 2.2x slower; one single-threaded engine per core
    wins. Must be set before the library is first loaded (OpenMP reads it once). OpenCV's
    own thread pool is kept to one thread too: with a worker per core it only made the
    workers' cleanup take turns (furniture removal 0.20 -> 0.13 CPU s a page single-threaded)."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    import cv2

    cv2.setNumThreads(1)


def _has_languages(folder: str) -> bool:
    return all(
        os.path.isfile(os.path.join(folder, f"{model}.traineddata")) for model in MODEL_PACKAGES
    )


@lru_cache(maxsize=1)
def tessdata_dir() -> str:
    """The tessdata folder (the API wheel ships no models): TESSDATA_PREFIX, else the folder
    ``tesseract --list-langs`` names, else Debian's ``/usr/share/tesseract-ocr/*/``."""
    found: list[str] = []
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        found += [prefix, os.path.join(prefix, "tessdata")]
    if shutil.which("tesseract"):
        listed = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30
        ).stdout
        m = re.search(r'"([^"]+)"', listed)  # List of available languages in "/…/tessdata/"
        if m:
            found.append(m.group(1))
    found += sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata"), reverse=True)
    for folder in found:
        if _has_languages(folder):
            return folder.rstrip("/") + "/"
    raise MissingDependency(
        "no tessdata folder with the Vietnamese and English models: run `make demo` (or "
        "apt-get install " + " ".join(MODEL_PACKAGES.values()) + "), or set TESSDATA_PREFIX "
        "to the folder holding them"
    )


@lru_cache(maxsize=1)
def check_tesseract() -> str:
    """Fail before the first page ('missing dependency') if the engine, a model or poppler is
    absent; return the engine's version."""
    limit_threads()
    try:
        import tesserocr
    except ImportError:
        raise MissingDependency(
            "the Tesseract engine (Python package tesserocr) is not installed: run `make demo`"
        ) from None
    tessdata_dir()
    if shutil.which("pdftoppm") is None:
        raise MissingDependency("poppler-utils (pdftoppm) is not installed: run `make demo`")
    return str(tesserocr.tesseract_version()).split()[1]


_local = threading.local()
_LOADING = threading.Lock()


def engine(language: str) -> Any:
    """This thread's API for a language (``vi``/``en`` or a model name), its model loaded on
    first use and kept: one per language, not per setting (each costs 0.1-1 s and 13 MB),
    while segmentation mode and whitelist are set before every read."""
    apis: dict[str, Any] = _local.__dict__.setdefault("apis", {})
    if language not in apis:
        limit_threads()  # before the library starts any OpenMP threads
        from tesserocr import OEM, PyTessBaseAPI

        with _LOADING, stage("engine load"):  # model loading shares process-wide state
            apis[language] = PyTessBaseAPI(
                path=tessdata_dir(),
                lang=TESSERACT_LANGUAGES.get(language, language),
                oem=OEM.LSTM_ONLY,
            )
        count("engine loads")
    return apis[language]


def recognize(
    api: Any, pixels: np.ndarray, dpi: int, timeout: float, psm: int, whitelist: str = ""
) -> bool:
    """Read grey ``pixels`` with ``api``; False when Tesseract gave up at ``timeout``."""
    image = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = image.shape
    api.SetPageSegMode(psm)
    api.SetVariable("tessedit_char_whitelist", whitelist)  # Recognize applies it afresh
    api.SetImageBytes(image.tobytes(), width, height, 1, width)
    api.SetSourceResolution(dpi)
    return bool(api.Recognize(timeout=round(timeout * 1000)))


def read_image(
    pixels: np.ndarray,
    language: str,
    timeout: float,
    dpi: int = 300,
    page_number: int = 1,
    whole: bool = True,
) -> tuple[tuple[OcrWord, ...], tuple[str, ...]]:
    """Words of a whole page (or, not ``whole``, of a band of one). A timeout gives an empty
    page and a warning, not a crash. Counted: pages read whole, and rows of pixels read."""
    api = engine(language)
    if whole:
        count("page reads")
    count("page rows read", int(pixels.shape[0]))
    with stage("page read"):
        done = recognize(api, pixels, dpi, timeout, _AUTO_SEGMENTATION)
        tsv = api.GetTSVText(0) if done else ""
    if not done:
        log.warning("OCR of page %d timed out after %.0f s: page kept empty", page_number, timeout)
        return (), (f"OCR timed out after {timeout:.0f} s",)
    return parse_tsv(_TSV_HEADER + "\n" + tsv), ()


def ocr_page(
    image: Path | np.ndarray,
    number: int,
    width: int,
    height: int,
    language: str,
    timeout: float,
    dpi: int = 300,
) -> OcrPage:
    """One page read in full, from its pixels (or its image file)."""
    if isinstance(image, Path):
        import cv2

        pixels = np.asarray(cv2.imread(str(image), cv2.IMREAD_GRAYSCALE), dtype=np.uint8)
    else:
        pixels = image
    words, warnings = read_image(pixels, language, timeout, dpi, number)
    return OcrPage(number, width, height, words, language, warnings)
