"""Pair a label with its value on the page: beside it, wrapped on, in its cell, or in its column.

One mechanism for every field: ``pairings`` lists a label's value candidates in the order they
are tried, each a ``Pairing``, a relation (how the value stands to its label: ``RIGHT``,
``WRAPPED``, ``UNDER_HEAD``, ``BELOW``, ``HEAD_COLUMN``) and the features the choice reads
(``below``: off the label's line, which ``candidates.choose`` ranks after a value beside its
label; ``fallback``: tried only when no other pairing of the label read a value). A pairing's
value may go on wrapped in its cell (``_cell_continuation``, tried as ``fields._read`` parses
it). Values whose label OCR lost are pairings too, the words that stand in for the label
carried on them (``unlabelled``: a row of options, an option alone in a cell, a unit). The
page's geometry is ``layout``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from pipeline.extract import layout
from pipeline.extract.labels import (
    _ENUMERATOR,
    _SECTION,
    LabelHit,
    _after_punct,
    _field_number,
    _is_heading,
    _next_number,
    _variants,
    starts_field,
)
from pipeline.extract.lexicon import OTHER
from pipeline.extract.parsing import parse_value
from pipeline.extract.text import fold
from schemas.catalogue import field_spec


def _wrapped_end(doc: Doc, end: int, starts: dict[int, LabelHit]) -> int:
    """Free text that ran into the right margin continues on the next line, unless that line
    starts another field or a section; up to another field printed after it on that line."""
    for _ in range(2):
        if end >= len(doc) or not layout.at_margin(doc, doc[end - 1]):
            break
        next_end = layout.line_end(doc, end)
        tails = doc.user_data.get("label_tails", set())
        # a label's last word wrapped onto the end of the line ("Mã bệnh" over "ICD", in the
        # next column) ends the text only there
        inside = tails & set(range(end, next_end))
        if inside and min(inside) == next_end - len(inside) > end:
            next_end = min(inside)
        elif inside or end in starts or _is_heading(doc[end:next_end]):
            break
        later = [i for i in range(end + 1, next_end) if i in starts]
        if later:
            return later[0]  # "học hoặc mô học 20. Mã bệnh: A16.2"
        end = next_end
    return end


def _starts_after(doc: Doc, hit: LabelHit, hits: Sequence[LabelHit]) -> dict[int, LabelHit]:
    """The fields that start after this label, by their first token."""
    return {
        h.span.start: h
        for h in hits
        if h.span.start >= hit.span.end and starts_field(doc, h) and not _value_of(doc, hit, h)
    }


def _value_of(doc: Doc, hit: LabelHit, other: LabelHit) -> bool:
    """Another label's words right after this label, alone to their line's end, that this
    label's field knows as a value: "Công việc: | Bác sĩ" (not the physician's label)."""
    between = doc[hit.span.end : other.span.start]
    if any(not layout.is_wall(t) for t in between) or other.span[-1]._.colon:
        return False
    if other.span[0]._.line != hit.span[-1]._.line:
        return False
    ends = other.span.end == len(doc) or doc[other.span.end]._.line != other.span[-1]._.line
    return ends and _knows(hit, other.span)


def _knows(head: LabelHit, words: Span) -> bool:
    """Whether the label's field knows these words as one of its terms."""
    if head.key == OTHER:
        return False
    parsed = parse_value(field_spec(head.key).type, words.text)
    return parsed is not None and "known_term" in parsed.checks_passed


#: the value beside its label, up to the next field on its line
RIGHT = "right"
#: beside its label and on the line(s) it ran onto (free text, a row of options)
WRAPPED = "wrapped"
#: under a label that heads a table cell or a column in a row of heads, found by position
UNDER_HEAD = "under_head"
#: in the label's column on one of the next lines (a signature's name under its heading)
BELOW = "below"
#: under a column head whose line goes on with the next column's head ("Nhịp tim   Nhiệt")
HEAD_COLUMN = "head_column"

#: types whose label may head a signature ("BÁC SĨ ĐIỀU TRỊ" beside "TRƯỞNG KHOA"), the
#: name under it past the instruction line and the scrawl (``_values_below``)
SIGNED = {"person_name", "physician_name"}
#: types read from a row of options: one option cut off the row is no reading of it
OPTION_TYPES = {"sex", "outcome"}
#: rows a signature's name may lie under its heading (the instruction line, the scrawl, a
#: restated "Họ và tên:"); any other label's value below it is on the row right under it
SIGNATURE_ROWS = 4
#: free text that may run over into the next line; options whose row may run over
WRAPPING_TYPES = {
    "text": "text",
    "place_or_title": "text",
    "address": "text",
    "department": "text",
    "occupation": "text",
    "diagnosis": "text",
    "outcome": "options",
}


