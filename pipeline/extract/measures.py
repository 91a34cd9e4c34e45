"""Sex, treatment outcome and vital-sign parsers."""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.extract.confusions import confusions, read_for
from pipeline.extract.dates import as_digits
from pipeline.extract.grammar import ParsedValue, wording_pattern
from pipeline.extract.identifiers import as_digits_in_numbers
from pipeline.extract.terms import _WALL_BEFORE_CAPITAL
from pipeline.extract.text import fold, nfc, strip_diacritics
from pipeline.extract.vocabdata import _data

#: the options as charts print them, by language (``vocabularies/options.json``)
OPTIONS = _data("options")
_MALE = frozenset(w for pair in OPTIONS["sex"].values() for w in pair["male"])
_FEMALE = frozenset(w for pair in OPTIONS["sex"].values() for w in pair["female"])
#: the options' words that can be read glued to a tick or a box (not a lone "m" or "f")
_SEX_WORDS = "|".join(sorted((w for w in _MALE | _FEMALE if len(w) > 1), key=len, reverse=True))
#: a tick as printed (options.json) and as read (the confusions table), alone or in its box
_TICKS = frozenset(OPTIONS["tick_marks"]) | frozenset(confusions().tick_letters)
#: a tick and its box's walls as OCR reads them (the confusions table's tick and wall letters)
_WALLS = re.escape("".join(confusions().wall_letters))
_BOXED = f"[{_WALLS}]*[{re.escape(''.join(confusions().tick_letters))}][{_WALLS}]*"
_BOXED_TICK = re.compile(_BOXED)
_GLUED_TICK = re.compile(f"({_BOXED})({_SEX_WORDS})")
#: an empty box's walls read glued to its option: "INam", "MINam"
_GLUED_BOX = re.compile(f"[{_WALLS}m]{{1,2}}({_SEX_WORDS})")
#: the option's number written in its box, the walls read as letters: "1", "[2]", "1j", "|1|"
_CODE_WALLS = re.escape("".join(w for w in confusions().wall_letters if not w.isdigit()))
_BOXED_CODE = re.compile(f"[{_CODE_WALLS}]*([12])[{_CODE_WALLS}]*")


def parse_sex(text: str) -> ParsedValue | None:
    """``Nam`` / ``Nữ`` written out; or both printed as options with the chosen one marked:
    a code after them (``1. Nam 2. Nữ [1]``) or a tick before one (``☒ Nam ☐ Nữ``)."""
    words = []
    for token in re.split(r"[\s.:;,]+", nfc(text)):
        word = "x" if token in _TICKS else fold(token)
        word = re.sub(r"^\d+(?=[a-z]{2})", "", word)  # "1Nam" -> "nam"
        glued = _GLUED_TICK.fullmatch(word)
        if glued:  # a tick and its box read glued to the option: "XMale", "lXINữ"
            words.extend(["x", glued.group(2)])
        elif _BOXED_TICK.fullmatch(word):
            words.append("x")  # "lXI": the box's walls read as letters around the tick
        elif box := _GLUED_BOX.fullmatch(word):
            words.append(box.group(1))
        elif word:
            words.append(word)
    male = [i for i, w in enumerate(words) if w in _MALE]
    female = [i for i, w in enumerate(words) if w in _FEMALE]
    # One option alone is the answer, unless other marks beside it may be the other option
    # garbled ("Nam lXlNũ"): then a person looks.
    others = () if len(words) == 1 else ("single_option",)
    if male and not female:
        return ParsedValue("male", ("known_value",), others)
    if female and not male:
        return ParsedValue("female", ("known_value",), others)
    if not (male and female):
        return None
    after = words[max(male[0], female[0]) + 1 :]
    codes = [m.group(1) for m in map(_BOXED_CODE.fullmatch, after) if m]
    if len(codes) == 1:
        return ParsedValue("male" if codes[0] == "1" else "female", ("option_code",))
    ticked = [
        sex
        for idx, sex in ((male[0], "male"), (female[0], "female"))
        if idx > 0 and words[idx - 1] in _TICKS
    ]
    if len(ticked) == 1:
        return ParsedValue(ticked[0], ("option_ticked",))
    return None


# --- outcome ----------------------------------------------------------------------------------

