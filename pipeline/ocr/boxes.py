"""Field boxes read again from the cleaned page images: OCR's side of extraction's re-reading.

``ImageBoxReader`` is the ``BoxReader`` extraction calls: it cuts a field's box from its page
(loaded once), reads it with ``lines.read_line`` and keeps every reading, keyed by box and
settings, for the page's stored OCR tree; ``StoredBoxReader`` answers the same questions from
a stored tree, without the engine, so that a replay gives what the live run gave.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from pipeline.models import BBox, LineReading, PageImage
from pipeline.ocr.furniture import frame_sides
from pipeline.ocr.lines import read_line
from pipeline.ocr.tree import BoxMarks, BoxReading, DocumentTree


def load_grey(page: PageImage) -> np.ndarray | None:
    pixels = cv2.imread(str(page.path), cv2.IMREAD_GRAYSCALE)
    return None if pixels is None else np.asarray(pixels, dtype=np.uint8)


def _extend_over_ink(grey: np.ndarray, box: BBox, gap: int) -> BBox:
    """Widen a box over ink that continues it closer than ``gap`` pixels, left and right: a
    digit the page reading dropped from the end of its word sits that close."""
    x0, y0, x1, y1 = box
    inked = [bool(v) for v in np.min(grey[y0:y1], axis=0) < 128]

    def walk(x: int, step: int) -> int:
        blank, edge = 0, x
        while 0 <= x + step < len(inked) and blank <= gap:
            x += step
            if inked[x]:
                edge, blank = x, 0
            else:
                blank += 1
        return edge

    return walk(x0, -1), y0, walk(x1 - 1, 1) + 1, y1


def crop_box(grey: np.ndarray, box: BBox, extend: bool = False) -> np.ndarray:
    """A field's box with a small margin: wide enough not to cut a glyph, narrow enough not to
    take in the lines above and below."""
    height, width = grey.shape
    x0, y0, x1, y1 = box
    h = max(1, y1 - y0)
    margin_y, margin_x = max(2, h // 10), max(4, h // 4)
    x0, y0 = max(0, x0 - margin_x), max(0, y0 - margin_y)
    x1, y1 = min(width, x1 + margin_x), min(height, y1 + margin_y)
    if extend:
        x0, y0, x1, y1 = _extend_over_ink(grey, (x0, y0, x1, y1), gap=max(3, h // 4))
    return grey[y0:y1, x0:x1]


#: a character cell's wall is a stroke this thin for its height, and this much taller than the
#: characters in the cells
_WALL_WIDTH, _WALL_HEIGHT = 0.2, 1.2


def _is_wall(labels: np.ndarray, stat: np.ndarray, i: int, text_height: float) -> bool:
    """A cell's wall (a thin stroke), or a whole cell's frame, taller than the characters."""
    x, y, w, h = (int(v) for v in stat[:4])
    if h < _WALL_HEIGHT * text_height:
        return False
    if w <= _WALL_WIDTH * h:
        return True
    return frame_sides(labels[y : y + h, x : x + w] == i, max(2, h // 10)) >= 0.8


def unbox_cells(crop: np.ndarray) -> np.ndarray:
    """A code or card number printed one character per cell ("|5|2|0|0|9|") keeps the cells'
    walls after cleanup (each is too short to be a form line). Tesseract reads them as "1",
    "I" or "|", merges two cells, and loses its way on the wide spacing. Walls are thin strokes
    taller than the characters (or a cell's whole frame): where two or more are found, they
    are erased and the characters set side by side at a normal spacing, as typed."""
    _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, w, h = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    piece = np.arange(count) > 0  # all at once: the background is no piece
    glyphs = h[piece & (w >= 0.3 * h) & (h >= 8)]
    if not glyphs.size:
        return crop
    text_height = float(np.median(glyphs))
    # a wall is taller than the characters, and thin or a whole cell's frame
    tall = piece & (h >= _WALL_HEIGHT * text_height)
    is_wall = tall & (w <= _WALL_WIDTH * h)
    for i in np.flatnonzero(tall & ~is_wall):
        is_wall[i] = _is_wall(labels, stats[i], int(i), text_height)
    if np.count_nonzero(is_wall) < 2:
        return crop
    wall = is_wall.astype(np.uint8)[labels]
    clean = crop.copy()
    clean[cv2.dilate(wall, np.ones((3, 3), np.uint8), iterations=2) > 0] = 255  # and their blur
    # the characters: columns of ink, each piece joined to those it overlaps; specks dropped
    kept = np.flatnonzero(piece & ~is_wall & (np.maximum(w, h) >= 0.35 * text_height))
    spans = sorted((int(x[i]), int(x[i] + w[i])) for i in kept)
    columns: list[list[int]] = []
    for x0, x1 in spans:
        if columns and x0 <= columns[-1][1]:
            columns[-1][1] = max(columns[-1][1], x1)
        else:
            columns.append([x0, x1])
    gap = np.full((crop.shape[0], max(2, round(0.3 * text_height))), 255, dtype=crop.dtype)
    pieces = [gap]
    for x0, x1 in columns:
        pieces += [clean[:, x0:x1], gap]
    return np.hstack(pieces)


def _marks_printed(crop: np.ndarray) -> bool:
    """Whether a line of capitals shows ink above its letters' band or below it: tone marks,
    hats, dots below. Bare capitals have none; a box's rule or a speck counts as a mark, so
    the answer errs towards marks."""
    ink = np.asarray(crop) < 128
    rows = ink.sum(axis=1)
    if not rows.any():
        return True
    band = np.flatnonzero(rows >= 0.25 * rows.max())
    top, bottom = int(band[0]), int(band[-1])
    outside = np.concatenate([rows[: max(0, top - 1)], rows[bottom + 2 :]])
    return int(outside.sum()) >= 4


_Key = tuple[BBox, str, str, bool, bool]


class ImageBoxReader:
    """The cleaned pages of one chart, each loaded once, cut into field boxes and read; every
    reading kept (the same box read the same way twice is read once)."""

    def __init__(self, pages: Sequence[PageImage], timeout: float = 120.0) -> None:
        self.pages = {p.number: p for p in pages}
        self.timeout = timeout
        self.pixels: dict[int, np.ndarray | None] = {}
        self.readings: dict[int, dict[_Key, BoxReading]] = {}
        self.marks: dict[int, dict[BBox, BoxMarks]] = {}

    def _crop(self, page: int | None, bbox: BBox | None, extend: bool) -> np.ndarray | None:
        image = self.pages.get(page or 0)
        if image is None or bbox is None:
            return None
        if image.number not in self.pixels:
            self.pixels[image.number] = load_grey(image)
        pixels = self.pixels[image.number]
        if pixels is None:
            return None
        crop = crop_box(pixels, bbox, extend)
        return unbox_cells(crop) if extend else crop

    def read(
        self,
        page: int | None,
        bbox: BBox | None,
        model: str,
        *,
        whitelist: str = "",
        extend: bool = False,
        binarize: bool = False,
    ) -> LineReading | None:
        if page is None or bbox is None:
            return None
        key = (bbox, model, whitelist, extend, binarize)
        known = self.readings.get(page, {}).get(key)
        if known is not None:
            return known.reading
        crop = self._crop(page, bbox, extend)
        if crop is None:
            return None
        dpi = self.pages[page].dpi
        line = read_line(crop, model, whitelist=whitelist, dpi=dpi, timeout=self.timeout,
                         binarize=binarize)  # fmt: skip
        self.readings.setdefault(page, {})[key] = BoxReading(*key, line.text, line.confidences)
        return line

    def marks_printed(self, page: int | None, bbox: BBox | None) -> bool:
        if page is None or bbox is None:
            return True
        known = self.marks.get(page, {}).get(bbox)
        if known is not None:
            return known.printed
        crop = self._crop(page, bbox, False)
        printed = True if crop is None else _marks_printed(crop)
        self.marks.setdefault(page, {})[bbox] = BoxMarks(bbox, printed)
        return printed

    def page_readings(self, page: int) -> tuple[list[BoxReading], list[BoxMarks]]:
        """What was read on a page, for its stored tree."""
        return list(self.readings.get(page, {}).values()), list(self.marks.get(page, {}).values())


class StoredBoxReader:
    """Box readings from a stored OCR tree. A box the live run never read (extraction asks
    for other boxes than it did then) is counted in ``misses`` and answered as not at hand."""

    def __init__(self, tree: DocumentTree) -> None:
        self.readings = {(p.number, *r.key): r.reading for p in tree.pages for r in p.box_readings}
        self.marks = {(p.number, m.bbox): m.printed for p in tree.pages for m in p.box_marks}
        self.misses = 0

    def read(
        self,
        page: int | None,
        bbox: BBox | None,
        model: str,
        *,
        whitelist: str = "",
        extend: bool = False,
        binarize: bool = False,
    ) -> LineReading | None:
        if page is None or bbox is None:
            return None
        found = self.readings.get((page, bbox, model, whitelist, extend, binarize))
        if found is None:
            self.misses += 1
        return found

    def marks_printed(self, page: int | None, bbox: BBox | None) -> bool:
        if page is None or bbox is None:
            return True
        found = self.marks.get((page, bbox))
        if found is None:
            self.misses += 1
            return True
        return found