@dataclass(frozen=True)
class Pairing:
    """A value candidate for a label: its words, how they stand to the label, and the
    features the choice reads."""

    kind: str
    span: Span
    #: off the label's line: ranked after a value beside its label (``candidates.choose``)
    below: bool
    #: tried only when no other pairing of the label read a value, and then only as its
    #: cell's whole print
    fallback: bool = False
    #: the words standing in for a label OCR lost (``unlabelled``), loosely labelled
    label: LabelHit | None = None


def pairings(
    doc: Doc, hit: LabelHit, hits: Sequence[LabelHit], starts: dict[int, LabelHit], field_type: str
) -> list[Pairing]:
    """The label's value candidates, in the order they are tried (``_value_tokens``), then,
    for a column head beside the next column's head (``_column_head``), the value under it as
    a fallback. ``starts``: the fields that start after the label (``_starts_after``)."""
    wraps = WRAPPING_TYPES.get(field_type, "")
    found = _value_tokens(doc, hit, hits, starts, wraps, field_type)
    if _column_head(doc, hit, field_type):
        found += [(HEAD_COLUMN, s) for s in _value_under(doc, hit, hits, starts)]
    line = hit.span[-1]._.line
    return [Pairing(k, s, s[0]._.line != line, k == HEAD_COLUMN) for k, s in found]


def _column_head(doc: Doc, hit: LabelHit, field_type: str) -> bool:
    """A label whose line goes on, after a wide gap, with words that are not its value: the
    head of a table's column, beside the next column's head ("Nhịp tim   Nhiệt"). Not a row
    of options, which may run onto the line below."""
    after = _after_punct(doc, hit.span.end)
    return (
        field_type not in OPTION_TYPES
        and after < len(doc)
        and doc[after]._.line == hit.span[-1]._.line
        and layout.gap_before(doc, doc[after : after + 1])
    )


def _value_tokens(
    doc: Doc,
    hit: LabelHit,
    hits: Sequence[LabelHit],
    starts: dict[int, LabelHit],
    wraps: str = "",
    field_type: str = "",
) -> list[tuple[str, Span]]:
    """Candidate value spans and their relation, in the order they are tried: right of the
    label up to the next field on its line — free text (``wraps="text"``) over the lines it
    wrapped onto; a row of options (``wraps="options"``) on its line, then with the line it
    may have run onto — and, when the label ends its line, in its column below (labels above
    their values); when only specks or another label follow it, first under it (a table
    cell's head); but for a signature, under a label in a row of heads, first right under it;
    but for a row of options, beside the label up to a gap wide enough for a new column too."""
    in_column, options = field_type not in SIGNED, field_type in OPTION_TYPES
    line = hit.span[-1]._.line
    stop = hit.span.end
    while stop < len(doc) and doc[stop]._.line == line and stop not in starts:
        stop += 1
    start = _past_gloss(doc, hit.span.end, stop)
    while start < stop and doc[start].is_punct:
        start += 1
    if start < stop and _numbered_line(doc, start) and not _own_option(doc, start, field_type):
        stop = start  # "Tần số thở 16. ŒXN": no value beside it, the next field's number
    ends = [(RIGHT, stop)]
    if wraps and stop > start and (stop == len(doc) or doc[stop]._.line != line):
        wrapped = _wrapped_end(doc, stop, starts)
        if wrapped != stop:
            # free text runs on; a row of options is tried on its line first
            ends = [(WRAPPED, wrapped)] if wraps == "text" else [(RIGHT, stop), (WRAPPED, wrapped)]
    spans = []
    own = _field_number(doc, hit.span.start - 1)
    for kind, end in ends:
        while end > start and (doc[end - 1].is_punct or _next_number(doc, end - 1, own)):
            end -= 1  # the next field's number ("2.") is not part of this value
        if end > start:
            spans.append((kind, doc[start:end]))
    if not options and spans and spans[0][0] == RIGHT and (gap := _column_gap(doc, start, stop)):
        # then up to a wide gap: the next column's print, its label not found ("001 184 988
        # 264    Thẻ BHYT DN-4-…")
        spans.append((RIGHT, doc[start:gap]))
    if start == stop and stop < len(doc) and doc[stop]._.line != line:
        if in_column and _heads_a_row(hit, hits):
            # a row of column heads over a row of values ("Breathing rate  Body weight" over
            # "16 breaths/min 42.5kg"): the value under the head comes first, found by position
            spans.extend((UNDER_HEAD, s) for s in _value_under(doc, hit, hits, starts))
        rows = SIGNATURE_ROWS if not in_column else 1
        spans.extend((BELOW, s) for s in _values_below(doc, hit, starts, rows))
    elif _thin(doc[start:stop]):
        # nothing but specks beside the label, or another label: a table cell's head, its
        # value under it
        spans = [(UNDER_HEAD, s) for s in _value_under(doc, hit, hits, starts)] + spans
    return spans


