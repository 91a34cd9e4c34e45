"""Labels OCR boxed or read badly, on pages of words placed by hand: a word's box drawn short of
its letters (no gap inside the label), a label read in pieces ("Chẩn đoán" as short pieces)."""

from __future__ import annotations

from pipeline.extract import layout
from pipeline.extract.candidates import CLEAN_LABEL
from pipeline.extract.doc import page_doc
from pipeline.extract.fields import extract_fields, label_pages
from pipeline.extract.labelpieces import PIECES_DOUBT, PIECES_MIN_LETTERS
from pipeline.extract.labels import find_labels
from pipeline.models import OcrPage, OcrWord

_H = 40  # a word's height in pixels
_CHAR, _SPACE = 22, 18  # a character's width and a space's, in pixels
_DIAGNOSIS = "encounter.discharge_diagnosis"


def row(x: int, text: str, line: int = 0, short: dict[str, int] | None = None) -> list[OcrWord]:
    """A line of words from x; ``short`` gives a word the box width OCR drew for it (the next
    word still stands where the letters put it)."""
    words, y = [], 100 + line * 90
    for w in text.split():
        width = _CHAR * len(w)
        drawn = (short or {}).get(w, width)
        words.append(OcrWord(w, 0.96, (x, y, x + drawn, y + _H), line))
        x += width + _SPACE
    return words


def page(*rows: list[OcrWord]) -> OcrPage:
    return OcrPage(1, 2480, 3508, tuple(w for r in rows for w in r), "vie")


def labels(p: OcrPage) -> list[tuple[str, str, float]]:
    return [(h.key, h.span.text, h.score) for h in find_labels(page_doc(p), "vi")]


def values(p: OcrPage) -> dict[str, str | None]:
    return {c.key: c.value for c in extract_fields(label_pages([p], "vi"))}


def test_a_box_drawn_short_of_its_letters_leaves_no_gap_inside_the_label() -> None:
    # "Chẩn" boxed over its first two letters: 66 pixels from its box to "đoán", past the
    # column gap (60), though its letters end right before it
    p = page(row(100, "Chẩn đoán: Viêm phổi thùy", short={"Chẩn": 40}))
    doc = page_doc(p)
    assert layout.gap_before(doc, doc[1:2])  # by the boxes
    assert not layout.label_gap_before(doc, doc[1:2])  # by the letters
    assert (_DIAGNOSIS, "Chẩn đoán", 1.0) in labels(p)
    assert values(p)[_DIAGNOSIS] == "Viêm phổi thùy"


def test_a_wide_gap_past_where_the_letters_could_end_still_cuts_a_label() -> None:
    # "Chẩn" ends a cell; "đoán" far right starts another (five heights on): no label
    words = row(100, "Chẩn") + row(100 + 4 * _CHAR + 5 * _H, "đoán Viêm phổi")
    doc = page_doc(page(words))
    assert layout.label_gap_before(doc, doc[1:2])
    assert not [k for k, _, _ in labels(page(words)) if k == _DIAGNOSIS]


def test_a_label_read_in_pieces_is_found_by_its_letters_and_scores_under_a_clean_one() -> None:
    # "Chẩn đoán" read as three short pieces: "chadan" is two letters short of "chandoan"
    p = page(row(100, "Chả đ án Viêm họng cấp"))
    ((key, text, score),) = [h for h in labels(p) if h[0] == _DIAGNOSIS]
    assert (key, text) == (_DIAGNOSIS, "Chả đ án")
    assert score < CLEAN_LABEL
    assert values(p)[_DIAGNOSIS] == "Viêm họng cấp"
    # its value is doubted: the label was guessed from its letters
    (found,) = [c for c in extract_fields(label_pages([p], "vi")) if c.key == _DIAGNOSIS]
    assert PIECES_DOUBT in found.checks_failed
    # read whole, the same label scores as a clean one, its value undoubted
    whole = page(row(100, "Chẩn đoán Viêm họng cấp"))
    assert (_DIAGNOSIS, "Chẩn đoán", 1.0) in labels(whole)
    (found,) = [c for c in extract_fields(label_pages([whole], "vi")) if c.key == _DIAGNOSIS]
    assert PIECES_DOUBT not in found.checks_failed


def test_pieces_after_the_fields_number_and_before_a_colon() -> None:
    p = page(row(100, "5. Chã đoán: viêm phế quản cấp"))
    assert [(k, t) for k, t, _ in labels(p)] == [(_DIAGNOSIS, "Chã đoán")]


def test_pieces_need_a_values_start_a_lines_start_and_a_long_label() -> None:
    # no value after them (a word in small letters goes on the text)
    assert not labels(page(row(100, "Chả đ án viêm họng cấp")))
    # not where a field starts: inside a line of text
    assert not [h for h in labels(page(row(100, "Ghi chú Chả đ án Viêm"))) if h[0] == _DIAGNOSIS]
    # a label of fewer letters than PIECES_MIN_LETTERS ("Dân tộc": six) is not read in pieces
    assert len("dantoc") < PIECES_MIN_LETTERS
    assert not labels(page(row(100, "Dâ n tộc Kinh")))
    # nor across a column's gap
    assert not labels(page(row(100, "Chả") + row(100 + 3 * _CHAR + 5 * _H, "đ án Viêm")))
