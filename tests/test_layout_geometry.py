"""The page's geometry (``pipeline.extract.layout``) on small pages of words placed by hand:
rows, reading order, the line under a span, columns and cells."""

from __future__ import annotations

from pipeline.extract import layout
from pipeline.extract.doc import page_doc
from pipeline.models import OcrPage, OcrWord

_H = 40  # a word's height in pixels


def word(text: str, x: int, y: int, line: int, width: int | None = None) -> OcrWord:
    return OcrWord(text, 0.95, (x, y, x + (width or 20 * len(text)), y + _H), line)


def doc_of(*words: OcrWord):  # type: ignore[no-untyped-def]
    return page_doc(OcrPage(1, 2480, 3508, tuple(words), "vie"))


def test_reading_order_joins_blocks_at_one_height_and_renumbers_lines() -> None:
    # a label and its value read as two text blocks (line ids 7 and 2), then a line below
    words = [
        word("Value", 600, 102, 2),
        word("Below", 100, 200, 9),
        word("Label:", 100, 100, 7),
    ]
    ordered = layout.reading_order(words)
    assert [w.text for w in ordered] == ["Label:", "Value", "Below"]
    assert [w.line_id for w in ordered] == [0, 0, 1]


def test_lines_overlapping_by_less_than_half_their_band_stay_apart() -> None:
    # bands are the middle halves (y+10..y+30): 100..140 and 118..158 overlap 2 of 20 pixels
    assert len(layout.visual_lines([word("a", 0, 100, 0), word("b", 100, 118, 1)])) == 2
    # 100..140 and 108..148: the bands overlap 12 of 20 pixels
    assert len(layout.visual_lines([word("a", 0, 100, 0), word("b", 100, 108, 1)])) == 1


def test_lines_and_line_end_follow_the_visual_lines() -> None:
    doc = doc_of(word("One", 100, 100, 0), word("two", 200, 100, 0), word("Three", 100, 200, 1))
    assert [[t.text for t in line] for line in layout.lines(doc)] == [["One", "two"], ["Three"]]
    assert layout.line_end(doc, 0) == 2
    assert layout.line_end(doc, 2) == 3


def test_a_gap_wider_than_one_and_a_half_heights_starts_a_column() -> None:
    gap = int(layout.COLUMN_GAP * _H)  # 60 pixels
    near = doc_of(word("Ab", 100, 100, 0, 40), word("Cd", 140 + gap, 100, 0))
    far = doc_of(word("Ab", 100, 100, 0, 40), word("Cd", 141 + gap, 100, 0))
    assert not layout.gap_before(near, near[1:2])
    assert layout.gap_before(far, far[1:2])
    assert not layout.gap_before(far, far[0:1])  # the line's first word
    assert layout.runs_on(far[0], far[1], _H)  # 61 pixels: less than two heights


def test_words_under_a_span_start_at_its_left_edge() -> None:
    doc = doc_of(
        word("Thành", 100, 100, 0),
        word("phần", 220, 100, 0),
        word("tộc:", 110, 150, 1),  # right under, 10 pixels in
        word("Kinh", 900, 150, 1),  # the next column's
    )
    assert [t.text for t in layout.words_under(doc, doc[0:2])] == ["tộc"]  # its colon split off
    shifted = doc_of(word("Thành", 100, 100, 0), word("tộc:", 100 + _H + 5, 150, 1))
    assert layout.words_under(shifted, shifted[0:1]) == []  # more than a height to the right


def test_band_under_reaches_as_far_as_asked() -> None:
    doc = doc_of(word("Head", 100, 100, 0), word("near", 100, 180, 1), word("far", 100, 330, 2))
    under = [t.text for t in layout.band_under(doc, 140, _H)]  # tops 128..200
    assert under == ["near"]
    deep = [t.text for t in layout.band_under(doc, 140, _H, layout.COLUMN_REACH)]
    assert deep == ["near", "far"]


