"""Finding values by layout, on pages of OCR words placed by hand: what Tesseract gives on real
forms (a label and its value in two text blocks, glued numbers and labels, a signature's
scrawl between a heading and the name)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.extract.doc import page_doc, visual_lines
from pipeline.extract.fields import extract_fields, label_pages
from pipeline.models import FieldCandidate, OcrPage, OcrWord

_H = 40  # a word's height in pixels, as at 300 dpi
_CHAR, _SPACE = 22, 18  # a character's width and a space's, in pixels


def page(rows: list[tuple[int, int, str]], *, block_per_word: bool = False) -> OcrPage:
    """Words from (line id, x, "text at y") rows: each row is "word word ..." at the line's
    height; with ``block_per_word`` every row is its own Tesseract line id."""
    words = []
    for n, (line, x, text) in enumerate(rows):
        y = 100 + line * 90
        for word in text.split():
            width = _CHAR * len(word)
            words.append(
                OcrWord(word, 0.96, (x, y, x + width, y + _H), n if block_per_word else line)
            )
            x += width + _SPACE
    return OcrPage(1, 2480, 3508, tuple(words), "vie")


def _end(x: int, text: str) -> int:
    """Where ``page`` ends a row of words that starts at x."""
    return x + sum(_CHAR * len(w) + _SPACE for w in text.split()) - _SPACE


def values(p: OcrPage, language: str = "vi") -> dict[str, str | None]:
    return {c.key: c.value for c in extract_fields(label_pages([p], language))}


def candidate(p: OcrPage, key: str, language: str = "vi") -> FieldCandidate:
    """The field's one candidate, with its box and rule."""
    (c,) = [c for c in extract_fields(label_pages([p], language)) if c.key == key]
    return c


def test_a_label_and_its_value_in_two_text_blocks_are_one_line() -> None:
    # Tesseract put the value in another block, listed after the next line.
    p = OcrPage(
        1,
        2480,
        3508,
        (
            OcrWord("11.", 0.96, (231, 1702, 296, 1738), 18),
            OcrWord("Vào", 0.96, (317, 1700, 402, 1738), 18),
            OcrWord("viện:", 0.96, (420, 1700, 516, 1746), 18),
            OcrWord("Tổng", 0.96, (226, 1785, 341, 1835), 17),
            OcrWord("số", 0.96, (362, 1785, 413, 1825), 17),
            OcrWord("03", 0.97, (638, 1701, 692, 1738), 16),
            OcrWord("giờ", 0.97, (714, 1700, 783, 1748), 16),
            OcrWord("24", 0.97, (802, 1701, 857, 1738), 16),
            OcrWord("phút", 0.97, (878, 1700, 982, 1748), 16),
            OcrWord("ngày", 0.97, (1002, 1700, 1114, 1748), 16),
            OcrWord("22/06/2010", 0.97, (1134, 1700, 1417, 1740), 16),
        ),
        "vie",
    )
    lines = visual_lines(p.words)
    assert [w.text for w in lines[0]][:4] == ["11.", "Vào", "viện:", "03"]
    assert [w.text for w in lines[1]] == ["Tổng", "số"]
    assert values(p)["encounter.admission_time"] == "2010-06-22T03:24"


def test_a_tall_smudge_does_not_pull_lines_together() -> None:
    words = (
        OcrWord("©@œxm", 0.2, (246, 100, 286, 900), 0),
        OcrWord("Nghề", 0.96, (308, 148, 436, 190), 1),
        OcrWord("Nơi", 0.96, (308, 225, 391, 261), 2),
    )
    assert [len(line) for line in visual_lines(words)] == [1, 1, 1]


def test_two_heads_side_by_side_are_one_line_whatever_their_letters_reach() -> None:
    # "on" has no ascender and "Discharged" a descender: a band of their medians fell low
    words = (
        OcrWord("Admission", 0.96, (238, 1532, 400, 1559), 23),
        OcrWord("date", 0.96, (413, 1532, 481, 1559), 23),
        OcrWord("and", 0.96, (493, 1532, 550, 1559), 23),
        OcrWord("time", 0.96, (561, 1533, 630, 1559), 23),
        OcrWord("2017-02-16", 0.96, (240, 1586, 475, 1617), 24),
        OcrWord("Discharged", 0.96, (1297, 1532, 1471, 1568), 40),
        OcrWord("on", 0.96, (1485, 1540, 1521, 1559), 40),
    )
    assert [len(line) for line in visual_lines(words)] == [6, 1]


def test_a_field_number_glued_to_its_label_is_split_off() -> None:
    doc = page_doc(page([(0, 230, "16.Mã K80.2"), (1, 230, "20.Kết quả: Khỏi")]))
    assert [t.text for t in doc][:2] == ["16.", "Mã"]
    got = values(page([(0, 230, "Chẩn đoán ra viện: Sỏi túi mật 16.Mã K80.2")]))
    assert got["encounter.discharge_diagnosis"] == "Sỏi túi mật"
    assert got["encounter.discharge_icd10"] == "K80.2"


def test_a_label_that_lost_a_space_is_still_found() -> None:
    assert values(page([(0, 230, "Số thẻBHYT: GD4250831027113")]))["patient.insurance_number"] == (
        "GD4250831027113"
    )
    got = values(page([(0, 230, "9,HIcard HT3407844242293")]), "en")
    assert got["patient.insurance_number"] == "HT3407844242293"


def test_the_physician_under_the_heading_after_a_scrawl() -> None:
    got = values(
        page(
            [
                (0, 1300, "BÁC SĨ ĐIỀU TRỊ"),
                (1, 1260, "(Ký và ghi rõ họ tên)"),
                (2, 1400, "`5"),
                (3, 1300, "Đỗ Trọng Dũng"),
            ]
        )
    )
    assert got["encounter.attending_physician"] == "Đỗ Trọng Dũng"