# Folded wordings, spaces optional (OCR drops them in tick-box rows: "Nặnghơn").
_OUTCOMES: dict[str, tuple[str, ...]] = {v: tuple(ws) for v, ws in OPTIONS["outcome"].items()}
#: readings OCR makes of an option's print, each for its wording ("lmproved": the I read as l)
_AS_READ: dict[str, str] = OPTIONS["outcome_as_read"]
_AS_READ_RE = wording_pattern({f"r{i}": (r,) for i, r in enumerate(_AS_READ)}, r"[\s,]*")
_OUTCOME_OF = {w: v for v, ws in _OUTCOMES.items() for w in ws}
#: the pattern's group of each reading (``r<i>_0``) and the wording it stands for
_READ_FOR = {f"r{i}_0": wording for i, wording in enumerate(_AS_READ.values())}


def _as_read(m: re.Match[str]) -> str:
    return _READ_FOR[m.lastgroup or ""]


# The Ministry's order (KET_QUA_DTRI 1-5), used for a code after an unnumbered list.
_OUTCOME_ORDER = ("recovered", "improved", "unchanged", "worse", "deceased")


_OUTCOME_RE = wording_pattern(_OUTCOMES, r"[\s,]*")
#: a tick, also as OCR reads a check mark's stroke ("/Recovered", "\\Improved")
_TICK_CHARS = {*OPTIONS["tick_marks"], *confusions().tick_letters, "/", "\\"}
#: what a tick in its box is read as: the tick's characters and the box's walls
_MARK_CHARS = re.escape("".join(sorted(_TICK_CHARS | set(confusions().wall_letters))))


def parse_outcome(text: str) -> ParsedValue | None:
    """The outcome written out, or ticked (``☒ Khỏi ☐ Đỡ``), or coded after a numbered list
    (``1. Khỏi 2. Đỡ, giảm … 5. Tử vong  2``)."""
    folded = strip_diacritics(_WALL_BEFORE_CAPITAL.sub("", nfc(text))).lower()
    # an option as OCR reads it ("[xilmproved"), read as its wording; a person confirms it
    misread = _AS_READ_RE.sub(_as_read, folded)
    meant = {_OUTCOME_OF[_as_read(m)] for m in _AS_READ_RE.finditer(folded)}
    parsed = _outcome_in(misread)
    if parsed and misread != folded and parsed.value in meant:
        return replace(parsed, checks_failed=parsed.checks_failed + ("outcome_read_exactly",))
    return parsed


def _outcome_in(folded: str) -> ParsedValue | None:
    found: list[tuple[int, int, str]] = []  # (start, end, outcome), one per printed option
    for m in _OUTCOME_RE.finditer(folded):
        outcome = (m.lastgroup or "").rsplit("_", 1)[0]
        if found and found[-1][2] == outcome and m.start() - found[-1][1] <= 2:
            continue  # "Đỡ, giảm" is one option
        found.append((m.start(), m.end(), outcome))
    options = list(dict.fromkeys(o for _, _, o in found))
    if not options:
        return _garbled_outcome(folded)
    if len(options) == 1:
        # one option read, and other print beside it: the others garbled past matching
        # ("☒ MKhỏi LIbỡ … TÍ Tử vong"), the tick on any of them; a person looks
        start, end = found[0][0], found[-1][1]
        beside = any(ch.isalpha() for ch in folded[:start] + folded[end:])
        return ParsedValue(options[0], ("known_value",), ("single_option",) if beside else ())
    ticked = []
    previous_end = 0
    for start, end, outcome in found:
        gap = folded[previous_end:start]
        mark = re.sub(r"[\s.,:;()\[\]0-9]", "", gap)
        slash_between = mark in ("/", "\\") and previous_end > 0 and not re.search(r"\s[/\\]", gap)
        ticked_mark = mark and len(mark) <= 4 and mark[0] in _TICK_CHARS or mark[-1:] in _TICK_CHARS
        # a tick followed by letters that are no box's walls: an option read garbled after
        # its tick ("XĐĐỡ"), whose tick it is, not the next option's (letters before the tick
        # are the option before it, "LIKhỏi ☒ Đỡ")
        last_tick = max((i for i, ch in enumerate(mark) if ch in _TICK_CHARS), default=-1)
        garbled = len(re.sub(f"[{_MARK_CHARS}]", "", mark[last_tick + 1 :])) >= 2
        if ticked_mark and not slash_between and not garbled:  # "Khỏi/Đỡ": two options
            ticked.append(outcome)
        previous_end = end
    ticked = list(dict.fromkeys(ticked))
    if len(ticked) == 1:
        return ParsedValue(ticked[0], ("option_ticked",))
    after = folded[found[-1][1] :]
    found_codes = list(re.finditer(r"(?<![\d.])[1-5](?![\d.])", after))
    codes = [m.group(0) for m in found_codes]
    # the code ends the options' text; a digit with words after it is in what follows them
    # ("Ngày 18 tháng 3 năm 2006")
    if len(codes) == 1 and not re.search(r"[a-z]{2}", after[found_codes[0].end() :]):
        numbered = {}
        for start, _, outcome in found:
            number = re.search(r"([1-7])\s*[.)]?\s*$", folded[max(0, start - 4) : start])
            if number:
                numbered[number.group(1)] = outcome
        chosen = numbered.get(codes[0]) or _OUTCOME_ORDER[int(codes[0]) - 1]
        return ParsedValue(chosen, ("option_code",))
    return None


