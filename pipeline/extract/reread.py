"""Targeted re-reading: OCR one field's box again with settings made for it.

A page is read once with settings for whole pages. A value that failed a check or was read
with low confidence is read again from its box on the cleaned page: upscaled, as one line,
and for numbers with only the characters the field can hold. The better reading is kept
(fewer failed checks, its own and against the chart's other fields, then more passed checks,
then clearly higher confidence); two readings that agree are evidence (the passed check
``reread_agrees``), two that disagree with neither better send the field to a person (the
failed check ``reread_disagrees``). A number or code still unreadable is read once more from
its box made black on white, by the chart's model and by the English one: digits are the
same in any language.

Every value is also read from its box by a second, independently trained model (Tesseract's
Vietnamese script model): when it reads the same value, that is evidence a re-reading with the
same model cannot give, since one model repeats its own mistakes (the passed check
``second_model_agrees``). On the dev charts 99.5% of the values both models agreed on were
right; a disagreement says little (the second model is the weaker reader) and casts no doubt.

English charts are read with the English model, which cannot see Vietnamese tone marks, yet
they often print Vietnamese names and addresses with them ("TRẦN NHẬT THẮNG"). Those boxes
are read again with the Vietnamese model, and only the marks are taken: the reading is kept
when its letters, folded, are the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rapidfuzz import fuzz

from pipeline.extract.confusions import confusions
from pipeline.extract.fields import (
    BOXED_TYPES,
    KEEPS_BOX,
    NUMERIC_TYPES,
    cross_check,
    parse_value,
    without_label,
)
from pipeline.extract.spelling import could_be_syllable, misspelt_words
from pipeline.extract.text import fold, strip_diacritics
from pipeline.extract.values import COMMON_SURNAMES
from pipeline.extract.vocabulary import bare_given_name
from pipeline.models import BoxReader, FieldCandidate, LineReading
from schemas.catalogue import field_spec

#: a value read with less confidence than this (or that failed a check) is read again
REREAD_BELOW = 0.9
#: a different reading with the same checks replaces the first only when this much surer
_CLEARLY_SURER = 0.2
#: a re-reading less sure than this is a guess: it replaces nothing and casts no doubt
_LEAST_TRUSTED = 0.5

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: characters a field type can hold, for Tesseract's whitelist; types not listed are re-read
#: as one line without a whitelist
WHITELISTS = {
    "national_id": _DIGITS + " .-",
    "phone": _DIGITS + " .-+()",
    "date": _DIGITS + " /.-",
    "datetime": _DIGITS + " /.-:h",
    "pulse": _DIGITS,
    "respiratory_rate": _DIGITS,
    "temperature": _DIGITS + ".,",
    "weight": _DIGITS + ".,",
    "blood_pressure": _DIGITS + "/",
    "insurance_number": _UPPER + _DIGITS + " ",
    "icd10": _UPPER + _DIGITS + ".",
    "record_number": _UPPER + _DIGITS + "/-.",
}
#: numbers and codes: when the box's reading cannot be parsed or fails its checks, the box is
#: made black on white (paper texture can turn clear digits into nonsense for the LSTM) and
#: read without a whitelist, by the chart's model and then by the English one. Digits print
#: the same in any language, and Tesseract's Vietnamese model garbles some beside a unit in
#: sans type ("37 °C" read "3/°C", sure of itself)
_NUMBERS_AND_CODES = set(WHITELISTS)
#: types whose checks pin the value down (a number's range, an ID number's province code, a
#: sex against the ID number): a re-reading that passes them where the first reading failed
#: is kept, however unsure; a shorter code or other words can pass as well as the right ones
_PINNED_BY_CHECKS = NUMERIC_TYPES | {"sex", "national_id"}
#: what OCR reads in place of a digit, and box walls: a first reading made of these and the
#: whitelist is a value printed alone, so the whitelist cannot turn a word into digits
_LOOKALIKES = confusions().digit_lookalikes
_NAME_TYPES = {"person_name", "physician_name"}
#: a number read held to digits from a box whose page reading had none
FROM_LETTERS = "digits_from_letters"
#: types of Vietnamese text an English chart may print with its marks
_VIETNAMESE_TEXT = _NAME_TYPES | {"address", "place_or_title", "text"}


def _whitelist(field_type: str, raw_text: str) -> str:
    """The type's characters, when the first reading holds nothing else: a date written out in
    words ("ngày 05 tháng 11 năm 1978") is re-read without one."""
    allowed = WHITELISTS.get(field_type, "")
    if allowed and all(ch in allowed or ch in _LOOKALIKES or ch.isspace() for ch in raw_text):
        return allowed
    return ""


def _value_text(c: FieldCandidate, field_type: str) -> str:
    """The text under the candidate's box: for numbers, the words holding digits (extraction
    boxes only those; units and label residue stay outside)."""
    if field_type in NUMERIC_TYPES:
        words = [w for w in c.raw_text.split() if any(ch.isdigit() for ch in w)]
        return " ".join(words) or c.raw_text
    return c.raw_text


def _rank(c: FieldCandidate, chart: list[FieldCandidate], index: int) -> tuple[int, int]:
    """How well a reading holds up, against its own checks and the chart's other fields:
    fewer failed checks first, then more passed."""
    trial = list(chart)
    trial[index] = c
    checked = cross_check(trial)[index]
    return (-len(checked.checks_failed), len(checked.checks_passed))


def _only_lookalikes_differ(a: FieldCandidate, b: FieldCandidate) -> bool:
    """On the dev charts, readings that differed only in tone marks were right as often from
    the page as from the box: confidence alone does not choose between them; nor between two
    codes whose letter is an I in one and a J in the other (I20.0, J20.0)."""
    x, y = a.value or "", b.value or ""
    if x[:1] in "IJ" and y[:1] in "IJ" and x[1:] == y[1:] and field_spec(a.key).type == "icd10":
        return True
    return strip_diacritics(x) == strip_diacritics(y)


#: failed checks on how the letters looked, not on the value: a name's case, a code's letter
#: read as a "1" (an I or a J)
_FORM_DOUBTS = frozenset({"in_capitals", "letter_read_exactly"})


def _judge(chart: list[FieldCandidate], index: int, second: FieldCandidate) -> FieldCandidate:
    """The better of a field's first reading and its re-reading, with what their comparison
    says."""
    first = chart[index]
    if second.value == first.value:
        # Routing counts the agreement as corroboration; the words' confidence stays theirs
        # (raising it too let readings that shared a wrong mark through on the dev charts).
        # A doubt on how the first reading's letters looked, not on the value, goes when the
        # re-reading shows them right: "võ NGỌC HIỀN" read again in capitals.
        failed = tuple(
            f for f in first.checks_failed if f not in _FORM_DOUBTS or f in second.checks_failed
        )
        return replace(
            first,
            rule=second.rule,
            checks_passed=first.checks_passed + ("reread_agrees",),
            checks_failed=failed,
        )
    # the readings disagree and neither is better: the first is kept, for a person to decide
    disagree = replace(
        first, rule=second.rule, checks_failed=first.checks_failed + ("reread_disagrees",)
    )
    if _letter_neither(first, second):
        return disagree
    rank_first, rank_second = _rank(first, chart, index), _rank(second, chart, index)
    pinned = field_spec(first.key).type in _PINNED_BY_CHECKS
    if pinned and rank_first[0] < 0 and rank_second[0] == 0:
        # a number that made no sense ("6" breaths a minute, 6 kg for an adult), or a sex the
        # ID number denies, read again as one that passes every check, the chart's included:
        # kept however unsure the re-reading (Tesseract gives a reading it was made to take
        # under a whitelist no confidence), whose confidence still sends it to a person
        return second
    if rank_second < rank_first or second.ocr_confidence < _LEAST_TRUSTED:
        return first  # the re-reading is worse by its checks, or a guess: no doubt cast
    surer = second.ocr_confidence >= first.ocr_confidence + _CLEARLY_SURER
    if rank_second > rank_first or (surer and not _only_lookalikes_differ(first, second)):
        return second
    return disagree


def _letter_neither(first: FieldCandidate, second: FieldCandidate) -> bool:
    """A code whose letter the page read as a "1" (an I or a J) read again with another
    letter ("120.0" then "T20.0"): the box contradicts the page, a person decides."""
    x, y = first.value or "", second.value or ""
    return "letter_read_exactly" in first.checks_failed and x[1:] == y[1:] and y[:1] not in "IJ"


def _dropped_characters(field_type: str, first: FieldCandidate, value: object) -> bool:
    """A code read again shorter than first: a character dropped can leave another real code
    ("J44.1" read "J41"), as sure of itself."""
    return field_type == "icd10" and len(str(value)) < len(first.value or "")


def needs_reread(c: FieldCandidate) -> bool:
    if c.value is None:  # a code, vital sign or name the page reading garbled past parsing
        return c.bbox is not None and field_spec(c.key).type in KEEPS_BOX
    return bool(c.bbox and (c.checks_failed or c.ocr_confidence < REREAD_BELOW))


def reread_fields(
    candidates: Sequence[FieldCandidate],
    boxes: BoxReader,
    language: str,
) -> list[FieldCandidate]:
    """Each doubtful value read again from its box by ``boxes`` (OCR's reader, handed in by
    the caller); the better reading kept. Run before ``cross_check``, which it uses to compare
    readings and which must see the kept ones."""
    chart = list(candidates)
    # a value the chart's other fields deny is as doubtful as one failing its own checks
    denied = {c.key for c in cross_check(chart) if c.checks_failed}
    for index, c in enumerate(chart):
        field_type = field_spec(c.key).type
        whitelist = _whitelist(field_type, _value_text(c, field_type))
        if c.value is None:
            whitelist = WHITELISTS[field_type] if field_type in BOXED_TYPES else ""
        doubtful = needs_reread(c) or (c.key in denied and c.bbox is not None)
        if not doubtful:
            continue
        extend = bool(whitelist)
        read = boxes.read(c.page, c.bbox, language, whitelist=whitelist, extend=extend)
        if read is None:
            continue
        line = replace(read, text=without_label(c.key, read.text))
        parsed = parse_value(field_type, line.text) if line.text else None
        how = "digits" if whitelist else "line"
        if (parsed is None or parsed.checks_failed) and field_type in _NUMBERS_AND_CODES:
            for model in dict.fromkeys((language, "en")):  # once on an English chart
                again = boxes.read(c.page, c.bbox, model, extend=extend, binarize=True)
                again = again or LineReading("", ())
                other = parse_value(field_type, again.text) if again.text else None
                if other is not None and _dropped_characters(field_type, c, other.value):
                    continue
                if other is not None and (parsed is None or not other.checks_failed):
                    line, parsed, how = again, other, f"black:{model}"
                    break
        if parsed is None:
            continue  # nothing of the field's kind in the box: says nothing of the first
        second = replace(
            c,
            value=parsed.value,
            raw_text=line.text,
            ocr_confidence=round(line.confidence, 4),
            rule=f"{c.rule}+reread:{how}",
            checks_passed=parsed.checks_passed,
            checks_failed=parsed.checks_failed,
        )
        if c.value is None and how == "digits" and not any(ch.isdigit() for ch in c.raw_text):
            # the page reading held no digit: a reading held to digits makes them of letters
            # as readily of a garbled number ("J/ CỐ" for 37 °C) as of a unit ("(l/p)")
            second = replace(second, checks_failed=(*second.checks_failed, FROM_LETTERS))
        # a value the page reading did not give at all: the box's reading is the only one
        chart[index] = second if c.value is None else _judge(chart, index, second)
    return chart


def _printed_without_marks(value: str, field_type: str, given_bare: bool = False) -> bool:
    """Whether the Vietnamese model's marks are noise on text printed without them: most of
    its words came out bare, or a name's surname did ("NGUYEN" is no Vietnamese spelling).
    With ``given_bare``, a name's given names spelt bare ("Anh", "Phong") do not count."""
    words = [w for w in value.split() if any(ch.isalpha() for ch in w)]
    counted = [w for w in words if not (given_bare and bare_given_name(w))] or words
    if 2 * sum(not w.isascii() for w in counted) < len(counted):
        return True
    known = COMMON_SURNAMES.get(fold(words[0])) if field_type in _NAME_TYPES else None
    return known is not None and words[0].lower() != known.lower()


