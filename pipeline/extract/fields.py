"""Find the chart's fields: each label's value (labels.py, pairing.py) parsed by the field's
type, one reading chosen per field; crosscheck.py then holds the fields against each other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from spacy.tokens import Doc, Span, Token

from pipeline.extract import layout
from pipeline.extract.candidates import choose
from pipeline.extract.crosscheck import LABEL_WORDS, _with_check, only_label_words
from pipeline.extract.crosscheck import cross_check as cross_check  # chart.py's, reread.py's
from pipeline.extract.doc import page_doc
from pipeline.extract.labelpieces import PIECES_DOUBT, in_pieces
from pipeline.extract.labels import LabelHit, find_labels
from pipeline.extract.labels import starts_field as starts_field  # lists.py's
from pipeline.extract.pairing import (
    SIGNED,
    WRAPPING_TYPES,
    Pairing,
    _cell_continuation,
    _starts_after,
    _thin,
    pairings,
)
from pipeline.extract.pairing import without_label as without_label  # reread.py's, tests'
from pipeline.extract.parsing import parse_value
from pipeline.extract.quoted import DIAGNOSIS, PRINCIPAL, code_candidates
from pipeline.extract.unlabelled import DOUBTS, RULES, TAKES, UNLABELLED, unlabelled
from pipeline.extract.values import ParsedValue
from pipeline.models import FieldCandidate, OcrPage, union_bbox
from schemas.catalogue import FieldSpec, extracted_fields

#: the reading chosen is not the label's first: a nearer one failed its checks
PASSED_OVER = "nearer_reading_passed_over"
#: types whose value is in the words holding digits; units and label residue around them
#: ("l/ph", "(lần/phút)", "kg") say nothing of how well the number was read
NUMERIC_TYPES = {"pulse", "temperature", "blood_pressure", "respiratory_rate", "weight", "phone"}


def _candidate(
    spec: FieldSpec, hit: LabelHit, pieces: tuple[Span, ...], parsed: ParsedValue | None
) -> FieldCandidate:
    """The value read under a label (in pieces when it wrapped in its table cell); with
    ``parsed`` None, the box and text of a value that did not parse."""
    words = [t for span in pieces for t in span]
    if spec.type in NUMERIC_TYPES:
        words = [t for t in words if any(ch.isdigit() for ch in t.text)] or words
    elif spec.type in SIGNED and parsed is not None:
        # a name is words: a number or mark after it is not ("PHAM VAN BAO HUNG 2." before
        # the next field's number), nor a wall before it; either would widen the box and
        # lower the confidence (a number before it may be its surname misread: "74 CAM NGAN")
        lettered = [i for i, t in enumerate(words) if any(ch.isalpha() for ch in t.text)]
        inked = [i for i, t in enumerate(words) if not layout.is_wall(t)]
        if lettered and inked:
            words = words[inked[0] : lettered[-1] + 1]
    elif spec.type == "address":
        words = _house_number_ink(pieces[0]) + words
    return FieldCandidate(
        key=spec.key,
        value=parsed.value if parsed else None,
        raw_text=" ".join(span.text for span in pieces),
        page=pieces[0][0]._.page,
        bbox=union_bbox([t._.bbox for t in words]),
        # A value is as doubtful as its most doubtful word.
        ocr_confidence=round(min(t._.conf for t in words), 4),
        label_score=hit.score,
        rule=f"label:{'_'.join(t.norm_ for t in hit.span if not t.is_punct)}",
        checks_passed=parsed.checks_passed if parsed else (),
        checks_failed=(parsed.checks_failed if parsed else ())
        + ((PIECES_DOUBT,) if in_pieces(hit.span) else ()),
    )


def _house_number_ink(span: Span) -> list[Token]:
    """Marks read where an address starts its line, not thin enough for a wall or a speck:
    its house number misread (".%" for "96"). Their box is the value's, so that the address
    is read again with them."""
    doc, i, found = span.doc, span.start - 1, []
    while i >= 0 and doc[i]._.line == span[0]._.line and layout.is_wall(doc[i]):
        found.append(doc[i])
        i -= 1
    if i >= 0 and doc[i]._.line == span[0]._.line:
        return []  # something else before it on its line: a label, not the line's start
    return [t for t in found if len(t.text.strip("|_.,:;'`~¬-—–")) >= 1][::-1]


@dataclass(frozen=True)
class LabelledPage:
    """A page's Doc and the labels found on it: built once, read by fields and lists."""

    number: int
    doc: Doc
    hits: list[LabelHit]


def label_pages(pages: Sequence[OcrPage], language: str) -> list[LabelledPage]:
    labelled = []
    for page in pages:
        doc = page_doc(page)
        labelled.append(LabelledPage(page.number, doc, find_labels(doc, language)))
    return labelled