def _garbled_outcome(folded: str) -> ParsedValue | None:
    """An outcome written out with one letter misread ("Tử vomg", "Recovercd"): one wording
    of five letters or more, one letter off; or with a letter read twice ("Khỏổi"); a person
    confirms it."""
    from rapidfuzz.distance import Levenshtein

    words = re.findall(r"[a-z]+", folded)
    near = set()
    for outcome, wordings in _OUTCOMES.items():
        for wording in wordings:
            size, compact = len(wording.split()), wording.replace(" ", "").replace(",", "")
            for i in range(len(words) - size + 1):
                read = "".join(words[i : i + size])
                if _once(read) == _once(compact) != read or (
                    len(compact) >= 5 and Levenshtein.distance(read, compact, score_cutoff=1) <= 1
                ):
                    near.add(outcome)
    if len(near) != 1:
        return None
    return ParsedValue(near.pop(), (), ("outcome_read_exactly",))


def _once(word: str) -> str:
    """Each letter once where OCR read it twice: "khooi" -> "khoi"."""
    return re.sub(r"(.)\1+", r"\1", word)


# --- vital signs ------------------------------------------------------------------------------

_DECIMAL = re.compile(r"(?<![\d/])(\d{1,3})(?:\s?[.,]\s?(\d{1,2}))?(?![\d/])")


def _plain_number(whole: str, fraction: str | None) -> str:
    """``37``, ``37.5``: no trailing zeros, a dot for the decimal comma."""
    fraction = (fraction or "").rstrip("0")
    return f"{int(whole)}.{fraction}" if fraction else str(int(whole))


def _in_range(
    value: str,
    low: float,
    high: float,
    checks: tuple[str, ...] = (),
    usual: tuple[float, float] | None = None,
) -> ParsedValue:
    """``plausible_range`` passed or failed; a possible value outside the ``usual`` range of
    an inpatient's admission also fails ``unusual_value``: such values are rare on charts and
    are what a misread digit makes (a pulse of 109 read as 199), so a person confirms them."""
    number = float(value)
    ok = low <= number <= high
    failed = () if ok else ("plausible_range",)
    if ok and usual is not None and not usual[0] <= number <= usual[1]:
        failed = ("unusual_value",)
    return ParsedValue(value, checks + (("plausible_range",) if ok else ()), failed)


#: a per-minute unit's l read as a 1 (or another of its lookalikes) glued to the number:
#: "211/p" is 21 l/p (``vocabularies/vital_units.json``, the confusions table)
_L_READ = re.escape("1" + read_for(confusions().digit_for, "1"))
_SLASH_READ = re.escape("/" + read_for(confusions().separator_for, "/"))
_AFTER_L = "|".join(_data("vital_units")["per_minute_after_l"])
#: or read apart from it: "24 1/ph"
_PER_MINUTE_L = re.compile(f"(?<=\\d)(\\s?)[{_L_READ}][{_SLASH_READ}](?=(?:{_AFTER_L})\\b)")


def per_minute_unglued(text: str) -> str:
    """The text with a per-minute unit's l read as a 1 put back: "211/p" -> "21 l/p"."""
    return _PER_MINUTE_L.sub(lambda m: (m.group(1) or " ") + "l/", text)


def _whole_number(
    text: str, low: int, high: int, usual: tuple[float, float] | None = None
) -> ParsedValue | None:
    # not a decimal's fraction, but after a speck ("—.20"); not another sign's ("51 kg")
    unglued = per_minute_unglued(nfc(text))
    m = re.search(
        r"(?<![\d/])(?<!\d[.,])(\d{1,3})(?![\d/]|[.,]\d|\s?(?:kg|mmhg|°))",
        as_digits_in_numbers(unglued),
        re.IGNORECASE,
    )
    return _in_range(str(int(m.group(1))), low, high, usual=usual) if m else None


