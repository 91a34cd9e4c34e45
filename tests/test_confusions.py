"""The confusions table is data, loaded strictly, and the one source of lookalikes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.extract.confusions import TABLE, confusions, parse_confusions
from pipeline.extract.values import as_digits, parse_icd10


def _table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TABLE.read_text(encoding="utf-8"))
    return data


def test_the_shipped_table_loads() -> None:
    table = confusions()
    assert "O" in table.digit_lookalikes and "[" in table.digit_lookalikes
    assert "0".translate(table.code_letter_for) == "O"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"digit_lookalike": {"O": "0"}}, "unknown sections"),
        ({"digit_for": {"OO": "0"}}, "one character"),
        ({"separator_for": ["/"]}, "one character"),
        ({"box_walls": ["[]"]}, "single characters"),
        ({"tick_letters": ["xl"]}, "single characters"),
        ({"colon_as_letter": ["ị:"]}, "single characters"),
        ({"wall_letters": "li"}, "list of strings"),
        ({"label_letter_groups": "ceo"}, "list of strings"),
        ({"code_digit_slips": {"0": ""}}, "to some"),
        ({"code_letter_slips": ["I"]}, "to some"),
        ({"code_letter_at_start": {"]": "JJ"}}, "one character"),
    ],
)
def test_the_loader_refuses_what_it_would_ignore(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_confusions({**_table(), **change})


def test_a_missing_section_is_refused() -> None:
    data = _table()
    del data["word_letter_for"]
    with pytest.raises(ValueError, match="missing"):
        parse_confusions(data)


def test_the_extractor_reads_through_the_table() -> None:
    assert as_digits("1O5") == "105"
    parsed = parse_icd10("€22.0")
    assert parsed is not None and parsed.value == "C22.0"


def test_a_codes_letter_read_where_a_code_starts_comes_from_the_table() -> None:
    table = confusions()
    for read, letter in [("]", "J"), ("l", "I")]:
        assert read.translate(table.code_letter_at_start) == letter
        parsed = parse_icd10(f"{read}44.1")
        assert parsed is not None and parsed.value == f"{letter}44.1"
        assert "letter_from_symbol" in parsed.checks_failed  # a person confirms the letter
    # elsewhere the same characters are walls and words' letters, not a code's letter
    parsed = parse_icd10("[J44.1] lipid 12")
    assert parsed is not None and parsed.value == "J44.1" and not parsed.checks_failed


def test_identifiers_read_a_numbers_lookalikes_from_the_table() -> None:
    from pipeline.extract.confusions import read_for
    from pipeline.extract.identifiers import as_digits_in_numbers, parse_national_id

    zero = read_for(confusions().digit_for, "0")
    assert set(zero) == {ch for ch, d in _table()["digit_for"].items() if d == "0"}
    assert read_for(confusions().digit_for, "0", upper=True).isupper()
    for ch in zero:  # every character the table reads for 0, between digits
        assert as_digits_in_numbers(f"09{ch}2") == "0902"
    parsed = parse_national_id("0790851234" + "5" + zero[-1])
    assert parsed is not None and parsed.value == "079085123450"


def test_a_tick_read_glued_to_its_option_comes_from_the_table() -> None:
    from pipeline.extract.grammar import wording_pattern

    pattern = wording_pattern({"recovered": ["khoi"]}, r"\s*")
    for tick in confusions().tick_letters:
        for wall in ("", *confusions().wall_letters):
            assert pattern.search(f"{tick}{wall}khoi"), (tick, wall)
    assert not pattern.search("bkhoi") and not pattern.search("xbkhoi")


def test_a_ticks_box_read_as_letters_comes_from_the_table() -> None:
    from pipeline.extract.measures import parse_sex

    table = confusions()
    for tick in table.tick_letters:
        for wall in table.wall_letters:
            parsed = parse_sex(f"{wall}{tick.upper()}{wall}Nữ ☐ Nam")
            assert parsed is not None and parsed.value == "female", (tick, wall)


def test_a_tick_mark_and_an_empty_box_are_data() -> None:
    from pipeline.extract.diagnoses import _diagnosis_text
    from pipeline.extract.measures import OPTIONS, parse_outcome

    for mark in OPTIONS["tick_marks"]:
        parsed = parse_outcome(f"☐ Khỏi {mark} Đỡ ☐ Tử vong")
        assert parsed is not None and parsed.value == "improved", mark
    for box in OPTIONS["tick_marks"] + OPTIONS["empty_boxes"]:
        assert _diagnosis_text(f"Viêm phổi {box}") == "Viêm phổi"


def test_a_labels_colon_read_as_a_letter_comes_from_the_table() -> None:
    from pipeline.extract.doc import _LABEL_COLON_AS_LETTER

    for letter in confusions().colon_as_letter:
        assert _LABEL_COLON_AS_LETTER.match(f"BHYT{letter}")
    assert not _LABEL_COLON_AS_LETTER.match("BHYTi")
