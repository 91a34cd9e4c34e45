"""Crops and page thumbnails for the review desk, cut from the stored cleaned pages."""

from __future__ import annotations

import cv2
import numpy as np

CROP_CONTEXT = 1.5  # box heights above and below; a fifth of the page left and right


def _decode(jpeg: bytes) -> np.ndarray:
    return np.asarray(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE))


def _encode(pixels: np.ndarray, quality: int = 85) -> bytes:
    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode the image")
    return bytes(data.tobytes())


def crop(jpeg: bytes, bbox: list[int] | None, zoom: float = 1.0) -> bytes:
    """The field's box with context around it; ``zoom`` < 1 shows more of the page."""
    page = _decode(jpeg)
    h, w = page.shape
    if not bbox:
        return _encode(page[: h // 2])  # nothing was found: show the top half to look in
    x0, y0, x1, y1 = bbox
    bh = max(20, y1 - y0)
    pad_y = int(bh * (CROP_CONTEXT + 2.0 * (1 / max(zoom, 0.25) - 1)))
    pad_x = int(w * 0.2 / max(zoom, 0.25))
    return _encode(
        page[max(0, y0 - pad_y) : min(h, y1 + pad_y), max(0, x0 - pad_x) : min(w, x1 + pad_x)]
    )


def thumbnail(jpeg: bytes, bbox: list[int] | None, width: int = 520) -> bytes:
    """The whole page, small, with the field's box marked."""
    page = cv2.cvtColor(_decode(jpeg), cv2.COLOR_GRAY2BGR)
    if bbox:
        x0, y0, x1, y1 = bbox
        cv2.rectangle(page, (x0 - 8, y0 - 8), (x1 + 8, y1 + 8), (0, 0, 230), 8)
    scale = width / page.shape[1]
    small = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return _encode(small, 80)
