"""The 8-connected pieces of ink of a page, as OpenCV finds them, with 16-bit labels.

A page holds a few thousand pieces; labelling them in 16 bits rather than OpenCV's default
32 took a third of the time on A4 pages at 300 dpi (13 against 40 ms: the labels image is
written and read back as a whole), with the same labels and statistics. A page of more
pieces than 16 bits can number (speckle, a photocopy's grain) is labelled in 32.
"""

from __future__ import annotations

import cv2
import numpy as np


def components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Pieces of a binary mask: their count (the background included, as label 0), the
    labels image and each piece's statistics (``cv2.CC_STAT_*`` columns)."""
    try:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            mask, connectivity=8, ltype=cv2.CV_16U
        )
    except cv2.error:  # more pieces than 16-bit labels can number
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            mask, connectivity=8, ltype=cv2.CV_32S
        )
    return int(count), labels, stats


def ink_rows(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mask's rows that hold ink, stacked, one empty row wherever rows were left out
    between them, and for each stacked row the page's row (-1 for those empty ones).

    Pieces never meet across an empty row, so labelling the stack gives the page's pieces
    (in the same order, each as wide and as high), in the time of half a page: text leaves
    about half of a page's rows blank. A piece's rows are consecutive on the page too."""
    rows = np.flatnonzero(cv2.reduce(mask, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S))
    if not rows.size:
        return np.zeros((1, mask.shape[1]), mask.dtype), np.full(1, -1, np.intp)
    at = np.arange(rows.size) + np.concatenate([[0], np.cumsum(np.diff(rows) > 1)])
    stacked = np.zeros((int(at[-1]) + 1, mask.shape[1]), mask.dtype)
    stacked[at] = mask[rows]
    page_row = np.full(stacked.shape[0], -1, np.intp)
    page_row[at] = rows
    return stacked, page_row
