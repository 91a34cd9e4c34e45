"""Which way up a page is, from the shape of its lines of print, before it is read.

Latin print, Vietnamese most of all, carries more ink above a line's x-height band
(ascenders, capitals, tone marks) than below it (descenders, the dot below): turned 180°, the
other way round. Counting both on every line costs milliseconds, where Tesseract's own
orientation detection took half a page read here, and reading the page twice (as read, then
turned) a whole one. Only a page the count cannot tell is left to the reading's confidence.
"""

from __future__ import annotations

import numpy as np

#: columns the page is cut into, so that lines of side-by-side fields do not merge
_SLABS = 8
#: a line's height, px at 300 dpi: smaller is specks, larger a block of lines run together
_LINE_HEIGHT = (12, 140)
#: a mark above the letters (a tone mark) is this close to them, px
_MARK_GAP = 4
#: above/below (or below/above) at least this much: the page's way up is clear
_CLEAR = 1.6
_MIN_INK = 2000  # px of ink above and below together: less is too little to judge by


def _runs(inked: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate(([0], inked.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def ink_above_and_below(grey: np.ndarray, dpi: int = 300) -> tuple[int, int]:
    """Ink above and below the x-height band, summed over the page's lines of print."""
    ink = grey < 128
    height, width = ink.shape
    scale = dpi / 300
    low, high = (round(v * scale) for v in _LINE_HEIGHT)
    gap = max(1, round(_MARK_GAP * scale))
    above = below = 0
    step = max(1, width // _SLABS)
    for x0 in range(0, width, step):
        rows = ink[:, x0 : x0 + step].sum(axis=1)
        inked = rows > 0
        for start, end in _runs(inked):  # blank rows shorter than a mark's gap are closed
            if end - start <= gap and start > 0:
                inked[max(0, start - gap) : start] = True
        for start, end in _runs(inked):
            if not low <= end - start <= high:
                continue
            band = rows[start:end]
            core = np.flatnonzero(band >= 0.5 * band.max())
            above += int(band[: core[0]].sum())
            below += int(band[core[-1] + 1 :].sum())
    return above, below


def upside_down(grey: np.ndarray, dpi: int = 300) -> bool | None:
    """True when the page is upside down, False when upright, None when its print cannot tell."""
    above, below = ink_above_and_below(grey, dpi)
    if above + below < _MIN_INK:
        return None
    if above >= _CLEAR * below:
        return False
    if below >= _CLEAR * above:
        return True
    return None