def test_a_line_below_is_cut_into_cells_and_the_one_under_the_label_chosen() -> None:
    doc = doc_of(
        word("DOCTOR", 1200, 100, 0),
        word("TRUONG", 100, 300, 1),
        word("KHOA", 260, 300, 1),
        word("BAC", 1190, 300, 1),  # 810 pixels on: another cell
        word("SI", 1270, 300, 1),
    )
    line = doc[1:5]
    assert [c.text for c in layout.cells(line, _H)] == ["TRUONG KHOA", "BAC SI"]
    assert layout.column_below(line, doc[0:1]).text == "BAC SI"
    one = doc[1:3]
    assert layout.column_below(one, doc[0:1]) is one  # one cell: the line itself


def test_heads_on_one_row_bound_each_others_columns() -> None:
    doc = doc_of(
        word("Pulse", 100, 100, 0),
        word("Temp", 600, 104, 1),  # its own Tesseract line, same row
        word("Weight", 1100, 98, 2),
        word("Note", 600, 200, 3),  # a row below
    )
    pulse, temp, weight, note = (doc[i : i + 1] for i in range(4))
    top, bottom = layout.top(temp), layout.bottom(temp)
    assert layout.same_row(pulse, top, bottom) and layout.same_row(weight, top, bottom)
    assert not layout.same_row(note, top, bottom)
    left, right = layout.head_column(doc, temp, [pulse, weight], _H)
    assert (left, right) == (600 - layout.HEAD_LEFT_REACH * _H, 1100)
    # the last head's column runs to the page's edge
    assert layout.head_column(doc, weight, [pulse, temp], _H) == (
        1100 - layout.HEAD_LEFT_REACH * _H,
        layout.doc_width(doc),
    )
    # a head before it ending within reach: its column starts where that head ends
    close = doc_of(word("Pulse", 100, 100, 0, 460), word("Temp", 600, 100, 1))
    assert layout.head_column(close, close[1:2], [close[0:1]], _H) == (560, close[1]._.bbox[2] + 1)


def test_walls_margin_and_heights() -> None:
    doc = doc_of(
        word("—", 100, 100, 0, 6),
        word("ends", 200, 100, 0, 800),  # reaches 1000: the rightmost word
        word("short", 100, 200, 1, 100),
    )
    assert layout.is_wall(doc[0]) and not layout.is_wall(doc[1])
    assert layout.right_margin(doc) == 1000 and layout.doc_width(doc) == 1001
    assert layout.at_margin(doc, doc[1]) and not layout.at_margin(doc, doc[2])
    assert layout.height(doc[0:2]) == _H


def test_the_first_row_in_a_column_is_found_by_position_past_specks() -> None:
    doc = doc_of(
        word("Mach", 100, 100, 0),
        word("l", 150, 150, 1, 4),  # a rule's speck: too thin and short for a row
        word("88", 110, 190, 2),
        word("lan/phut", 170, 192, 2),
        word("36.9", 700, 190, 2),  # the next column's
        word("later", 110, 300, 3),
    )
    doc[1]._.bbox = (150, 150, 154, 160)  # 10 pixels tall
    found = layout.row_in_column(doc, 140, _H, (60, 600))
    assert found is not None
    start, end, low = found
    assert doc[start:end].text == "88 lan/phut" and low == 232
    # the next row, from that row's bottom
    assert layout.row_in_column(doc, low, _H, (60, 600)) == (5, 6, 340)
    assert layout.row_in_column(doc, 340, _H, (60, 600)) is None


def _pairs(*words: OcrWord) -> dict[str, list[tuple[str, str, bool, bool]]]:
    """Each label's pairings on a page: (relation, words, below, fallback)."""
    from pipeline.extract.fields import label_pages
    from pipeline.extract.pairing import _starts_after, pairings
    from schemas.catalogue import field_spec

    (labelled,) = label_pages([OcrPage(1, 2480, 3508, tuple(words), "vie")], "vi")
    doc, hits = labelled.doc, labelled.hits
    return {
        h.key: [
            (p.kind, p.span.text, p.below, p.fallback)
            for p in pairings(doc, h, hits, _starts_after(doc, h, hits), field_spec(h.key).type)
        ]
        for h in hits
    }


