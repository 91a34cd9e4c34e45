"""A field's value read from its text: the type's parser, then the spelling of its words."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from pipeline.extract.identifiers import as_digits_in_numbers
from pipeline.extract.measures import per_minute_unglued
from pipeline.extract.spelling import misspelt_words, restack_marks
from pipeline.extract.values import PARSERS, ParsedValue

#: types read as Vietnamese words, whose marks must make real syllables
_SPELLED_TYPES = {
    "person_name",
    "physician_name",
    "place_or_title",
    "address",
    "department",
    "occupation",
    "diagnosis",
    "text",
    "ethnicity",
}


#: types whose value is one number (or code) of the text: another number left beside it is
#: a choice the parser made ("1726 17" for "1726/17", "23) Tần số thở 19")
_ONE_NUMBER_TYPES = {
    "pulse",
    "temperature",
    "blood_pressure",
    "respiratory_rate",
    "weight",
    "record_number",
}
OTHER_NUMBERS = "other_numbers"


def parse_value(field_type: str, text: str) -> ParsedValue | None:
    """A value of the type read from its text, with its checks, spelling included: every
    reading of a field (the page's, a re-reading's, a second model's) is parsed here."""
    parsed = PARSERS[field_type](text)
    if parsed is None:
        return None
    if field_type in _ONE_NUMBER_TYPES and _numbers_left(text, str(parsed.value)):
        parsed = replace(parsed, checks_failed=(*parsed.checks_failed, OTHER_NUMBERS))
    return _spelling(field_type, parsed)


def _numbers_left(text: str, value: str) -> bool:
    """Digits in the text that are none of the value's (a unit's l read as a 1 aside; a
    letter the value reads as its digit, "BAO8" for BA08, counts as that digit)."""
    read = Counter(ch for ch in as_digits_in_numbers(per_minute_unglued(text)) if ch.isdigit())
    return bool(read - Counter(ch for ch in value if ch.isdigit()))


def _spelling(field_type: str, parsed: ParsedValue) -> ParsedValue:
    """Marked words must be syllables; a word whose stacked marks OCR pulled apart ("Câù") is
    put back together ("Cầu"), and a person checks (``marks_restacked``)."""
    if field_type not in _SPELLED_TYPES or not isinstance(parsed.value, str):
        return parsed
    wrong = misspelt_words(parsed.value)
    if wrong:
        fixed = {w: restack_marks(w) for w in wrong}
        if all(fixed.values()):
            value = re.sub(
                r"[^\W\d_]+", lambda m: fixed.get(m.group(0)) or m.group(0), parsed.value
            )
            return replace(
                parsed, value=value, checks_failed=parsed.checks_failed + ("marks_restacked",)
            )
        return replace(parsed, checks_failed=parsed.checks_failed + ("vietnamese_spelling",))
    if not parsed.value.isascii():
        return replace(parsed, checks_passed=parsed.checks_passed + ("vietnamese_spelling",))
    return parsed
