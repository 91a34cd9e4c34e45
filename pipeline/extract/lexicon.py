"""Label lexicons: one JSON file per language; loaded strictly."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.extract.text import fold, nfc
from schemas.catalogue import field_keys, load_full_catalogue

LEXICON_DIR = Path(__file__).with_name("lexicons")
_TOP_KEYS = {"language", "description", "labels", "other_labels", "list_labels", "printed_beside"}
#: the match label of printed words that are not a field (signature lines, relatives' names):
#: they end a value and keep a generic label ("Họ tên") from matching inside them
OTHER = "other"


class LexiconError(ValueError):
    pass


@dataclass(frozen=True)
class Lexicon:
    language: str
    #: field key, list key (``secondary_icd10``: the line that lists them) or OTHER -> label
    #: variants, each as a tuple of folded words
    labels: dict[str, tuple[tuple[str, ...], ...]]
    #: the labels' words as printed, marks kept, in lower case
    printed: frozenset[str] = frozenset()
    #: each key's label variants as printed (NFC), for patterns that must keep case and marks
    wordings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: languages whose labels a chart of this one prints beside its own, as bilingual forms do
    #: ("Họ và tên / Full name", "Khoa / Department"): their labels are this language's too
    printed_beside: tuple[str, ...] = ()

    def with_labels_of(self, other: Lexicon) -> Lexicon:
        """This lexicon with another language's labels added to each key's own (after them)."""
        labels = {
            key: tuple(dict.fromkeys((*self.labels.get(key, ()), *other.labels.get(key, ()))))
            for key in (*self.labels, *(k for k in other.labels if k not in self.labels))
        }
        wordings = {
            key: tuple(dict.fromkeys((*self.wordings.get(key, ()), *other.wordings.get(key, ()))))
            for key in {*self.wordings, *other.wordings}
        }
        return Lexicon(self.language, labels, self.printed | other.printed, wordings,
                       self.printed_beside)  # fmt: skip


def parse_lexicon(data: object, source: str) -> Lexicon:
    if not isinstance(data, dict):
        raise LexiconError(f"{source}: the lexicon must be a JSON object")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise LexiconError(
            f"{source}: unknown keys {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}"
        )
    language = data.get("language")
    if not isinstance(language, str) or not language:
        raise LexiconError(f"{source}: 'language' must be a language code such as 'vi'")
    labels = data.get("labels")
    if not isinstance(labels, dict):
        raise LexiconError(f"{source}: 'labels' must map field keys to lists of labels")
    other = data.get("other_labels", [])
    list_labels = data.get("list_labels", {})
    if not isinstance(list_labels, dict):
        raise LexiconError(f"{source}: 'list_labels' must map list keys to lists of labels")
    lists = set(load_full_catalogue().lists)
    unknown_lists = set(list_labels) - lists
    if unknown_lists:
        raise LexiconError(
            f"{source}: unknown list keys {sorted(unknown_lists)}; allowed: {sorted(lists)}"
        )
    known = field_keys()
    parsed: dict[str, tuple[tuple[str, ...], ...]] = {}
    printed: set[str] = set()
    for key, variants in [*labels.items(), *list_labels.items(), (OTHER, other)]:
        if key not in known and key != OTHER and key not in lists:
            raise LexiconError(f"{source}: unknown field key {key!r}")
        if not isinstance(variants, list) or not all(isinstance(v, str) and v for v in variants):
            raise LexiconError(f"{source}: labels of {key} must be a list of non-empty strings")
        folded = []
        for variant in variants:
            words = tuple(w for w in (fold(t) for t in variant.split()) if w)
            if not words:
                raise LexiconError(f"{source}: label {variant!r} of {key} has no letters")
            folded.append(words)
            printed.update(nfc(w).lower() for w in variant.split())
        parsed[key] = tuple(folded)
    wordings = {k: tuple(nfc(v) for v in vs) for k, vs in [*labels.items(), *list_labels.items()]}
    beside = data.get("printed_beside", [])
    if not isinstance(beside, list) or not all(isinstance(b, str) and b for b in beside):
        raise LexiconError(f"{source}: 'printed_beside' must be a list of language codes")
    return Lexicon(language, parsed, frozenset(printed), wordings, tuple(beside))


def languages() -> tuple[str, ...]:
    """The languages a lexicon ships for."""
    return tuple(sorted(p.stem for p in LEXICON_DIR.glob("*.json")))


@lru_cache(maxsize=8)
def load_lexicon(language: str) -> Lexicon:
    """The language's labels, and those of the languages its charts print beside them."""
    lexicon = _load_one(language)
    for other in lexicon.printed_beside:
        if other == language:
            raise LexiconError(f"{language}.json: 'printed_beside' names its own language")
        lexicon = lexicon.with_labels_of(_load_one(other))
    return lexicon


@lru_cache(maxsize=8)
def _load_one(language: str) -> Lexicon:
    path = LEXICON_DIR / f"{language}.json"
    if not path.exists():
        raise LexiconError(f"no label lexicon for language {language!r} ({path})")
    lexicon = parse_lexicon(json.loads(path.read_text(encoding="utf-8")), path.name)
    if lexicon.language != language:
        raise LexiconError(f"{path.name}: says language {lexicon.language!r}")
    return lexicon