def test_a_value_beside_its_label_pairs_right_of_it_on_its_line() -> None:
    found = _pairs(word("Dân", 100, 100, 0), word("tộc:", 180, 100, 0), word("Kinh", 300, 100, 0))
    assert found["patient.ethnicity"] == [("right", "Kinh", False, False)]


def test_values_under_a_row_of_heads_pair_under_their_head() -> None:
    found = _pairs(
        word("Mạch", 100, 100, 0),
        word("Cân", 700, 100, 1),
        word("nặng", 780, 100, 1),
        word("88", 100, 190, 2),
        word("58.5", 700, 190, 3),
        word("kg", 800, 190, 3),
    )
    assert found["vitals.pulse"][0] == ("under_head", "88", True, False)
    assert found["vitals.weight"][0] == ("under_head", "58.5 kg", True, False)


def test_a_column_head_beside_the_next_head_offers_its_column_as_a_fallback() -> None:
    # the head's line goes on, past a wide gap, with the next column's head on its line
    found = _pairs(
        word("Mạch", 100, 100, 0),
        word("Nhiệt", 700, 100, 0),
        word("88", 100, 190, 1),
        word("37", 700, 190, 1),
    )
    assert ("head_column", "88", True, True) in found["vitals.pulse"]
    assert all(not p[3] for p in found["vitals.pulse"] if p[0] != "head_column")


def test_a_lost_labels_pairings_stand_its_options_or_unit_in_for_it() -> None:
    from pipeline.extract.unlabelled import ALONE, OPTIONS, UNIT, unlabelled

    doc = doc_of(
        word("CỚI", 100, 100, 0),
        word("x", 200, 100, 0),
        word("Nam", 240, 100, 0),
        word("Nữ", 340, 100, 0),
        word("36.9", 100, 200, 1),
        word("độ", 200, 200, 1),
        word("C", 260, 200, 1),
    )
    (options,) = unlabelled([doc], "patient.sex", OPTIONS)
    assert options.kind == OPTIONS and options.span.text == "x Nam Nữ"  # with its tick
    assert options.label is not None and options.label.span.text == "Nam"
    assert unlabelled([doc], "patient.sex", ALONE) == []  # no wall nor colon before it
    (unit,) = unlabelled([doc], "vitals.temperature", UNIT)
    assert unit.span.text == "36.9 độ C" and unit.label is not None
    assert unit.label.span.text == "độ C" and unit.label.score == 0.5


def test_a_cell_ends_at_the_next_cells_label_or_the_pages_edge() -> None:
    doc = doc_of(
        word("Viem", 100, 100, 0, 80),
        word("gan", 200, 100, 0, 60),  # ends at 260
        word("Ma", 400, 100, 0, 40),  # 140 pixels on: the next cell
        word("dong", 110, 150, 1, 80),  # the cell's next line
        word("nhiem", 210, 150, 1, 100),
        word("B18", 420, 150, 1, 60),  # the next cell's
    )
    value = doc[0:2]
    assert layout.cell_right(doc, value, set(), to_margin=False) == 400
    assert layout.cell_right(doc, doc[0:1], set(), to_margin=False) is None  # runs on
    assert layout.cell_right(doc, doc[0:1], {1}, to_margin=False) == 200  # a field starts
    assert layout.cell_right(doc, doc[2:3], set(), to_margin=True) == layout.doc_width(doc)
    assert layout.line_under_in_cell(doc, value, (60, 400), _H, set()) == (3, 5)
    assert layout.line_under_in_cell(doc, value, (60, 400), _H, {3, 4}) is None
    assert layout.fills_cell(140, doc[3], _H)  # 140 < 80 + 2 heights
    assert not layout.fills_cell(300, doc[3], _H)  # more than six heights left
    assert not layout.runs_on_from_left(doc, 3, _H)  # the line's first word
    assert not layout.runs_on_from_left(doc, 5, _H)  # 110 pixels after "nhiem"
    assert layout.runs_on_from_left(doc, 4, _H)
