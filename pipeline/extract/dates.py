"""Digits, dates and times read from OCR text, with repairs for misread digits."""

from __future__ import annotations

import re
from datetime import date, datetime

from pipeline.extract.confusions import confusions
from pipeline.extract.grammar import ParsedValue
from pipeline.extract.text import fold, strip_diacritics

# --- OCR confusions inside what must be digits -------------------------------------------

_DIGIT_LOOKALIKES = confusions().digit_for
_LETTER_LOOKALIKES = confusions().code_letter_for


def as_digits(text: str) -> str:
    return text.translate(_DIGIT_LOOKALIKES)


# --- dates and times -------------------------------------------------------------------------

_MONTHS_EN = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_NUM = r"[0-9OoIl|]"
_DMY = re.compile(rf"({_NUM}{{1,2}})\s*[/.\-]\s*({_NUM}{{1,2}})\s*[/.\-]\s*({_NUM}{{4}})")
#: a day and month whose separators OCR lost ("14041952", "2711/1940"): a person confirms it
_DMY_RUN = re.compile(r"(?<![\d/.\-])(\d{2})(\d{2})[/.\-]?((?:19|20)\d{2})(?![\d/.\-])")
#: a day, month or year read in two pieces: "29/1 1/2020", "03/05/1 998"; a person confirms it
_DMY_GAPPED = re.compile(
    r"(?<![\d/.\-])(\d ?\d?)\s*([/.\-])\s*(\d ?\d?)\s*\2\s*(\d(?: ?\d){3})(?!\d)"
)
_YMD = re.compile(rf"({_NUM}{{4}})\s*[/.\-]\s*({_NUM}{{1,2}})\s*[/.\-]\s*({_NUM}{{1,2}})")
# "15 tháng 6 năm 2012", also as OCR reads it: "2 tháäg 10 năm", "8 tháng-1 năm", "hăm"
_VI_LONG = re.compile(
    rf"({_NUM}{{1,2}})\s*-?\s*th[a-z]{{1,2}}g\s*-?\s*({_NUM}{{1,2}})\s*-?\s*[nh]am\s*({_NUM}{{4}})"
)
_EN_SEP = r"(?:\s+|\s*[-/.]\s*)"  # "31 Aug 1942", "31-Aug-1942"
_EN_LONG = re.compile(rf"(\d{{1,2}}){_EN_SEP}([a-z]{{3}})[a-z]*\.?,?{_EN_SEP}(\d{{4}})")
_EN_LONG_MDY = re.compile(r"([a-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})")
# a speck glued between the hour and the minutes: "02 giờ'45"
_TIME_VI = re.compile(rf"({_NUM}{{1,2}})\s*(?:gio|h)[\s'’‘`]*({_NUM}{{1,2}})?\s*(?:phut|p)?")
_TIME_COLON = re.compile(rf"\b({_NUM}{{1,2}})\s*[:h]\s*({_NUM}{{2}})\b")
#: a time whose colon OCR lost: four digits apart from the date ("13/02/2015 1415"), run on
#: after its year ("21/08/20010827"), or its two halves left a space apart ("2003-06-26 04 17")
_TIME_BARE = re.compile(r"(?<!\d)([01]\d|2[0-3]) ?([0-5]\d)(?!\d)")


def _make_date(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(as_digits(y)), int(as_digits(m)), int(as_digits(d)))
    except ValueError:
        return None


_SEPARATORS = confusions().separator_for


def _fold_value(text: str) -> str:
    return " ".join(fold(strip_diacritics(text.translate(_SEPARATORS))).split())


#: digits OCR reads for a worn or dotted 0 and for a 1: "18/92/2009", "10/70/2006", "2618",
#: "10/41/1980"
_DIGIT_SLIPS = {chr(k): v for k, v in confusions().date_digit_for.items()}


def _slipped(digits: str, low: int, high: int) -> list[str]:
    """A number out of its range as it reads, else the readings one slipped digit away that
    are in range ("92" -> "02" for a month)."""
    if low <= int(digits) <= high:
        return [digits]
    return [
        fixed
        for i, ch in enumerate(digits)
        if ch in _DIGIT_SLIPS
        and low <= int(fixed := digits[:i] + _DIGIT_SLIPS[ch] + digits[i + 1 :]) <= high
    ]


def _repaired_date(y: str, m: str, d: str) -> date | None:
    """The one real date a day, month or year out of range reads as with one digit slipped
    back in each; None when none does or more than one would."""
    y, m, d = as_digits(y), as_digits(m), as_digits(d)
    if not (y + m + d).isdigit():
        return None
    dates = {
        day
        for yy in _slipped(y, 1900, 2030)
        for mm in _slipped(m, 1, 12)
        for dd in _slipped(d, 1, 31)
        if (day := _make_date(yy, mm, dd))
    }
    return dates.pop() if len(dates) == 1 else None