def test_the_word_khoa_in_the_hospitals_name_is_no_label() -> None:
    # "BỆNH VIỆN ĐA KHOA …" heads the page, two of its words read joined by a hyphen
    p = page(
        [
            (0, 237, "BỆNH VIỆN-ĐA KHOA THÀNH PHỐ HỒ CHÍ MINH"),
            (2, 253, "Số hồ sơ"),
            (2, 466, "036224"),
            (2, 1065, "Khoa/phòng"),
            (2, 1350, "Truyền nhiễm"),
        ]
    )
    assert values(p)["encounter.department"] == "Truyền nhiễm"


def test_a_diagnosis_wraps_past_the_code_labels_last_word_in_the_next_column() -> None:
    # "Mã bệnh" over "ICD" in the column right of the diagnosis, which wrapped on three lines
    # (words as Tesseract gave them)
    read = [
        ("Chẩn", (230, 1920, 353, 1965), 16), ("đoán", (375, 1923, 493, 1965), 16),
        ("xác", (515, 1924, 597, 1964), 16), ("định", (618, 1926, 721, 1974), 16),
        ("Bệnh", (769, 1919, 890, 1970), 16), ("đái", (912, 1920, 982, 1960), 16),
        ("tháo", (1004, 1920, 1112, 1961), 16), ("đường", (1132, 1920, 1284, 1970), 16),
        ("không", (1308, 1919, 1454, 1970), 16), ("phụ", (1479, 1923, 1565, 1970), 16),
        ("thuộc", (1586, 1920, 1724, 1970), 16), ("Mã", (1779, 1921, 1844, 1961), 16),
        ("bệnh", (1868, 1920, 1987, 1970), 16), ("E11.5", (2037, 1919, 2172, 1957), 16),
        ("insulin,", (769, 1992, 940, 2036), 17), ("có", (963, 1990, 1016, 2030), 17),
        ("biến", (1038, 1988, 1150, 2040), 17), ("chứng", (1170, 1988, 1309, 2040), 17),
        ("tuần", (1330, 1987, 1438, 2031), 17), ("hoàn", (1462, 1990, 1579, 2031), 17),
        ("ICD", (1779, 1987, 1860, 2025), 17),
        ("ngoại", (769, 2055, 900, 2103), 18), ("vi", (922, 2055, 960, 2093), 18),
    ]  # fmt: skip
    p = OcrPage(1, 2480, 3508, tuple(OcrWord(t, 0.96, b, n) for t, b, n in read), "vie")
    assert values(p)["encounter.discharge_diagnosis"] == (
        "Bệnh đái tháo đường không phụ thuộc insulin, có biến chứng tuần hoàn ngoại vi"
    )


def test_a_heading_below_is_no_value() -> None:
    got = values(page([(0, 230, "5. Occupation"), (1, 230, "Il. ENCOUNTER")]), "en")
    assert got["patient.occupation"] is None


def test_a_stay_of_decades_is_a_misread_year() -> None:
    from pipeline.extract.fields import cross_check
    from pipeline.models import FieldCandidate

    def reading(key: str, value: str) -> FieldCandidate:
        return FieldCandidate(key, value, value, 1, (0, 0, 9, 9), 0.95, 1.0, "t")

    def checked(discharged: str) -> FieldCandidate:
        cands = [
            reading("encounter.admission_time", "2007-09-14T15:04"),
            reading("encounter.discharge_time", discharged),
        ]
        return cross_check(cands)[1]

    assert "stay_length" in checked("2097-09-22T07:20").checks_failed  # "2007" read "2097"
    assert "stay_length" in checked("2007-09-22T07:20").checks_passed


@pytest.mark.parametrize(
    ("born", "kg", "fits"),
    [("1950-03-01", "5", False), ("1950-03-01", "55", True), ("2007-01-20", "5", True),
     ("2007-01-20", "55", False), ("2000-05-05", "16", True)],
)  # fmt: skip
def test_a_weight_the_patients_age_rules_out_is_doubted(born: str, kg: str, fits: bool) -> None:
    from pipeline.extract.fields import cross_check
    from pipeline.models import FieldCandidate

    cands = [
        FieldCandidate(key, value, value, 1, (0, 0, 9, 9), 0.95, 1.0, "t")
        for key, value in [
            ("patient.birth_date", born),
            ("encounter.admission_time", "2007-09-14T15:04"),
            ("vitals.weight", kg),
        ]
    ]
    weight = cross_check(cands)[2]
    assert ("weight_fits_age" in weight.checks_passed) is fits
    assert ("weight_fits_age" in weight.checks_failed) is not fits


def test_a_diagnosis_wrapped_onto_the_line_of_the_next_field_is_read_whole() -> None:
    first = "19. Ra viện - Bệnh chính: Lao phổi, không đề cập đến xác nhận về vi khuẩn"
    p = page(
        [
            (0, 200, first),  # runs into the right margin
            (1, 200, "học hoặc mô học 20. Mã bệnh: A16.2"),
            (2, 200, "21. Phẫu thuật:"),
        ]
    )
    found = values(p)
    assert found["encounter.discharge_diagnosis"] == (
        "Lao phổi, không đề cập đến xác nhận về vi khuẩn học hoặc mô học"
    )
    assert found["encounter.discharge_icd10"] == "A16.2"


def test_a_code_glued_to_its_label_is_split_off() -> None:
    for line, code in [
        ("Ra viện - Bệnh chính: Viêm túi mật cấp MãICD-I0K 8 1. 0", "K81.0"),
        ("MãB08. 4", "B08.4"),
        ("14.ICD-10082 . 9", "O82.9"),
    ]:
        assert values(page([(0, 200, line)]))["encounter.discharge_icd10"] == code, line
    # a name that starts like a label is not cut
    assert values(page([(0, 200, "Họ và tên: LÊ MINH MAI")]))["patient.full_name"] == (
        "LÊ MINH MAI"
    )


def test_a_relatives_name_and_address_are_not_the_patients() -> None:
    relative = (1, 200, "Họ tên, địa chỉ người nhà khi cần báo tin: Nguyễn Thanh An (vợ)")
    found = values(page([(0, 200, "Địa chỉ: Thôn Đông, xã Hưng Đạo, Hà Giang"), relative]))
    assert found["patient.address"] == "Thôn Đông, xã Hưng Đạo, Hà Giang"
    # the patient's address lost by OCR: the relative's is not taken in its place
    alone = values(page([(0, 200, "Họ và tên: TRẦN VĂN AN"), relative]))
    assert alone["patient.address"] is None and alone["patient.full_name"] == "TRẦN VĂN AN"