#: a label's gloss in brackets: its abbreviation or unit ("Dân tộc (DT)", "Nhịp thở (l/p)")
GLOSS_WORDS = 3


def _past_gloss(doc: Doc, start: int, stop: int) -> int:
    """Past a bracketed gloss right after a label, of a few words and no digit: the label's
    abbreviation or unit, not its value; a column head glossed so has its value under it."""
    if start >= stop or not doc[start].text.startswith("("):
        return start
    for end in range(start, min(stop, start + GLOSS_WORDS)):
        if any(ch.isdigit() for ch in doc[end].text):
            return start
        if doc[end].text.rstrip(".:;,").endswith(")"):
            return end + 1
    return start


def _own_option(doc: Doc, number: int, field_type: str) -> bool:
    """A numbered option of the field's own ("Giới 1. Nam 2. Nữ"), not the next field."""
    return field_type in OPTION_TYPES and parse_value(field_type, doc[number + 1].text) is not None


def _column_gap(doc: Doc, start: int, stop: int) -> int | None:
    """Where a gap wide enough for a new column cuts the words from ``start`` to ``stop``."""
    unit = layout.height(doc[start:stop]) if stop > start else 0
    return next(
        (i for i in range(start + 1, stop) if layout.wide_gap(doc[i - 1], doc[i], unit)), None
    )


def _heads_a_row(hit: LabelHit, hits: Sequence[LabelHit]) -> bool:
    """Another label on the label's row: a table's row of column heads."""
    top, bottom = layout.top(hit.span), layout.bottom(hit.span)
    return any(h is not hit and layout.same_row(h.span, top, bottom) for h in hits)


def without_label(key: str, text: str) -> str:
    """The text without the field's own label (and its number) before it: a box re-read
    whole may take it in when the value wrapped under it ("Chỗ ở hiện nay: 349 Nguyễn Thị
    Minh Khai, …")."""
    words = text.split()
    if len(words) > 1 and _ENUMERATOR.match(words[0]):
        words = words[1:]  # and the label's number before it: "6. Địa chỉ thường trú 319 …"
    folded = tuple(fold(w) for w in words)
    found = [
        len(variant)
        for language in ("vi", "en")
        for variant in _variants(language, key)
        if folded[: len(variant)] == variant and len(words) > len(variant)
    ]
    return " ".join(words[max(found) :]).lstrip(":.- ") if found else text  # the longest


def _is_label(key: str, words: Sequence[Token]) -> bool:
    """Do these words spell one of the field's labels, in either language?"""
    folded = tuple(w for w in (fold(t.text) for t in words) if w)
    return any(folded in _variants(language, key) for language in ("vi", "en"))


def _cell_continuation(
    doc: Doc, hit: LabelHit, span: Span, starts: dict[int, LabelHit], to_margin: bool = False
) -> Span | None:
    """A value that wrapped inside its table cell: it stops at the next cell's label on its
    line (or, with ``to_margin``, at the page's right edge) and goes on right under it, at
    the cell's left edge ("Chẩn đoán chính: Viêm gan virus B mạn, không có | Mã ICD: B18.1"
    over "đồng nhiễm virus delta"). The value must come near its cell's edge, and the next
    line go on in lower case or digits."""
    height = layout.height(hit.span)
    right = layout.cell_right(doc, span, starts, to_margin)
    if right is None:
        return None
    room = right - span[-1]._.bbox[2]  # what was left of the cell's width after the value
    if room <= 0:
        return None
    left = min(hit.span[0]._.bbox[0], span[0]._.bbox[0]) - layout.LEFT_EDGE * height
    tails = doc.user_data.get("label_tails", set())  # "sinh:" under "Ngày, tháng, năm"
    under = layout.line_under_in_cell(doc, span, (left, right), height, tails)
    if under is None:
        return None
    start, end = under
    if doc[start]._.bbox[0] > span[0]._.bbox[0] + layout.LEFT_EDGE * height:
        return None  # not at the cell's left edge: another column's words
    if not layout.fills_cell(room, doc[start], height):
        return None  # the value ended well short of its cell's edge: the next word fitted
    if layout.runs_on_from_left(doc, start, height):
        return None  # the words run on from further left: a line of its own, no wrap
    cut = [i for i in range(start, end) if i in starts]
    end = cut[0] if cut else end
    first = doc[start].text.lstrip("(")[:1]
    if start in starts or end == start or not (first.islower() or first.isdigit()):
        return None  # a wrapped line goes on in lower case or digits: "không đặc hiệu",
        # "08/11", "(sung huyết)"
    return doc[start:end]


def _thin(span: Span) -> bool:
    """Specks, rules and stray letters, no value: "m 1 —" beside a label in a table cell."""
    return sum(ch.isalnum() for ch in span.text) <= 2 and all(
        sum(ch.isalnum() for ch in t.text) <= 1 for t in span
    )


