"""How far from its label a value may be taken, on pages of OCR words placed by hand: a vital
sign's value lies on the row right under its label, a numbered line is another field's, and a
reading chosen over a nearer one is a choice the page did not make."""

from __future__ import annotations

from pipeline.extract.fields import PASSED_OVER, extract_fields, label_pages
from pipeline.models import FieldCandidate
from tests.test_foreign_mechanisms import page


def fields(rows: list[tuple[int, int, str]], language: str = "vi") -> dict[str, FieldCandidate]:
    return {c.key: c for c in extract_fields(label_pages([page(rows)], language))}


def test_a_label_word_over_another_fields_lines_takes_no_value_rows_below() -> None:
    # "mạch" ends a wrapped diagnosis ("… xơ vữa | động mạch"); under it, past a heading, the
    # record number's value: no pulse
    got = fields([(0, 200, "20- Bệnh phụ:"), (0, 700, "Bệnh tim do xơ vữa động"),
                  (1, 700, "mạch"),
                  (2, 200, "Thông tin điều trị"),
                  (3, 200, "21- Số hồ sơ:"), (3, 700, "BA96-81771")])  # fmt: skip
    assert got["vitals.pulse"].value is None
    assert got["encounter.record_number"].value == "BA96-81771"


def test_a_numbered_line_under_a_head_is_another_fields_not_a_value() -> None:
    # the value beside "NT" garbled past parsing; the next line is field 24's, its label
    # misread ("lượn"): its number is no respiratory rate
    got = fields([(0, 200, "23. NT:"), (0, 900, "zz.lầm/phứt"),
                  (1, 200, "24. Trọng lượn"), (1, 900, "68 Kg")])  # fmt: skip
    assert got["vitals.respiratory_rate"].value is None


def test_a_name_chosen_past_a_nearer_doubtful_one_is_doubted() -> None:
    # under the physician's heading and its instruction a name misread; a row further down
    # another name, read clean: which is the physician's, the page did not say
    got = fields([(0, 1400, "BÁC SĨ ĐIỀU TRỊ"), (1, 1400, "(ký, ghi rõ họ tên)"),
                  (2, 1400, "Trâh Thị Hôàg"), (3, 1400, "Nguyễn Tường Tâm")])  # fmt: skip
    physician = got["encounter.attending_physician"]
    assert physician.value == "Nguyễn Tường Tâm"
    assert PASSED_OVER in physician.checks_failed
    # the first reading under the heading, clean, is taken without a doubt
    got = fields([(0, 1400, "BÁC SĨ ĐIỀU TRỊ"), (1, 1400, "(ký, ghi rõ họ tên)"),
                  (2, 1400, "Trần Thị Hồng"), (3, 1400, "Nguyễn Tường Tâm")])  # fmt: skip
    physician = got["encounter.attending_physician"]
    assert physician.value == "Trần Thị Hồng" and not physician.checks_failed
    # nearer ink that reads as no name at all is passed over as much
    got = fields([(0, 1400, "BÁC SĨ ĐIỀU TRỊ"), (1, 1400, "H6*Thi Giang"),
                  (2, 1400, "Trương Văn Huy")])  # fmt: skip
    physician = got["encounter.attending_physician"]
    assert physician.value == "Trương Văn Huy" and PASSED_OVER in physician.checks_failed


def test_the_next_column_starts_at_its_heads_number() -> None:
    # "Đỡ" printed under "27-", left of the head's words: the next column's value, not the end
    # of the physician's name
    got = fields([(0, 200, "26- Bác sỹ điều trị"), (0, 1000, "27- Kết quả điều trị"),
                  (1, 200, "Nguyễn Văn Phát"), (1, 1000, "Đỡ")])  # fmt: skip
    assert got["encounter.attending_physician"].value == "Nguyễn Văn Phát"


def test_a_one_letter_label_counts_numbered_or_with_its_colon() -> None:
    got = fields([(0, 200, "16- M: 86 17- T°: 37,9"), (1, 200, "18- NT: 22")])
    assert got["vitals.pulse"].value == "86" and got["vitals.temperature"].value == "37.9"
    # a code's letter read apart at its line's start ("M 54.5" under "Mã bệnh"): no pulse
    got = fields([(0, 200, "Mã bệnh:"), (1, 200, "M 54.5 - Đau lưng")])
    assert got["vitals.pulse"].rule == "not_found"


def test_a_heads_bracketed_gloss_is_no_value_its_value_is_under_it() -> None:
    got = fields([(0, 200, "Sinh ngày/tháng/năm"), (0, 900, "Phái"), (0, 1300, "Dân tộc (DT)"),
                  (1, 200, "10/05/1972"), (1, 900, "Nữ"), (1, 1300, "Kinh")])  # fmt: skip
    assert got["patient.ethnicity"].value == "Kinh"
    assert got["patient.birth_date"].value == "1972-05-10"


