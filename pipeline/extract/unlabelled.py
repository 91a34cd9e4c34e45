"""Values found where OCR lost or garbled their label, as pairings (``pairing.Pairing``) of
the words that stand in for the label: a sex by its row of options ("CỚI: 1. Nam 2. Nữ"), or
its option alone in a cell ("i | Nữ"), a vital sign by its unit ("36.9 độ C"), the attending
physician by the one signature block without a heading beside another role's. They count as
loosely labelled (``OPTIONS_ONLY``) and are tried only for a field no label gave
(``fields.extract_fields``), each relation taking what ``TAKES`` says of its readings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.tokens import Doc, Span, Token

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
#: a name signed under no heading, beside a block headed by another role ("TRƯỞNG KHOA")
SIGNATURE = "signature"
#: which of a relation's readings (those that parse) the field takes: the first; the one
#: reading when the chart shows only one (a "Nam" may be a place's: "Quảng Nam"); the first
#: when they all read one value
TAKES = {OPTIONS: "first", ALONE: "only", UNIT: "one_value", SIGNATURE: "only"}
#: the candidate's rule, per relation
RULES = {OPTIONS: "options:sex", ALONE: "alone:sex", UNIT: "unit", SIGNATURE: "signature"}
#: the doubt a relation's reading carries: whose block it is, the page did not print
DOUBTS = {SIGNATURE: "unheaded_signature"}
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
UNLABELLED = {
    "patient.sex": (OPTIONS, ALONE),
    "encounter.attending_physician": (SIGNATURE,),
    **{key: (UNIT,) for key in UNITS},
}
#: a signature block's heading lies within this many lines above its name (the heading, the
#: instruction, the scrawl)
BLOCK_LINES = 4


def unlabelled(docs: Sequence[Doc], key: str, kind: str) -> list[Pairing]:
    """The chart's pairings of one relation for a field, page by page, in reading order."""
    if kind == SIGNATURE:  # signatures close the chart: its last page
        return _unheaded_signature(docs[-1], key) if docs else []
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


def _unheaded_signature(doc: Doc, key: str) -> list[Pairing]:
    """Names signed side by side at the page's end, each under its block's heading or under
    none: the one name under no heading, on a line where another block's name has one (the
    head of department's, the director's), is the attending physician's, its heading left
    unprinted. Only a name (capitalised words of letters) on the page's lower half."""
    rows = layout.lines(doc)
    if not rows:
        return []
    half = (layout.top(rows[0]) + layout.bottom(rows[-1])) / 2
    found = []
    for n, row in enumerate(rows):
        if layout.top(row) < half:
            continue
        line = doc[row[0].i : row[-1].i + 1]
        blocks = [b for b in layout.cells(line, layout.height(line)) if _name_shaped(b)]
        if len(blocks) < 2:
            continue
        headed = [_heading_above(rows[max(0, n - BLOCK_LINES) : n], b) for b in blocks]
        if sum(headed) == len(blocks) - 1:
            block = blocks[headed.index(False)]
            found.append(
                _pairing(SIGNATURE, key, (block.start, block.end), (block.start, block.end), doc)
            )
    return found


#: specks and quotes read around a signed name's words
_SPECKS = "“”\"'`°*.,;:-—~"


def _name_shaped(block: Span) -> bool:
    """Two to five capitalised words of letters, specks and quotes around them aside."""
    words = [w for t in block if (w := t.text.strip(_SPECKS)) and any(c.isalpha() for c in w)]
    return 2 <= len(words) <= 5 and all(w[0].isupper() and w.isalpha() for w in words)


def _heading_above(rows: Sequence[Sequence[Token]], block: Span) -> bool:
    """Words in capitals above the block, in its column: its heading."""
    x0, x1 = block[0]._.bbox[0], block[-1]._.bbox[2]
    unit = layout.height(block)
    for row in rows:
        over = [t for t in row if t._.bbox[2] > x0 - unit and t._.bbox[0] < x1 + unit]
        words = [w for t in over if len(w := t.text.strip(_SPECKS)) > 1 and w.isalpha()]
        if words and all(w.isupper() for w in words):  # a scrawl read as letters is no word
            return True
    return False
