"""The vocabulary files, each loaded once, and the spelling helpers every vocabulary matches by."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.extract.spelling import TONE_MARKS
from pipeline.extract.text import fold, nfc

_DIR = Path(__file__).with_name("vocabularies")


@lru_cache(maxsize=16)
def _data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_DIR / f"{name}.json").read_text(encoding="utf-8"))
    if not {"source", "description"} <= set(data):
        raise ValueError(f"vocabularies/{name}.json must name its source and describe itself")
    return data


@dataclass(frozen=True)
class VocabularyMatch:
    """A value held against a vocabulary: as it stands now (OCR slips put right) and whether
    it is known."""

    value: str
    known: bool


# --- spelling helpers --------------------------------------------------------------------------


def _tone_key(word: str) -> tuple[str, tuple[str, ...]]:
    """A word's letters and its tone, wherever the mark sits: "Hoà" and "Hòa" are one
    spelling (old and new tone placement), "Hỏi" and "Hối" are not."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = tuple(sorted(c for c in decomposed if c in TONE_MARKS))
    letters = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    return letters, tones


def same_spelling(a: str, b: str) -> bool:
    """Equal but for case, spacing around hyphens and where a tone mark sits."""
    wa, wb = _words(a), _words(b)
    if len(wa) != len(wb):
        return False
    return all(_tone_key(x) == _tone_key(y) for x, y in zip(wa, wb, strict=True))


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", nfc(text))


def _key(text: str) -> str:
    """Folded words, single spaces: "Thận - Tiết niệu" -> "than tiet nieu"."""
    return " ".join(fold(w) for w in _words(text))


def match_case(known: str, printed: str) -> str:
    """The known spelling in the printed text's case: all capitals, or each word's first
    letter as printed where the words line up and that letter was read right (a capital
    read as another small letter, "lông dân" for "Nông dân", keeps the known case)."""
    if printed.isupper():
        return known.upper()
    kw, pw = known.split(), printed.split()
    if len(kw) != len(pw):
        return known
    out = []
    for k, p in zip(kw, pw, strict=True):
        if fold(p[:1]) != fold(k[:1]):
            out.append(k)
        elif p[:1].isupper():
            out.append(k[:1].upper() + k[1:])
        elif p[:1].islower():
            out.append(k[:1].lower() + k[1:])
        else:
            out.append(k)
    return " ".join(out)
