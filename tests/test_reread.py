"""Targeted re-reading on real Tesseract: a field's box read again, the better reading kept."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.extract.fields import cross_check
from pipeline.extract.reread import (
    reread_fields,
    restore_vietnamese_marks,
    second_opinion,
)
from pipeline.models import BBox, BoxReader, FieldCandidate, PageImage
from pipeline.ocr import engine
from pipeline.ocr.boxes import ImageBoxReader, unbox_cells
from pipeline.ocr.engine import SECOND_OPINION_MODEL
from pipeline.ocr.lines import read_line
from pipeline.review.routing import candidate_score

pytestmark = pytest.mark.tesseract

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CCCD = "079303004512"  # province 079, born in the 2000s, female


def chart_page(
    tmp_path: Path, lines_: list[tuple[str, str]], size: int = 34, font_path: str = FONT
) -> tuple[PageImage, list[BBox]]:
    """A cleaned page with one "label: value" per line; the value boxes, as OCR gives them."""
    img = Image.new("L", (1654, 120 + 80 * len(lines_)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(font_path, size)
    boxes = []
    for i, (label, value) in enumerate(lines_):
        y = 60 + 80 * i
        draw.text((100, y), label, font=font, fill=0)
        x = 100 + draw.textlength(label + "  ", font=font)
        draw.text((x, y), value, font=font, fill=0)
        x0, y0, x1, y1 = draw.textbbox((x, y), value, font=font)
        boxes.append((int(x0), int(y0), int(x1), int(y1)))
    path = tmp_path / "page-001.pgm"
    cv2.imwrite(str(path), np.asarray(img))
    return PageImage(1, path, img.width, img.height, 300), boxes


def boxes_of(page: PageImage) -> BoxReader:
    """OCR's reader of the page's field boxes, as the chart hands it to extraction."""
    return ImageBoxReader([page], 30)


def candidate(key: str, value: str, box: BBox, confidence: float, **checks: tuple[str, ...]):
    return FieldCandidate(
        key, value, value, 1, box, confidence, 1.0, "label:test", checks.get("passed", ()),
        checks.get("failed", ()),
    )  # fmt: skip


def test_a_name_read_again_in_capitals_loses_the_doubt_on_its_case(tmp_path: Path) -> None:
    # the page read the surname in small letters ("võ NGỌC HIỀN"); the box, read again,
    # shows it printed in capitals like the rest: the same value, no doubt left on its case
    page, (box,) = chart_page(tmp_path, [("Họ và tên:", "VÕ NGỌC HIỀN")])
    first = candidate(
        "patient.full_name", "VÕ NGỌC HIỀN", box, 0.8,
        passed=("letters_only", "known_surname"), failed=("in_capitals",),
    )  # fmt: skip
    (kept,) = reread_fields([first], boxes_of(page), "vi")
    assert kept.value == "VÕ NGỌC HIỀN" and "reread_agrees" in kept.checks_passed
    assert kept.checks_failed == ()


def test_a_small_digit_line_is_read_upscaled_with_a_whitelist() -> None:
    img = Image.new("L", (260, 24), 255)
    ImageDraw.Draw(img).text((4, 4), "079 303 004 512", font=ImageFont.truetype(FONT, 14), fill=0)
    reading = read_line(np.asarray(img), "vi", whitelist="0123456789 ")
    assert reading.text.replace(" ", "") == CCCD
    assert len(reading.confidences) == 4 and 0.5 < reading.confidence <= 1.0


def test_threads_read_with_their_own_engine() -> None:
    img = Image.new("L", (400, 50), 255)
    ImageDraw.Draw(img).text((8, 8), "0912 345 678", font=ImageFont.truetype(FONT, 28), fill=0)
    pixels = np.asarray(img)
    with ThreadPoolExecutor(2) as pool:
        readings = list(pool.map(lambda _: read_line(pixels, "vi", whitelist="0123456789"),
                                 range(4)))  # fmt: skip
    assert [r.text.replace(" ", "") for r in readings] == ["0912345678"] * 4


def test_tessdata_is_found_without_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSDATA_PREFIX", "/nonexistent")
    engine.tessdata_dir.cache_clear()
    try:
        assert Path(engine.tessdata_dir(), "vie.traineddata").is_file()
    finally:
        engine.tessdata_dir.cache_clear()


def test_a_misread_id_is_corrected_and_a_right_one_kept(tmp_path: Path) -> None:
    page, (box, date_box) = chart_page(tmp_path, [("Số CCCD:", CCCD), ("Ngày sinh:", "05/11/2003")])
    misread = candidate(
        "patient.national_id", "979303004512", box, 0.62,
        passed=("length", "cccd_century_sex"), failed=("cccd_province",),
    )  # fmt: skip
    right = candidate("patient.birth_date", "2003-11-05", date_box, 0.8, passed=("real_date",))
    fixed, kept = reread_fields([misread, right], boxes_of(page), "vi")
    assert fixed.value == CCCD and not fixed.checks_failed
    assert fixed.rule == "label:test+reread:digits" and fixed.ocr_confidence > 0.8
    # two readings that agree: the value stands, and the agreement counts for it
    assert kept.value == "2003-11-05" and "reread_agrees" in kept.checks_passed
    assert candidate_score(kept) > candidate_score(right)


def test_a_name_garbled_past_parsing_is_read_again_from_its_box(tmp_path: Path) -> None:
    page, (box,) = chart_page(tmp_path, [("Họ và tên:", "NGUYỄN THỊ TRÂM")])
    # the page reading gave "74 CAM NGAN"-like print no name parses from: no value, its box
    garbled = replace(candidate("patient.full_name", "", box, 0.0), value=None)
    (read,) = reread_fields([garbled], boxes_of(page), "vi")
    assert read.value == "NGUYỄN THỊ TRÂM" and read.rule == "label:test+reread:line"


def test_readings_that_disagree_go_to_a_person_unless_the_chart_decides(tmp_path: Path) -> None:
    page, (box, sex_box) = chart_page(tmp_path, [("Số CCCD:", CCCD), ("Giới:", "Nữ")])
    # a plausible misreading, as sure as the page reading usually is: neither is clearly better
    doubtful = candidate(
        "patient.national_id", "079203004512", box, 0.85,
        passed=("length", "cccd_province", "cccd_century_sex"),
    )  # fmt: skip
    (alone,) = reread_fields([doubtful], boxes_of(page), "vi")
    assert alone.value == "079203004512" and alone.checks_failed == ("reread_disagrees",)
    # the chart's sex says which reading is right (the century-and-sex digit 3 is a woman's)
    sex = candidate("patient.sex", "female", sex_box, 0.99, passed=("known_value",))
    corrected, _ = cross_check(reread_fields([doubtful, sex], boxes_of(page), "vi"))
    assert corrected.value == CCCD and "cccd_matches_sex" in corrected.checks_passed


def test_codes_read_with_an_i_and_with_a_j_go_to_a_person(tmp_path: Path) -> None:
    # the page read I20.0 unsurely; the box reads J20.0, surer: both are real codes, and
    # Tesseract's confidence does not tell an I from a J
    page, (box,) = chart_page(tmp_path, [("Mã ICD10:", "J20.0")])
    first = candidate(
        "encounter.discharge_icd10", "I20.0", box, 0.35, passed=("format", "known_code")
    )
    (kept,) = reread_fields([first], boxes_of(page), "vi")
    assert kept.value == "I20.0" and kept.checks_failed == ("reread_disagrees",)


def test_a_code_whose_1_is_read_again_as_another_letter_goes_to_a_person(tmp_path: Path) -> None:
    # the page read "120.0" (I20.0, or J20.0); the box shows a T: neither, a person decides
    page, (box,) = chart_page(tmp_path, [("Mã ICD10:", "T20.0")])
    first = candidate(
        "encounter.discharge_icd10", "I20.0", box, 0.43,
        passed=("format", "known_code"), failed=("letter_read_exactly",),
    )  # fmt: skip
    (kept,) = reread_fields([first], boxes_of(page), "vi")
    assert kept.value == "I20.0" and "reread_disagrees" in kept.checks_failed


def test_an_english_chart_takes_only_the_marks_of_vietnamese_text(tmp_path: Path) -> None:
    page, (marked, bare, english) = chart_page(
        tmp_path,
        [
            ("Address:", "Thôn Trung, xã An Bình, huyện Đông Anh"),
            ("Address:", "Thon Thuong, xa Xuan Phu, huyen Son Duong"),
            ("Department:", "Infectious Diseases"),
        ],
    )
    read_in_english = [
        candidate("patient.address", "Thon Trung, xa An Binh, huyen Dong Anh", marked, 0.7),
        candidate("patient.address", "Thon Thuong, xa Xuan Phu, huyen Son Duong", bare, 0.7),
        candidate("encounter.department", "Infectious Diseases", english, 0.9),
    ]
    restored = restore_vietnamese_marks(read_in_english, boxes_of(page))
    assert restored[0].value == "Thôn Trung, xã An Bình, huyện Đông Anh"
    assert restored[0].rule.endswith("+reread:vie")
    assert [c.value for c in restored[1:]] == [c.value for c in read_in_english[1:]]
    # a bare reading of marked print cannot be right: with other letters than the marked
    # reading's, it takes the marked reading's, for a person to confirm
    wrong = replace(read_in_english[0], value="Thon Trung, xa An Binh, huyen Dong Ang")
    fixed = restore_vietnamese_marks([wrong], boxes_of(page))[0]
    assert fixed.value == "Thôn Trung, xã An Bình, huyện Đông Anh"
    assert "letters_from_second_reading" in fixed.checks_failed
    # a bare name is not: on bare capitals the Vietnamese model makes marks up
    name = candidate("patient.full_name", "THON TRUNG XA AN BINH HUYEN DONG ANG", marked, 0.7)
    assert restore_vietnamese_marks([name], boxes_of(page))[0].value == name.value
    # a reading the English model garbled (digits for marked letters, marks no syllable has)
    # takes the Vietnamese reading's letters, for a person to confirm
    garbled = replace(read_in_english[0], value="Th6n Trung, x4 An Binh, huyén Dong Anh")
    fixed = restore_vietnamese_marks([garbled], boxes_of(page))[0]
    assert fixed.value == "Thôn Trung, xã An Bình, huyện Đông Anh"
    assert "letters_from_second_reading" in fixed.checks_failed


def test_a_garbled_name_on_an_english_chart_takes_the_vietnamese_reading(tmp_path: Path) -> None:
    page, (box, bare_box, marked_box) = chart_page(
        tmp_path,
        [("Physician:", "Phùng Thị Linh"), ("Name:", "PHUNG THI LINH"), ("Name:", "PHẠM THỊ LỤA")],
    )
    # "Phing" is no syllable: the English model garbled a marked letter; "Linh" takes no mark
    garbled = candidate("encounter.attending_physician", "Phing Thi Linh", box, 0.75)
    fixed = restore_vietnamese_marks([garbled], boxes_of(page))[0]
    assert fixed.value == "Phùng Thị Linh"
    assert "letters_from_second_reading" in fixed.checks_failed
    # capitals printed bare, read right, stay bare: no ink above or below them is a mark (the
    # Vietnamese model reads "PHÙNG THỊ LINH" there); marked capitals get their marks
    bare = candidate("patient.full_name", "PHUNG THI LINH", bare_box, 0.9)
    assert restore_vietnamese_marks([bare], boxes_of(page))[0].value == "PHUNG THI LINH"
    marked = candidate("patient.full_name", "PHAM THI LUA", marked_box, 0.9)
    assert restore_vietnamese_marks([marked], boxes_of(page))[0].value == "PHẠM THỊ LỤA"


def test_a_second_model_vouches_only_for_what_it_reads_too(tmp_path: Path) -> None:
    page, (name_box, id_box, bp_box) = chart_page(
        tmp_path, [("Họ và tên:", "TRẦN THỊ HUYỀN"), ("Số CCCD:", CCCD), ("Huyết áp:", "120/80")]
    )
    read = [
        candidate("patient.full_name", "TRẦN THỊ HUYỀN", name_box, 0.95),
        candidate("patient.national_id", CCCD, id_box, 0.95),
        candidate("vitals.blood_pressure", "120/80", bp_box, 0.95),
    ]
    misread = [
        replace(read[0], value="TRẦN THỊ HUYÊN"),  # a lost tone mark
        replace(read[1], value="079303004572"),
        replace(read[2], value="120/60"),  # a dotted zero read as 6
        replace(read[2], value=None),  # nothing read: nothing to vouch for
    ]
    agreed = second_opinion(read, boxes_of(page), SECOND_OPINION_MODEL)
    assert all(c.checks_passed == ("second_model_agrees",) for c in agreed)
    assert all(candidate_score(a) > candidate_score(c) for a, c in zip(agreed, read, strict=True))
    disagreed = second_opinion(misread, boxes_of(page), SECOND_OPINION_MODEL)
    assert [c.checks_passed for c in disagreed] == [()] * 4


def test_a_card_number_in_character_cells_is_read_out_of_its_cells(tmp_path: Path) -> None:
    """Cleanup erases the cells' top and bottom lines but not their short walls, which the page
    reading takes for "1"s and "|"s; the re-reading sets the characters side by side."""
    img = Image.new("L", (1654, 200), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 34)
    draw.text((100, 60), "Số thẻ BHYT:", font=font, fill=0)
    draw.text((400, 60), "GB 4 8 4", font=font, fill=0)
    x = 400 + int(draw.textlength("GB 4 8 4 ", font=font))
    for digit in "5252009735":
        draw.line((x, 50, x, 110), fill=0, width=3)  # a wall taller than the digits
        draw.text((x + 14, 60), digit, font=font, fill=0)
        x += 50
    draw.line((x, 50, x, 110), fill=0, width=3)
    path = tmp_path / "page-001.pgm"
    cv2.imwrite(str(path), np.asarray(img))
    page = PageImage(1, path, img.width, img.height, 300)
    misread = candidate(
        "patient.insurance_number", "GB4845252010097", (400, 55, x, 108), 0.3,
        passed=("format",),
    )  # fmt: skip
    misread = replace(misread, raw_text="GB 4 8 4 |5|2|5|2|0|10|0|9|7|3|5|")
    (fixed,) = reread_fields([misread], boxes_of(page), "vi")
    assert fixed.value == "GB4845252009735"  # the 15 characters a card holds, no walls
    # the page reading garbled it past parsing: the box's reading is the value
    unread = replace(
        misread, value=None, raw_text="GB 4 8 4 ISI2I5I2I0I0I9I7I3I5I", checks_passed=()
    )
    (found,) = reread_fields([unread], boxes_of(page), "vi")
    assert found.value == "GB4845252009735" and found.rule.endswith("+reread:digits")
    # characters without cells are left as they are
    plain = np.full((60, 400), 255, np.uint8)
    cv2.putText(plain, "079303004512", (5, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2)
    assert unbox_cells(plain) is plain


def test_a_temperature_misread_beside_its_unit_is_read_again_by_the_english_model(
    tmp_path: Path,
) -> None:
    """Tesseract's Vietnamese model reads "37" beside a degree sign as "3/" in sans type;
    digits print the same in any language, and the English model reads them."""
    page, (box,) = chart_page(tmp_path, [("Nhiệt độ:", "37 °C")])
    x0, y0, x1, y1 = box
    crop = cv2.imread(str(page.path), cv2.IMREAD_GRAYSCALE)[y0 - 4 : y1 + 4, x0 - 4 : x1 + 4]
    assert "37" not in read_line(crop, "vi").text
    misread = replace(
        candidate("vitals.temperature", "3", box, 0.77, failed=("plausible_range",)),
        raw_text="3/°C",
    )
    (fixed,) = reread_fields([misread], boxes_of(page), "vi")
    assert fixed.value == "37" and fixed.rule == "label:test+reread:black:en"
    # garbled past parsing, the value kept its box (``fields.BOXED_TYPES``) for this reading
    (found,) = reread_fields([replace(misread, value=None, checks_failed=())], boxes_of(page), "vi")
    assert found.value == "37"


def test_a_crop_on_textured_paper_is_read_once_made_black_on_white() -> None:
    """Faint paper texture (a few grey levels) makes the LSTM read clear print as nonsense."""
    img = Image.new("L", (200, 50), 255)
    ImageDraw.Draw(img).text((8, 6), "37.3 °C", font=ImageFont.truetype(FONT, 34), fill=40)
    texture = cv2.GaussianBlur(np.random.default_rng(1).normal(0, 3, (50, 200)), (0, 0), 1.2)
    crop = np.minimum(np.asarray(img), texture + 245).clip(0, 255).astype(np.uint8)
    assert read_line(crop, "en").text != "37.3 °C"
    assert read_line(crop, "en", binarize=True).text == "37.3 °C"


def test_a_number_read_held_to_digits_from_a_box_without_any_is_doubted(tmp_path: Path) -> None:
    page, (box,) = chart_page(tmp_path, [("Nhịp thở:", "20")])
    # the page reading gave letters only ("Ip"): held to digits, the box gives a number, as a
    # unit's letters would; a person looks
    lettered = replace(
        candidate("vitals.respiratory_rate", "", box, 0.0), value=None, raw_text="Ip"
    )
    (read,) = reread_fields([lettered], boxes_of(page), "vi")
    assert read.value == "20" and "digits_from_letters" in read.checks_failed
    # a page reading that held a digit ("2O") is read again without that doubt
    digit = replace(candidate("vitals.respiratory_rate", "", box, 0.0), value=None, raw_text="2O")
    (read,) = reread_fields([digit], boxes_of(page), "vi")
    assert read.value == "20" and "digits_from_letters" not in read.checks_failed