def test_a_sex_whose_label_was_garbled_is_found_by_its_options() -> None:
    for line, sex in [
        ("3.Giớ:i Nam xNữ Tuổi: 30", "female"),
        ("CỚI: 1. Nam 2. Nữ 1 4. Dân tộc: Kinh", "male"),
    ]:
        found = values(page([(0, 200, "Họ và tên: LÊ MINH MAI"), (1, 200, line)]))
        assert found["patient.sex"] == sex, line
    # a place named "Nam" is no option
    found = values(page([(0, 200, "Địa chỉ: Xã Nam Hà, Hà Nam")]))
    assert found["patient.sex"] is None


def test_a_code_garbled_past_parsing_keeps_its_box_for_a_re_reading() -> None:
    c = candidate(page([(0, 200, "16. ICD-10: 'Ki8j5|..")]), "encounter.discharge_icd10")
    assert c.value is None and c.bbox is not None and c.rule.endswith(":unread")
    # a vital sign whose digits were garbled with their unit ("37 °C" read "J/ CỐ") too
    t = candidate(page([(0, 200, "Nhiệt độ: J/ CỐ")]), "vitals.temperature")
    assert t.value is None and t.bbox is not None and t.rule.endswith(":unread")
    # free text is not kept so: only codes and numbers
    found = extract_fields(label_pages([page([(0, 200, "Nghề nghiệp: 123")])], "vi"))
    assert all(c.bbox is None for c in found if c.value is None)


def test_a_value_with_a_stop_is_not_taken_for_the_next_fields_number() -> None:
    found = values(
        page(
            [
                (0, 200, "16. Mạch (lần/phút): 87. 17. Nhiệt độ: 36.7 °C"),
                (1, 200, "19. Nhịp thở (lần/phút): 16."),
                (2, 200, "20. Cân nặng (kg): 21. Huyết áp: 120/80"),
            ]
        )
    )
    assert found["vitals.pulse"] == "87"
    assert found["vitals.respiratory_rate"] == "16"  # a number ending its line is the value
    assert found["vitals.weight"] is None  # "21." is the next field's number, not a weight


def test_a_sex_from_its_options_with_a_garbled_female_and_a_boxed_code() -> None:
    found = values(page([(0, 200, "Họ và tên: LÊ MINH MAI"), (1, 200, "CỚI: 1. Nam 2. Nứử 1")]))
    assert found["patient.sex"] == "male"


def test_a_card_of_group_cn_is_not_taken_for_the_weights_label() -> None:
    found = values(page([(0, 200, "7. Mã thẻ BHYT: CN 3 8 3 |9|1|2|8|0|5|1|0|4|7|")]))
    assert found["patient.insurance_number"] == "CN3839128051047"
    assert found["vitals.weight"] is None
    # nor when the weight's real label follows: the card's group gives no weight
    found = values(
        page([(0, 200, "7. Mã thẻ BHYT: CN 3 0 1 9|9|7|8|1|1|7|3|6|0"), (5, 200, "20. CN: 75 kg")])
    )
    assert found["vitals.weight"] == "75"
    # "CN" after its own field's number is the weight's label
    found = values(page([(0, 200, "20. CN 54 kg 21. Huyết áp: 120/80")]))
    assert found["vitals.weight"] == "54"


def test_a_cards_label_whose_colon_was_read_as_a_letter() -> None:
    found = values(page([(0, 200, "9. Mã thẻ BHYTị HC4796321187649 |")]))
    assert found["patient.insurance_number"] == "HC4796321187649"


def test_the_patients_name_missing_a_mark_is_chosen_before_a_clinicians() -> None:
    found = values(
        page(
            [
                (0, 200, "1. Họ và tên PHAM THỊ YẾN 2. Sinh ngày: 05/11/1978"),
                (30, 1200, "Họ và tên: Nguyễn Thùy Thanh"),
            ]
        )
    )
    assert found["patient.full_name"] == "PHẠM THỊ YẾN"


def test_a_short_code_label_inside_a_line_counts_before_a_code() -> None:
    line = "15. Chẩn đoán ra viện - Bệnh chính: Nhồi máu não, không đặc hiệu Mã 163.9"
    found = values(page([(0, 200, line)]))
    assert found["encounter.discharge_icd10"] == "I63.9"
    assert found["encounter.discharge_diagnosis"] == "Nhồi máu não, không đặc hiệu"


def test_the_physician_under_a_heading_with_a_dash_and_a_restated_label() -> None:
    rows = [
        (0, 200, "1. Họ và tên: LÊ MINH MAI"),
        (30, 1500, "BÁC SĨ ĐIỀU TRỊ -"),
        (31, 1500, "(Ký, ghi rõ họ tên)"),
        (32, 1400, "- Họ và tên: Phạm Hữu Mạnh"),
    ]
    found = values(page(rows, block_per_word=False))
    assert found["encounter.attending_physician"] == "Phạm Hữu Mạnh"
    assert found["patient.full_name"] == "LÊ MINH MAI"


def test_labels_as_ocr_and_other_forms_word_them() -> None:
    assert values(page([(0, 200, "9. ĐI: 0785197520")]))["patient.phone"] == "0785197520"
    found = values(page([(0, 200, "8. Điện thoại: 0906 , 732. 068")]))
    assert found["patient.phone"] == "0906732068"
    found = values(page([(0, 200, "7. Identity card: 241321684")]), "en")
    assert found["patient.national_id"] == "241321684"


def test_a_lost_code_is_taken_from_its_diagnosis_title_for_a_person_to_confirm() -> None:
    from pipeline.extract.fields import cross_check

    lost = extract_fields(
        label_pages([page([(0, 200, "17. Discharge diagnosis: Liver cell carcinoma")])], "en")
    )
    code = {c.key: c for c in cross_check(lost)}["encounter.discharge_icd10"]
    assert code.value == "C22.0" and code.checks_failed == ("code_from_title",)
    # a diagnosis that is no single code's title gives none
    vague = extract_fields(label_pages([page([(0, 200, "Discharge diagnosis: Fever")])], "en"))
    assert {c.key: c for c in cross_check(vague)}["encounter.discharge_icd10"].value is None


