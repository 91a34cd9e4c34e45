"""Parsers of the remaining chart fields and of prescription lines, on real-world spellings:
with and without diacritics, English, and as OCR garbles them."""

import json

import pytest

from pipeline.extract.values import (
    parse_blood_pressure,
    parse_date,
    parse_datetime,
    parse_diagnosis,
    parse_ethnicity,
    parse_medication,
    parse_outcome,
    parse_phone,
    parse_physician_name,
    parse_place_or_title,
    parse_pulse,
    parse_record_number,
    parse_respiratory_rate,
    parse_temperature,
    parse_text,
    parse_weight,
)
from pipeline.review.validation import check_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hưu trí", "Hưu trí"),
        ("  Nông   dân ......", "Nông dân"),
        ("(ghi rõ) Cán bộ hưu trí", "Cán bộ hưu trí"),
        ("Giáo viên ___ ", "Giáo viên"),
        ("Nội tro\u031b\u0323 ", "Nội trợ"),  # decomposed marks come out composed (NFC)
    ],
)
def test_free_text_as_printed(text: str, expected: str) -> None:
    parsed = parse_text(text)
    assert parsed is not None and parsed.value == expected


def test_free_text_without_words_is_no_value() -> None:
    assert parse_text(" ..... ___ ") is None
    assert parse_place_or_title("12") is None


def test_a_short_ethnic_group_with_one_letter_misread_is_respelled_for_a_person() -> None:
    parsed = parse_ethnicity("Ghăm")  # the one group a letter away
    assert parsed is not None and parsed.value == "Chăm"
    assert parsed.checks_failed == ("group_respelled",)
    assert parse_ethnicity("Xyz").value == "Xyz"  # type: ignore[union-attr]  # too short to tell


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Kinh", "Kinh"), ("Kính", "Kinh"), ("Muong", "Mường"), ("Khơ me", "Khơ-me"),
     ("Tày 6.", "Tày"), ("HMông", "HMông"), ("Ede", "Ê-đê")],
)  # fmt: skip
def test_ethnic_groups_are_snapped_to_their_spelling(text: str, expected: str) -> None:
    parsed = parse_ethnicity(text)
    assert parsed is not None and parsed.value == expected
    assert "known_ethnic_group" in parsed.checks_passed


def test_unknown_ethnic_group_is_kept_but_flagged() -> None:
    parsed = parse_ethnicity("Người nước ngoài")
    assert parsed is not None and parsed.value == "Người nước ngoài"
    assert parsed.checks_failed == ("known_ethnic_group",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("BA24-09747", "BA24-09747"), ("2017/54772 Giường: 12", "2017/54772"),
     (": 039389 .....", "039389"), ("No. 12/2001", "12/2001")],
)  # fmt: skip
def test_record_numbers(text: str, expected: str) -> None:
    parsed = parse_record_number(text)
    assert parsed is not None and parsed.value == expected and not parsed.checks_failed


def test_a_record_number_with_a_vietnamese_letter_is_doubted() -> None:
    parsed = parse_record_number("BA20-2đ627")  # a 9 read as "đ"
    assert parsed is not None and parsed.checks_failed == ("plain_characters",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0361 863 022", "0361863022"),
        ("0726.418.713", "0726418713"),
        ("0912-345-678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("01228603059", "01228603059"),
        ("09l2 345 678", "0912345678"),
    ],
)
def test_phone_numbers(text: str, expected: str) -> None:
    parsed = parse_phone(text)
    assert parsed is not None and parsed.value == expected and not parsed.checks_failed


def test_phone_without_its_leading_zero_is_flagged() -> None:
    parsed = parse_phone("9943. 316 . 930")
    assert parsed is not None and parsed.checks_failed == ("vn_phone_format",)
    assert parse_phone("12 34") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Khỏi", "recovered"),
        ("khoi", "recovered"),
        ("Đỡ, giảm", "improved"),
        ("Do giam", "improved"),
        ("Không thay đổi", "unchanged"),
        ("Nặng hơn", "worse"),
        ("Tử vong", "deceased"),
        ("Improved", "improved"),
        ("Deceased", "deceased"),
        ("XKhỏi Đỡ,giảm Không thayđổi Nặnghơn Tử vong", "recovered"),
        ("Khỏi xĐỡ,giảm Không thayđổi Nặnghơn Tử vong", "improved"),
        ("Khỏi XlĐỡ,giảm Khôngthayđổi Nặnghơn Tửvong", "improved"),
        ("Khỏi L]Đỡ, giảm [XlKhông thay đối L]Nặng hơn L] Tử vong", "unchanged"),
        ("☐ Khỏi ☐ Đỡ, giảm ☐ Không thay đổi ☒ Nặng hơn ☐ Tử vong", "worse"),
        ("1. Khỏi 2. Đỡ, giảm 3. Không thay đổi 4. Nặng hơn 5. Tử vong (3;", "unchanged"),
        ("1. Khỏi 2. Đỡ, giảm 3. Không thay đổi 4. Nặng hơn 5.Tửvong 2", "improved"),
        ("1. Recovered 2.Improved 3. Unchanged 4. Worse 5.Deceased 1", "recovered"),
        ("Recovered Improved Unchanged Worse Deceased [5]", "deceased"),
    ],
)
def test_outcomes(text: str, expected: str) -> None:
    parsed = parse_outcome(text)
    assert parsed is not None and parsed.value == expected


