"""Mechanisms charts of another origin need, on pages of OCR words placed by hand: labels of a
bilingual form ("Khoa / Department"), fields numbered with a dash ("16- Mạch")."""

from __future__ import annotations

import pytest

from pipeline.extract.crosscheck import cross_check
from pipeline.extract.doc import page_doc
from pipeline.extract.fields import extract_fields, label_pages
from pipeline.extract.lexicon import LexiconError, load_lexicon, parse_lexicon
from pipeline.extract.measures import parse_outcome, parse_pulse, parse_respiratory_rate
from pipeline.extract.vocabulary import correct_vietnamese_diagnosis
from pipeline.models import FieldCandidate, OcrPage, OcrWord

_H, _CHAR, _SPACE = 40, 22, 18


def page(rows: list[tuple[int, int, str]]) -> OcrPage:
    words = []
    for line, x, text in rows:
        for word in text.split():
            width = _CHAR * len(word)
            words.append(
                OcrWord(word, 0.96, (x, 100 + line * 90, x + width, 140 + line * 90), line)
            )
            x += width + _SPACE
    return OcrPage(1, 2480, 3508, tuple(words), "vie")


def values(p: OcrPage, language: str = "vi") -> dict[str, str | None]:
    return {c.key: c.value for c in extract_fields(label_pages([p], language))}


def test_a_vietnamese_chart_reads_the_english_label_printed_beside_its_own() -> None:
    got = values(page([(0, 200, "Khoa / Department: Hô hấp"),
                       (1, 200, "Địa chỉ / Address: Thôn 2, xã Thanh Sơn, huyện Cẩm Xuyên"),
                       (2, 200, "Họ và tên / Full name: NGUYỄN VĂN AN")]))  # fmt: skip
    assert got["encounter.department"] == "Hô hấp"
    assert got["patient.address"] == "Thôn 2, xã Thanh Sơn, huyện Cẩm Xuyên"
    assert got["patient.full_name"] == "NGUYỄN VĂN AN"


def test_the_english_lexicon_takes_no_vietnamese_labels() -> None:
    vi, en = load_lexicon("vi"), load_lexicon("en")
    assert ("department",) in vi.labels["encounter.department"]
    assert ("khoa",) not in en.labels["encounter.department"]
    with pytest.raises(LexiconError, match="printed_beside"):
        parse_lexicon({"language": "vi", "labels": {}, "printed_beside": "en"}, "x.json")


def test_a_field_number_with_a_dash_ends_the_value_before_it() -> None:
    got = values(page([(0, 200, "15- Lý do vào viện: Đau đầu 16- Mạch: 86 17- Nhiệt độ: 37,9"),
                       (1, 200, "18- Nhịp thở: 22 19- Cân nặng: 54")]))  # fmt: skip
    assert got["vitals.pulse"] == "86"
    assert got["vitals.temperature"] == "37.9"
    assert got["vitals.respiratory_rate"] == "22"
    assert got["vitals.weight"] == "54"
    # column heads numbered so: the next head's number is no value of the head before it
    heads = values(page([(0, 200, "24- BP 25- Resp 26- Weight"), (1, 200, "175/95 18 70.5")]), "en")
    assert heads["vitals.respiratory_rate"] != "26"


def test_a_dashed_number_glued_to_its_label_is_split_but_a_date_is_not() -> None:
    doc = page_doc(page([(0, 200, "16-Mạch: 86 02-Feb-1997 12-03-2019")]))
    assert [t.text for t in doc] == ["16.", "Mạch", "86", "02-Feb-1997", "12-03-2019"]


def _candidate(key: str, value: str, passed: tuple[str, ...] = ()) -> FieldCandidate:
    return FieldCandidate(key, value, value, 1, (0, 0, 10, 10), 0.97, 1.0, "label:x", passed)


def test_a_free_text_value_of_label_words_alone_is_doubted() -> None:
    got = cross_check([
        _candidate("encounter.discharge_diagnosis", "bệnh"),  # of "Chẩn đoán bệnh"
        _candidate("encounter.admission_diagnosis", "ĐIỀU TRỊ"),  # a heading
        _candidate("patient.address", "Address"),  # of "Địa chỉ / Address"
        _candidate("encounter.department", "Tim mạch", ("known_term",)),  # a known term
        _candidate("patient.occupation", "Nông dân"),
        _candidate("encounter.attending_physician", "Nguyễn Văn An"),
    ])  # fmt: skip
    doubted = {c.key for c in got if "only_label_words" in c.checks_failed}
    assert doubted == {
        "encounter.discharge_diagnosis",
        "encounter.admission_diagnosis",
        "patient.address",
    }


