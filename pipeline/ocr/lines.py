"""One text line (a field's box) read again, with the thread's engine (``engine.py``).

Re-reading a field's box is a small job; starting a ``tesseract`` process per box cost more
than reading it (0.14-0.28 s against 0.07 s once for loading the model into the API).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from pipeline.models import LineReading
from pipeline.ocr.engine import engine, recognize
from pipeline.ocr.tsv import ocr_text

#: Tesseract reads best when a lowercase letter is 20-30 px high; boxes cut from a 300 dpi page
#: hold 10-pt print at about 20 px, small print less.
TARGET_X_HEIGHT = 30
_MAX_SCALE = 4.0
_SINGLE_LINE, _BLOCK = 7, 6
_PAD = 16  # white border, px


def ink_band_height(grey: np.ndarray) -> int:
    """Height of the rows where most ink is: the x-height of lowercase text, the cap height of
    digits."""
    ink = (grey < 128).sum(axis=1)
    if not ink.any():
        return 0
    return int((ink >= 0.4 * ink.max()).sum())


def text_lines(grey: np.ndarray) -> int:
    """How many text lines a crop holds: bands of inked rows separated by blank rows."""
    inked = np.concatenate(([False], (grey < 128).sum(axis=1) > 0, [False]))
    starts = np.flatnonzero(~inked[:-1] & inked[1:])
    ends = np.flatnonzero(inked[:-1] & ~inked[1:])
    heights = ends - starts
    # specks and cut-off descenders of the line above are not lines
    return int((heights >= 0.3 * heights.max()).sum()) if heights.size else 0


def prepare_line(
    grey: np.ndarray, pad: int = _PAD, binarize: bool = False
) -> tuple[np.ndarray, float]:
    """Upscaled so that its x-height is about ``TARGET_X_HEIGHT`` (never shrunk), with a white
    border (Tesseract misreads glyphs that touch the image edge); with ``binarize``, black on
    white (Otsu). Returns the scale used."""
    band = ink_band_height(grey)
    scale = min(_MAX_SCALE, TARGET_X_HEIGHT / band) if band else 1.0
    if scale > 1.1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    else:
        scale = 1.0
    if binarize:
        _, grey = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    border = cv2.BORDER_CONSTANT
    return cv2.copyMakeBorder(grey, pad, pad, pad, pad, border, value=255), scale


def _recognize(
    grey: np.ndarray,
    language: str,
    whitelist: str,
    dpi: int,
    timeout: float,
    psm: int | None,
    binarize: bool = False,
) -> tuple[Any, float] | None:
    """The thread's API after reading the crop (upscaled, bordered), and the scale used; None
    when Tesseract timed out."""
    image, scale = prepare_line(np.ascontiguousarray(grey, dtype=np.uint8), binarize=binarize)
    if psm is None:
        psm = _SINGLE_LINE if text_lines(grey) <= 1 else _BLOCK
    api = engine(language)
    if not recognize(api, image, round(dpi * scale), timeout, psm, whitelist):
        return None
    return api, scale


def read_line(
    grey: np.ndarray,
    language: str,
    *,
    whitelist: str = "",
    dpi: int = 300,
    timeout: float = 10.0,
    binarize: bool = False,
) -> LineReading:
    """Read a crop of a cleaned page: one line (PSM 7), or a block (PSM 6) when the crop holds
    wrapped lines. ``whitelist`` limits the characters (the LSTM honours it in Tesseract 5).
    ``binarize``: the crop made black on white first. Paper texture left grey, even faint,
    can make the LSTM read clear print as nonsense ("37.3 °C" as "Set, seed @")."""
    done = _recognize(grey, language, whitelist, dpi, timeout, None, binarize)
    if done is None:
        return LineReading("", ())  # timed out: as if nothing was read
    api, _ = done
    text = ocr_text(" ".join((api.GetUTF8Text() or "").split()))
    confidences = tuple(max(0.0, min(1.0, c / 100.0)) for c in api.AllWordConfidences())
    return LineReading(text, confidences if text else ())


def read_words(
    grey: np.ndarray, language: str, *, dpi: int = 300, timeout: float = 10.0
) -> list[tuple[str, float, tuple[int, int, int, int], int]]:
    """Read a crop as a block of text (PSM 6): its words as (text, confidence 0..1, box in the
    crop's pixels, line number within the crop)."""
    done = _recognize(grey, language, "", dpi, timeout, _BLOCK)
    if done is None:
        return []
    from tesserocr import RIL

    api, scale = done
    words = []
    line = -1
    it = api.GetIterator()
    while it is not None:
        try:
            word = it.GetUTF8Text(RIL.WORD) or ""
        except RuntimeError:  # tesserocr raises where a crop holds no text at all
            word = ""
        text = ocr_text(word.strip())
        if it.IsAtBeginningOf(RIL.TEXTLINE):
            line += 1
        box = it.BoundingBox(RIL.WORD)
        if text and box is not None:
            x0, y0, x1, y1 = (max(0, round((v - _PAD) / scale)) for v in box)
            words.append((text, max(0.0, min(1.0, it.Confidence(RIL.WORD) / 100.0)),
                          (x0, y0, x1, y1), line))  # fmt: skip
        if not it.Next(RIL.WORD):
            break
    return words