def extract_fields(pages: Sequence[LabelledPage]) -> list[FieldCandidate]:
    """One candidate per extracted field; value ``None`` when the chart gave none."""
    specs = {s.key: s for s in extracted_fields()}
    found: dict[str, list[tuple[FieldCandidate, bool]]] = {}  # candidate, found below label
    unreadable: dict[str, FieldCandidate] = {}
    for page in pages:
        doc, hits = page.doc, page.hits
        for hit in hits:
            spec = specs.get(hit.key)
            if spec is None:
                continue
            starts = _starts_after(doc, hit, hits)
            pairs = pairings(doc, hit, hits, starts, spec.type)
            readings = [
                (pair, read)
                for pair in pairs
                if not pair.fallback and (read := _read(spec, hit, hits, starts, pair)) is not None
            ]
            if not readings:  # a fallback is read as the cell's whole print, as it stands
                readings = [
                    (pair, ((pair.span,), parsed))
                    for pair in pairs
                    if pair.fallback
                    and (parsed := parse_value(spec.type, pair.span.text)) is not None
                    and _fills(spec.type, pair.span.text, parsed)
                ]
            inked = [p.span for p in pairs if not p.fallback and not _thin(p.span)]
            if not readings and inked and spec.type in KEEPS_BOX:
                unreadable.setdefault(spec.key, _unreadable(spec, hit, inked[0]))
            if readings:  # the first reading that passes its checks, else the first
                pair, (pieces, parsed) = next(
                    (r for r in readings if not r[1][1].checks_failed), readings[0]
                )
                c = _candidate(spec, hit, pieces, parsed)
                if only_label_words(c):  # a heading's word read as the value ("bệnh")
                    c = _with_check(c, LABEL_WORDS, False)
                if pair is not readings[0][0] or (inked and pair.span.start != inked[0].start):
                    # a nearer reading of the label was passed over for its doubts, or ink
                    # nearer it did not parse: which is the field's, the page did not say
                    # ("Trâh Thị Hôàg" or "H6*Thi Giang" under the heading, another block's
                    # name further down)
                    c = _with_check(c, PASSED_OVER, False)
                found.setdefault(spec.key, []).append((c, pair.below))
    for key, kinds in UNLABELLED.items():
        for kind in kinds:
            if key in specs and key not in found:
                found.update(_unlabelled(pages, specs[key], kind))
    if PRINCIPAL in specs and PRINCIPAL not in found:
        found.update(_quoted_principal(pages))
    return [
        _choose_one(found[k]) if k in found else unreadable.get(k) or _missing(k) for k in specs
    ]


def _read(
    spec: FieldSpec,
    hit: LabelHit,
    hits: Sequence[LabelHit],
    starts: dict[int, LabelHit],
    pair: Pairing,
) -> tuple[tuple[Span, ...], ParsedValue] | None:
    """A pairing's value read by the field's type: with the rest of its cell when it wrapped
    there (``_cell_continuation``), cut at another field's label inside it; None if it does
    not parse."""
    doc, wraps = hit.span.doc, WRAPPING_TYPES.get(spec.type, "")
    span = pair.span
    # free text may go on in its cell; another value only when it is incomplete
    # ("06 giờ 33 phút ngày" over "08/11/2010")
    parsed = None if wraps == "text" else parse_value(spec.type, span.text)
    more = None
    if parsed is None or "time_found" in parsed.checks_failed:
        more = _cell_continuation(doc, hit, span, starts, not wraps)
    pieces = (span,) if more is None else (span, more)
    if more is not None or wraps == "text":
        text = " ".join(p.text for p in pieces)
        alone, parsed = parsed, parse_value(spec.type, text)
        if more is not None and parsed and not _fills(spec.type, text, parsed):
            parsed = None
        if alone is not None and not _completes(alone, parsed):
            pieces, parsed = (span,), alone
    inside = _label_inside(hits, hit, pieces, 3 if wraps else 2)
    if parsed is not None and inside is not None:
        # the value up to the other field's label, when that parses, its doubts
        # kept ("00 giờ 05 phút ngày 23/06/1996 | Thời điểm ra viện 14h02 …")
        before = doc[pieces[0].start : inside]
        cut = parse_value(spec.type, before.text) if len(before) else None
        if cut is not None and wraps != "text":
            pieces, parsed = (before,), cut
        else:
            failed = parsed.checks_failed + ("label_inside",)
            parsed = replace(parsed, checks_failed=failed)
    return None if parsed is None else (pieces, parsed)


def _completes(alone: ParsedValue, joined: ParsedValue | None) -> bool:
    """The next line in the cell gave a date its time ("2004-10-07" over "07:05"), and
    nothing else in the reading got worse."""
    if joined is None or "time_found" in joined.checks_failed:
        return False
    return set(joined.checks_failed) <= set(alone.checks_failed)