def test_labels_heading_table_cells_take_the_value_under_them() -> None:
    # Two cells side by side, each label above its value; specks of the cell walls beside
    # the first label.
    p = page(
        [
            (0, 100, "Ngày, tháng, năm sinh m 1 —"),
            (0, 1300, "Phái 1"),
            (1, 100, "06/04/1975"),
            (1, 1300, "Nữ"),
            (2, 100, "Dân tộc"),
            (2, 1000, "Công việc"),
            (3, 100, "Kinh"),
            (3, 1000, "Cán bộ công chức"),
        ]
    )
    found = values(p)
    assert found["patient.birth_date"] == "1975-04-06"
    assert found["patient.sex"] == "female"
    assert found["patient.ethnicity"] == "Kinh"
    assert found["patient.occupation"] == "Cán bộ công chức"


@pytest.mark.parametrize(
    ("heads", "one_line"),
    [
        # Tesseract read each column head and each value as a line of its own
        (["Mạch", "Nhiệt độ", "Huyết áp", "Nhịp thở", "Cân nặng"], False),
        # abbreviated heads, read as one line: "HA" is no value of "Nhiệt"
        (["Tần số mạch", "Nhiệt", "HA", "NT", "Thể trọng"], True),
    ],
)
def test_a_table_of_vital_signs_reads_each_column_under_its_head(
    heads: list[str], one_line: bool
) -> None:
    cells = ["88 lần/phút", "36.9 độ C", "135/60 mmHg", "17 lần/phút", "58.5 kg"]
    rows = [(0, 100 + 450 * i, h) for i, h in enumerate(heads)]
    rows += [(1, 100 + 450 * i, v) for i, v in enumerate(cells)]
    found = values(page(rows, block_per_word=not one_line))
    assert found["vitals.pulse"] == "88"
    assert found["vitals.temperature"] == "36.9"
    assert found["vitals.blood_pressure"] == "135/60"
    assert found["vitals.respiratory_rate"] == "17"
    assert found["vitals.weight"] == "58.5"


def test_a_misread_outcome_put_right_is_chosen_before_a_later_reading() -> None:
    p = page([(0, 100, "Outcome: lmproved"), (3, 100, "Result: Deceased")])
    assert values(p, "en")["encounter.outcome"] == "improved"


def test_a_diagnosis_wrapped_in_its_table_cell_is_read_whole() -> None:
    # The diagnosis fills its cell and wraps; the ICD cell stands beside it.
    p = page(
        [
            (0, 100, "Chẩn đoán xác định: Bệnh phổi tắc nghẽn mạn tính có đợt cấp,"),
            (0, 1450, "Mã ICD: J44.1"),  # the next word did not fit before this cell
            (1, 100, "không đặc hiệu"),
            (3, 100, "SINH HIỆU"),
        ]
    )
    found = values(p)
    assert found["encounter.discharge_diagnosis"] == (
        "Bệnh phổi tắc nghẽn mạn tính có đợt cấp, không đặc hiệu"
    )
    assert found["encounter.discharge_icd10"] == "J44.1"


def test_a_diagnosis_wrapped_in_its_cell_goes_on_in_brackets_or_under_a_column_head() -> None:
    bracket = page(
        [
            (0, 100, "Chẩn đoán xác định: Bệnh tim do tăng huyết áp, không có suy tim"),
            (0, 1600, "Mã ICD10: I11.9"),
            (1, 524, "(sung huyết)"),
        ]
    )
    assert values(bracket)["encounter.discharge_diagnosis"] == (
        "Bệnh tim do tăng huyết áp, không có suy tim (sung huyết)"
    )
    # heads over their columns; the code's column holds a value, not a label
    heads = page(
        [
            (0, 100, "Chẩn đoán chính"),
            (0, 1560, "Mã bệnh ICD"),
            (1, 100, "Bệnh đái tháo đường không phụ thuộc insulin, có biến chứng tuần"),
            (1, 1560, "E11.5"),
            (2, 100, "hoàn ngoại vi"),
            (4, 100, "SINH HIỆU"),
        ]
    )
    found = values(heads)
    assert found["encounter.discharge_diagnosis"] == (
        "Bệnh đái tháo đường không phụ thuộc insulin, có biến chứng tuần hoàn ngoại vi"
    )
    assert found["encounter.discharge_icd10"] == "E11.5"


def test_a_diagnosis_wraps_past_its_cells_wall_and_a_speck() -> None:
    # the cell's wall read as "_" right after the value; a speck left of the wrapped line
    value = "Chẩn đoán xác định: Bệnh phổi tắc nghẽn mạn tính có đợt cấp, không _"
    p = page(
        [
            (0, 100, value),
            (0, _end(100, value) + 40, "Mã ICD: J44.1"),
            (1, 70, "°"),
            (1, 100, "đặc hiệu"),
        ]
    )
    assert values(p)["encounter.discharge_diagnosis"] == (
        "Bệnh phổi tắc nghẽn mạn tính có đợt cấp, không đặc hiệu"
    )
    # the room left in the cell before the next label takes in the cell's padding
    value = "Primary diagnosis Gastric ulcer, unspecified as acute or chronic, without"
    p = page(
        [
            (0, 100, value),
            (0, _end(100, value) + 300, "ICD code K25.9"),
            (1, 512, "haemorrhage or perforation"),
        ]
    )
    assert values(p, "en")["encounter.discharge_diagnosis"] == (
        "Gastric ulcer, unspecified as acute or chronic, without haemorrhage or perforation"
    )


def test_a_name_garbled_past_parsing_keeps_its_box_for_a_rereading() -> None:
    c = candidate(
        page([(0, 100, "Surname and given names 74 CAM NGAN")]), "patient.full_name", "en"
    )
    assert c.value is None and c.bbox is not None and c.rule.endswith(":unread")