def parse_pulse(text: str) -> ParsedValue | None:
    return _whole_number(text, 30, 250, usual=(40, 180))  # a newborn's runs to 180


def parse_respiratory_rate(text: str) -> ParsedValue | None:
    return _whole_number(text, 5, 80, usual=(8, 60))


def parse_temperature(text: str) -> ParsedValue | None:
    """°C with a decimal comma or point; a Fahrenheit reading is converted."""
    clean = as_digits_in_numbers(nfc(text))
    m = _DECIMAL.search(clean)
    if not m:
        return None
    whole, fraction = m.group(1), m.group(2)
    if re.search(r"°?\s*F\b", clean[m.end() : m.end() + 4]) and 90 <= int(whole) <= 110:
        celsius = (float(f"{whole}.{fraction or 0}") - 32) * 5 / 9
        celsius_text = _plain_number(*f"{celsius:.1f}".split("."))
        return _in_range(celsius_text, 34, 43, ("fahrenheit",), usual=(35, 41.5))
    after = clean[m.end() : m.end() + 3]
    if fraction is None and (slip := re.match(r"\s?[.,]\s?([^\W\d_°CcđĐdF])", after)):
        # the decimal read as a letter ("39. B", "37. K§"): a lookalike's digit, or none
        digit = as_digits(slip.group(1))
        parsed = _in_range(_plain_number(whole, digit if digit.isdigit() else None), 34, 43)
        slipped = "digits_repaired" if digit.isdigit() else "decimal_point"
        return replace(parsed, checks_failed=parsed.checks_failed + (slipped,))
    if fraction is None and len(whole) == 3 and 340 <= int(whole) <= 430:
        # "374": the decimal point was lost; the reading is likely 37.4 but a person decides.
        return ParsedValue(_plain_number(whole[:2], whole[2]), (), ("decimal_point",))
    return _in_range(_plain_number(whole, fraction), 34, 43, usual=(35, 41.5))


#: a decimal point read as a colon ("63:5 kg"): the number as meant, for a person to confirm
_COLON_DECIMAL = re.compile(r"(?<![\d/:])(\d{1,3})\s?[:;]\s?(\d)(?![\d/:])")


def parse_weight(text: str) -> ParsedValue | None:
    clean = as_digits_in_numbers(nfc(text))
    if colon := _COLON_DECIMAL.search(clean):
        parsed = _in_range(_plain_number(colon.group(1), colon.group(2)), 0.5, 300)
        return replace(parsed, checks_failed=parsed.checks_failed + ("digits_repaired",))
    m = _DECIMAL.search(clean)
    if not m:
        return None
    return _in_range(_plain_number(m.group(1), m.group(2)), 0.5, 300)


def parse_blood_pressure(text: str) -> ParsedValue | None:
    """``SYS/DIA`` in mmHg, both in physiological ranges and systolic above diastolic. A
    reading by cuff is written to the nearest 5 mmHg (``rounded_reading``): an 8 or 9 where
    a 0 was printed is the commonest slip, and both models make it."""
    digits = as_digits_in_numbers(nfc(text))
    m = re.search(r"(?<!\d)(\d{2,3})\s*[/\\|⁄]\s*(\d{2,3})(?!\d)", digits)
    if not m:
        return None
    sys_, dia = int(m.group(1)), int(m.group(2))
    value = f"{sys_}/{dia}"
    ok = 50 <= sys_ <= 280 and 20 <= dia <= 180 and sys_ > dia
    split = re.search(r"(?<![\d.,])(\d) (\d{2})\s*[/\\|⁄]\s*(\d{2,3})(?!\d)", digits)
    if not ok and split:  # the systolic's first digit read apart: "1 60/85"
        joined = parse_blood_pressure(f"{split[1]}{split[2]}/{split[3]}")
        if joined is not None and "plausible_range" in joined.checks_passed:
            return replace(joined, checks_failed=joined.checks_failed + ("digits_repaired",))
    if not ok:
        return ParsedValue(value, (), ("plausible_range",))
    # as _in_range's usual ranges; and a pulse pressure (systolic less diastolic) seldom seen:
    # "205/70" is "105/70" with a digit misread
    usual = 70 <= sys_ <= 230 and 30 <= dia <= 140 and 15 <= sys_ - dia <= 120
    passed = ("plausible_range",) + (("rounded_reading",) if sys_ % 5 == dia % 5 == 0 else ())
    return ParsedValue(value, passed, () if usual else ("unusual_value",))
