"""The field catalogue (``fields.json``): one data file that every stage reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CATALOGUE_PATH = Path(__file__).with_name("fields.json")
_ENTRY_KEYS = {"key", "type", "extract", "threshold", "xml130"}


@dataclass(frozen=True)
class FieldSpec:
    key: str
    type: str
    extract: bool
    threshold: float
    xml130: str | None


@lru_cache(maxsize=1)
def load_catalogue() -> tuple[FieldSpec, ...]:
    data = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    specs = []
    for entry in data["fields"]:
        unknown = set(entry) - _ENTRY_KEYS
        if unknown:
            raise ValueError(f"fields.json: unknown keys {sorted(unknown)} in {entry.get('key')}")
        specs.append(FieldSpec(**entry))
    return tuple(specs)


def field_keys() -> frozenset[str]:
    return frozenset(s.key for s in load_catalogue())


def extracted_fields() -> tuple[FieldSpec, ...]:
    return tuple(s for s in load_catalogue() if s.extract)


def field_spec(key: str) -> FieldSpec:
    for spec in load_catalogue():
        if spec.key == key:
            return spec
    raise KeyError(key)