def test_a_speck_under_a_head_is_no_value() -> None:
    # a wall's speck read as "l" just under the head; the name is the row below
    p = page([(0, 100, "Họ và tên bệnh nhân"), (1, 100, "NGUYỄN THỊ GIANG")])
    speck = OcrWord("l", 0.0, (560, 146, 565, 151), 0)  # on the head's line, below it
    p = OcrPage(1, p.width, p.height, (*p.words, speck), p.language)
    assert values(p)["patient.full_name"] == "NGUYỄN THỊ GIANG"


def test_a_label_that_is_the_value_its_field_knows_is_the_value() -> None:
    # "Bác sĩ" is the physician's label too; alone after "Công việc" it is the occupation
    p = page(
        [
            (0, 100, "Thành phần dân tộc: | Kinh"),
            (0, 1160, "Công việc: | Bác sĩ"),
            (1, 100, "Hộ khẩu thường trú: | 61 Lý Tự Trọng, P. Hòa Khánh, TP. Dĩ An, Bình Dương"),
        ]
    )
    assert values(p)["patient.occupation"] == "Bác sĩ"


def test_of_two_labels_on_the_same_words_the_closer_match_wins() -> None:
    # "Nhậpviện" is "Nhập viện" with its space lost, and "Số nhập viện" two letters off
    found = values(page([(0, 100, "Nhậpviện 06 giờ 35 phút ngày 13/11/2007")]))
    assert found["encounter.admission_time"] == "2007-11-13T06:35"
    assert found["encounter.record_number"] is None


def test_a_physician_is_not_taken_from_under_another_persons_heading() -> None:
    p = page(
        [
            (0, 100, "Status at discharge"),
            (0, 1200, "Doctor in charge"),
            (1, 100, "Improved"),
            (1, 1200, "Nguyén Dinh Hoang"),
            (3, 1500, "HEAD OF DEPARTMENT"),
            (5, 1500, "Pham Thi Oanh"),
        ]
    )
    assert "Oanh" not in (values(p, "en")["encounter.attending_physician"] or "")
    # nor when a tick box was read before that heading
    boxed = page(
        [
            (0, 100, "Status at discharge"),
            (0, 1145, "Treating physician"),
            (1, 100, "Improved"),
            (1, 1145, "Vo Hoang Kién"),
            (3, 1488, "☒ HEAD OF DEPARTMENT"),
            (5, 1488, "Nguyén Thanh Ngoc"),
        ]
    )
    assert values(boxed, "en")["encounter.attending_physician"] == "Võ Hoàng Kiên"


def test_vital_signs_whose_heads_were_lost_are_found_by_their_unit() -> None:
    p = page(
        [
            (0, 100, "Nhịp tim NNỆ Huyết áp Tần số hô hấp"),
            (1, 100, "88 lần/phút 36,9 độ C 135/60 mmHg 17 lần/phút"),
            (2, 1900, "58.5 kg"),
        ]
    )
    found = extract_fields(label_pages([p], "vi"))
    by_key = {c.key: c for c in found}
    assert by_key["vitals.temperature"].value == "36.9"
    assert by_key["vitals.temperature"].rule == "unit"
    assert by_key["vitals.temperature"].label_score < 1
    assert by_key["vitals.weight"].value == "58.5"


def test_a_unit_seen_twice_with_two_values_finds_nothing() -> None:
    p = page([(0, 100, "Lúc sinh 3.2 kg"), (1, 100, "Hiện nay 58.5 kg")])
    assert values(p)["vitals.weight"] is None


def test_a_label_wrapped_in_its_cell_is_found_and_its_end_is_no_value() -> None:
    # "Thành phần dân tộc" and "Nghề nghiệp hiện tại" wrapped in their label cells.
    p = page(
        [
            (0, 100, "Thành phần dân"),
            (0, 500, "Kinh"),
            (0, 1100, "Nghề nghiệp hiện"),
            (0, 1600, "Ngư dân"),
            (1, 100, "tộc"),
            (1, 1100, "tại:"),
            (3, 100, "Chỗ ở hiện nay: Số 12 Trần Phú, Hà Nội"),
        ]
    )
    found = values(p)
    assert found["patient.ethnicity"] == "Kinh"
    assert found["patient.occupation"] == "Ngư dân"


def test_times_wrapped_in_their_cells_are_read_whole() -> None:
    p = page(
        [
            (0, 100, "Thời điểm vào viện: 06 giờ 33 phút ngày"),
            (0, 1100, "Thời điểm ra viện: 09 giờ 00 phút ngày"),
            (1, 100, "08/11/2010"),
            (1, 1100, "12/11/2010"),
        ]
    )
    found = values(p)
    assert found["encounter.admission_time"] == "2010-11-08T06:33"
    assert found["encounter.discharge_time"] == "2010-11-12T09:00"
    # the room left in the cell was wide, but not as wide as the date that wrapped
    wide = page(
        [
            (0, 100, "Thời điểm vào viện: 02 giờ 30 phút ngày"),
            (0, 1176, "Ngày giờ ra viện: 17:30 07/01/2015"),
            (1, 100, "01/01/2015"),
        ]
    )
    assert values(wide)["encounter.admission_time"] == "2015-01-01T02:30"


def test_a_short_label_word_with_a_lookalike_letter_is_still_the_label() -> None:
    # "Dân lộc" for "Dân tộc" (t and l alike in worn print); one such slip a label, and only
    # between lookalikes: "Nhiễm độc" is no "Nhiệt độC", "Sân lộc" no "Dân tộc"
    p = page(
        [
            (0, 100, "Dân lộc: Kinh"),
            (0, 1100, "Nghề nghiệp: Nông dân"),
            (1, 100, "Chẩn đoán chính: Nhiễm độc nọc rắn"),
        ]
    )
    found = values(p)
    assert found["patient.ethnicity"] == "Kinh"
    assert found["encounter.discharge_diagnosis"] == "Nhiễm độc nọc rắn"
    assert found["vitals.temperature"] is None
    assert values(page([(0, 100, "Sân lộc: Kinh")]))["patient.ethnicity"] is None


