"""The field catalogue (``fields.json``): one data file that every stage reads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOGUE_PATH = Path(__file__).with_name("fields.json")
_TOP_KEYS = {"description", "fields", "lists", "identifier_systems", "code_maps"}
_ENTRY_KEYS = {"key", "type", "extract", "threshold", "xml130", "emr", "fhir", "loinc", "ucum",
               "components"}  # fmt: skip
_LIST_KEYS = {"items", "threshold", "emr", "fhir", "xml130"}
_REQUIRED_SYSTEMS = {"cccd", "cmnd", "bhyt", "patient", "record_number", "document"}


@dataclass(frozen=True)
class FieldSpec:
    key: str
    type: str
    extract: bool
    threshold: float
    xml130: str | None
    emr: str | None = None
    fhir: str | None = None
    #: vital signs: the LOINC code and UCUM unit of the observation
    loinc: str | None = None
    ucum: str | None = None
    #: blood pressure: component name -> LOINC code
    components: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ListSpec:
    """A repeated entry of a chart (medications, secondary ICD-10 codes)."""

    key: str
    items: tuple[str, ...]
    #: the confidence an entry needs to be loaded without review
    threshold: float
    emr: str | None
    fhir: str | None
    xml130: str | None


@dataclass(frozen=True)
class Catalogue:
    fields: tuple[FieldSpec, ...]
    lists: dict[str, ListSpec]
    identifier_systems: dict[str, str]
    code_maps: dict[str, dict[str, str]]


def _strict(entry: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(entry) - allowed
    if unknown:
        raise ValueError(f"fields.json: unknown keys {sorted(unknown)} in {where}")


def _public(section: dict[str, Any]) -> dict[str, Any]:
    """A section without its ``_about`` note."""
    return {k: v for k, v in section.items() if not k.startswith("_")}


@lru_cache(maxsize=1)
def load_full_catalogue() -> Catalogue:
    data = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    _strict(data, _TOP_KEYS, "the top level")
    specs = []
    for entry in data["fields"]:
        _strict(entry, _ENTRY_KEYS, str(entry.get("key")))
        specs.append(FieldSpec(**entry))
    lists = {}
    for key, entry in _public(data.get("lists", {})).items():
        _strict(entry, _LIST_KEYS, key)
        lists[key] = ListSpec(key=key, items=tuple(entry["items"]), threshold=entry["threshold"],
                              emr=entry.get("emr"), fhir=entry.get("fhir"),
                              xml130=entry.get("xml130"))  # fmt: skip
    systems = _public(data.get("identifier_systems", {}))
    missing = _REQUIRED_SYSTEMS - set(systems)
    if missing:
        raise ValueError(f"fields.json: identifier_systems lacks {sorted(missing)}")
    maps = {k: dict(v) for k, v in _public(data.get("code_maps", {})).items()}
    return Catalogue(tuple(specs), lists, dict(systems), maps)


def load_catalogue() -> tuple[FieldSpec, ...]:
    return load_full_catalogue().fields


def field_keys() -> frozenset[str]:
    return frozenset(s.key for s in load_catalogue())


def extracted_fields() -> tuple[FieldSpec, ...]:
    return tuple(s for s in load_catalogue() if s.extract)


def field_spec(key: str) -> FieldSpec:
    for spec in load_catalogue():
        if spec.key == key:
            return spec
    raise KeyError(key)


def list_item_key(list_key: str, number: int) -> str:
    """The fields-table key of a list entry: ``medications.1``, ``secondary_icd10.2``."""
    if list_key not in load_full_catalogue().lists:
        raise KeyError(list_key)
    return f"{list_key}.{number}"


def list_spec(list_key: str) -> ListSpec:
    return load_full_catalogue().lists[list_key]


def split_list_key(key: str) -> tuple[str, int] | None:
    """``("medications", 1)`` for ``medications.1``; None for a catalogue field key."""
    head, _, tail = key.rpartition(".")
    if head in load_full_catalogue().lists and tail.isdigit():
        return head, int(tail)
    return None


def identifier_system(kind: str) -> str:
    return load_full_catalogue().identifier_systems[kind]


def code_map(name: str) -> dict[str, str]:
    return load_full_catalogue().code_maps.get(name, {})
