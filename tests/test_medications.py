"""Prescription entries: the grammar of one line, and usage printed under the drug's line."""

from __future__ import annotations

import json

import pytest

from pipeline.extract.fields import label_pages
from pipeline.extract.lists import find_medications
from pipeline.extract.medications import parse_medication, prescription_starts
from tests.test_layout import page


@pytest.mark.parametrize(
    ("text", "frequency"),
    [
        ("Amlodipin 5 mg uống Sáng 1 viên, Tối 1 viên", "twice daily"),
        ("Metformin 500mg Uống: Sáng 1 Viên Trưa 1 Viên Chiều 1 Viên", "3 times daily"),
        ("Paracetamol 500 mg oral morning 2 tablets", "once daily"),
        ("Vitamin C 500 mg uống 2 lần/ngày, sáng 1 viên", "twice daily"),  # the count wins
    ],
)
def test_a_schedule_by_times_of_day_is_a_frequency(text: str, frequency: str) -> None:
    parsed = parse_medication(text)
    assert parsed is not None and json.loads(parsed.value)["frequency"] == frequency


def test_a_time_of_day_without_a_dose_is_no_schedule() -> None:
    parsed = parse_medication("Omeprazol 20 mg uống trước ăn sáng")
    assert parsed is not None and json.loads(parsed.value)["frequency"] is None


def _entries(rows: list[tuple[int, int, str]]) -> list[dict[str, str | None]]:
    found = find_medications(label_pages([page(rows)], "vi"))
    return [json.loads(str(c.value)) for c in found]


def test_usage_printed_under_the_drug_completes_its_entry() -> None:
    entries = _entries(
        [
            (0, 200, "1) RENAPRIL 5mg"),
            (0, 1500, "SL: 28 Viên"),
            (1, 230, "Ghi chú Uống: Sáng 1 Viên, Tối 1 Viên"),
            (2, 200, "2) NOVOXIM-500 0,5g"),
            (3, 230, "Uống: Sáng 1 Viên"),
        ]
    )
    assert [(e["name"], e["route"], e["frequency"]) for e in entries] == [
        ("RENAPRIL", "oral", "twice daily"),
        ("NOVOXIM-500", "oral", "once daily"),
    ]


def test_the_next_drug_or_another_field_is_no_usage() -> None:
    entries = _entries(
        [
            (0, 200, "1) Amlodipin 5mg"),
            (1, 200, "2) Paracetamol 500 mg, uống, 3 lần/ngày"),
            (2, 200, "3) Vitamin C 500 mg"),
            (3, 200, "Bác sĩ điều trị: Uống Sáng 1 Viên"),
        ]
    )
    assert [(e["route"], e["frequency"]) for e in entries] == [
        (None, None),
        ("oral", "3 times daily"),
        (None, None),
    ]


def test_a_strength_read_with_a_digit_s_lookalike_is_read_and_doubted() -> None:
    parsed = parse_medication("2) VACO LORATADINE I0mg SL: 10 Viên")
    assert parsed is not None and "strength_read_exactly" in parsed.checks_failed
    assert json.loads(parsed.value)["strength"] == "10 mg"
    exact = parse_medication("2) VACO LORATADINE 10mg SL: 10 Viên")
    assert exact is not None and "strength_read_exactly" not in exact.checks_failed
    # a lookalike beside no real digit is no number: a word, not a strength
    assert parse_medication("Bệnh nhân lOmg") is None and parse_medication("Viên lIg") is None


def test_a_name_may_hold_as_many_words_again_in_brackets() -> None:
    parsed = parse_medication("3) Đinh lăng, bạch quả (Hoạt huyết dưỡng não) 150mg+20mg")
    assert parsed is not None and json.loads(parsed.value)["name"].startswith("Đinh lăng")
    # without brackets, eight words before a strength are running text, not a drug's name
    assert parse_medication("Tăng huyết áp vô căn nguyên phát bệnh nhân 5mg") is None
    assert parse_medication("Đau đầu (nhiều ngày) tăng huyết áp vô căn nguyên phát 5mg") is None


def _starts(text: str) -> int | None:
    return prescription_starts(text.split())


def test_a_prescription_line_run_into_is_found_where_it_starts() -> None:
    text = "Tăng huyết áp vô căn; rối loạn tiền đình 1) ENALAPRIL 5mg SL 30 viên"
    assert _starts(text) == text.split().index("1)")
    # a number that starts no drug line, or a drug with no number before it, ends nothing
    assert _starts("Tăng huyết áp độ 2; bệnh tim 1) cấp") is None
    assert _starts("Tăng huyết áp ENALAPRIL 5mg") is None
