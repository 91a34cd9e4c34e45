"""Text folding for tolerant matching: lower case, no diacritics, đ -> d, no edge punctuation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def has_marks(text: str) -> bool:
    """Whether the text holds letters beyond ASCII: Vietnamese printed with its marks."""
    return any(ch.isalpha() and not ch.isascii() for ch in text)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """``"Họ,"`` -> ``"ho"``: the form labels are compared in this space."""
    return _EDGE_PUNCT.sub("", strip_diacritics(text).lower())


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def single_spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