def test_a_vital_sign_under_its_head_in_a_row_of_heads_is_read_by_position() -> None:
    # the values' row runs the last two cells together ("16 breaths/min 42.5kg"): the weight
    # is the value right under "Body weight", not the first number of the run
    p = page(
        [
            (0, 194, "Pulse rate"),
            (0, 626, "Body temperature"),
            (0, 1058, "B.P."),
            (0, 1492, "Breathing rate"),
            (0, 1924, "Body weight"),
            (1, 192, "72 /min"),
            (1, 624, "36.4 °C"),
            (1, 1060, "145/90 mmHg"),
            (1, 1493, "16 breaths/min"),
            (1, _end(1493, "16 breaths/min") + 60, "42.5kg"),
        ]
    )
    found = values(p, "en")
    assert found["vitals.respiratory_rate"] == "16"
    assert found["vitals.weight"] == "42.5"
    assert found["vitals.pulse"] == "72"


def test_a_speck_before_a_label_does_not_hide_where_its_field_starts() -> None:
    # "Ethnic origin ¢ Employment" over "Kinh Child": the speck sits in the gap between the
    # two heads; the ethnic group is the value under its head
    p = page(
        [
            (0, 197, "Ethnic origin"),
            (0, 1125, "¢"),
            (0, 1156, "Employment"),
            (1, 198, "Kinh"),
            (1, 1155, "Child"),
        ]
    )
    found = values(p, "en")
    assert found["patient.ethnicity"] == "Kinh"
    assert found["patient.occupation"] == "Child"


def test_a_wrapped_label_with_its_value_right_after_its_first_line() -> None:
    # "Thành phần dân Kinh" over "tộc:": the label wrapped in its cell, its value beside it;
    # a label read whole on its line is not a wrapped one ("Chẩn đoán xác định" stays whole
    # and the diagnosis keeps its wrapped "định")
    p = page(
        [
            (0, 249, "Thành phần dân Kinh"),
            (0, 1000, "Công việc: Hưu trí"),
            (1, 250, "tộc:"),
            (2, 190, "Chẩn đoán xác định Nhiễm trùng đường tiết niệu, vị trí không xác"),
            (2, 1620, "Mã bệnh ICD N39.0"),
            (3, 190, "định"),
        ]
    )
    found = values(p)
    assert found["patient.ethnicity"] == "Kinh"
    assert found["patient.occupation"] == "Hưu trí"
    assert (
        found["encounter.discharge_diagnosis"]
        == "Nhiễm trùng đường tiết niệu, vị trí không xác định"
    )


def test_a_word_with_other_marks_than_a_one_word_label_is_no_label() -> None:
    # "Nghệ" of "Nghệ An" in an address is no "Nghề" (occupation); the occupation is the
    # value under its head "Công việc" in the row of heads
    p = page(
        [
            (0, 239, "Thành phần dân tộc"),
            (0, 1100, "Công việc"),
            (1, 239, "Thái"),
            (1, 1100, "Kế toán"),
            (2, 239, "Hộ khẩu thường trú"),
            (3, 239, "249 Trần Hưng Đạo, phường Bình Minh, thành phố Vinh, Nghệ An"),
        ]
    )
    found = values(p)
    assert found["patient.occupation"] == "Kế toán"
    assert found["patient.ethnicity"] == "Thái"
    assert found["patient.address"].endswith("Nghệ An")  # type: ignore[union-attr]
    # a label of several words read glued into one is no one-word label with other marks
    glued = page([(0, 100, "Hộ khẩu thường trú 12 Lê Lợi, Quận 3 Nghềnghiệp Nông dân")])
    assert values(glued)["patient.occupation"] == "Nông dân"


def test_a_names_box_and_confidence_leave_out_the_next_fields_number() -> None:
    # "PHAM VAN BAO HUNG 2." with the next field's number read faintly at the line's end:
    # the name's box (re-read for its marks) and confidence are the name's words alone
    p = page([(0, 100, "Surname and given names: PHAM VAN BAO HUNG"), (0, 2200, "2.")])
    words = [replace(w, confidence=0.35) if w.text == "2." else w for w in p.words]
    c = candidate(replace(p, words=tuple(words)), "patient.full_name", "en")
    assert c.value == "PHAM VAN BAO HUNG" and c.ocr_confidence > 0.9
    assert c.bbox is not None and c.bbox[2] == _end(
        100, "Surname and given names: PHAM VAN BAO HUNG"
    )


def test_an_address_box_takes_in_marks_where_its_house_number_was() -> None:
    # "96 Lê Hồng Phong, …" read "| .% Lê Hồng Phong, …": the value is as read, its box
    # (read again) begins at the marks, not at the cell's wall
    p = page(
        [
            (0, 200, "Chỗ ở hiện nay"),
            (1, 177, "|"),
            (1, 200, ".% Lê Hồng Phong, phường Quang Trung, thị xã An Nhơn, tỉnh Bình Định"),
        ]
    )
    c = candidate(p, "patient.address")
    assert c.value == "Lê Hồng Phong, phường Quang Trung, thị xã An Nhơn, tỉnh Bình Định"
    assert c.bbox is not None and c.bbox[0] == 200


def test_a_card_whose_group_reads_as_a_label_is_the_card_under_its_head() -> None:
    # "DT 2 30 3081644350" under "Số BHYT": the card's group DT is no phone label ("ĐT")
    p = page(
        [
            (0, 231, "Căn cước công dân"),
            (0, 1287, "Số BHYT"),
            (1, 231, "333369821"),
            (1, 1288, "DT 2 30 3081644350"),
            (2, 231, "ĐT: 0917 294 788"),
        ]
    )
    found = values(p)
    assert found["patient.insurance_number"] == "DT2303081644350"
    assert found["patient.phone"] == "0917294788"


