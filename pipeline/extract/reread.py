"""Targeted re-reading: OCR one field's box again with settings made for it.

English charts are read with the English model, which cannot see Vietnamese tone marks, yet
they often print Vietnamese names with them ("TRẦN NHẬT THẮNG"). The name's box is read
again as one line with the Vietnamese model; its reading is kept when it has the same
letters, so only the marks are taken from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import cv2

from pipeline.extract.text import fold, single_spaces
from pipeline.models import FieldCandidate, PageImage
from pipeline.ocr.engine import run_tesseract
from schemas.catalogue import field_spec

_PAD = 12
_NAME_TYPES = {"person_name", "physician_name"}


def read_box(
    page: PageImage, bbox: tuple[int, int, int, int], language: str, timeout: float
) -> tuple[str, float]:
    """Text and the lowest word confidence of one box of a cleaned page, read as one line."""
    grey = cv2.imread(str(page.path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        return "", 0.0
    x0, y0, x1, y1 = bbox
    crop = grey[max(0, y0 - _PAD) : y1 + _PAD, max(0, x0 - _PAD) : x1 + _PAD]
    path = Path(page.path).with_name(f"{page.path.stem}-box-{x0}-{y0}.png")
    cv2.imwrite(str(path), crop)
    try:
        words, _ = run_tesseract(path, language, timeout, psm=7, page_number=page.number)
    finally:
        path.unlink(missing_ok=True)
    if not words:
        return "", 0.0
    return single_spaces(" ".join(w.text for w in words)), min(w.confidence for w in words)


def restore_name_marks(
    candidates: Sequence[FieldCandidate], pages: Sequence[PageImage], timeout: float
) -> list[FieldCandidate]:
    by_number = {p.number: p for p in pages}
    out = []
    for c in candidates:
        page = by_number.get(c.page or 0)
        if (
            c.value
            and c.bbox
            and page
            and field_spec(c.key).type in _NAME_TYPES
            and c.value.isascii()
        ):
            text, conf = read_box(page, c.bbox, "vi", timeout)
            # the patient's name is exported in capitals; a physician's as signed
            marked = text.upper() if field_spec(c.key).type == "person_name" else text
            if not marked.isascii() and fold(marked).replace(" ", "") == fold(c.value).replace(
                " ", ""
            ):
                c = replace(
                    c,
                    value=single_spaces(marked),
                    ocr_confidence=min(c.ocr_confidence, conf),
                    rule=c.rule + "+reread:vie",
                )
        out.append(c)
    return out
