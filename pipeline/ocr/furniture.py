"""Remove the form's furniture before OCR: dotted leaders, underlines and ruled lines.

Left in, leaders turn into garbage glued to the values ("DƯƠNG. XUÂN .TRUNG.....---") and
make Tesseract's layout analysis drop whole lines. Text strokes are never that long and thin,
nor are isolated dots (periods, diacritics) lined up in long runs, so both are safe to erase.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.ocr.components import components


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


def remove_furniture(grey: np.ndarray, dpi: int = 300) -> np.ndarray:
    scale = dpi / 300.0
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)

    # Ruled lines: long horizontal runs (longer than any word stroke) and long vertical ones.
    h_len = max(20, int(90 * scale))
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h_len, 1))
    )
    v_len = max(20, int(110 * scale))
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, v_len))
    )
    erase = cv2.bitwise_or(horizontal, vertical)

    # Dotted leaders: small blobs that a horizontal closing joins into a long thin run.
    count, labels, stats = components(ink)
    max_dot = max(2, int(9 * scale))
    areas, widths, heights = stats[:, cv2.CC_STAT_AREA], stats[:, cv2.CC_STAT_WIDTH], stats[:, 3]
    is_dot = (widths <= max_dot) & (heights <= max_dot) & (areas >= 1)
    is_dot[0] = False
    dots = np.where(is_dot, 255, 0).astype(np.uint8)[labels]  # a lookup table per component
    gap = max(3, int(22 * scale))
    joined = cv2.morphologyEx(
        dots, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1))
    )
    n_runs, run_labels, run_stats = components(joined)
    long_runs = (run_stats[:, cv2.CC_STAT_WIDTH] >= int(70 * scale)) & (
        run_stats[:, cv2.CC_STAT_HEIGHT] <= max_dot + 2
    )
    long_runs[0] = False
    runs = np.where(long_runs, 255, 0).astype(np.uint8)[run_labels]
    erase = cv2.bitwise_or(erase, cv2.bitwise_and(runs, dots))

    erase = cv2.bitwise_or(erase, _box_borders(ink, labels, stats, scale))

    # Grow the erased strokes a little to take their anti-aliased edges too.
    erase = cv2.dilate(erase, np.ones((3, 3), np.uint8))
    out = grey.copy()
    out[erase > 0] = 255
    return out