@pytest.mark.parametrize(
    "text",
    [
        "Khỏi Đỡ, giảm Không thay đổi Nặng hơn Tử vong",
        "1. Khỏi 2. Đỡ 3. Tử vong",
        "…",
        # the row ran onto the signature's date: its "3" is a month, not a choice
        "1. Khỏi 2. Đỡ, giảm 3. Không thay đổi 4. Nặng hơn 5. Tử vong Ngày 18 tháng 3 năm 2006",
    ],
)
def test_outcome_list_without_a_choice_is_no_value(text: str) -> None:
    assert parse_outcome(text) is None


@pytest.mark.parametrize(
    ("parser", "text", "expected"),
    [
        (parse_pulse, "70l/ph", "70"),
        (parse_pulse, "(lần/phút): 82", "82"),
        (parse_pulse, "147 lần/phút", "147"),
        (parse_pulse, "89 bpm", "89"),
        (parse_respiratory_rate, "(lần/phút):28", "28"),
        (parse_respiratory_rate, "34 l/ph", "34"),
        (parse_respiratory_rate, "22 breaths/min", "22"),
        (parse_respiratory_rate, "mmHg_—.20 breaths/min 51 kg", "20"),  # a speck; the weight
        (parse_temperature, "37,4 °C", "37.4"),
        (parse_temperature, "38. 4 °C", "38.4"),
        (parse_temperature, "(°C): 39,7", "39.7"),
        (parse_temperature, "37.0", "37"),
        (parse_temperature, "36 độ C", "36"),
        (parse_temperature, "98.6 °F", "37"),
        (parse_blood_pressure, "130/90 mmHg", "130/90"),
        (parse_blood_pressure, "(mmHg): 105 / 70", "105/70"),
        (parse_blood_pressure, "12O/80", "120/80"),
        (parse_weight, "49,5 kg", "49.5"),
        (parse_weight, "12_", "12"),
        (parse_weight, "60.0 kg", "60"),
        (parse_weight, "3,25 kg", "3.25"),
        (parse_weight, "S5 kg", "55"),  # an S that starts the number is a 5
    ],
)
def test_vital_signs(parser: object, text: str, expected: str) -> None:
    parsed = parser(text)  # type: ignore[operator]
    assert parsed is not None and parsed.value == expected and not parsed.checks_failed


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (parse_pulse, "8 l/ph"),
        (parse_pulse, "300"),
        (parse_respiratory_rate, "95"),
        (parse_temperature, "47,5"),
        (parse_blood_pressure, "80/120"),
        (parse_blood_pressure, "400/90"),
        (parse_weight, "450 kg"),
    ],
)
def test_implausible_vital_signs_fail_their_check(parser: object, text: str) -> None:
    parsed = parser(text)  # type: ignore[operator]
    assert parsed is not None and parsed.checks_failed


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (parse_pulse, "199 l/ph"),  # 109 with its 0 read as 9
        (parse_pulse, "36"),
        (parse_respiratory_rate, "66 lần/phút"),
        (parse_temperature, "42,5 °C"),
        (parse_blood_pressure, "260/90"),
        (parse_blood_pressure, "205/70"),  # 105/70: a pulse pressure of 135 is seldom seen
        (parse_blood_pressure, "100/95"),
    ],
)
def test_possible_but_unusual_vital_signs_are_confirmed_by_a_person(
    parser: object, text: str
) -> None:
    parsed = parser(text)  # type: ignore[operator]
    assert parsed is not None and parsed.checks_failed == ("unusual_value",)
    assert "plausible_range" in parsed.checks_passed
    key = {
        parse_pulse: "vitals.pulse",
        parse_respiratory_rate: "vitals.respiratory_rate",
        parse_temperature: "vitals.temperature",
        parse_blood_pressure: "vitals.blood_pressure",
    }
    assert check_value(key[parser], text).ok  # type: ignore[index]  # what a person confirms