def _value_under(
    doc: Doc, hit: LabelHit, hits: Sequence[LabelHit], starts: dict[int, LabelHit]
) -> list[Span]:
    """The value under a label that heads a table cell or a column ("Phái" over "Nữ", "Mạch"
    over "88 lần/phút"): a row of print below the label, in its column, which runs from the
    label's left edge to the next label on its row. Found by position, not by OCR line:
    Tesseract often reads a row of column heads as several lines. A head that wrapped in its
    column ("Huyết áp động" over "mạch") is passed over."""
    top, bottom = layout.top(hit.span), layout.bottom(hit.span)
    height = max(1, bottom - top)
    row = [_numbered(h.span) for h in hits if h is not hit and layout.same_row(h.span, top, bottom)]
    left, right = layout.head_column(doc, hit.span, row, height)
    head = [
        t for t in doc[hit.span.start : layout.line_end(doc, hit.span.start)] if t._.bbox[0] < right
    ]
    for row_number in range(2):
        found = layout.row_in_column(doc, bottom, height, (left, right))
        if found is None:
            break
        start, end, bottom = found
        if row_number == 0 and _is_label(hit.key, [*head, *doc[start:end]]):
            continue  # the head wrapped in its column: "Huyết áp động" over "mạch"
        cut = [i for i in range(start, end) if i in starts]
        end = cut[0] if cut else end  # another field's label: this cell's value ends there
        if end == start or _SECTION.match(doc[start].text) or _numbered_line(doc, start):
            return []  # "II. ENCOUNTER": a new section; "24. Trọng lượn…": another field
        return [doc[start:end]]
    return []


def _numbered(span: Span) -> Span:
    """A head with its field's number before it ("27- Kết quả"): the next column starts at
    the number, and so does the value under it ("Đỡ" under "27-")."""
    doc, i = span.doc, span.start - 1
    if i >= 0 and doc[i]._.line == span[0]._.line and _field_number(doc, i) is not None:
        return doc[i : span.end]
    return span


def _numbered_line(doc: Doc, i: int) -> bool:
    """A field's number ("24.") with words after it on its line: another field's line, its
    label matched or not ("24. Trọng lượn … 68 Kg"), never a value under a label."""
    after = i + 1
    return (
        _ENUMERATOR.match(doc[i].text) is not None
        and after < len(doc)
        and doc[after]._.line == doc[i]._.line
        and doc[after].text[:1].isalpha()
    )


def _values_below(
    doc: Doc, hit: LabelHit, starts: dict[int, LabelHit], depth: int = SIGNATURE_ROWS
) -> list[Span]:
    """Under a label that ends its line, the value is in the label's column on one of the next
    lines: under a signature heading ("BÁC SĨ ĐIỀU TRỊ") after the instruction "(Ký, ghi rõ họ
    tên)", the signature's scrawl or a restated "Họ và tên:". Stops where another field or a
    section ("II. ...") starts."""
    spans = []
    i = hit.span.end
    for row in range(depth):
        if i >= len(doc):
            break
        line_end = layout.line_end(doc, i)
        if _SECTION.match(doc[i].text):
            break
        column = layout.column_below(doc[i:line_end], hit.span)
        if len(column) and _numbered_line(doc, column.start):
            break
        i = line_end
        start = column.start
        while start < column.end and layout.is_wall(doc[start]):
            start += 1  # "- Họ và tên": a dash; "☒ HEAD OF DEPARTMENT": a box
        restated = starts.get(start) if start < column.end else None
        if restated is not None and restated.key == OTHER:
            if _is_heading(doc[start : column.end]):
                break  # another person's heading: "HEAD OF DEPARTMENT"
            continue  # an instruction line
        if restated is not None and row == 0 and _alone_under(restated, column, hit):
            spans.append(doc[start : column.end])  # a value that is also a label's word:
            continue  # "Doctor" under "Profession"
        if restated is not None and restated.key != "patient.full_name":
            break
        if restated is not None:
            start = restated.span.end
        while start < column.end and doc[start].is_punct:
            start += 1
        end = start
        while end < column.end and end not in starts:
            end += 1
        if end > start and not doc[start].text.startswith("("):
            spans.append(doc[start:end])
    return spans


def _alone_under(label: LabelHit, column: Span, head: LabelHit) -> bool:
    """A label's words without a colon, alone in their column right under a heading label: a
    value when one word ("Doctor" under "Profession"), or words the heading's field knows
    ("Bác sĩ" under "Công việc"). Other words are as often the next label: "Current address"
    under "Doctor"."""
    if label.span[-1]._.colon or label.span.end != column.end:
        return False
    return len(label.span) == 1 or _knows(head, label.span)
