"""ICD-10 codes quoted inside a diagnosis's text (prescriptions, short summaries) are read as the
chart's codes by the code grammar, not by literals. All text here is made up for the tests."""

from __future__ import annotations

import pytest

from pipeline.extract.candidates import mark_ambiguous
from pipeline.extract.diagnoses import (
    parse_diagnosis,
    parse_icd10,
    principal_and_others,
    quoted_codes,
)
from pipeline.extract.fields import cross_check, extract_fields, label_pages
from pipeline.extract.lists import find_secondary_codes
from tests.test_layout import page


def words(text: str) -> list[str]:
    return text.split()


def codes(text: str) -> list[str]:
    return [q.parsed.value for q in quoted_codes(words(text))]


def test_codes_where_the_text_puts_them_are_read() -> None:
    text = "K29.7 - Viêm dạ dày; (E78) Rối loạn lipid máu; (G46*) Hội chứng mạch máu não"
    assert codes(text) == ["K29.7", "E78", "G46"]
    assert codes("( N40) Tăng sản tuyến tiền liệt") == ["N40"]  # a bracket read apart


@pytest.mark.parametrize(
    "text",
    [
        "Hội chứng mạch máu não (I60-I67)",  # a range inside a title codes no diagnosis
        "Sâu răng (500mg) 2 viên",  # a dose in brackets
        "Viêm họng K29 ngày 3",  # a code-shaped word where the text puts no code
        "(Q99.9X) Bệnh",  # more in the word than a code
        "(X99.99) Bệnh",  # no such code
    ],
)
def test_words_that_are_no_quoted_code(text: str) -> None:
    assert codes(text) == []


def test_a_code_whose_letter_was_read_as_a_digit_is_read_but_doubted() -> None:
    # "110": I10 or J10, both real codes; the grammar reads it and says it is unsure
    (q,) = quoted_codes(words("110 - Tăng huyết áp vô căn"))
    assert q.parsed.value == "I10" and "letter_read_exactly" in q.parsed.checks_failed
    (q,) = quoted_codes(words("(MI0) Gút"))  # a zero read as a letter
    assert q.parsed.value == "M10"


def test_the_principal_code_is_the_first_diagnosis_s() -> None:
    principal, others = principal_and_others(words("N40 - Tăng sản; (E78) Rối loạn lipid"))
    assert principal is not None and principal.parsed.value == "N40"
    assert [q.parsed.value for q in others] == ["E78"]
    after, rest = principal_and_others(words("Viêm phổi (J18.9); Đái tháo đường (E11)"))
    assert after is not None and after.parsed.value == "J18.9"
    assert [q.parsed.value for q in rest] == ["E11"]


def test_no_principal_when_the_first_diagnosis_quotes_none_readable() -> None:
    # the principal's code garbled past reading: the next code is a secondary one, not it
    principal, others = principal_and_others(words("H0 - Tăng huyết áp (G46*) Hội chứng"))
    assert principal is None and [q.parsed.value for q in others] == ["G46"]
    principal, others = principal_and_others(words("Tăng huyết áp; (E78) Rối loạn lipid"))
    assert principal is None and [q.parsed.value for q in others] == ["E78"]


def test_the_diagnosis_text_is_kept_without_its_codes() -> None:
    parsed = parse_diagnosis("K29.7 - Viêm dạ dày (E78) Rối loạn chuyển hoá lipoprotein")
    assert parsed is not None
    assert "K29" not in parsed.value and "E78" not in parsed.value
    assert parsed.value.startswith("Viêm dạ dày;")


def chart(*lines: str):
    pages = label_pages([page([(i, 120, line) for i, line in enumerate(lines)])], "vi")
    fields = {c.key: c for c in mark_ambiguous(cross_check(extract_fields(pages)), cross_check)}
    return fields, [c.value for c in find_secondary_codes(pages)]


def test_a_prescription_s_diagnosis_gives_the_chart_its_codes() -> None:
    fields, secondary = chart(
        "Họ tên: TRẦN VĂN AN",
        "Chẩn đoán: K29.7 - Viêm dạ dày; (E78) Rối loạn chuyển hoá lipoprotein",
    )
    code = fields["encounter.discharge_icd10"]
    assert code.value == "K29.7" and code.rule.startswith("quoted:")
    assert code.bbox is not None and code.raw_text == "K29.7"  # the code's own box
    assert secondary == ["E78"]
    assert "K29" not in str(fields["encounter.discharge_diagnosis"].value)