def _marks_from(text: str, value: str, field_type: str) -> str | None:
    """The Vietnamese reading's value when it only adds marks to the first value's letters."""
    parsed = parse_value(field_type, text) if text else None
    if parsed is None or parsed.value.isascii() or parsed.value == value:
        return None
    if "marks_mixed" in parsed.checks_failed:
        return None  # marks on some words only: the model's noise on bare print
    if fold(parsed.value).replace(" ", "") != fold(value).replace(" ", ""):
        return None
    if _printed_without_marks(parsed.value, field_type):
        return None
    return parsed.value


#: a word of letters with a digit inside: the English model's reading of a marked letter
#: ("Tổ" -> "T6", "Võ" -> "V6", "xã" -> "x4")
_DIGIT_IN_WORD = re.compile(r"\b(?=\w*[^\W\d_])\w*\d\w*\b")


def _vietnamese_reading(text: str, value: str, field_type: str) -> str | None:
    """The Vietnamese reading's value in place of an English reading of marked print, which
    the English model garbles ("T6én Dirc Thafg", "Ton Dic Thang" for "Tôn Đức Thắng"): when
    the second reading is spelt right and marked throughout and the two are close letter for
    letter."""
    text = _aligned(text, value)
    parsed = parse_value(field_type, text) if text else None
    if parsed is None or parsed.value.isascii() or misspelt_words(parsed.value):
        return None
    # The first reading must show the garbling (words no syllable has, digits inside words);
    # a mostly bare address will do, but not a bare name: on bare capitals the Vietnamese model
    # makes up marks ("NGUYEN THI GIANG" -> "NGUYỄN THỊ GIANG"). A name whose first reading
    # is garbled ("Dwong Anh Phong") may have given names that take no marks.
    name = field_type in _NAME_TYPES
    garbled = bool(misspelt_words(value) or _DIGIT_IN_WORD.search(value)) or (
        name and not all(could_be_syllable(w) for w in re.findall(r"[^\W\d_]+", value))
    )
    if _DIGIT_IN_WORD.search(parsed.value) or _printed_without_marks(
        parsed.value, field_type, given_bare=name and garbled
    ):
        return None
    if not (garbled or (not name and _printed_without_marks(value, field_type))):
        return None
    if fuzz.ratio(fold(parsed.value), fold(value)) < 80:
        return None
    return parsed.value