def test_a_date_whose_time_wrapped_in_its_cell_takes_the_time() -> None:
    # "Admission date and time 2004-10-07" over "07:05": the date alone would read as
    # midnight; the words under a date that is complete are not taken
    p = page(
        [
            (0, 100, "Admission date and time 2004-10-07"),
            (0, 1000, "Discharge date and time 2004-10-09"),
            (1, 100, "07:05"),
            (1, 1000, "12:58"),
        ]
    )
    found = values(p, "en")
    assert found["encounter.admission_time"] == "2004-10-07T07:05"
    assert found["encounter.discharge_time"] == "2004-10-09T12:58"
    complete = page(
        [
            (0, 100, "Admission date and time 2004-10-07 09:15"),
            (0, 1000, "Discharge date and time 2004-10-09 10:20"),
            (1, 100, "07:05"),
        ]
    )
    assert values(complete, "en")["encounter.admission_time"] == "2004-10-07T09:15"


def test_a_column_head_beside_a_rule_read_as_a_letter_takes_the_value_far_under_it() -> None:
    # "NT" after a wrapped head ("Huyết áp động" over "mạch"), a cell's rule read as "l"
    # beside it; the values' row lies well under the heads, past the wrapped line.
    p = page(
        [
            (0, 100, "Tần số mạch"),
            (0, 600, "Huyết áp động"),
            (0, 1100, "NT l"),
            (0, 1600, "Trọng lượng"),
            (1, 600, "mạch"),
        ],
        block_per_word=True,
    )
    values_row = [(0, 100, "82 l/ph"), (0, 600, "100/60 mmHg"), (0, 1100, "18 lần/phút")]
    words = list(p.words)
    for n, (_, x, text) in enumerate(values_row):
        for word in text.split():
            words.append(
                OcrWord(word, 0.96, (x, 100 + 230, x + _CHAR * len(word), 100 + 230 + _H), 9 + n)
            )
            x += _CHAR * len(word) + _SPACE
    found = values(OcrPage(1, 2480, 3508, tuple(words), "vie"))
    assert found["vitals.respiratory_rate"] == "18"
    assert found["vitals.blood_pressure"] == "100/60"


def test_a_birth_date_label_wrapped_in_its_cell_with_its_value() -> None:
    # "Ngày/tháng/năm" read as one word over "sinh"; and a date that wrapped in its cell too,
    # the label's end "sinh:" on the line of the date's end
    one_word = page([(0, 100, "Ngày/tháng/năm"), (0, 600, "01/10/1942"), (1, 100, "sinh")])
    assert values(one_word)["patient.birth_date"] == "1942-10-01"
    both = page(
        [
            (0, 100, "Ngày, tháng, năm"),
            (0, 600, "14 tháng 5 năm"),
            (0, 1100, "Phái: Nữ"),
            (1, 100, "sinh:"),
            (1, 600, "1971"),
        ]
    )
    assert values(both)["patient.birth_date"] == "1971-05-14"


def test_a_value_under_its_head_that_is_also_a_label_word() -> None:
    # "Doctor" is a physician's label in English, and here the patient's occupation
    p = page(
        [(0, 100, "Ethnic origin"), (0, 1200, "Profession"), (1, 100, "Kinh"), (1, 1200, "Doctor")]
    )
    assert values(p, "en")["patient.occupation"] == "Doctor"
    # two words, a physician's label in Vietnamese, and an occupation the vocabulary knows
    vi = page(
        [
            (0, 100, "Thành phần dân tộc"),
            (0, 1200, "Công việc"),
            (1, 100, "Kinh"),
            (1, 1200, "Bác sĩ"),
            (2, 100, "Chỗ ở hiện nay"),
            (3, 100, "240 Ngô Quyền, P. 9, Q.5, TP. Hồ Chí Minh"),
        ]
    )
    assert values(vi)["patient.occupation"] == "Bác sĩ"


def test_a_label_does_not_run_across_a_gap_into_the_next_cell() -> None:
    # "Số căn cước công dân" is a label too, but "số" belongs to the left cell's label
    p = page(
        [
            (0, 100, "Thẻ BH số"),
            (0, 1200, "Căn cước công dân"),
            (1, 100, "GD 4 33 4840719114"),
            (1, 1200, "033178112105"),
        ]
    )
    found = values(p)
    assert found["patient.insurance_number"] == "GD4334840719114"
    assert found["patient.national_id"] == "033178112105"


def test_a_box_read_again_whole_loses_the_fields_own_label() -> None:
    from pipeline.extract.fields import without_label

    read = "Chỗ ở hiện nay: 349 Nguyễn Thị Minh Khai, P. Bình Minh"
    assert without_label("patient.address", read) == "349 Nguyễn Thị Minh Khai, P. Bình Minh"
    assert without_label("patient.full_name", "Họ và tên: TRẦN VĂN AN") == "TRẦN VĂN AN"
    assert without_label("patient.address", "Số 12 Trần Phú") == "Số 12 Trần Phú"
    assert without_label("patient.address", "Địa chỉ") == "Địa chỉ"  # a label alone stays
    # with its number, and the longest of the labels it begins with
    read = "6. Địa chỉ thường trú 319 Ngô Quyền, P. Đông Hòa"
    assert without_label("patient.address", read) == "319 Ngô Quyền, P. Đông Hòa"


def test_a_sections_title_is_no_field() -> None:
    # "TÌNH TRẠNG RA VIỆN" is an outcome's label, but here it titles a section, and the first
    # option under it is no outcome
    p = page([(0, 100, "IV. TÌNH TRẠNG RA VIỆN"), (1, 100, "22. Kết quả: Khỏi Đỡ ☒ Tử vong")])
    assert values(p)["encounter.outcome"] == "deceased"
    p = page(
        [
            (0, 400, "IV. TÌNH TRẠNG RA VIỆN"),
            (1, 100, "22.Kếtquả:"),
            (1, 650, "Khỏi"),
            (1, 1000, "Đỡ, giảm"),
            (1, 1500, "Tử vong"),  # the tick lost
        ]
    )
    assert values(p)["encounter.outcome"] is None


def test_a_code_under_a_garbled_one_is_taken_only_when_it_fills_its_cell() -> None:
    def code(rows: list[tuple[int, int, str]]) -> tuple[str | None, bool]:
        c = candidate(page(rows), "encounter.discharge_icd10")
        return c.value, c.bbox is not None

    head = [(0, 1500, "Mã ICD-10"), (0, 1950, "2 0. 9")]
    # a diagnosis's text under the head names another code: the garbled one keeps its box
    assert code([*head, (1, 1500, "chứng (E11.9) Bệnh tim do")]) == (None, True)
    assert code([*head, (1, 1500, "J20.9")]) == ("J20.9", True)