def _label_inside(
    hits: Sequence[LabelHit], hit: LabelHit, pieces: tuple[Span, ...], words: int
) -> int | None:
    """Where another field's label of ``words`` words or more starts inside the value: the
    value ran on into the next field, whose label did not look like a field's start ("… 1 998
    Discharge date and 08/05/1998"). In free text, two words are often the value's own
    ("Tăng huyết áp"); in a date, a number or a name they are not ("… 11/02/2002 Xuất viện
    15/02/2002 11:40")."""
    return min(
        (
            h.span.start
            for h in hits
            if h.key != hit.key
            and len(h.span) >= words
            and any(p.start <= h.span.start < p.end for p in pieces)
        ),
        default=None,
    )


def _fills(field_type: str, text: str, parsed: ParsedValue) -> bool:
    """A code found under its label (or its garbled first line) is the cell's whole print, not
    a code named in the text of a line below ("chứng (E11.9) Bệnh tim do" under "Mã ICD-10")."""
    if field_type not in CELL_TYPES:
        return True
    letters = sum(ch.isalnum() for ch in text)
    return sum(ch.isalnum() for ch in str(parsed.value)) >= 0.7 * letters


#: codes and numbers printed one character per cell, which the page reading garbles past
#: parsing ("ICD-10: 'Ki8j5|..", "GB 487 GS0700151"): their box is kept for a re-reading
CELL_TYPES = {"insurance_number", "icd10", "national_id"}
#: types whose value, garbled past parsing under its label, keeps its box for a re-reading:
#: codes in cells, and vital signs, whose digits OCR can garble with their unit ("J/ CỐ" for
#: "37 °C")
BOXED_TYPES = CELL_TYPES | {"pulse", "temperature", "blood_pressure", "respiratory_rate", "weight"}
#: and the patient's name, whose first letters a box's wall or a quote can garble ("“PHAN",
#: "„GUYỄN"): read again from its box, not lost
KEEPS_BOX = BOXED_TYPES | {"person_name"}


def _unreadable(spec: FieldSpec, hit: LabelHit, span: Span) -> FieldCandidate:
    """A value under its label that did not parse: no value yet, but its box and text."""
    c = _candidate(spec, hit, (span,), None)
    return replace(c, rule=c.rule + ":unread")


def _unlabelled(
    pages: Sequence[LabelledPage], spec: FieldSpec, kind: str
) -> dict[str, list[tuple[FieldCandidate, bool]]]:
    """A field's value where OCR lost its label, by one relation (``unlabelled``): of the
    pairings whose words parse, what the relation takes (``TAKES``)."""
    found = []
    for pair in unlabelled([page.doc for page in pages], spec.key, kind):
        parsed = parse_value(spec.type, pair.span.text)
        if parsed is None or pair.label is None:
            continue
        c = replace(_candidate(spec, pair.label, (pair.span,), parsed), rule=RULES[kind])
        found.append(_with_check(c, DOUBTS[kind], False) if kind in DOUBTS else c)
        if TAKES[kind] == "first":
            break
    if TAKES[kind] == "only" and len(found) != 1:
        return {}
    if not found or len({c.value for c in found}) != 1:
        return {}
    return {spec.key: [(found[0], False)]}


def _quoted_principal(
    pages: Sequence[LabelledPage],
) -> dict[str, list[tuple[FieldCandidate, bool]]]:
    """The chart's code, where no label of its own gives one, as the first code its principal
    diagnosis quotes ("I10 - Tăng huyết áp; (E78) ..."): one candidate per diagnosis label,
    so that two diagnoses quoting different codes are a choice the page did not make."""
    quoted = [
        (principal, False)
        for page in pages
        for hit in page.hits
        if hit.key == DIAGNOSIS
        and (principal := code_candidates(page.doc, page.number, hit, page.hits)[0])
    ]
    return {PRINCIPAL: quoted} if quoted else {}


#: a name elsewhere that fails only these is still a clean reading of a name
_NAME_DOUBTS = {"in_capitals"}


def _choose_one(found: list[tuple[FieldCandidate, bool]]) -> FieldCandidate:
    """The chosen reading. A patient's name given again with another name elsewhere on the
    chart (a name under a signature, a relative's name under a label like the patient's) may
    be the wrong person's: it fails ``readings_differ`` and a person decides. (Other fields'
    second readings are mostly headings and stray words under a loose label: no evidence.)"""
    chosen = choose(found)
    if chosen.key != "patient.full_name":
        return chosen
    if any(c.value != chosen.value and set(c.checks_failed) <= _NAME_DOUBTS for c, _ in found):
        return _with_check(chosen, "readings_differ", False)
    return chosen


def _missing(key: str) -> FieldCandidate:
    return FieldCandidate(key, None, "", None, None, 0.0, 0.0, "not_found")