def _aligned(text: str, value: str) -> str:
    """The part of a re-reading that lines up with the first value, in whole words: a label or
    stamp the wider box took in beside it ("6. Home address: ...", "... 7. National ID") is
    left out."""
    folded = strip_diacritics(text).lower()
    if len(folded) != len(text) or len(text) <= len(value):
        return text
    at = fuzz.partial_ratio_alignment(strip_diacritics(value).lower(), folded)
    if at is None or at.score < 80:
        return text
    start, end = at.dest_start, at.dest_end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end]


def restore_vietnamese_marks(
    candidates: Sequence[FieldCandidate], boxes: BoxReader
) -> list[FieldCandidate]:
    """On an English chart, the marks of Vietnamese names and addresses, read with the
    Vietnamese model from their boxes."""
    out = []
    for c in candidates:
        field_type = field_spec(c.key).type
        if c.value and field_type in _VIETNAMESE_TEXT:
            if c.value.isupper() and not boxes.marks_printed(c.page, c.bbox):
                out.append(c)  # bare capitals: the Vietnamese model would make marks up
                continue
            reading = boxes.read(c.page, c.bbox, "vi")
            if reading is None:
                out.append(c)
                continue
            first = c.value
            marked = _marks_from(reading.text, first, field_type)
            if marked is not None:
                c = replace(
                    c,
                    value=marked,
                    ocr_confidence=min(c.ocr_confidence, reading.confidence),
                    rule=c.rule + "+reread:vie",
                )
            elif (better := _vietnamese_reading(reading.text, first, field_type)) is not None:
                # other letters than the first reading's: a person confirms them
                c = replace(
                    c,
                    value=better,
                    ocr_confidence=min(c.ocr_confidence, reading.confidence),
                    rule=c.rule + "+reread:vie-letters",
                    checks_failed=c.checks_failed + ("letters_from_second_reading",),
                )
        out.append(c)
    return out


def second_opinion(
    candidates: Sequence[FieldCandidate], boxes: BoxReader, model: str
) -> list[FieldCandidate]:
    """Each value's box read by ``model``, a second, independently trained one (OCR names
    it); the value gains ``second_model_agrees`` when that reading parses to the same value."""
    out = []
    for c in candidates:
        field_type = field_spec(c.key).type
        whitelist = _whitelist(field_type, _value_text(c, field_type))
        line = None
        if c.value:
            line = boxes.read(c.page, c.bbox, model, whitelist=whitelist, extend=bool(whitelist))
        if line is not None:
            parsed = parse_value(field_type, line.text) if line.text else None
            if parsed is not None and parsed.value == c.value:
                c = replace(c, checks_passed=c.checks_passed + ("second_model_agrees",))
        out.append(c)
    return out