def find_date(text: str) -> tuple[date, tuple[int, int], bool] | None:
    """The first real calendar date in the text, where it was found in the folded text, and
    whether a slipped digit had to be put back for it to be one (``_DIGIT_SLIPS``)."""
    folded = _fold_value(text) if text else ""
    found: list[tuple[int, date, tuple[int, int], bool]] = []
    for pattern, order in ((_DMY, "dmy"), (_YMD, "ymd"), (_VI_LONG, "dmy")):
        for m in pattern.finditer(folded):
            parts = dict(zip(order, m.groups(), strict=True))
            d = _make_date(parts["y"], parts["m"], parts["d"])
            if d and 1900 <= d.year <= 2030:
                found.append((m.start(), d, m.span(), False))
            elif fixed := _repaired_date(parts["y"], parts["m"], parts["d"]):
                found.append((m.start(), fixed, m.span(), True))
            elif d:  # a year out of range, for parse_date to flag
                found.append((m.start(), d, m.span(), False))
    for m in _DMY_RUN.finditer(folded):
        d = _make_date(m.group(3), m.group(2), m.group(1))
        if d and 1900 <= d.year <= 2030:
            found.append((m.start(), d, m.span(), True))
    for m in _EN_LONG.finditer(folded):
        month = _MONTHS_EN.get(m.group(2))
        if month:
            d = _make_date(m.group(3), str(month), m.group(1))
            if d:
                found.append((m.start(), d, m.span(), False))
    for m in _EN_LONG_MDY.finditer(folded):
        month = _MONTHS_EN.get(m.group(1))
        if month:
            d = _make_date(m.group(3), str(month), m.group(2))
            if d:
                found.append((m.start(), d, m.span(), False))
    if not found:  # the last resort: a day or month read in two pieces
        for m in _DMY_GAPPED.finditer(folded):
            d = _make_date(*(m.group(i).replace(" ", "") for i in (4, 3, 1)))
            if d and 1900 <= d.year <= 2030:
                found.append((m.start(), d, m.span(), True))
    if not found:
        return None
    # a date read as printed first, then one of a year a chart can hold (a time run into the
    # date, "06:3424/03/2003", reads as the year 3424 too), then the first
    _, first, span, repaired = min(found, key=lambda f: (f[3], not 1900 <= f[1].year <= 2030, f[0]))
    return first, span, repaired


def parse_date(text: str) -> ParsedValue | None:
    found = find_date(text)
    if not found:
        return None
    d, _, repaired = found
    checks = ("real_date",)
    failed = ("digits_repaired",) if repaired else ()
    if not 1900 <= d.year <= 2030:
        return ParsedValue(d.isoformat(), checks, failed + ("plausible_year",))
    return ParsedValue(d.isoformat(), checks + ("plausible_year",), failed)


def parse_datetime(text: str) -> ParsedValue | None:
    found = find_date(text)
    if not found:
        return None
    d, (start, end), repaired = found
    failed: tuple[str, ...] = ("digits_repaired",) if repaired else ()
    folded = _fold_value(text)
    outside = folded[:start] + " " + folded[end:]
    if find_date(outside):  # a second date: the next field's value ran in ("… Xuất viện 15/02")
        failed += ("one_date",)
    hour = minute = None
    for pattern in (_TIME_COLON, _TIME_VI):
        m = pattern.search(outside)
        if m:
            hour_text = as_digits(m.group(1))
            minute_text = as_digits(m.group(2)) if m.group(2) else "0"
            hours, minutes = _slipped(hour_text, 0, 23), _slipped(minute_text, 0, 59)
            if len(hours) == 1 and len(minutes) == 1:
                hour, minute = int(hours[0]), int(minutes[0])
                # letters glued before the hour may be its digits misread: "ịỊ22 giờ" for 13
                glued = m.start() > 0 and outside[m.start() - 1].isalnum()
                slipped = (hours[0], minutes[0]) != (hour_text, minute_text)
                if (slipped or glued) and "digits_repaired" not in failed:
                    failed += ("digits_repaired",)
            break
    bare = _TIME_BARE.findall(outside) if hour is None else []
    if len(bare) == 1:
        hour, minute = int(bare[0][0]), int(bare[0][1])
        failed += () if "digits_repaired" in failed else ("digits_repaired",)
    if hour is None or minute is None:
        return ParsedValue(f"{d.isoformat()}T00:00", ("real_date",), failed + ("time_found",))
    value = datetime(d.year, d.month, d.day, hour, minute).strftime("%Y-%m-%dT%H:%M")
    return ParsedValue(value, ("real_date", "time_found"), failed)
