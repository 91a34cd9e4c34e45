"""Vietnamese syllable shapes: readings whose marks no syllable has are caught."""

from __future__ import annotations

import pytest

from pipeline.extract.spelling import is_syllable, misspelt_words, restack_marks
from pipeline.extract.values import parse_text

REAL = (
    "Nguyễn Văn Đạt Trần Nhật Thắng phổi viêm không đặc hiệu Chấn thương chỉnh hình Truyền "
    "nhiễm nguồn gốc Cầu Giấy Hồ Chí Minh phường Quận Xã Huyện Ấp Thôn Xóm Tỉnh đái tháo đường "
    "gì giữa Quỳnh Phượng Huỳnh Khuya Nghĩa Ngọc Thị Quyên Yến Uyên Đắk Lắk Mường Khỏi Đỡ giảm "
    "Nặng hơn Tử vong Hòa Hoà Khuê Thuỷ Thủy quốc giếng Hoằng Ngoãn thuở Quảng Ngãi Bạc Liêu"
)


@pytest.mark.parametrize("word", REAL.split())
def test_real_syllables(word: str) -> None:
    assert is_syllable(word)
    assert is_syllable(word.upper())


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("Châñ thương chỉnh hình", ["Châñ"]),  # a tilde on a consonant
        ("Truyêhà nhiêñ", ["Truyêhà", "nhiêñ"]),
        ("không rõ nguôà gôé", ["nguôà", "gôé"]),  # two tones, no such rhyme
        ("332 Nguyêñ Tât Thành", ["Nguyêñ", "Tât"]),  # a stop final needs sắc or nặng
        ("85 Nguyén Hué, huyén Gia Lam", ["Nguyén", "huyén"]),  # the English model's marks
    ],
)
def test_misread_marks_are_caught(text: str, bad: list[str]) -> None:
    assert misspelt_words(text) == bad


def test_words_without_marks_and_stray_specks_are_left_alone() -> None:
    assert misspelt_words("Pneumonia, unspecified; Nguyen Van A; insulin") == []
    assert misspelt_words("Phú Thọ ˆ") == []


def test_specks_after_free_text_are_dropped() -> None:
    parsed = parse_text("Xóm 7, xã Phú Thịnh, huyện Lâm Thao, Phú Thọ ˆ")
    assert parsed is not None and parsed.value == "Xóm 7, xã Phú Thịnh, huyện Lâm Thao, Phú Thọ"


@pytest.mark.parametrize(
    ("read", "printed"),
    [
        ("Câù", "Cầu"),  # the tone on the next letter
        ("Giâý", "Giấy"),
        ("Nguyêñ", "Nguyễn"),
        ("NGUYÊÑ", "NGUYỄN"),
        ("Trâà", "Trần"),  # the "n" read as the vowel carrying the tone
        ("Thăúg", "Thắng"),
        ("Tât", None),  # the tone lost, not moved: nothing to put back
    ],
)
def test_stacked_marks_pulled_apart_are_put_back(read: str, printed: str | None) -> None:
    assert restack_marks(read) == printed


def test_a_restacked_value_goes_to_a_person() -> None:
    from pipeline.extract.fields import parse_value

    parsed = parse_value("address", "12 Lê Lợi, quận Câù Giâý, Hà Nội")
    assert parsed is not None and parsed.value == "12 Lê Lợi, quận Cầu Giấy, Hà Nội"
    assert parsed.checks_failed == ("marks_restacked",)


def test_a_word_of_marked_letters_only_is_checked_too() -> None:
    assert misspelt_words("thành phố Châu Đôé, tỉnh An Giang") == ["Đôé"]
    assert misspelt_words("Đồng Nai ˆ") == []