def test_a_sex_whose_label_was_lost_is_found_alone_in_its_cell() -> None:
    garbled = page(
        [(0, 100, "Ngày sinh: | 28-01-1962 | fớ tính: | Nữ"), (1, 100, "Dân tộc: | Kinh")]
    )
    found = candidate(garbled, "patient.sex")
    assert found.value == "female" and found.rule == "alone:sex"
    lost = page([(0, 100, "Ngày sinh | 8 tháng 5 năm 1951"), (0, 1460, "i | Nữ")])
    assert values(lost)["patient.sex"] == "female"
    # a place's "Nam" after a label's colon is no sex: it does not end its cell
    place = page([(0, 100, "Quê quán: Nam Định"), (1, 100, "Dân tộc: | Kinh")])
    assert values(place)["patient.sex"] is None
    # two such words: which one is the patient's is not known
    two = page([(0, 100, "fớ tính: | Nữ"), (1, 100, "Người nhà: | Nam")])
    assert values(two)["patient.sex"] is None


@pytest.mark.parametrize("label", ["Bácsĩphụ trách:", "BS-phụ trách"])
def test_a_label_read_with_its_spaces_lost_or_as_hyphens_is_found(label: str) -> None:
    p = page([(0, 100, f"Tình trạng ra viện: Nặng hơn {label} Phan Hoàng Bảo")])
    found = values(p)
    assert found["encounter.attending_physician"] == "Phan Hoàng Bảo"
    assert found["encounter.outcome"] == "worse"


def test_a_value_that_ran_into_the_next_fields_label_ends_there_or_is_doubted() -> None:
    # the admission's year split ("1 998"), the discharge's label not seen as a field's start:
    # the discharge date would be taken for the admission's; the date before that label is
    # the value, its year joined for a person to confirm
    read = [
        ("Admission", (225, 1415, 455, 1472), 14),
        ("date", (471, 1388, 562, 1456), 14),
        ("and", (578, 1419, 659, 1456), 14),
        ("=", (697, 1414, 731, 1471), 14),
        ("13:16", (757, 1420, 883, 1454), 14),
        ("03/05/1", (902, 1389, 1072, 1458), 14),
        ("998", (1081, 1419, 1164, 1454), 14),
        ("Discharge", (1281, 1384, 1497, 1467), 14),
        ("date", (1512, 1419, 1604, 1456), 14),
        ("and", (1619, 1419, 1701, 1456), 14),
        ("08/05/1998", (1809, 1419, 2071, 1458), 14),
        ("14:45", (2093, 1419, 2218, 1454), 14),
        ("time", (226, 1482, 323, 1518), 15),
        ("time", (1279, 1482, 1377, 1518), 15),
    ]
    p = OcrPage(1, 2480, 3508, tuple(OcrWord(t, 0.96, b, n) for t, b, n in read), "eng")
    admitted = candidate(p, "encounter.admission_time", "en")
    assert admitted.value == "1998-05-03T13:16"
    assert admitted.checks_failed == ("digits_repaired",)
    # no whole date before that label: the value is doubted
    no_year = [replace(w, text="03/05") if w.text == "03/05/1" else w for w in p.words]
    admitted = candidate(replace(p, words=tuple(no_year)), "encounter.admission_time", "en")
    assert "label_inside" in admitted.checks_failed
    # a whole value before the label inside it is the value
    ran_on = page([(0, 100, "Nhập viện 00 giờ 05 phút ngày 23/06/1996 Thời điểm ra viện 14h02")])
    admitted = candidate(ran_on, "encounter.admission_time")
    assert admitted.value == "1996-06-23T00:05" and not admitted.checks_failed
    # in a date, another field's label of two words is no part of the value
    ran_on = page([(0, 100, "Nhập viện 09 giờ 53 phút ngày 11/02/2002 Xuất viện 15/02/2002 11:40")])
    admitted = candidate(ran_on, "encounter.admission_time")
    assert admitted.value == "2002-02-11T09:53" and not admitted.checks_failed
    # a label of two words inside a value is often its own words
    own = page([(0, 100, "Chẩn đoán chính: Tăng huyết áp vô căn")])
    assert not candidate(own, "encounter.discharge_diagnosis").checks_failed


def test_a_name_beginning_like_a_short_label_is_a_name() -> None:
    # "Hà" folds to the blood pressure's "HA"; in small letters, before "Văn", it is a name's
    p = page(
        [
            (0, 100, "Tình trạng ra viện"),
            (0, 1145, "Bác sĩ phụ trách"),
            (1, 100, "Khỏi"),
            (1, 1145, "Hà Văn Tuấn"),
        ]
    )
    found = values(p)
    assert found["encounter.attending_physician"] == "Hà Văn Tuấn"
    assert found["encounter.outcome"] == "recovered"
    vitals = page([(0, 100, "Mạch: 80 lần/phút HA 120/80 mmHg")])
    assert values(vitals)["vitals.blood_pressure"] == "120/80"
    # "Hạ" with its dot under is no "HA", whatever follows it
    diagnosis = page([(0, 100, "Chẩn đoán khi nhập viện:"), (0, 942, "Hạ kali máu")])
    assert values(diagnosis)["encounter.admission_diagnosis"] == "Hạ kali máu"


def test_a_short_head_at_a_lines_start_is_no_value_of_the_label_above() -> None:
    # "động mạch", the blood pressure's head wrapped in its cell, ends its line; "NT" starts
    # the next row: it is the breathing rate's head, not a value of "mạch"
    p = page(
        [
            (0, 100, "Tần số mạch | 84 lần/ph Nhiệt | 37,8 °C Huyết áp 105/60 mmHg"),
            (1, 1651, "động mạch"),
            (2, 100, "NT | 18 l/ph"),
            (2, 1296, "Thể trọng | 76 kg"),
        ]
    )
    assert values(p)["vitals.respiratory_rate"] == "18"
