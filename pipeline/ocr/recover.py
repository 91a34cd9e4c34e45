"""Text the page reading missed, read again.

Tesseract's layout analysis sometimes drops lines of print outright: a block it took for a
picture, a field beside a long dotted leader, a few lines on a slightly skewed page (on the
dev charts, one chart in four lost a line, one in sixty lost a dozen fields). Ink that no read
word covers, in pieces shaped like lines of print, is read again as a block of text, and the
words it yields are added to the page where they were found.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from pipeline.models import BBox, OcrPage, OcrWord, overlaps
from pipeline.ocr.components import components
from pipeline.ocr.lines import read_words

#: how far around a read word its ink may reach (accents, leader dots touching it), px at 300 dpi
_WORD_REACH = 6
#: a piece of missed print: at least this wide, within these heights (px at 300 dpi)
_MIN_WIDTH, _MIN_HEIGHT, _MAX_HEIGHT = 100, 18, 100
#: in a table's cell, walled off from its label, a value may be one short word ("Nữ", "Kinh")
_MIN_CELL_WIDTH = 40
#: a recovered word below this confidence is noise (a signature, a stamp, specks): dropped
_MIN_CONFIDENCE = 0.6


def table_lines(grey: np.ndarray) -> np.ndarray:
    """The walls and rules of a table, faint or dashed as cleanup left them: runs of light
    ink, gaps closed, far longer than any stroke of a letter (px at 300 dpi)."""
    faint = (grey < 230).astype(np.uint8)

    def kernel(size: tuple[int, int]) -> np.ndarray:
        return cv2.getStructuringElement(cv2.MORPH_RECT, size)

    def lines(
        close: tuple[int, int], length: tuple[int, int], thick: tuple[int, int]
    ) -> np.ndarray:
        joined = cv2.morphologyEx(faint, cv2.MORPH_CLOSE, kernel(close))
        runs = cv2.morphologyEx(joined, cv2.MORPH_OPEN, kernel(length))
        # a line is thin: a band as thick as a letter is a line of print, joined up
        bands = cv2.morphologyEx(runs, cv2.MORPH_OPEN, kernel(thick))
        return np.asarray(runs > bands, dtype=np.uint8)

    return lines((1, 9), (1, 70), (8, 1)) | lines((15, 3), (150, 1), (1, 8))


def missed_print(grey: np.ndarray, words: tuple[OcrWord, ...]) -> list[BBox]:
    """Boxes of ink that no word covers and that look like print: letters joined into pieces
    of lines, of a text line's height and longer than high."""
    ink = (grey < 128).astype(np.uint8)
    for w in words:
        x0, y0, x1, y1 = w.bbox
        r = _WORD_REACH
        ink[max(0, y0 - r) : y1 + r, max(0, x0 - r) : x1 + r] = 0
    pieces, tall = _print_pieces(ink)
    for x0, y0, x1, y1 in tall:  # a table, its rows joined by walls and rules: without them
        region = ink[y0:y1, x0:x1]
        region[table_lines(grey[y0:y1, x0:x1]) > 0] = 0
        inner, _ = _print_pieces(region, _MIN_CELL_WIDTH, 1)
        pieces += [(a + x0, b + y0, c + x0, d + y0) for a, b, c, d in inner]
    return pieces


def _print_pieces(
    ink: np.ndarray, min_width: int = _MIN_WIDTH, min_aspect: int = 2
) -> tuple[list[BBox], list[BBox]]:
    """Pieces of lines of print in the ink (at least ``min_width`` long and ``min_aspect``
    times as long as high), and blocks of ink too tall to be one line."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (40, 5))
    joined = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, kernel)
    count, _, stats = components(joined)
    pieces, tall = [], []
    for x, y, w, h, _area in stats[1:count]:
        box = (int(x), int(y), int(x + w), int(y + h))
        if h > _MAX_HEIGHT and w >= _MIN_WIDTH:
            tall.append(box)
        if w < min_width or not _MIN_HEIGHT <= h <= _MAX_HEIGHT or w < min_aspect * h:
            continue
        if ink[y : y + h, x : x + w].sum() < 0.08 * w * h:
            continue  # a few dots strung together (what is left of a leader), not letters
        pieces.append(box)
    return pieces, tall


def _blocks(pieces: list[BBox]) -> list[BBox]:
    """Pieces grown by a third of their height, merged where they touch: each block is read
    once, so a line between two pieces is not read twice."""
    grown = [(x0 - (y1 - y0) // 3, y0 - (y1 - y0) // 3, x1 + (y1 - y0) // 3, y1 + (y1 - y0) // 3)
             for x0, y0, x1, y1 in pieces]  # fmt: skip
    merged = True
    while merged:
        merged = False
        out: list[BBox] = []
        for box in grown:
            for i, other in enumerate(out):
                if overlaps(box, other):
                    out[i] = (min(box[0], other[0]), min(box[1], other[1]),
                              max(box[2], other[2]), max(box[3], other[3]))  # fmt: skip
                    merged = True
                    break
            else:
                out.append(box)
        grown = out
    return grown


def recover_missed_text(page: OcrPage, grey: np.ndarray, timeout: float) -> OcrPage:
    """The page (its words, and its cleaned image ``grey``) with the words of its missed print
    added (each piece read with the page's model; the page's own words masked out so that
    nothing is read twice)."""
    if not page.words:
        return page
    pieces = missed_print(grey, page.words)
    if not pieces:
        return page
    masked = grey.copy()
    for w in page.words:
        x0, y0, x1, y1 = w.bbox
        masked[y0:y1, x0:x1] = 255
    height, width = grey.shape
    next_line = max(w.line_id for w in page.words) + 1
    added: list[OcrWord] = []
    for x0, y0, x1, y1 in _blocks(pieces):
        left, top = max(0, x0), max(0, y0)
        crop = masked[top : min(height, y1), left : min(width, x1)]
        lines: dict[int, int] = {}
        for text, conf, (a, b, c, d), line in read_words(crop, page.language, timeout=timeout):
            if conf < _MIN_CONFIDENCE or not any(ch.isalnum() for ch in text):
                continue
            line_id = lines.setdefault(line, next_line + len(lines))
            added.append(OcrWord(text, conf, (left + a, top + b, left + c, top + d), line_id))
        next_line += len(lines)
    if not added:
        return page
    return replace(page, words=page.words + tuple(added))
