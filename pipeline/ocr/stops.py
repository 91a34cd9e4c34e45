"""Full stops Tesseract wrote where the page has none.

The ``vie`` model's language model ends some abbreviations with a full stop it was not shown:
the address "TP Hà Nội" comes out as "TP. Hà Nội", and a word at the end of a line gains one
("Kinh."). A word that ends in a letter and a full stop is held against its own ink: a printed
full stop is small and low: the rightmost piece of ink in the word's box, or the first one just
right of it. Where that is a letter, the stop is taken off the word.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from pipeline.models import BBox, OcrPage, OcrWord

#: a full stop is at most this share of the word's height, either way, and below its middle
_DOT_SIZE, _DOT_LOW = 0.4, 0.45
#: below this height (px) a word is too small to judge its ink
_MIN_HEIGHT = 16


def unprinted_stops(page: OcrPage, grey: np.ndarray) -> OcrPage:
    """The page with a final "." taken off each word whose ink shows no full stop."""
    words = []
    for w in page.words:
        ends_in_stop = len(w.text) >= 2 and w.text.endswith(".") and w.text[-2].isalpha()
        if ends_in_stop and _ends_in_letter(grey, w.bbox, _room_right(page, w)):
            w = replace(w, text=w.text[:-1])
        words.append(w)
    return page if words == list(page.words) else replace(page, words=tuple(words))


def _room_right(page: OcrPage, word: OcrWord) -> int:
    """Where the word's ink may end: a printed stop can lie just outside the word's box, up to
    half its height on, but not in the next word of its line."""
    x0, y0, x1, y1 = word.bbox
    end = x1 + (y1 - y0) // 2
    for w in page.words:
        if w.line_id == word.line_id and x1 <= w.bbox[0] < end:
            end = w.bbox[0] - 1
    return end


def _ends_in_letter(grey: np.ndarray, box: BBox, right: int) -> bool:
    x0, y0, x1, y1 = box
    if y1 - y0 < _MIN_HEIGHT:
        return False
    crop = grey[max(0, y0 - 2) : y1 + 3, max(0, x0) : max(x1 + 1, right)]
    ink = (crop < 160).astype(np.uint8)  # a small stop comes out light
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    height, width = crop.shape
    # Not judged by: ink wholly above the middle (a tone mark, a speck) and ink cut by the
    # crop's right edge (the next word's, reaching back into this word's room).
    pieces = [
        (int(x), int(y), int(w), int(h))
        for x, y, w, h, area in stats[1:count]
        if area >= 4 and y + h > height / 2 and x + w < width
    ]
    inside = [p for p in pieces if p[0] < x1 - x0]
    if not inside:
        return False  # nothing to judge by
    if _is_dot(max(inside, key=lambda p: p[0] + p[2]), height):
        return False
    # past the box, the first piece is a stop the box left out, or the next word's first letter
    outside = [p for p in pieces if p[0] >= x1 - x0]
    return not (outside and _is_dot(min(outside), height))


def _is_dot(piece: tuple[int, int, int, int], height: int) -> bool:
    _, y, w, h = piece
    return w <= _DOT_SIZE * height and h <= _DOT_SIZE * height and y >= _DOT_LOW * height
