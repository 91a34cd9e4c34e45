"""The page's geometry, in one place: visual lines (rows) from Tesseract's words, reading
order, the line under a span, columns and cells, and every tolerance they use.

OCR trees carry words with boxes and Tesseract's line ids, no ruling: a table's rules show up
as words without a letter or digit ("|", "_", "—"; ``is_wall``), and cells are told apart by
those walls or by wide gaps between words. Tolerances are in multiples of a word's height
(pixels scale with the scan's resolution, a word's height with its print), except where said.
"""

from __future__ import annotations

import bisect
from collections.abc import Container, Sequence
from dataclasses import replace

from spacy.tokens import Doc, Span, Token

from pipeline.extract.text import fold
from pipeline.models import OcrWord

# --- Tolerances -------------------------------------------------------------------------------
#: a line's band is its words' median top to median bottom with this share of its height cut
#: off either side (its middle half): ascenders and descenders do not join two lines
BAND_TRIM = 0.25
#: two of Tesseract's lines are one visual line when their bands overlap by this share of the
#: thinner band (a label and its value read as two text blocks)
LINE_OVERLAP = 0.5
#: a line taller than this many median word heights is a stamp or a margin's noise read as one
#: tall word: it is joined to no other line
TALL_LINE = 2
#: a gap wider than this between two words of a line starts a new column: a label does not run
#: across it, a field starts after it
COLUMN_GAP = 1.5
#: the widest a letter prints, in word heights: a word's letters end at most this far per
#: character past its left edge, however short OCR drew its box ("Chẩn" boxed over its first
#: two letters is no gap before "đoán")
LETTER_WIDTH = 0.75
#: a gap wider than this between the words of a line below cuts it into columns side by side
#: (signatures: "TRƯỞNG KHOA … BÁC SĨ ĐIỀU TRỊ"); words nearer than this run on from the left
WIDE_GAP = 2
#: the line right under a span: words whose tops lie from this far above the span's bottom …
UNDER_OVERLAP = 0.3
#: … to this far below it
UNDER_REACH = 1.5
#: a column head's value lies within this far below the head (a row or two of print)
COLUMN_REACH = 6
#: a column head's cell begins this far left of the head (values printed a little left of it)
HEAD_LEFT_REACH = 2
#: the words under a span start within this far of its left edge (the same column, or cell)
LEFT_EDGE = 1
#: two spans are on one row when their heights overlap by more than this share of the lower
ROW_OVERLAP = 0.5
#: a word less tall than this share of a head's height is a speck (a rule read as "l")
SPECK_HEIGHT = 1 / 3
#: free text ran into the right margin when its last word ends past this share of the page's
#: rightmost word (a share of the page's width, not of a height)
RIGHT_MARGIN = 0.85
#: a value that left more room than this in its cell ended short of the cell's edge: it did
#: not wrap (or more than the next line's first word and this much padding)
CELL_ROOM = 6
CELL_PADDING = 2


