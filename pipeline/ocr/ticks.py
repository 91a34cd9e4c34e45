"""Ticked boxes, found on the page image and put into the words.

A tick box row ("Giới: ☒ Nam ☐ Nữ") is read by its tick, and Tesseract often loses it: the box
and its cross come out as nothing, as a letter glued to the option ("XNam"), or the option's
word box swallows them ("Nam" read over "☒ Nam"). On the cleaned page a ticked box is still a
small square frame with ink inside (cleanup erases empty frames and keeps what is inside), so
it is found on the image and written into the words as "☒" before the option it ticks.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from pipeline.models import BBox, OcrPage, OcrWord, overlaps
from pipeline.ocr.components import components, ink_rows
from pipeline.ocr.furniture import frame_sides

TICK = "☒"
#: a tick box is about as high as a capital letter: 22-80 px at 300 dpi, nearly square
_MIN_SIDE, _MAX_SIDE = 22, 80
#: a frame's four sides are nearly full; inside, a tick inks this share of the box at least
_SIDE_FULL, _INSIDE_INKED = 0.8, 0.08
#: what already reads as a tick at the start of a word
_TICK_START = set("xX☒☑✓✔✗✘⊠■[(|")


def ticked_boxes(grey: np.ndarray) -> list[BBox]:
    """Square frames of a tick box's size with ink inside."""
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink, page_row = ink_rows(ink)  # labelled on the rows with ink only
    count, labels, stats = components(ink)
    wide, high = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    # a box's size, for all pieces at once (a page has thousands, a few of a box's size)
    sized = (wide >= _MIN_SIDE) & (wide <= _MAX_SIDE) & (high >= _MIN_SIDE) & (high <= _MAX_SIDE)
    aspect = wide / high  # as divided: 0.7 * high rounds otherwise (63 by 45 fell out)
    sized &= (aspect >= 0.7) & (aspect <= 1.4)
    sized[0] = False
    boxes = []
    for i in np.flatnonzero(sized):
        x, y, w, h = (int(v) for v in stats[i, :4])
        t = max(2, min(w, h) // 8)
        if frame_sides(labels[y : y + h, x : x + w] == i, t) < _SIDE_FULL:
            continue
        inside = ink[y + 2 * t : y + h - 2 * t, x + 2 * t : x + w - 2 * t] > 0
        if not inside.size or inside.mean() < _INSIDE_INKED:
            continue
        # a cross or a check spreads over the inside both ways; letters that touch into a
        # frame's shape ("El" in a serif face) hold one bar
        if inside.any(axis=0).mean() >= 0.5 and inside.any(axis=1).mean() >= 0.5:
            top = int(page_row[y])
            boxes.append((x, top, x + w, top + h))
    return boxes


def mark_ticks(page: OcrPage, grey: np.ndarray) -> OcrPage:
    """The page (its words, and its cleaned image ``grey``) with a "☒" word where each ticked
    box is, unless its reading already shows a tick; a word read over the box keeps only the
    part right of it."""
    if not page.words:
        return page
    words = list(page.words)
    for box in ticked_boxes(grey):
        over = [i for i, w in enumerate(words) if overlaps(w.bbox, box)]
        if any(words[i].text[0] in _TICK_START for i in over):
            continue  # read as a tick already ("XNam", "[x]")
        if any(_inside_word(words[i].bbox, box) or _boxed(words[i].bbox, box) for i in over):
            continue
        right_of = [i for i in over if words[i].bbox[2] > box[2] + (box[3] - box[1]) // 2]
        line_id = words[over[0]].line_id if over else _nearest_line(words, box)
        for i in right_of:  # "Nam" read over "☒ Nam": the word starts after the box
            w = words[i]
            words[i] = replace(w, bbox=(box[2] + 1, w.bbox[1], w.bbox[2], w.bbox[3]))
        words.append(OcrWord(TICK, 0.9, box, line_id))
    return replace(page, words=tuple(words))


def _inside_word(word: BBox, box: BBox) -> bool:
    """The "box" is letters in the middle of a read word (a bold "hiệu")."""
    return word[0] < box[0] - (box[3] - box[1]) // 2


def _boxed(word: BBox, box: BBox) -> bool:
    """A word printed inside the box: a boxed code or value ("[1]", "[66]"), not a tick."""
    x, y = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _nearest_line(words: list[OcrWord], box: BBox) -> int:
    """The line of the word nearest the box on its height (the option it ticks)."""
    middle = (box[1] + box[3]) / 2
    level = [w for w in words if w.bbox[1] <= middle <= w.bbox[3]]
    if not level:
        return max(w.line_id for w in words) + 1
    return min(level, key=lambda w: abs(w.bbox[0] - box[2])).line_id