def test_a_tick_before_an_option_read_garbled_ticks_no_other_option() -> None:
    # the box ticked before "Đỡ" read "XĐĐỡ": the tick is the garbled option's
    assert parse_outcome("Khỏi XĐĐỡ Không thayđổi Nặnghơn Tửvong") is None
    # letters before a tick are the option before it, read garbled: the tick is the next one's
    ticked = parse_outcome("LIKhỏi ☒ lĐỡ L] Khâng thay đối []Nặng hơn L] Tử vong")
    assert ticked is not None and ticked.value == "improved"


def test_a_per_minute_units_l_read_as_a_1_glued_to_the_number() -> None:
    assert parse_respiratory_rate("211/p 48 Kg").value == "21"  # type: ignore[union-attr]
    assert parse_pulse("711⁄p").value == "71"  # type: ignore[union-attr]
    assert parse_respiratory_rate("48 Kg") is None  # another sign's unit, in capitals
    assert parse_pulse("70l/ph").value == "70"  # type: ignore[union-attr]


def test_a_space_read_as_a_hyphen_between_words_of_a_known_phrase() -> None:
    fixed = correct_vietnamese_diagnosis("Viêm phổi do vi khuẩn, không-đặc hiệu")
    assert fixed.value == "Viêm phổi do vi khuẩn, không đặc hiệu"
    assert correct_vietnamese_diagnosis("Hội chứng Guillain-Barré").value.endswith("Guillain-Barré")


def test_a_qualifier_titles_print_after_a_comma_gets_its_comma_back() -> None:
    from pipeline.extract.diagnoses import parse_diagnosis

    def value(text: str) -> str | None:
        parsed = parse_diagnosis(text)
        return None if parsed is None else str(parsed.value)

    assert value("Tràn dịch màng phổi không phân.loai nơi khác") == (
        "Tràn dịch màng phổi, không phân loại nơi khác"
    )
    assert value("Viêm phế quản phổi,.không đặc hiệu") == "Viêm phế quản phổi, không đặc hiệu"
    # not after a joining word, nor a qualifier titles print without one
    assert value("Bệnh khác và không đặc hiệu") == "Bệnh khác và không đặc hiệu"
    assert value("Nhiễm trùng đường tiết niệu, vị trí không xác định") == (
        "Nhiễm trùng đường tiết niệu, vị trí không xác định"
    )


def test_a_middle_name_names_spell_only_with_marks_read_bare_is_a_lost_mark() -> None:
    from pipeline.extract.names import parse_person_name

    lost = parse_person_name("PHAN TRONG DŨNG")  # "Trọng": no common name spells it bare
    assert lost is not None and "marks_mixed" in lost.checks_failed
    for whole in ("PHAN TRỌNG DŨNG", "TRẦN KIM TRINH", "NGUYEN VAN AN"):
        parsed = parse_person_name(whole)
        assert parsed is not None and "marks_mixed" not in parsed.checks_failed


def test_a_field_number_with_a_bracket_glued_to_its_label_is_split() -> None:
    got = values(page([(0, 200, "21) Mạch (nhịp/phút): 22)T°: 37,2")]))
    assert got["vitals.pulse"] is None  # the next field's number is no pulse
    assert got["vitals.temperature"] == "37.2"


def test_a_name_ending_with_a_middle_name_lost_its_given_name() -> None:
    from pipeline.extract.names import parse_person_name

    cut = parse_person_name("HOÀNG VĂN")
    assert cut is not None and "name_cut_short" in cut.checks_failed
    for whole in ("HOÀNG VĂN MẠNH", "TRẦN VÂN"):  # "Vân" is a given name
        parsed = parse_person_name(whole)
        assert parsed is not None and "name_cut_short" not in parsed.checks_failed


def test_a_diagnosis_stopped_at_a_titles_beginning_or_on_or_is_cut_short() -> None:
    from pipeline.extract.diagnoses import parse_diagnosis

    for text in ("Fever", "Đột quỵ, không xác định do xuất huyết hay"):
        parsed = parse_diagnosis(text)
        assert parsed is not None and "diagnosis_cut_short" in parsed.checks_failed, text
    for text in ("Fever, unspecified", "Acute appendicitis", "Viêm phổi, không đặc hiệu"):
        parsed = parse_diagnosis(text)
        assert parsed is not None and "diagnosis_cut_short" not in parsed.checks_failed, text