def test_a_reading_of_label_words_alone_loses_the_choice_to_a_real_value() -> None:
    # a heading "Chẩn đoán bệnh" read as the label "Chẩn đoán" and its value "bệnh"; the
    # diagnosis under its own label later
    got = fields([(0, 200, "Chẩn đoán bệnh"), (1, 200, "Chẩn đoán: Chấn động não")])
    assert got["encounter.discharge_diagnosis"].value == "Chấn động não"


def test_a_number_taken_from_beside_other_digits_is_doubted() -> None:
    from pipeline.extract.parsing import OTHER_NUMBERS, parse_value

    for field_type, text, value in [
        ("record_number", "1726 17", "1726"),
        ("respiratory_rate", "23)Tầnsốthở19lần/phút", "23"),
    ]:
        parsed = parse_value(field_type, text)
        assert parsed is not None and parsed.value == value
        assert OTHER_NUMBERS in parsed.checks_failed
    # a number with its unit, a pressure's two numbers, a decimal comma, a unit's l read as a
    # 1: nothing left over
    plain = [
        ("pulse", "88 l/p"),
        ("blood_pressure", "120/80 mmHg"),
        ("temperature", "37,5 °C"),
        ("record_number", "BA24-09747"),
        ("respiratory_rate", "24 1/ph"),
        ("pulse", "711/p"),
        ("record_number", "BAO8-28671"),  # its O read for the zero it is
    ]
    for field_type, text in plain:
        parsed = parse_value(field_type, text)
        assert parsed is not None and OTHER_NUMBERS not in parsed.checks_failed


def test_a_label_word_put_right_into_a_known_term_is_still_a_label_word() -> None:
    from pipeline.extract.crosscheck import only_label_words

    def department(value: str, read: str) -> FieldCandidate:
        return FieldCandidate("encounter.department", value, read, 1, (0, 0, 9, 9), 0.99, 1.0,
                              "label:khoa", ("has_text", "known_term"))  # fmt: skip

    assert only_label_words(department("Bỏng", "Buồng"))  # a room's label, respelled
    assert not only_label_words(department("Nhi", "Nhi"))


def test_the_one_signature_under_no_heading_beside_another_roles_is_the_physicians() -> None:
    top = [(0, 200, "Họ và tên: NGUYỄN VĂN AN"), (1, 200, "Khoa: Nội tổng hợp")]
    signed = [(9, 1400, "TRƯỞNG KHOA"), (10, 200, "VVW⁄AA~¬"), (10, 1400, "Wx^⁄x⁄"),
              (11, 200, "Nguyễn Thùy Hương"), (11, 1400, "Trương Văn Minh")]  # fmt: skip
    physician = fields(top + signed)["encounter.attending_physician"]
    assert physician.value == "Nguyễn Thùy Hương"
    assert "unheaded_signature" in physician.checks_failed  # whose block: a person confirms
    # both blocks headed by roles not the physician's: no physician
    both = [(9, 200, "GIÁM ĐỐC"), *signed]
    assert fields(top + both)["encounter.attending_physician"].value is None


def test_a_value_that_ran_into_the_next_columns_print_is_read_up_to_the_gap() -> None:
    # the next column's label not found ("Thẻ BHYT" garbled): the card number stops at the gap
    got = fields([(0, 200, "Số CCCD: 001 184 988 264"), (0, 1100, "Thẻ BHXT DN-4-01-4722460092")])
    assert got["patient.national_id"].value == "001184988264"


def test_the_next_fields_number_right_after_a_label_is_no_value() -> None:
    # the value beside "Tần số thở" lost; "16." is the next field's number
    got = fields([(0, 200, "15. Tần số thở 16. XN máu: bình thường")])
    assert got["vitals.respiratory_rate"].value is None
    # a row of the field's own options is numbered so
    assert fields([(0, 200, "Giới: 1. Nam 2. ☒ Nữ")])["patient.sex"].value == "female"


def test_an_option_cut_off_an_unticked_row_is_no_reading() -> None:
    # the ticks lost: the row's first option, alone before a wide gap, is not the answer
    got = fields([(0, 200, "Discharge status Recovered"),
                  (0, 1100, "Improved Unchanged Worse Deceased")], "en")  # fmt: skip
    assert got["encounter.outcome"].value is None


def test_one_outcome_read_among_garbled_options_is_doubted() -> None:
    from pipeline.extract.measures import parse_outcome

    garbled = parse_outcome("☒ MKhỏi LIbỡ LÍKhông thay đổi LÍNặng hơn TÍ Tử vong")
    assert garbled is not None and "single_option" in garbled.checks_failed
    written = parse_outcome("Đỡ, giảm")
    assert written is not None and written.value == "improved" and not written.checks_failed


def test_a_chart_number_read_in_parts_and_joined_is_a_repair_a_person_confirms() -> None:
    from pipeline.extract.parsing import parse_value

    joined = parse_value("record_number", "72122/14 -18")
    assert joined is not None and joined.value == "72122/14-18"
    assert "parts_joined" in joined.checks_failed
    whole = parse_value("record_number", "BA24-09747")
    assert whole is not None and not whole.checks_failed
