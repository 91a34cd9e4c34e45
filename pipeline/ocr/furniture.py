"""Remove the form's furniture before OCR: dotted leaders, underlines and ruled lines.

Left in, leaders turn into garbage glued to the values ("DƯƠNG. XUÂN .TRUNG.....---") and
make Tesseract's layout analysis drop whole lines. Text strokes are never that long and thin,
nor are isolated dots (periods, diacritics) lined up in long runs, so both are safe to erase.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.ocr.components import components, ink_rows


def frame_sides(mine: np.ndarray, t: int) -> float:
    """How full the least full side of a component's box is, looking ``t`` px in from each
    edge: a frame's four sides are all nearly full, a letter's are not."""
    return float(
        min(
            mine[:t].any(axis=0).mean(),
            mine[-t:].any(axis=0).mean(),
            mine[:, :t].any(axis=1).mean(),
            mine[:, -t:].any(axis=1).mean(),
        )
    )


def _box_borders(
    ink: np.ndarray, labels: np.ndarray, stats: np.ndarray, scale: float
) -> np.ndarray:
    """Small printed boxes (code boxes, tick boxes, character cells): erase the frame, keep
    what is written inside. A frame's four sides are all nearly full; a letter's are not."""
    out = np.zeros_like(ink)
    lo, hi = int(22 * scale), int(140 * scale)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    fill = stats[:, cv2.CC_STAT_AREA] / np.maximum(1, w * h)
    for i in np.where((w >= lo) & (w <= hi * 4) & (h >= lo) & (h <= hi) & (fill < 0.35))[0]:
        if i == 0:
            continue
        x, y, bw, bh = stats[i, 0], stats[i, 1], stats[i, 2], stats[i, 3]
        mine = labels[y : y + bh, x : x + bw] == i
        if frame_sides(mine, max(2, int(5 * scale))) >= 0.85:
            out[y : y + bh, x : x + bw][mine] = 255
    return out


def _open_lines(ink: np.ndarray, length: int, axis: int) -> np.ndarray:
    """The ink's runs at least ``length`` long along ``axis`` (1: rows, 0: columns): OpenCV's
    opening by a line, its dilation drawn only on the rows (columns) the erosion left ink in
    (a line's kernel reaches along its own row or column only, so the others stay empty)."""
    size = (length, 1) if axis == 1 else (1, length)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
    eroded = cv2.erode(ink, kernel)
    lines = np.zeros_like(ink)
    kept = np.flatnonzero(cv2.reduce(eroded, axis, cv2.REDUCE_SUM, dtype=cv2.CV_32S))
    if kept.size:
        if axis == 1:
            lines[kept] = cv2.dilate(eroded[kept], kernel)
        else:
            lines[:, kept] = cv2.dilate(np.ascontiguousarray(eroded[:, kept]), kernel)
    return lines


def _pieces_mask(
    labels: np.ndarray, stats: np.ndarray, chosen: np.ndarray, reach: int
) -> np.ndarray:
    """255 where a chosen piece's pixels are, 0 elsewhere: each piece looked for in its own box
    (all of them, at most ``reach`` px a side, read from the labels at once), not over the page
    by a lookup table."""
    out = np.zeros(labels.shape, np.uint8)
    ids = np.flatnonzero(chosen)
    if not ids.size:
        return out
    steps = np.arange(reach)
    ys = np.minimum(stats[ids, cv2.CC_STAT_TOP, None] + steps, labels.shape[0] - 1)
    xs = np.minimum(stats[ids, cv2.CC_STAT_LEFT, None] + steps, labels.shape[1] - 1)
    ys, xs = np.broadcast_arrays(ys[:, :, None], xs[:, None, :])
    mine = labels[ys, xs] == ids[:, None, None]
    out[ys[mine], xs[mine]] = 255
    return out


def _erase_leaders(erase: np.ndarray, dots: np.ndarray, scale: float, max_dot: int) -> None:
    """Set to 255 in ``erase`` the dots that a horizontal closing joins into a long thin run.

    Done on the rows that hold dots only (a fifth of a page's), stacked with one empty row
    where rows between them are left out: the closing's kernel is one row high, and pieces
    meet across no empty row, so the runs and their dots are the page's, at less cost."""
    stacked, page_row = ink_rows(dots)
    gap = max(3, int(22 * scale))
    joined = cv2.morphologyEx(
        stacked, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1))
    )
    n_runs, run_labels, run_stats = components(joined)
    long_runs = (run_stats[:, cv2.CC_STAT_WIDTH] >= int(70 * scale)) & (
        run_stats[:, cv2.CC_STAT_HEIGHT] <= max_dot + 2
    )
    long_runs[0] = False
    for i in np.flatnonzero(long_runs):  # a few a page: each run's dots, in its box
        x, y, w, h = (int(v) for v in run_stats[i, :4])
        box = np.s_[y : y + h, x : x + w]
        top = int(page_row[y])  # a run's rows are consecutive on the page too
        erase[top : top + h, x : x + w][(run_labels[box] == i) & (stacked[box] > 0)] = 255


def remove_furniture(grey: np.ndarray, dpi: int = 300) -> np.ndarray:
    scale = dpi / 300.0
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    vertical = _open_lines(ink, max(20, int(110 * scale)), axis=0)
    # The rest works row by row or on pieces, on the rows with ink only (about half a page's).
    ink, page_row = ink_rows(ink)

    # Ruled lines: long horizontal runs (longer than any word stroke) and long vertical ones.
    erase = _open_lines(ink, max(20, int(90 * scale)), axis=1)

    # Dotted leaders: small blobs that a horizontal closing joins into a long thin run.
    count, labels, stats = components(ink)
    max_dot = max(2, int(9 * scale))
    areas, widths, heights = stats[:, cv2.CC_STAT_AREA], stats[:, cv2.CC_STAT_WIDTH], stats[:, 3]
    is_dot = (widths <= max_dot) & (heights <= max_dot) & (areas >= 1)
    is_dot[0] = False
    dots = _pieces_mask(labels, stats, is_dot, max_dot)
    _erase_leaders(erase, dots, scale, max_dot)

    erase = cv2.bitwise_or(erase, _box_borders(ink, labels, stats, scale))
    on_page = page_row >= 0
    vertical[page_row[on_page]] |= erase[on_page]

    # Grow the erased strokes a little to take their anti-aliased edges too; erased is 255,
    # so OR-ing it in sets those pixels white and leaves the rest as they are.
    erase = cv2.dilate(vertical, np.ones((3, 3), np.uint8))
    return cv2.bitwise_or(grey, erase)