# --- Rows and reading order (OCR words, before the page's Doc) ---------------------------------
def _line_band(line: Sequence[OcrWord]) -> tuple[float, float]:
    tops = sorted(w.bbox[1] for w in line)
    bottoms = sorted(w.bbox[3] for w in line)
    # the upper median top and the lower median bottom: of two words, "Discharged on", the
    # band spans both ("on" has no ascender, "Discharged" a descender)
    top, bottom = tops[(len(tops) - 1) // 2], bottoms[len(bottoms) // 2]
    trim = (bottom - top) * BAND_TRIM
    return top + trim, bottom - trim


def visual_lines(words: Sequence[OcrWord]) -> list[list[OcrWord]]:
    """Tesseract's lines, joined where they sit at the same height (``LINE_OVERLAP`` of their
    bands); lines top to bottom, words left to right."""
    by_id: dict[int, list[OcrWord]] = {}
    for w in words:
        by_id.setdefault(w.line_id, []).append(w)
    heights = sorted(w.bbox[3] - w.bbox[1] for w in words)
    tall = TALL_LINE * heights[len(heights) // 2] if heights else 0
    merged: list[tuple[tuple[float, float], list[OcrWord]]] = []
    for line in sorted(by_id.values(), key=lambda ws: _line_band(ws)[0]):
        b = _line_band(line)
        if b[1] - b[0] > tall:  # a stamp or a margin's noise read as one tall word
            merged.append((b, line))
            continue
        for mb, members in merged:
            if mb[1] - mb[0] > tall:
                continue
            if min(b[1], mb[1]) - max(b[0], mb[0]) >= LINE_OVERLAP * min(
                b[1] - b[0], mb[1] - mb[0]
            ):
                members.extend(line)
                break
        else:
            merged.append((b, line))
    merged.sort(key=lambda m: m[0][0])
    return [sorted(members, key=lambda w: w.bbox[0]) for _, members in merged]


def reading_order(words: Sequence[OcrWord]) -> list[OcrWord]:
    """The words as read: visual lines top to bottom, each left to right, every word's line id
    its visual line's number."""
    return [replace(w, line_id=n) for n, line in enumerate(visual_lines(words)) for w in line]


# --- Lines of the page's Doc -------------------------------------------------------------------
def lines(doc: Doc) -> list[list[Token]]:
    """The Doc's visual lines, in reading order."""
    found: dict[int, list[Token]] = {}
    for token in doc:
        found.setdefault(token._.line, []).append(token)
    return list(found.values())


def line_end(doc: Doc, i: int) -> int:
    """Past the last token of token ``i``'s line."""
    line = doc[i]._.line
    while i < len(doc) and doc[i]._.line == line:
        i += 1
    return i


def height(tokens: Sequence[Token] | Span) -> int:
    """The tallest word's height (at least one pixel): the unit of the tolerances."""
    return max(1, max(t._.bbox[3] - t._.bbox[1] for t in tokens))


def top(tokens: Sequence[Token] | Span) -> int:
    return min(t._.bbox[1] for t in tokens)


def bottom(tokens: Sequence[Token] | Span) -> int:
    return max(t._.bbox[3] for t in tokens)


def right_margin(doc: Doc) -> int:
    """The right edge of the page's rightmost word."""
    if "right_margin" not in doc.user_data:
        doc.user_data["right_margin"] = max((t._.bbox[2] for t in doc), default=0)
    return int(doc.user_data["right_margin"])


def doc_width(doc: Doc) -> int:
    """Past the rightmost word of the page."""
    return right_margin(doc) + 1


def at_margin(doc: Doc, token: Token) -> bool:
    """Whether a word ends near the right margin (``RIGHT_MARGIN``): text there may wrap."""
    return not token._.bbox[2] < RIGHT_MARGIN * right_margin(doc)


def is_wall(token: Token) -> bool:
    """No letter or digit: a table's wall or a speck read as "|", "_", "°"."""
    return not any(ch.isalnum() for ch in token.text)


def wide_gap(before: Token, after: Token, unit: float, factor: float = COLUMN_GAP) -> bool:
    """A gap wider than ``factor`` word heights (``unit``) from ``before`` to ``after``."""
    return bool(after._.bbox[0] - before._.bbox[2] > factor * unit)


def runs_on(before: Token, after: Token, unit: float) -> bool:
    """A gap narrower than ``WIDE_GAP`` word heights (``unit``): the words run on, one cell."""
    return bool(after._.bbox[0] - before._.bbox[2] < WIDE_GAP * unit)


def gap_before(doc: Doc, span: Span) -> bool:
    """A wide gap between the span and the word before it on its line: a new column."""
    first = span[0]
    if first.i == 0 or doc[first.i - 1]._.line != first._.line:
        return False
    return wide_gap(doc[first.i - 1], first, height([first]))


def letters_end(token: Token, unit: float) -> float:
    """Where a word's letters end at the latest: its left edge and ``LETTER_WIDTH`` word
    heights (``unit``) a character, or its box's right edge if OCR drew it wider."""
    return max(token._.bbox[2], token._.bbox[0] + len(token.text) * LETTER_WIDTH * unit)


def label_gap_before(doc: Doc, span: Span) -> bool:
    """A wide gap (``COLUMN_GAP``) between the span and the word before it on its line, by
    their boxes and from where the letters before could end at the widest (``letters_end``):
    the words of one label are not cut apart by a box drawn short of its letters."""
    first = span[0]
    if not gap_before(doc, span):
        return False
    before = doc[first.i - 1]
    unit = height([before, first])
    return bool(first._.bbox[0] - letters_end(before, unit) > COLUMN_GAP * height([first]))


# --- Below a span ------------------------------------------------------------------------------
def band(doc: Doc, low: float, high: float) -> list[Token]:
    """The words whose tops lie strictly between low and high (page pixels)."""
    if "by_top" not in doc.user_data:
        doc.user_data["by_top"] = sorted((t._.bbox[1], t.i) for t in doc)
    by_top = doc.user_data["by_top"]
    first = bisect.bisect_right(by_top, (low, len(doc)))
    last = bisect.bisect_left(by_top, (high, -1))
    return [doc[i] for _, i in by_top[first:last]]


def band_under(doc: Doc, low_edge: int, unit: int, reach: float = UNDER_REACH) -> list[Token]:
    """The words whose tops lie from just above ``low_edge`` (a span's bottom) to ``reach``
    word heights below it: the line under, or with a larger reach the rows under."""
    return band(doc, low_edge - UNDER_OVERLAP * unit, low_edge + reach * unit)


def words_under(doc: Doc, span: Span) -> list[Token]:
    """The words of the line right under the span, from its left edge."""
    unit = height(span)
    x0 = span[0]._.bbox[0]
    under = [
        t
        for t in band_under(doc, bottom(span), unit)
        if x0 - LEFT_EDGE * unit < t._.bbox[0] < span[-1]._.bbox[2]
    ]
    under.sort(key=lambda t: t._.bbox[0])
    if not under or abs(under[0]._.bbox[0] - x0) > LEFT_EDGE * unit:
        return []
    return [t for t in under if fold(t.text)]


# --- Rows, columns and cells -------------------------------------------------------------------
def same_row(span: Span, top_edge: int, bottom_edge: int) -> bool:
    """Whether the span's height overlaps ``top_edge``..``bottom_edge`` by ``ROW_OVERLAP``."""
    s_top, s_bottom = top(span), bottom(span)
    overlap = min(bottom_edge, s_bottom) - max(top_edge, s_top)
    return overlap > ROW_OVERLAP * min(bottom_edge - top_edge, s_bottom - s_top)


def head_column(doc: Doc, head: Span, row: Sequence[Span], unit: int) -> tuple[float, float]:
    """The x-range of the column a head heads, given the other heads on its row: from a little
    left of it (``HEAD_LEFT_REACH`` word heights, ``unit``; not past the head before it) to
    the next head, or the page's edge."""
    x0 = head[0]._.bbox[0]
    right = min((s[0]._.bbox[0] for s in row if s[0]._.bbox[0] > x0), default=doc_width(doc))
    before = [s[-1]._.bbox[2] for s in row if s[-1]._.bbox[2] <= x0]
    left = max([x0 - HEAD_LEFT_REACH * unit] + before)
    return left, right


def row_in_column(
    doc: Doc, low_edge: int, unit: int, column: tuple[float, float]
) -> tuple[int, int, int] | None:
    """The first row of print in a column (an x-range) under ``low_edge``, within
    ``COLUMN_REACH`` word heights (``unit``): the visual line of the topmost word whose middle
    lies in the column (punctuation and specks, ``SPECK_HEIGHT``, passed over), as the tokens
    from its first to its last word in the column, and that row's bottom; None if none."""
    left, right = column
    words = [
        t
        for t in band_under(doc, low_edge, unit, COLUMN_REACH)
        if left <= (t._.bbox[0] + t._.bbox[2]) / 2 < right
        and not t.is_punct
        and t._.bbox[3] - t._.bbox[1] >= SPECK_HEIGHT * unit  # no speck read as "l"
    ]
    if not words:
        return None
    first = min(words, key=lambda t: (t._.bbox[1], t._.bbox[0]))
    on_line = [t.i for t in words if t._.line == first._.line]
    return min(on_line), max(on_line) + 1, max(doc[i]._.bbox[3] for i in on_line)


def cell_right(doc: Doc, span: Span, stops: Container[int], to_margin: bool) -> int | None:
    """Where the span's cell ends on its right: at the next word on its line past walls, when
    that word starts another field (``stops``) or stands after a wide gap (the next cell's
    label, or the next column's value); with ``to_margin``, at the page's edge when the span
    ends its line (the last cell of its row); else None (the line's words run on)."""
    line = span[-1]._.line
    after = span.end
    while after < len(doc) and doc[after]._.line == line and is_wall(doc[after]):
        after += 1  # the cell's wall read as "|", "_"
    if after < len(doc) and doc[after]._.line == line:
        if after not in stops and not gap_before(doc, doc[after : after + 1]):
            return None
        return int(doc[after]._.bbox[0])
    return doc_width(doc) if to_margin else None


def line_under_in_cell(
    doc: Doc, span: Span, cell: tuple[float, float], unit: int, skip: Container[int]
) -> tuple[int, int] | None:
    """The line right under the span inside a cell (an x-range: words starting from its left
    edge, their middles short of its right), walls and the tokens ``skip`` passed over: from
    the first to the last of the topmost word's line there, as token indexes; None if none."""
    left, right = cell
    below = [
        t
        for t in band_under(doc, bottom(span), unit)
        if left <= t._.bbox[0]
        and (t._.bbox[0] + t._.bbox[2]) / 2 < right
        and t.i not in skip
        and not is_wall(t)  # a speck is no line's start
    ]
    if not below:
        return None
    first = min(below, key=lambda t: t._.bbox[1])
    on_line = sorted(t.i for t in below if t._.line == first._.line)
    return on_line[0], on_line[-1] + 1


def fills_cell(room: float, next_word: Token, unit: int) -> bool:
    """Whether a value that left ``room`` pixels in its cell came near the cell's edge: the
    next line's first word would not have fitted (it takes in the padding either side of the
    wall), nor was more than ``CELL_ROOM`` word heights left."""
    width = next_word._.bbox[2] - next_word._.bbox[0]
    return not room > max(CELL_ROOM * unit, width + CELL_PADDING * unit)


def runs_on_from_left(doc: Doc, i: int, unit: int) -> bool:
    """Whether token ``i``'s words run on from further left on its line (past walls): a line
    of its own, not one that starts a cell."""
    before = doc[i - 1]
    while before.i > 0 and is_wall(before) and before._.line == doc[i]._.line:
        before = doc[before.i - 1]
    return before._.line == doc[i]._.line and runs_on(before, doc[i], unit)


def cells(line: Span, unit: float, factor: float = WIDE_GAP) -> list[Span]:
    """A line cut into cells where a gap between two words is wider than ``factor`` word
    heights (``unit``)."""
    doc = line.doc
    pieces, start = [], line.start
    for t in line[1:]:
        if t._.bbox[0] - doc[t.i - 1]._.bbox[2] > factor * unit:
            pieces.append(doc[start : t.i])
            start = t.i
    pieces.append(doc[start : line.end])
    return pieces


def column_below(line: Span, label: Span) -> Span:
    """Of a line below that holds several columns (signatures side by side: "TRƯỞNG KHOA …
    BÁC SĨ ĐIỀU TRỊ"), the cell under the label: the one whose middle is nearest the label's."""
    pieces = cells(line, height(label[:1]))
    if len(pieces) == 1:
        return line
    x0, x1 = label[0]._.bbox[0], label[-1]._.bbox[2]

    def distance(piece: Span) -> float:
        p0, p1 = piece[0]._.bbox[0], piece[-1]._.bbox[2]
        return abs((p0 + p1) / 2 - (x0 + x1) / 2)

    return min(pieces, key=distance)
