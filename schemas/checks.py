"""The check registry (``checks.json``): every check's effect and its sentence in vi and en."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

CHECKS_PATH = Path(__file__).with_name("checks.json")
LANGUAGES = ("vi", "en")
EFFECTS = ("corroborates", "doubts", "repaired", "fails")
_TOP_KEYS = {"description", "checks", "reasons", "expected", "comparisons", "field_names"}
_SECTIONS = ("reasons", "expected", "comparisons", "field_names")
_CHECK_KEYS = {"effect", "typed", *LANGUAGES}
_SENTENCE_KEYS = set(LANGUAGES)


@dataclass(frozen=True)
class Check:
    name: str
    effect: str
    #: a reviewer's typed value failing this check is refused (else the check is ignored)
    refuses_typed: bool
    sentences: dict[str, str]


@dataclass(frozen=True)
class Registry:
    checks: dict[str, Check]
    reasons: dict[str, dict[str, str]]
    expected: dict[str, dict[str, str]]
    #: how two charts' values compare on the "same patient?" screen
    comparisons: dict[str, dict[str, str]]
    field_names: dict[str, dict[str, str]]


def _strict(entry: Any, allowed: set[str], where: str, required: set[str] | None = None) -> None:
    if not isinstance(entry, dict):
        raise ValueError(f"checks.json: {where} is not an object")
    unknown = set(entry) - allowed
    if unknown:
        raise ValueError(f"checks.json: unknown keys {sorted(unknown)} in {where}")
    missing = (allowed if required is None else required) - set(entry)
    if missing:
        raise ValueError(f"checks.json: {where} lacks {sorted(missing)}")


def _sentences(entry: dict[str, Any], where: str) -> dict[str, str]:
    for lang in LANGUAGES:
        if not isinstance(entry[lang], str) or not entry[lang].strip():
            raise ValueError(f"checks.json: {where} has no {lang} sentence")
    return {lang: entry[lang] for lang in LANGUAGES}


def parse_registry(data: Any) -> Registry:
    """The registry from checks.json's content; a ValueError names what is wrong."""
    _strict(data, _TOP_KEYS, "the top level", {"checks", *_SECTIONS})
    checks = {}
    for name, entry in data["checks"].items():
        _strict(entry, _CHECK_KEYS, f"check {name}")
        if entry["effect"] not in EFFECTS:
            raise ValueError(f"checks.json: check {name}: effect must be one of {EFFECTS}")
        if entry["typed"] not in ("refuses", "ignored"):
            raise ValueError(f"checks.json: check {name}: typed must be refuses or ignored")
        sentences = _sentences(entry, f"check {name}")
        checks[name] = Check(name, entry["effect"], entry["typed"] == "refuses", sentences)
    sections: dict[str, dict[str, dict[str, str]]] = {}
    for section in _SECTIONS:
        sections[section] = {}
        for name, entry in data[section].items():
            _strict(entry, _SENTENCE_KEYS, f"{section} {name}")
            sections[section][name] = _sentences(entry, f"{section} {name}")
    return Registry(checks, **sections)


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    return parse_registry(json.loads(CHECKS_PATH.read_text(encoding="utf-8")))


def checks_with_effect(effect: str) -> frozenset[str]:
    return frozenset(c.name for c in load_registry().checks.values() if c.effect == effect)


def language(requested: str | None) -> str:
    """The reviewer's language from an Accept-Language header or a code; English otherwise."""
    for part in (requested or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def check_sentence(name: str, lang: str) -> str:
    """What a failed check means, as a sentence; a check missing from the registry (an old
    row) still reads as a sentence, never as its id alone."""
    check = load_registry().checks.get(name)
    if check is None:
        return "Cần kiểm tra lại giá trị này." if lang == "vi" else "This value needs a look."
    return check.sentences[lang]


def reason(name: str, lang: str, **values: object) -> str:
    return load_registry().reasons[name][lang].format(**values)


def expected(kind: str, lang: str) -> str:
    sentences = load_registry().expected
    return (sentences.get(kind) or sentences["text"])[lang]
