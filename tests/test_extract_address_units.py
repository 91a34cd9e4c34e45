"""The words that open an address's parts are one list of data (vocabularies/address_units.json)
that every address rule reads; made-up addresses only."""

from __future__ import annotations

import re

from pipeline.extract.places import UNIT_ABBREVIATIONS, UNIT_NAMES, unit_words
from pipeline.extract.values import parse_address


def test_one_list_of_units_and_their_abbreviations() -> None:
    assert {"phường", "thị xã", "thôn"} <= set(UNIT_NAMES)
    assert UNIT_NAMES.index("thị xã") < UNIT_NAMES.index("xã")  # longest first
    assert {"TP", "P", "Q"} <= set(UNIT_ABBREVIATIONS)


def test_a_unit_word_is_found_with_its_marks_lost_or_changed() -> None:
    pattern = re.compile(rf"^(?:{unit_words(marks_aside=True)})$")
    for read in ("huyện", "huyên", "huyen", "thi xa", "Thành phô", "quân"):
        assert pattern.match(read), read
    assert not pattern.match("hoyen") and not pattern.match("Quang")


def test_address_rules_read_the_units_from_the_list() -> None:
    # a stop OCR read for the comma before a unit whose mark it lost
    parsed = parse_address("Thôn Đông. huyên Đông Anh, Hà Nội")
    assert parsed is not None and parsed.value.startswith("Thôn Đông, huyện Đông Anh")
    # an abbreviation's stop read as a colon
    parsed = parse_address("Số 12 Nguyễn Trãi, P: Thượng Đình, Q. Thanh Xuân, Hà Nội")
    assert parsed is not None and "P. Thượng Đình" in parsed.value