def test_a_code_under_its_own_label_wins_and_is_not_repeated() -> None:
    fields, secondary = chart(
        "Chẩn đoán ra viện: Viêm dạ dày (K29.7)",
        "Mã ICD-10: K29.7",
    )
    code = fields["encounter.discharge_icd10"]
    assert code.value == "K29.7" and not code.rule.startswith("quoted:")
    assert secondary == []


def test_a_diagnosis_ends_where_the_prescription_s_first_line_starts() -> None:
    parsed = parse_diagnosis(
        "I10 - Tăng huyết áp vô căn (nguyên phát); (H81) Rối loạn chức năng tiền đình "
        "1) ENALAPRIL 5mg SL 30 viên Ghi chú Uống: Sáng 1 viên"
    )
    assert parsed is not None and parsed.value.endswith("tiền đình")
    kept = parse_diagnosis("Bệnh lý tăng huyết áp độ 2; bệnh đĩa đệm 1) cấp")
    assert kept is not None and kept.value.endswith("1) cấp")


def test_a_code_read_in_two_words_before_its_dash_is_read_and_doubted() -> None:
    (q,) = quoted_codes(words("E1 I - Bệnh đái tháo đường không phụ thuộc insuline"))
    assert (q.start, q.end, q.parsed.value) == (0, 3, "E11")
    assert "code_in_pieces" in q.parsed.checks_failed
    assert codes("Tăng huyết áp; K2 9 - Viêm dạ dày") == ["K29"]
    parsed = parse_diagnosis("E1 I - Bệnh đái tháo đường không phụ thuộc insuline")
    assert parsed is not None and parsed.value.startswith("Bệnh đái")
    # two words that make a code only where no dash follows them, or inside a title: none
    assert codes("E1 I Bệnh đái tháo đường") == [] and codes("Bệnh A 1 - 2 tuần") == []


def test_the_next_line_that_starts_with_a_bracketed_code_goes_on_with_the_list() -> None:
    _, secondary = chart(
        "Chẩn đoán: K12.2 - Viêm mô tế bào và áp xe của miệng; (K04) Bệnh tủy 45,46",
        "(G46*) Hội chứng mạch máu não trong bệnh mạch não",
    )
    assert secondary == ["K04", "G46"]
    _, secondary = chart(
        "Chẩn đoán: K12.2 - Viêm mô tế bào và áp xe của miệng; (K04) Bệnh tủy 45,46",
        "Lời dặn: (tái khám sau 5 ngày)",
    )
    assert secondary == ["K04"]


def test_a_code_garbled_past_reading_is_no_word_of_the_diagnosis_and_doubted() -> None:
    parsed = parse_diagnosis("Sö0,0 - Đụng giập tại cổ chân")
    assert parsed is not None and parsed.value == "Đụng giập tại cổ chân"
    assert "code_unread" in parsed.checks_failed
    later = parse_diagnosis("Tăng huyết áp; B2x - Viêm dạ dày")
    assert later is not None and "B2x" not in later.value and "code_unread" in later.checks_failed
    # a code read, or a number inside the text, is no garbled code
    for text in ("K29.7 - Viêm dạ dày", "Đái tháo đường type 2 - có biến chứng"):
        kept = parse_diagnosis(text)
        assert kept is not None and "code_unread" not in kept.checks_failed


def test_a_category_quoted_whole_lost_no_digit() -> None:
    # E78 and H81 have subdivisions: a bare "E78" may have lost its last digit, unless its
    # bracket closes right after it or its dash follows it
    failed = {q.parsed.value: q.parsed.checks_failed for q in quoted_codes(words(
        "H81 - Rối loạn chức năng tiền đình; (E78) Rối loạn lipid; (M10 Gút"
    ))}  # fmt: skip
    assert "code_complete" not in failed["H81"] and "code_complete" not in failed["E78"]
    assert "code_complete" in failed["M10"]  # its bracket never closed: "(M10 Gút"
    assert "code_complete" in parse_icd10("E78").checks_failed  # type: ignore[union-attr]