def test_a_systolic_whose_first_digit_was_read_apart_is_joined_for_a_person() -> None:
    parsed = parse_blood_pressure("1 60/85 mmHg")
    assert parsed is not None and parsed.value == "160/85"
    assert parsed.checks_failed == ("digits_repaired",)
    parsed = parse_blood_pressure("HA: 2 120/80")  # a field's number before a whole reading
    assert parsed is not None and parsed.value == "120/80" and not parsed.checks_failed


def test_a_weights_decimal_point_read_as_a_colon_is_a_point_for_a_person() -> None:
    parsed = parse_weight("63:5 kg")
    assert parsed is not None and parsed.value == "63.5"
    assert parsed.checks_failed == ("digits_repaired",)


def test_temperature_without_its_decimal_point_goes_to_a_person() -> None:
    parsed = parse_temperature("374")
    assert parsed is not None and parsed.value == "37.4"
    assert parsed.checks_failed == ("decimal_point",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nguyễn Thị Nga", "Nguyễn Thị Nga"),
        ("BS. Trần Văn An", "Trần Văn An"),
        ("ThS.BS Lê Hải Quyên", "Lê Hải Quyên"),
        ("Nguyên Văn Toàn", "Nguyễn Văn Toàn"),
        ("Nguyen Van Nghia", "Nguyen Van Nghia"),
    ],
)
def test_physician_names_keep_their_case(text: str, expected: str) -> None:
    parsed = parse_physician_name(text)
    assert parsed is not None and parsed.value == expected


def _med(text: str) -> dict[str, str | None]:
    parsed = parse_medication(text)
    assert parsed is not None
    return dict(json.loads(parsed.value))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Paracetamol 500 mg, uống, 3 lần/ngày",
            ("Paracetamol", "500 mg", "oral", "3 times daily"),
        ),
        ("1. Amlodipine 5mg uống ngày 1 lần", ("Amlodipine", "5 mg", "oral", "once daily")),
        (
            "Paracetamol 500 mg, oral, 3 times daily",
            ("Paracetamol", "500 mg", "oral", "3 times daily"),
        ),
        (
            "2) Metronidazole 500 mg - tiêm tĩnh mạch - 2 Lần/ngày",
            ("Metronidazole", "500 mg", "intravenous", "twice daily"),
        ),
        (
            "- Diclofenac 75 mg - tiêm bắp - 1 lần/ngày",
            ("Diclofenac", "75 mg", "intramuscular", "once daily"),
        ),
        (
            "+ Enoxaparin 40 mg, tiêm dưới da, 1 lần/ngày",
            ("Enoxaparin", "40 mg", "subcutaneous", "once daily"),
        ),
        ("Diclofenac 1% - bôi - ngày 2 lần", ("Diclofenac", "1%", "topical", "twice daily")),
        (
            "Insulin glargine 10 IU - tiêm dưới da - 1 lần/hgày",
            ("Insulin glargine", "10 IU", "subcutaneous", "once daily"),
        ),
        ("Heparin 5.000 UI TDD x2 lần/ngày", ("Heparin", "5000 IU", "subcutaneous", "twice daily")),
        (
            "Paracetamol 1 ø, tiêm tĩnh mạch, 2 lần/ngày",
            ("Paracetamol", "1 g", "intravenous", "twice daily"),
        ),
        ("Vitamin B12 400 mcg uong 1 lan/ngay", ("Vitamin B12", "400 mcg", "oral", "once daily")),
        ("Propranolol 40 mg - oral - twice a day", ("Propranolol", "40 mg", "oral", "twice daily")),
        ("Omeprazole 20 mg PO BID", ("Omeprazole", "20 mg", "oral", "twice daily")),
        ("Ceftriaxone 1g IV once daily", ("Ceftriaxone", "1 g", "intravenous", "once daily")),
        (
            "Amoxicillin 500 mg, oral, three times a day",
            ("Amoxicillin", "500 mg", "oral", "3 times daily"),
        ),
        ("3. Acid folic 5mg uống 1 lần/ngày", ("Folic acid", "5 mg", "oral", "once daily")),
        ("2. 0meprazoLe 20 mg - uống - 1 lần/ngày", ("Omeprazole", "20 mg", "oral", "once daily")),
        ("1) lbuprofen 400 mg, uống, 3 lần/ngày", ("Ibuprofen", "400 mg", "oral", "3 times daily")),
        (
            "Salbutamol 2,5 mg khí dung 4 lần/ngày",
            ("Salbutamol", "2.5 mg", "inhaled", "4 times daily"),
        ),
    ],
)
def test_prescription_lines(text: str, expected: tuple[str, str, str, str]) -> None:
    assert tuple(_med(text).values()) == expected


