"""A spaCy Doc per page built from Tesseract's words, so every token keeps its box and confidence.

Form furniture glued to words by OCR ("tên:......NGUYỄN") is split off first, and
punctuation-only words (leaders, colons, dashes) are left out: they carry nothing a field
needs. Every remaining token maps to one OCR word (or a piece of one) through extensions.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Token

from pipeline.extract.text import fold
from pipeline.models import BBox, OcrPage, OcrWord

_FURNITURE = re.compile(r"[.·…_]{2,}|[:;|]+|-{2,}")

for _name, _default in (("conf", 0.0), ("bbox", None), ("line", -1), ("page", 0)):
    if not Token.has_extension(_name):
        Token.set_extension(_name, default=_default)


@lru_cache(maxsize=1)
def blank_nlp() -> Language:
    import spacy

    # Multi-language blank pipeline: only its vocab is used, the words come from OCR.
    return spacy.blank("xx")


def _split_word(word: OcrWord) -> list[tuple[str, BBox]]:
    """Split a word on glued leaders/colons; boxes are shared out by character count."""
    text = word.text
    if not _FURNITURE.search(text):
        return [(text, word.bbox)]
    x0, y0, x1, y1 = word.bbox
    per_char = (x1 - x0) / max(1, len(text))
    pieces = []
    pos = 0
    for m in list(_FURNITURE.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        piece = text[pos:end]
        if piece.strip():
            left = pos + len(piece) - len(piece.lstrip())
            right = left + len(piece.strip())
            pieces.append(
                (piece.strip(), (round(x0 + left * per_char), y0, round(x0 + right * per_char), y1))
            )
        if m:
            pos = m.end()
    return pieces


def page_doc(page: OcrPage) -> Doc:
    words: list[str] = []
    meta: list[tuple[float, BBox, int]] = []
    for w in page.words:
        for text, bbox in _split_word(w):
            if not fold(text):
                continue  # punctuation only
            words.append(text)
            meta.append((w.confidence, bbox, w.line_id))
    doc = Doc(blank_nlp().vocab, words=words, spaces=[True] * len(words))
    for token, (conf, bbox, line) in zip(doc, meta, strict=True):
        token.norm_ = fold(token.text)
        token._.conf = conf
        token._.bbox = bbox
        token._.line = line
        token._.page = page.number
    return doc
