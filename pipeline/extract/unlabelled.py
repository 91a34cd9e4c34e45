"""Values found where OCR lost or garbled their label, as pairings (``pairing.Pairing``) of
the words that stand in for the label: a sex by its row of options ("CỚI: 1. Nam 2. Nữ"), or
its option alone in a cell ("i | Nữ"), a vital sign by its unit ("36.9 độ C"). They count as
loosely labelled (``OPTIONS_ONLY``) and are tried only for a field no label gave
(``fields.extract_fields``), each relation taking what ``TAKES`` says of its readings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.tokens import Doc

from pipeline.extract import layout
from pipeline.extract.labels import LabelHit
from pipeline.extract.measures import OPTIONS as _OPTION_DATA
from pipeline.extract.pairing import Pairing
from pipeline.extract.text import fold, strip_diacritics
from pipeline.extract.vocabdata import _data

#: a sex's row of options, both on one line: the option ticked
OPTIONS = "options"
#: a sex's option alone in a cell, after a wall or a label's colon
ALONE = "alone"
#: a vital sign's number and unit
UNIT = "unit"
#: which of a relation's readings (those that parse) the field takes: the first; the one
#: reading when the chart shows only one (a "Nam" may be a place's: "Quảng Nam"); the first
#: when they all read one value
TAKES = {OPTIONS: "first", ALONE: "only", UNIT: "one_value"}
#: the candidate's rule, per relation
RULES = {OPTIONS: "options:sex", ALONE: "alone:sex", UNIT: "unit"}
#: how loosely a value found by its options alone, its label lost, counts as labelled
OPTIONS_ONLY = 0.5

#: a sex's options, folded, each language's pair as charts print them ("1. Nam 2. Nữ",
#: "☒ Male ☐ Female"; ``vocabularies/options.json``), words of one letter left out
_SEX_OPTIONS = tuple(
    tuple({w for w in pair[value] if len(w) > 1} for value in ("male", "female"))
    for pair in _OPTION_DATA["sex"].values()
)
#: a cell's wall as OCR reads it
_WALLS = {"|", "[", "]", "l", "I", "i", "!"}
#: vital signs told apart by their unit (folded), found so when OCR lost their label ("Nhiệt"
#: read as "NNỆ" in a row of column heads), as printed and as OCR reads them
#: (``vocabularies/vital_units.json``)
_UNIT_DATA = _data("vital_units")
UNITS = {
    key: frozenset(units) | frozenset(_UNIT_DATA["as_read"].get(key, ()))
    for key, units in _UNIT_DATA["units"].items()
}
#: the fields found without their label, and by which relations, tried in order while none
#: has given the field a value
UNLABELLED = {"patient.sex": (OPTIONS, ALONE), **{key: (UNIT,) for key in UNITS}}


def unlabelled(docs: Sequence[Doc], key: str, kind: str) -> list[Pairing]:
    """The chart's pairings of one relation for a field, page by page, in reading order."""
    finder = {OPTIONS: _sex_options, ALONE: _sex_alone, UNIT: _by_unit}[kind]
    return [p for doc in docs for p in finder(doc, key)]


def _pairing(
    kind: str, key: str, label: tuple[int, int], span: tuple[int, int], doc: Doc
) -> Pairing:
    hit = LabelHit(key, doc[label[0] : label[1]], OPTIONS_ONLY)
    return Pairing(kind, doc[span[0] : span[1]], False, label=hit)


def _sex_options(doc: Doc, key: str) -> list[Pairing]:
    """A sex whose label OCR garbled past matching ("CỚI: 1. Nam 2. Nữ", "3.Giớ:i Nam xNữ")
    is still found by its row of options: both options on one line, a few words apart, read
    from the first to the line's end, with what stands before the first option (its tick)."""
    found = []
    for t in doc:
        word = fold(t.text)
        pair = next((p for p in _SEX_OPTIONS if word in p[0]), None)
        if pair is None:
            continue
        end = layout.line_end(doc, t.i)
        near = [fold(u.text) for u in doc[t.i + 1 : min(end, t.i + 5)]]
        if not any(re.sub(r"^\d*x?", "", u) in pair[1] for u in near):
            continue
        start = t.i - 1 if t.i and doc[t.i - 1]._.line == t._.line else t.i
        found.append(_pairing(OPTIONS, key, (t.i, t.i + 1), (start, end), doc))
    return found


def _sex_alone(doc: Doc, key: str) -> list[Pairing]:
    """A sex whose label OCR lost or garbled ("fớ tính: | Nữ", "i | Nữ"), its option alone in
    a cell: after a wall or a label's colon, ending its line or cell."""
    found = []
    for t in doc:
        if not any(fold(t.text) in option for pair in _SEX_OPTIONS for option in pair):
            continue
        before = doc[t.i - 1] if t.i and doc[t.i - 1]._.line == t._.line else None
        after = doc[t.i + 1] if t.i + 1 < len(doc) and doc[t.i + 1]._.line == t._.line else None
        if before is None or not (before.text in _WALLS or before._.colon):
            continue
        if (
            after is not None
            and after.text not in _WALLS
            and layout.runs_on(t, after, layout.height([t]))
        ):
            continue
        found.append(_pairing(ALONE, key, (t.i, t.i + 1), (t.i, t.i + 1), doc))
    return found


def _unit_text(text: str) -> str:
    return strip_diacritics(text).lower().strip(".,;:")


def _by_unit(doc: Doc, key: str) -> list[Pairing]:
    """A vital sign whose label was lost, by its number and unit ("36.9 độ C", "58.5 kg"): the
    unit's words stand in for its label."""
    unit = UNITS[key]
    found = []
    for t in doc[1:]:
        number = doc[t.i - 1]
        if number._.line != t._.line or not any(ch.isdigit() for ch in number.text):
            continue
        end = t.i + 1
        if _unit_text(t.text) not in unit:
            end += 1  # a unit of two words: "độ C"
            if end > len(doc) or doc[end - 1]._.line != t._.line:
                continue
            if _unit_text(doc[t.i : end].text) not in unit:
                continue
        found.append(_pairing(UNIT, key, (t.i, end), (number.i, end), doc))
    return found