def test_a_garbled_route_or_frequency_is_read_but_flagged() -> None:
    parsed = parse_medication("1. CLopidogreL 75 mg - uôág - 1 Lâà/ngày")
    assert parsed is not None
    assert json.loads(parsed.value) == {"name": "Clopidogrel", "strength": "75 mg",
                                        "route": "oral", "frequency": "once daily"}  # fmt: skip
    assert set(parsed.checks_failed) == {"route_read_exactly", "frequency_read_exactly"}


@pytest.mark.parametrize(
    "text",
    ["Mạch: 70 l/ph", "Cân nặng: 60 kg", "Huyết áp 130/90 mmHg", "Lý do vào viện: Sốt",
     "Tổng số ngày điều trị: 3", "22 Sep 2001"],
)  # fmt: skip
def test_other_lines_are_no_prescription(text: str) -> None:
    assert parse_medication(text) is None


def test_a_prescription_without_route_fails_its_check() -> None:
    parsed = parse_medication("Paracetamol 500 mg 3 lần/ngày")
    assert parsed is not None and parsed.checks_failed == ("route_known",)


def test_reviewers_values_for_new_fields_and_list_entries() -> None:
    assert check_value("vitals.temperature", "37,5").value == "37.5"
    assert check_value("vitals.blood_pressure", "90/120").reason
    assert check_value("encounter.outcome", "Tử vong").value == "deceased"
    assert check_value("secondary_icd10.2", "i10").value == "I10"
    parts = {"name": "Paracetamol", "strength": "500mg", "route": "uống", "frequency": "3 lần/ngày"}
    entry = check_value("medications.1", parts).value
    assert entry is not None and json.loads(entry)["strength"] == "500 mg"
    # a medication is typed part by part: a line is not split silently
    assert "a name, a strength" in str(check_value("medications.1", "Paracetamol 500mg").reason)


def test_a_blood_pressure_to_the_nearest_5_mmhg_is_a_rounded_reading() -> None:
    assert "rounded_reading" in parse_blood_pressure("120/80 mmHg").checks_passed  # type: ignore[union-attr]
    odd = parse_blood_pressure("120/89 mmHg")  # a printed 0 read as 9, or a monitor's reading
    assert odd is not None and odd.value == "120/89" and "rounded_reading" not in odd.checks_passed
    assert not odd.checks_failed  # no fault: the calibration weighs what the rounding says


def test_specks_between_a_diagnosis_words_are_dropped() -> None:
    parsed = parse_diagnosis("Lao phổi, không đề`cập đến xác nhận về`vi khuẩn học")
    assert (
        parsed is not None and parsed.value == "Lao phổi, không đề cập đến xác nhận về vi khuẩn học"
    )
    assert parse_diagnosis("Bệnh.thương hàn").value == "Bệnh thương hàn"  # type: ignore[union-attr]
    stop = parse_diagnosis("Đau. bụng khác và không đặc hiệu")  # no stop before a small letter
    assert stop is not None and stop.value == "Đau bụng khác và không đặc hiệu"
    glued = parse_diagnosis("Sốt Dengue [Dengue,cổ điển]")
    assert glued is not None and glued.value == "Sốt Dengue [Dengue cổ điển]"
    assert parse_diagnosis("Crohn's disease").value == "Crohn's disease"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/Recovered Improved Unchanged Worse _ Deceased", "recovered"),  # a check's stroke
        ("|| Recovered \\Improved {| |Unchanged || Worse", "improved"),
        ("Recovered [xilmproved {|Unchanged _|Worse Deceased", "improved"),  # I read as l
        ("Khỏi/Đỡ", None),  # a slash between two options is no tick
        # the ticked box's wall read as an l glued to the option
        ("Khỏi Đỡ,giảm Không thay đổi Nặng hơn ☒ lTử vong", "deceased"),
    ],
)
def test_outcome_ticks_as_ocr_reads_them(text: str, expected: str | None) -> None:
    from pipeline.extract.values import parse_outcome

    parsed = parse_outcome(text)
    assert (parsed.value if parsed else None) == expected


def test_a_time_run_into_its_date_does_not_make_a_year_of_it() -> None:
    # the space between "06:34" and "24/03/2003" lost: "3424/03/20" reads as a date too, of a
    # year no chart holds; the date a chart can hold is the one read
    parsed = parse_datetime("06:3424/03/2003")
    assert parsed is not None and parsed.value == "2003-03-24T06:34"
    alone = parse_date("3424/03/20")  # with no other reading, it is kept and doubted
    assert alone is not None and "plausible_year" in alone.checks_failed
