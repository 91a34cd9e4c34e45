"""Identifier parsers: CCCD, BHYT card, record number and phone number."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipeline.extract.confusions import confusions, read_for
from pipeline.extract.dates import _LETTER_LOOKALIKES, as_digits
from pipeline.extract.grammar import ParsedValue
from pipeline.extract.text import nfc, strip_diacritics

# --- identity --------------------------------------------------------------------------------

# Code lists are data (codes.json, with their sources): provinces of the CCCD, BHYT groups.
_CODES = json.loads(Path(__file__).with_name("codes.json").read_text(encoding="utf-8"))
CCCD_PROVINCES = frozenset(_CODES["cccd_provinces"]["codes"])
BHYT_GROUPS = frozenset(_CODES["bhyt_groups"]["codes"])

# What OCR reads for a digit, from the confusions table's digit section: a number's characters
# (0-9 and their lookalikes); in an upper-cased text, its capitals.
_DIGIT_FOR = confusions().digit_for
_NUMBER = "0-9" + re.escape(read_for(_DIGIT_FOR, "0123456789"))
_NUMBER_UPPER = "0-9" + re.escape(read_for(_DIGIT_FOR, "0123456789", upper=True))
#: a capital read for the 0 after a chart number's two letters ("BAO8-28671")
_ZERO_AFTER_LETTERS = re.compile(
    "(?<=^[A-Z]{2})[" + re.escape(read_for(_DIGIT_FOR, "0", upper=True)) + "](?=\\d)"
)


def parse_national_id(text: str) -> ParsedValue | None:
    candidates = re.findall(f"[{_NUMBER}][{_NUMBER}\\s.\\-]{{7,20}}", text)
    # a number printed whole comes first: the next field's number may follow it on its line
    # ("058027853016 7. Điện thoại")
    whole = re.findall(r"(?<![\w.])(?:\d{12}|\d{9})(?![\w.]*\d)", text)
    for raw in [*whole, *candidates]:
        digits = re.sub(r"[\s.\-]", "", as_digits(raw))
        if not digits.isdigit():
            continue
        if len(digits) == 12:
            passed, failed = ["length"], list[str]()
            (passed if digits[:3] in CCCD_PROVINCES else failed).append("cccd_province")
            (passed if digits[3] in "0123" else failed).append("cccd_century_sex")
            return ParsedValue(digits, tuple(passed), tuple(failed))
        if len(digits) == 9:
            return ParsedValue(digits, ("length",))
    return None


def cccd_sex_and_century(cccd: str) -> tuple[str, int] | None:
    if len(cccd) != 12 or cccd[3] not in "0123":
        return None
    digit = int(cccd[3])
    return ("male" if digit % 2 == 0 else "female"), 1900 + 100 * (digit // 2)


def parse_insurance_number(text: str) -> ParsedValue | None:
    # Character boxes leave their walls behind as | / ' [ ]: only letters and digits count.
    compact = re.sub(r"[^A-Z0-9]", "", strip_diacritics(nfc(text)).upper())
    # a cell's wall read between the group's letters: "HỊN", "GID", "CÌN"
    walled = re.match(f"([A-Z])[IL1]([A-Z])(?=[{_NUMBER_UPPER}])", compact)
    if walled and compact[:2] not in BHYT_GROUPS and walled[1] + walled[2] in BHYT_GROUPS:
        compact = walled[1] + walled[2] + compact[3:]
    # every start is tried: a label's last letters may read as a number's ("BHYTHC4…")
    for m in re.finditer(f"(?=([A-Z0-9]{{2}}[{_NUMBER_UPPER}][0-9A-Z]{{12}}))", compact):
        raw = m.group(1)
        letters = raw[:2].translate(_LETTER_LOOKALIKES)
        rest = as_digits(raw[2:])
        value = letters + rest
        if not re.fullmatch(r"[A-Z]{2}[1-5]\d{12}", value):
            continue
        passed, failed = ["format"], list[str]()
        (passed if letters in BHYT_GROUPS else failed).append("bhyt_group")
        (passed if 1 <= int(value[3:5]) <= 99 else failed).append("bhyt_province")
        return ParsedValue(value, tuple(passed), tuple(failed))
    return None


def parse_record_number(text: str) -> ParsedValue | None:
    """A chart number as printed ("BA24-09747", "2017/54772"): the first word holding digits,
    its parts joined where OCR spaced them around the dash ("BA19- 39609": ``parts_joined``, a
    person confirms) and an "O" after its letters read as the zero it is ("BAO8-28671")."""
    joined = re.sub(r"(?<=\w)\s*([-/])\s*(?=\w)", r"\1", nfc(text))
    for raw in joined.split():
        # and a wall or dash before it ("-1996/53382"): a number starts with a letter or digit
        printed = raw.strip(".,:;()[]|_'\"-—–")
        token = _ZERO_AFTER_LETTERS.sub("0", printed)
        if sum(ch.isdigit() for ch in token) >= 3 and re.fullmatch(r"[\w/.\-]+", token):
            failed: tuple[str, ...] = () if printed in nfc(text) else ("parts_joined",)
            if not token.isascii():  # no chart number holds "đ" or a marked letter: a misread
                failed += ("plain_characters",)
            return ParsedValue(token, ("has_digits",), failed)
    return None


def parse_phone(text: str) -> ParsedValue | None:
    """Digits only; a Vietnamese number is 10 digits from 0 (11 on old mobile numbers), and
    +84 stands for that 0."""
    compact = re.sub(r"(?<=\d)[\s.,\-()]+(?=\d)", "", as_digits_in_numbers(nfc(text)))
    for m in re.finditer(r"(\+?84|0)?\d{8,11}", compact):
        digits = m.group(0)
        if digits.startswith("+84") or (digits.startswith("84") and len(digits) in (11, 12)):
            digits = "0" + digits[digits.index("84") + 2 :]
        digits = digits.lstrip("+")
        if not 9 <= len(digits) <= 11:
            continue
        ok = digits.startswith("0") and len(digits) in (10, 11)
        return ParsedValue(digits, ("length",) if ok else (), () if ok else ("vn_phone_format",))
    return None


def as_digits_in_numbers(text: str) -> str:
    """Lookalike letters read as digits only where they sit between digits ("09l2" -> "0912"),
    and an S that starts a number ("S5 kg" -> "55 kg")."""
    # ("70l/ph" keeps its l: a unit follows)
    return _IN_NUMBER.sub(lambda m: as_digits(m.group(0)), text)


_ZERO, _ONE = (re.escape(read_for(_DIGIT_FOR, d)) for d in "01")
_FIVE_UPPER = re.escape(read_for(_DIGIT_FOR, "5", upper=True))
_IN_NUMBER = re.compile(
    f"(?<=\\d)[{_ZERO}](?=[\\d\\s./])|(?<=\\d)[{_ONE}](?=[\\d\\s.])"
    f"|(?<=[\\d\\s./])[{_ZERO}{_ONE}](?=\\d)|(?<![^\\s:|])[{_FIVE_UPPER}](?=\\d)"
)
