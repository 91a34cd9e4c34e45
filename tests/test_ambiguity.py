"""A field the page offers two plausible values for is never auto-accepted: on hand-placed OCR
words, and on a page rendered and read by the real Tesseract."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.chart import identify, read_chart
from pipeline.config import Settings
from pipeline.extract.candidates import AMBIGUOUS, mark_ambiguous
from pipeline.extract.fields import cross_check, extract_fields, label_pages
from pipeline.models import Decision, OcrPage, RoutedField, ScanRef
from pipeline.review.calibration import load_calibration
from pipeline.review.routing import route_fields
from tests.test_layout import page

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def routed(p: OcrPage) -> dict[str, RoutedField]:
    candidates = mark_ambiguous(cross_check(extract_fields(label_pages([p], "vi"))), cross_check)
    return {r.key: r for r in route_fields(candidates, load_calibration(None))}


def test_two_dates_under_labels_worded_alike_go_to_a_person() -> None:
    fields = routed(
        page(
            [
                (0, 100, "Họ và tên: NGUYỄN VĂN AN"),
                (1, 100, "Ngày sinh: 12/03/1980"),
                (2, 100, "Ngày sinh: 14/05/1982"),
            ]
        )  # fmt: skip
    )
    birth = fields["patient.birth_date"]
    assert birth.decision is Decision.NEEDS_REVIEW
    assert AMBIGUOUS in birth.candidate.checks_failed
    # the runner-up is kept for the reviewer, with where it is
    (runner_up,) = birth.candidate.alternatives
    assert runner_up.value == "1982-05-14" and runner_up.clean and runner_up.bbox
    assert any("as plausible" in r for r in birth.reasons)


def test_a_principal_code_beside_a_secondary_one_under_the_same_label_goes_to_a_person() -> None:
    fields = routed(
        page(
            [
                (0, 100, "Chẩn đoán ra viện: Đái tháo đường typ 2"),
                (1, 100, "Mã ICD: E11.9"),
                (2, 100, "Bệnh kèm theo: Tăng huyết áp"),
                (3, 100, "Mã ICD: I10"),
            ]
        )  # fmt: skip
    )
    code = fields["encounter.discharge_icd10"]
    assert code.decision is Decision.NEEDS_REVIEW
    assert [a.value for a in code.candidate.alternatives] == ["I10"]


def test_one_value_or_the_same_value_twice_is_no_choice() -> None:
    once = routed(page([(0, 100, "Ngày sinh: 12/03/1980")]))["patient.birth_date"]
    twice = routed(page([(0, 100, "Ngày sinh: 12/03/1980"), (1, 100, "Ngày sinh: 12/03/1980")]))
    for field in (once, twice["patient.birth_date"]):
        assert AMBIGUOUS not in field.candidate.checks_failed
        assert field.candidate.alternatives == ()


def test_a_runner_up_that_fails_its_checks_or_is_read_far_worse_is_no_rival() -> None:
    p = page([(0, 100, "Ngày sinh: 12/03/1980"), (1, 100, "Ngày sinh: 14/05/1982")])
    weak = replace(p, words=tuple(replace(w, confidence=0.4) if "1982" in w.text else w
                                  for w in p.words))  # fmt: skip
    field = routed(weak)["patient.birth_date"]
    assert AMBIGUOUS not in field.candidate.checks_failed
    assert field.candidate.alternatives[0].value == "1982-05-14"  # kept all the same
    doubtful = page([(0, 100, "Ngày sinh: 12/03/1980"), (1, 100, "Ngày sinh: 31/02/1982")])
    assert AMBIGUOUS not in routed(doubtful)["patient.birth_date"].candidate.checks_failed


def test_a_re_read_value_equal_to_the_runner_up_is_no_longer_a_choice() -> None:
    fields = routed(page([(0, 100, "Ngày sinh: 12/03/1980"), (1, 100, "Ngày sinh: 14/05/1982")]))
    c = replace(fields["patient.birth_date"].candidate, value="1982-05-14", checks_failed=())
    assert mark_ambiguous([c], cross_check)[0].checks_failed == ()


def _render(path: Path, rows: list[str]) -> None:
    img = Image.new("L", (2480, 300 + 110 * len(rows)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 42)
    for i, row in enumerate(rows):
        draw.text((200, 150 + 110 * i), row, font=font, fill=0)
    img.save(path, dpi=(300, 300))


@pytest.mark.tesseract
def test_a_page_read_by_tesseract_with_two_plausible_values_never_auto_accepts(
    tmp_path: Path,
) -> None:
    scan = tmp_path / "chart.png"
    _render(scan, ["BỆNH ÁN NỘI KHOA", "Họ và tên: NGUYỄN VĂN AN", "Ngày sinh: 12/03/1980",
                   "Giới tính: Nam", "Ngày sinh: 14/05/1982",
                   "Chẩn đoán ra viện: Viêm phổi", "Mã ICD: J18.9",
                   "Bệnh kèm theo: Tăng huyết áp", "Mã ICD: I10"])  # fmt: skip
    raw = identify(ScanRef(str(tmp_path), scan.name, scan.stat().st_size), scan, "x")
    reading = read_chart(raw, Settings(language="vi"), tmp_path / "pages")
    fields = {f.key: f for f in reading.fields}
    for key, runner_up in (("patient.birth_date", "1982-05-14"),
                           ("encounter.discharge_icd10", "I10")):  # fmt: skip
        field = fields[key]
        assert field.decision is Decision.NEEDS_REVIEW, key
        assert runner_up in [a.value for a in field.candidate.alternatives], key
    assert fields["patient.full_name"].candidate.value == "NGUYỄN VĂN AN"


def test_a_runner_up_the_chart_s_other_fields_deny_is_no_rival() -> None:
    # the ID number's birth year (2003) corroborates one date and denies the other
    rows = [(0, 100, "Số CCCD: 079303004512"), (1, 100, "Giới tính: Nữ"),
            (2, 100, "Ngày sinh: 12/03/2003")]  # fmt: skip
    denied = routed(page([*rows, (3, 100, "Ngày sinh: 14/05/1982")]))["patient.birth_date"]
    assert "cccd_matches_birth_year" in denied.candidate.checks_passed
    assert AMBIGUOUS not in denied.candidate.checks_failed
    # a date of the same year holds against the ID number as well: still a choice
    same_year = routed(page([*rows, (3, 100, "Ngày sinh: 14/05/2003")]))["patient.birth_date"]
    assert AMBIGUOUS in same_year.candidate.checks_failed
