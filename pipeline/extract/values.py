"""Value parsers and validators per field type: raw OCR text in, normalised value out.

Each parser returns ``None`` when the text holds no value of its type, so a label whose
neighbourhood holds no value is passed over instead of yielding garbage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from pipeline.extract.confusions import confusions
from pipeline.extract.grammar import ParsedValue, wording_pattern
from pipeline.extract.medications import parse_medication
from pipeline.extract.spelling import could_be_syllable
from pipeline.extract.text import fold, has_marks, nfc, single_spaces, strip_diacritics
from pipeline.extract.vocabulary import (
    CAPITAL_SHAPED,
    VocabularyMatch,
    address_units,
    bare_given_name,
    check_address,
    correct_vietnamese_diagnosis,
    cut_short,
    doubtful_given_name,
    edge_speck,
    given_name,
    hook_misread,
    hyphens_as_known,
    is_known_code,
    is_subdivided,
    mostly_marked,
    place_names,
    repair_code,
    snap_english_title,
    snap_term,
)

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
_DIGIT_SLIPS = {"9": "0", "8": "0", "6": "0", "7": "1", "4": "1"}


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
    _, first, span, repaired = min(found, key=lambda f: (f[3], f[0]))
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


# --- identity --------------------------------------------------------------------------------

# Code lists are data (codes.json, with their sources): provinces of the CCCD, BHYT groups.
_CODES = json.loads(Path(__file__).with_name("codes.json").read_text(encoding="utf-8"))
CCCD_PROVINCES = frozenset(_CODES["cccd_provinces"]["codes"])
BHYT_GROUPS = frozenset(_CODES["bhyt_groups"]["codes"])


def parse_national_id(text: str) -> ParsedValue | None:
    candidates = re.findall(r"[0-9OoIl|SBDZ][0-9OoIl|SBDZ\s.\-]{7,20}", text)
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
    walled = re.match(r"([A-Z])[IL1]([A-Z])(?=[0-9OISBZG])", compact)
    if walled and compact[:2] not in BHYT_GROUPS and walled[1] + walled[2] in BHYT_GROUPS:
        compact = walled[1] + walled[2] + compact[3:]
    for m in re.finditer(r"[A-Z0-9]{2}[0-9OISBZG][0-9A-Z]{12}", compact):
        raw = m.group(0)
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


_MALE, _FEMALE = {"nam", "male", "m"}, {"nu", "female", "f"}
_TICKS = {"x", "v", "k", "xi", "xl", "[x]", "(x)", "☒", "☑", "✓", "✔", "✗", "✘", "⊠", "■"}
_BOXED_TICK = re.compile(r"[\[\](){}|/li1]*[xv][\[\](){}|/li1]*")
_GLUED_TICK = re.compile(r"([\[\](){}|/li1]*[xv][\[\](){}|/li1]*)(nam|nu|male|female)")
#: an empty box's walls read glued to its option: "INam", "MINam"
_GLUED_BOX = re.compile(r"[\[\](){}|/li1m]{1,2}(nam|nu|male|female)")
#: the option's number written in its box, the walls read as letters: "1", "[2]", "1j", "|1|"
_BOXED_CODE = re.compile(r"[\[\](|lij!]*([12])[\[\])|lij!]*")
#: "Nữ" with its marks read as extra letters ("Nứử" -> "nuu")
_GARBLED_FEMALE = re.compile(r"nu{1,2}")


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
    female = [i for i, w in enumerate(words) if w in _FEMALE or _GARBLED_FEMALE.fullmatch(w)]
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


# --- names and free text --------------------------------------------------------------------

_NAME_TOKEN = re.compile(r"^[^\W\d_]+$", re.UNICODE)
#: a marked letter the English model read as a digit: "Ng6" (Ngô), "T6" (Tô), "V6" (Võ)
_DIGIT_FOR_LETTER = re.compile(r"^[^\W\d_]+\d[^\W\d_]*$", re.UNICODE)
# folded -> as written: OCR often drops or changes a capital's tone mark (NGUYỄN -> NGUYÊN);
# a surname is snapped back to its one real spelling.
COMMON_SURNAMES = {
    fold(s): s
    for s in [
        "Nguyễn",
        "Trần",
        "Lê",
        "Phạm",
        "Hoàng",
        "Huỳnh",
        "Phan",
        "Vũ",
        "Võ",
        "Đặng",
        "Bùi",
        "Đỗ",
        "Hồ",
        "Ngô",
        "Dương",
        "Lý",
        "Đinh",
        "Đào",
        "Lương",
        "Trịnh",
        "Mai",
        "Trương",
        "Cao",
        "Lâm",
        "Tô",
        "Hà",
        "Tạ",
        "Châu",
        "Quách",
        "Kiều",
        "Thái",
        "Chu",
        "Đoàn",
        "La",
        "Vương",
        "Tăng",
        "Lưu",
    ]
}


def _upper_run(tokens: list[str]) -> list[str]:
    """Forms ask for the name in capitals ("In hoa"): when the words hold a run of two or more
    capitalised words, that run is the name and the rest is label residue ("người bệnh")."""
    best: list[str] = []
    run: list[str] = []
    at = 0  # where the best run starts
    for i, token in enumerate(tokens):
        if token.isupper():
            run.append(token)
            if len(run) > len(best):
                best, at = list(run), i + 1 - len(run)
        else:
            run = []
    if len(best) < 2:
        return tokens
    # a surname read in small letters before the capitals ("Võ THỊ VÂN", "vO CAM TAM") is
    # the name's, when the run does not start with one (and fails ``in_capitals``)
    before = tokens[at - 1] if at else ""
    if fold(before) in COMMON_SURNAMES and fold(best[0]) not in COMMON_SURNAMES:
        return [before, *best]
    return best


#: a tone mark OCR read apart from its vowel, as a spacing accent: "HÔ`GIA" for "HỒ GIA"
_SPACING_TONES = {"`": "\u0300", "´": "\u0301"}


def _name_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    text = re.sub(r"(?<=[^\W\d_])([`´])", lambda m: _SPACING_TONES[m.group(1)] + " ", nfc(text))
    for raw in nfc(text).split():
        token = raw.strip(".,:;!?()[]{}|\"'`-_*ˆ˜¨“”„‘’")  # and a box's wall: "PHƯƠNG|", "ˆNGUYỄN"
        if not token:
            continue
        if not (_NAME_TOKEN.match(token) or _DIGIT_FOR_LETTER.match(token) and not tokens):
            break  # names end where digits or symbols begin (a surname may hold one: "Ng6")
        tokens.extend(_unglued(token))
    return tokens


def _unglued(token: str) -> list[str]:
    """A word that is no syllable, split where it is two: at a capital inside a mixed-case
    word ("NguyenThi"), or after a surname or middle name whose rest is a syllable
    ("THỊLAN")."""
    if could_be_syllable(token):
        return [token]
    camel = [i for i in range(1, len(token)) if token[i - 1].islower() and token[i].isupper()]
    if len(camel) == 1:
        return [token[: camel[0]], token[camel[0] :]]
    for cut in range(len(token) - 2, 1, -1):  # the longest head first: "VĂN|HÙNG", not "VĂ|NHÙNG"
        head, rest = token[:cut], token[cut:]
        if fold(head) in _MARKED_NAME_WORDS and could_be_syllable(head):
            pieces = _unglued(rest)  # "NGUYỄNTHỊVÂN": three words
            if all(could_be_syllable(p) for p in pieces):
                return [head, *pieces]
    return [token]


#: name words (folded) whose one spelling has marks: common surnames, and the middle names of
#: most Vietnamese names (Văn, Thị)
_MARKED_NAME_WORDS = {key for key, word in COMMON_SURNAMES.items() if has_marks(word)} | {
    "van",
    "thi",
}


def _checked_name(tokens: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The surname snapped to its one real spelling; which checks the name passed. A name
    printed with marks has them on every word that takes them: "PHẠM VAN PHAT" lost some
    (``marks_mixed``): its surname and middle "Văn"/"Thị" get their one spelling back, and a
    person checks. A surname printed bare (English charts) is not held as known: the
    marks its other words lost cannot be seen. A Vietnamese name's every word is a syllable,
    marked or bare: "BÙI THỊ NHT" lost a letter (``name_syllables``)."""
    surname = COMMON_SURNAMES.get(fold(tokens[0]))
    letters = all(_NAME_TOKEN.match(t) for t in tokens)
    passed, failed = (["letters_only"], list[str]()) if letters else ([], ["letters_only"])
    if any(has_marks(t) for t in tokens) and any(
        not has_marks(t) and fold(t) in _MARKED_NAME_WORDS for t in _may_lose_marks(tokens)
    ):
        failed.append("marks_mixed")
        tokens = _marks_put_back(tokens)
    if 2 * sum(has_marks(t) for t in tokens) >= len(tokens):  # printed with marks
        respelled = [tokens[0], *(given_name(t) for t in tokens[1:])]
        if respelled != tokens:
            failed.append("name_respelled")
            tokens = respelled
        if any(doubtful_given_name(t) for t in tokens[1:]):
            failed.append("given_name_marks")
    if surname:
        if not tokens[0].isascii():  # printed without marks (English charts) stays so
            tokens[0] = surname.upper() if tokens[0].isupper() else surname
            passed.append("known_surname")
        elif not has_marks(surname):  # "Mai", "Cao": bare as printed and as spelt
            passed.append("known_surname")
    else:
        failed.append("known_surname")
    if surname and not all(could_be_syllable(t) for t in tokens):
        failed.append("name_syllables")
    return tokens, passed, failed


_MIDDLE_NAMES = {"van": "Văn", "thi": "Thị"}


def _may_lose_marks(tokens: list[str]) -> list[str]:
    """The words whose bare spelling shows lost marks: all but a last one that is a given name
    spelt bare ("Trần Kim Trinh": not "Trịnh")."""
    return tokens[:-1] if bare_given_name(tokens[-1]) else tokens


def _marks_put_back(tokens: list[str]) -> list[str]:
    """In a marked name, the words with one marked spelling that lost it: the surname, and
    "Văn"/"Thị" between surname and given name (last, "VAN" may be "Vân")."""
    out = list(tokens)
    for i, t in enumerate(out):
        if has_marks(t):
            continue
        known = (
            COMMON_SURNAMES.get(fold(t)) if i == 0
            else _MIDDLE_NAMES.get(fold(t)) if i < len(out) - 1
            else None
        )  # fmt: skip
        if known:
            out[i] = known.upper() if t.isupper() else known
    return out


def parse_person_name(text: str) -> ParsedValue | None:
    """The patient's name, which forms ask for in capitals ("In hoa"): a name in mixed case is
    more often a clinician's under a signature ("Họ và tên: Nguyễn Thu Nga") read where the
    patient's was lost (``in_capitals`` fails). A stray letter read after it is dropped."""
    tokens = _upper_run(_name_tokens(text))
    if len(tokens) > 2 and len(tokens[-1]) == 1 and not could_be_syllable(tokens[-1]):
        tokens = tokens[:-1]  # "PHAN CÔNG THÁI K"
    if len(tokens) > 2 and len(tokens[0]) == 1:
        tokens = tokens[1:]  # a box's wall before it, read as a letter: "Ì NGUYỄN GIA TRÂM"
    if len(tokens) < 2:
        return None
    capitals = all(t.isupper() for t in tokens)
    tokens, passed, failed = _checked_name(tokens)
    if not capitals:
        failed.append("in_capitals")
    name = single_spaces(" ".join(tokens)).upper()
    return ParsedValue(name, tuple(passed), tuple(failed))


_TITLES = re.compile(
    r"^\s*(?:(?:ThS|TS|BS|BSCK(?:I{1,2}|[12])?|PGS|GS|Dr|Doctor)\b\.?\s*)+", re.IGNORECASE
)


def parse_physician_name(text: str) -> ParsedValue | None:
    """A clinician's name as printed (signatures are written in mixed case), without titles
    ("BS.", "ThS.BS", "Dr")."""
    tokens = _name_tokens(_TITLES.sub("", nfc(text)))
    if len(tokens) < 2 or len(tokens) > 6:
        return None
    tokens, passed, failed = _checked_name(tokens)
    if not all(t[0].isupper() for t in tokens):
        failed.append("capitalised")  # a name's every word starts with a capital
    if any(fold(t) in COMMON_SURNAMES for t in tokens[2:-1]):
        failed.append("one_name")  # two signatures' names read as one line
    return ParsedValue(single_spaces(" ".join(tokens)), tuple(passed), tuple(failed))


# A code stands alone (not inside "24/105/24"); a leading 1 or | is the letter I misread, a
# leading 0, 5, 8, 2 or 6 the letter it looks like (O, S, B, Z, G) when that makes a real code.
_ICD = re.compile(r"(?<![\w/.-])([A-Z1|\[0-9][0-9OIl]{2})(?:\s?[.,]\s?([0-9OIl]{1,2}))?(?![\w/-])")


def _known_icd10(code: str, read_as: str) -> ParsedValue | None:
    """A code held against the ICD-10 list: as read; else the one real code a single OCR slip
    makes of it, which a person confirms; else as read, failing the check."""
    letter_from_digit = read_as.isdigit() and read_as != "1"
    if letter_from_digit and "." not in code:
        return None  # "Giường 234": a bare number, not Z34
    if is_known_code(code):
        failed: tuple[str, ...] = ("letter_from_digit",) if letter_from_digit else ()
        failed += ("code_complete",) if is_subdivided(code) else ()
        if read_as in ("1", "|") and is_known_code("J" + code[1:]):
            failed += ("letter_read_exactly",)  # a "1" is an I or a J: I20.9 and J20.9 are real
        return ParsedValue(code, ("format", "known_code"), failed)
    repaired = repair_code(code, read_as)
    if repaired:
        return ParsedValue(repaired, ("format", "known_code"), ("code_read_exactly",))
    if letter_from_digit:
        return None  # a number, not a code
    return ParsedValue(code, ("format",), ("known_code",))


_CODE_LETTER_SYMBOLS = confusions().code_letter_symbols


def parse_icd10(text: str) -> ParsedValue | None:
    original = text
    text = re.sub(r"(?<!\w)l(?=\s?\d{2})", "I", nfc(text))  # "l 48.9": an I, not an L
    text = re.sub(r"(?<=\d)\.{2,}(?=\s?\d)", ".", text)  # "A09..9"
    text = re.sub(r"^\](?=\d{2})", "J", text.strip())  # "]44.1": the J read as a bracket
    parsed = _parse_icd10(text.upper().translate(_CODE_LETTER_SYMBOLS))
    if parsed and re.search(r"(?:^|\s)[€$£\]]\s?\d", original):  # a letter read as a symbol
        return replace(parsed, checks_failed=parsed.checks_failed + ("letter_from_symbol",))
    return parsed


def _parse_icd10(upper: str) -> ParsedValue | None:
    for m in _ICD.finditer(upper.replace("(", " ").replace(")", " ")):
        first = m.group(1)[0]
        letter = first.translate(_LETTER_LOOKALIKES)
        code = letter + as_digits(m.group(1)[1:])
        if m.group(2):
            code += "." + as_digits(m.group(2))
        if re.fullmatch(r"[A-Z]\d{2}(\.\d{1,2})?", code):
            parsed = _known_icd10(code, read_as=first)
            if parsed:
                return parsed
    # A code in character boxes reads "K 9 2 | 2", "KI5lI6 . 7", "NÑ 1 8. 5": one cell per
    # character, the dot implied, the cells' walls read as "|", "I", "l" or any mark between
    # them, its letter maybe twice (an "O" is a zero).
    boxed = re.match(
        r"[^A-Z0-9]*([A-Z])\1?((?:(?:[^A-Z0-9]|[IL])*[\dO]){2,4})", strip_diacritics(upper)
    )
    if boxed:
        digits = re.sub(r"\D", "", boxed.group(2).replace("O", "0"))
        code = boxed.group(1) + digits[:2] + ("." + digits[2:] if len(digits) > 2 else "")
        parsed = _known_icd10(code, read_as=code[0])
        if parsed:
            return replace(parsed, checks_failed=parsed.checks_failed + ("boxed_code",))
    return None


# What follows a diagnosis on its line: the code's label and the code ("16.Mã A90",
# "(ICD-10: J18.9)", "MãICD-I0 K81.0"), with the item number printed before that label.
_CODE_TAIL = re.compile(
    r"(?:\s\d{1,2}\s*\.\s*)?\(?\s*\b(?:mã\s*(?:\S?icd)?|ma\s*(?:\S?icd)?|icd"
    r"|\S*\s?code(?=\s*:?\s*[A-Z]\d))(?![^\W\d_])[^)]*\)?\s*$",
    re.IGNORECASE,
)


#: what ends a diagnosis's line but is none of it: a field's number (10-49), a token of no
#: letter or digit, a lone marked or small letter (a wall read as "l")
_DIAGNOSIS_TAIL = re.compile(r"[1-4]\d[.,]?|[^\w]+|[^\W\d_A-Z]", re.UNICODE)


def parse_diagnosis(text: str) -> ParsedValue | None:
    """Diagnosis text as printed, without a trailing code or leaders; words OCR misread put
    right against the diagnosis vocabulary (ICD-10 titles in English, common wording in
    Vietnamese). Short tokens at its edges (a wall read as "l", the next cell's edge as
    "SO") are dropped where the rest is a known diagnosis and the whole is not."""
    cleaned = _diagnosis_text(text)
    parsed = _diagnosis(cleaned)
    if parsed is None or _KNOWN_DIAGNOSIS & set(parsed.checks_passed):
        return parsed
    words = cleaned.split()
    for lead, tail in _EDGE_CUTS:
        edges = words[:lead] + words[len(words) - tail :]
        if lead + tail >= len(words) or not all(edge_speck(w) for w in edges):
            continue
        cut = _diagnosis(_diagnosis_text(" ".join(words[lead : len(words) - tail])))
        if cut is not None and _KNOWN_DIAGNOSIS & set(cut.checks_passed):
            return cut
    return parsed


_KNOWN_DIAGNOSIS = {"known_terms", "known_title"}
#: words dropped at the start and at the end, fewest first
_EDGE_CUTS = sorted(((a, b) for a in range(6) for b in range(4) if a + b), key=sum)

#: the code's label and the code inside a diagnosis that wrapped in its cell, the code beside
#: its first line ("… đồng nhiễm virus Mãbệnh B18.1 delta"), and a wrapped label's last word
#: ("… tuần hoàn ICD ngoại vi")
_CODE_INSIDE = re.compile(
    r"\s(?:(?:mã|ma)\s*(?:bệnh|benh)?\s*(?:icd\S*)?|icd\S*)\s*:?\s*[A-Z]\d{2}(?:\.\d{1,2})?(?=\s)"
    r"|\s(?-i:ICD)(?:-?(?:10|I0))?(?=\s+(?!code)[a-zà-ỹđ])",
    re.IGNORECASE,
)


def _diagnosis_text(text: str) -> str:
    """The diagnosis's line without a code after it or inside it, leaders, a tick box or
    specks at its end."""
    cleaned = _CODE_TAIL.sub("", _CODE_INSIDE.sub(" ", nfc(text)))
    cleaned = re.sub(r"[☒☑☐■□]", " ", cleaned)  # a tick box the text runs over
    cleaned = re.sub(r"[(\[]\s*[A-Z]\d{2}(?:\.\d{1,2})?\s*[)\]]", " ", cleaned)
    cleaned = re.sub(r"\s[-–]?\s*[A-Z]\d{2}(?:\.\d{1,2})?\s*$", " ", cleaned)
    words = cleaned.split()
    while words and _DIAGNOSIS_TAIL.fullmatch(words[-1]):
        words.pop()  # the next field's number, a speck or a stray mark: "… venom 19", "… delta Ũ"
    return _wall_bracket_off(single_spaces(" ".join(words).strip(" .,:;-_/|‹›„“”\"'`~¡!¿?«»")))


def _wall_bracket_off(text: str) -> str:
    """A cell's wall read as a bracket glued to the value's edge, with no bracket to match it:
    "[Đẻ mổ lấy thai, không đặc hiệu"."""
    if text.startswith("[") and "]" not in text:
        return text[1:].lstrip()
    if text.endswith("]") and "[" not in text:
        return text[:-1].rstrip()
    return text


def _diagnosis(cleaned: str) -> ParsedValue | None:
    if len(cleaned) < 3 or not re.search(r"[^\W\d_]{2}", cleaned):
        return None
    if mostly_marked(cleaned):  # an English title with a stray mark ("Suspécted") is not
        # specks read between words: "Bệnh.thương hàn", "không đề`cập", "[Dengue,cổ điển]",
        # "Đau. bụng" (no title stops before a small letter)
        specks = re.sub(r"[`´'’]|(?<=[^\W\d_])[.,](?=[^\W\d_])", " ", cleaned)
        specks = re.sub(r"(?<=[^\W\d_]{2})\.(?=\s(\w))", _stop_before_small, specks)
        cleaned = single_spaces(specks)
        if cleaned[:1] in CAPITAL_SHAPED:  # its first capital read small: "xuất huyết …"
            cleaned = cleaned[0].upper() + cleaned[1:]
        parsed = _held_against(correct_vietnamese_diagnosis(cleaned), "known_terms")
        if "known_terms" not in parsed.checks_passed and hook_misread(parsed.value):
            parsed = replace(parsed, checks_failed=parsed.checks_failed + ("diagnosis_marks",))
    else:
        parsed = _held_against(snap_english_title(cleaned), "known_title")
    if cut_short(str(parsed.value)):  # the rest of the title on a line not read with it
        return replace(parsed, checks_failed=parsed.checks_failed + ("diagnosis_cut_short",))
    return parsed


def _stop_before_small(m: re.Match[str]) -> str:
    return "" if m.group(1).islower() else m.group(0)


def _held_against(match: VocabularyMatch, check: str, unknown_fails: bool = False) -> ParsedValue:
    """A value held against a vocabulary: ``check`` passed when it is known (as read, or once
    its OCR slips were put right); failed, where ``unknown_fails``, when it is not.

    A correction is not flagged as a failed check: a failed check makes the extractor prefer
    another reading of the field that passes its checks, often a piece of the same text."""
    passed = ("has_text", check) if match.known else ("has_text",)
    failed = (check,) if unknown_fails and not match.known else ()
    return ParsedValue(match.value, passed, failed)


# Form furniture OCR leaves in free text: leaders, underlines, box walls, stray quotes.
_TEXT_FURNITURE = re.compile(r"[.·…_]{2,}|-{2,}|[|_~¬“”\"'`’]+")
# Residue of a label's parenthesised hint ("(In hoa)", "(ghi rõ)") before the value.
_HINT = re.compile(r"^\s*\([^)]{0,20}\)\s*")


def parse_text(text: str) -> ParsedValue | None:
    """Free text as printed: NFC, single spaces, no leaders, label hints or edge punctuation."""
    cleaned = _HINT.sub("", _TEXT_FURNITURE.sub(" ", nfc(text)))
    words = single_spaces(cleaned).split()
    while words and not re.search(r"[0-9a-z]", strip_diacritics(words[-1]).lower()):
        words.pop()  # specks read as marks at the end: "Phú Thọ ˆ", "° ‹"
    while words and not re.search(r"[0-9a-z]", strip_diacritics(words[0]).lower()):
        words.pop(0)  # and at the start: "⁄ Thôn Thượng"
    cleaned = _wall_bracket_off(" ".join(words).strip(" .,:;-_=*‹›«»„‘’¡!¿"))
    if not re.search(r"[^\W_]", cleaned):
        return None
    return ParsedValue(cleaned, ("has_text",))


def parse_place_or_title(text: str) -> ParsedValue | None:
    """Free text that must hold words (departments, occupations, addresses), not a stray code."""
    parsed = parse_text(text)
    if parsed is None or not re.search(r"[^\W\d_]{2}", parsed.value):
        return None
    return parsed


#: a box's or cell's wall read as a letter glued before a capitalised word: "lẤp", "lTử vong"
_WALL_BEFORE_CAPITAL = re.compile(r"(?<![^\s,])[lI|](?=[A-ZĐÀ-Ỹ][a-zà-ỹ])")


def parse_address(text: str) -> ParsedValue | None:
    """An address as printed; it should end with a province (OCR slips in it put right)."""
    parsed = parse_place_or_title(text)
    if parsed is None:
        return None
    # a unit's abbreviation with a colon or a comma for its stop: "P: Minh Khai", "P, Minh Khai"
    value = re.sub(r"\b(P|Q|X|H|T|TP)[:,](?=\s)", r"\1.", parsed.value)
    # a comma read as a stop before the next part: "Thôn Đông. xã Hưng Đạo"
    value = _UNIT_SPECK.sub(lambda m: m.group(1) + " " if m.group(1) else "", value)
    value = _STOP_FOR_COMMA.sub(",", value)
    # specks glued to words: "Nguyễn,Trãi" (a comma with no space before no unit), "Số-17",
    # "lẤp" (a wall read as l before a capital)
    value = _GLUED_COMMA.sub(" ", value)
    value = re.sub(r"\b(Số|số)-(?=\d)", r"\1 ", value)
    value = _WALL_BEFORE_CAPITAL.sub("", value)
    # a stop glued between a word and the next name ("An.Nhon"); a unit's stop follows a
    # capital ("TP.Hồ", "P.An")
    value = re.sub(r"(?<=[a-zà-ỹ])\.(?=[A-ZĐÀ-Ỹ][a-zà-ỹ])", " ", value)
    # words glued where a space was lost: no word has a capital after a small letter
    # ("Thành phốHồ Chí Minh", "DaNang")
    value = _GLUED_WORDS.sub(lambda m: m[1] + " " if _small_capital(m[1], m[2]) else m[1], value)
    # a comma read as a stop after a whole word, before the next part's name ("Cao Lộc. Lạng
    # Sơn"; a unit's abbreviation keeps its stop: "TP. Huế", "Tp. Vinh"), and specks by a
    # comma ("Vĩnh Long,.Vĩnh Long", "Thành, , phường")
    value = _STOP_AFTER_WORD.sub(
        lambda m: m[1] + ("," if m[1].islower() and m[2].isupper() else "."), value
    )
    value = re.sub(r",(?:\s*[.,])+\s*", ", ", value)
    value = _lost_commas(value)
    value = place_names(address_units(value))
    checked = check_address(value)
    if not checked.known:  # the next field, its label unread, after the province
        for m in _NEXT_FIELD.finditer(value):
            cut = check_address(value[: m.start()])
            if cut.known:
                checked = cut
                break
    return _held_against(checked, "known_province", unknown_fails=True)


#: the words that open an address's parts, marked and bare (English charts)
_UNIT_OPENING = re.compile(
    r"(?:(?<=,)|(?<=\s))(thị xã|thị trấn|thành phố|xã|phường|quận|huyện|tỉnh|TP|thi xa|thi tran"
    r"|thanh pho|xa|phuong|quan|huyen|tinh)(?=\s)",
    re.IGNORECASE,
)


def _lost_commas(value: str) -> str:
    """The comma OCR lost before one part of an address whose other parts all have theirs
    ("Thôn Thượng xã Xuân Phú, huyện Đông Anh, Hà Nội")."""
    opened = [m for m in _UNIT_OPENING.finditer(value) if m.start() > 0]
    lost = [m for m in opened if not value[: m.start()].rstrip().endswith(",")
            and value[: m.start()].split()[-1].lower() not in ("thị", "thi")]  # fmt: skip
    if len(lost) != 1 or value.count(",") < 2:
        return value
    before = value[: lost[0].start()].rstrip()
    return before + ", " + value[lost[0].start() :]


_GLUED_WORDS = re.compile(r"([^\W\d_])(?=([^\W\d_]{2}))")
_STOP_AFTER_WORD = re.compile(r"([^\W\d_]{2})\.(?=\s+([^\W\d_]))")


def _small_capital(before: str, after: str) -> bool:
    """A small letter, then a capital and a small one: two words glued."""
    return before.islower() and after[0].isupper() and after[1].islower()


_STOP_FOR_COMMA = re.compile(
    r"(?<=\w)[.)](?=\s+(?:xã|phường|quận|quân|huyện|huyên|thị xã|thị trấn|thành phố|tỉnh|TP)"
    r"\.?\s)"
)
#: a speck between a unit's word and its name ("xã.An Bình"), or inside the name ("Phủ: Lý")
_UNIT_SPECK = re.compile(
    r"\b(xã|phường|quận|huyện|tỉnh)[.:](?=[^\W\d_])|(?<=[^\W\d_]):(?=\s[A-ZĐ])"
)
#: a comma between two letters, no space after it, that starts no unit ("Nguyễn,Trãi", not
#: "Thôn 4,xã"): a speck read between the words of a name
_GLUED_COMMA = re.compile(
    r"(?<=[^\W\d_]),(?=[^\W\d_])(?!(?:xã|phường|quận|huyện|thị|thành|tỉnh|ấp|thôn|TP|P\.|Q\.)\b)"
)
#: where another field starts inside a line of free text: its number ("7, CCCD", "5. Nghề")
_NEXT_FIELD = re.compile(r"\s+\d{1,2}\s?[.,]\s+(?=[^\W\d_])")


#: a hyphen between a term's words read as a tilde or a long dash ("Thận ~Tiết niệu"), which
#: free text drops as furniture
_DASH_READ = re.compile(r"(?<=[^\W\d_])\s+[~¬–—]\s*(?=[^\W\d_])")


def _known_term(text: str, vocabulary: str) -> ParsedValue | None:
    parsed = parse_place_or_title(text)
    if parsed is None:
        return None
    match = snap_term(parsed.value, vocabulary)
    dashed = parse_place_or_title(_DASH_READ.sub(" - ", text))
    if dashed is not None and dashed.value != parsed.value:
        hyphened = snap_term(dashed.value, vocabulary)
        if hyphened.known and hyphens_as_known(hyphened.value, vocabulary):
            match = hyphened
    return _held_against(match, "known_term")


#: the rest of a department's label read with its value ("Khoa" | "điều trị Nội tiết")
_DEPARTMENT_LABEL_REST = re.compile(r"^\s*(?:điều\s*trị\s*)?(?:nội\s*trú\s*)?[:.]?\s*", re.I)


def parse_department(text: str) -> ParsedValue | None:
    """A department as printed, snapped to its known name when OCR slipped a letter; the rest
    of its label read before it is left out when the remainder alone is a known one."""
    parsed = _known_term(text, "departments")
    rest = _DEPARTMENT_LABEL_REST.match(text)
    if parsed is None or "known_term" in parsed.checks_passed or not rest or not rest.end():
        return parsed
    alone = _known_term(text[rest.end() :], "departments")
    return alone if alone is not None and "known_term" in alone.checks_passed else parsed


def parse_occupation(text: str) -> ParsedValue | None:
    """An occupation as printed, snapped to its known wording when OCR slipped a letter."""
    return _known_term(text, "occupations")


def _snap(value: str, known: dict[str, str], cutoff: float = 0.85) -> str | None:
    """The known spelling of a value, matched on folded letters with an OCR slip or two."""
    from rapidfuzz import fuzz, process

    found = process.extractOne(fold(value).replace("-", " "), list(known), scorer=fuzz.ratio)
    if found and found[1] >= cutoff * 100:
        return known[found[0]]
    return None


def _ethnic_groups() -> dict[str, str]:
    from schemas.catalogue import code_map

    return {fold(name).replace("-", " "): name for name in code_map("MA_DANTOC")}


def parse_ethnicity(text: str) -> ParsedValue | None:
    """An ethnic group: snapped to the statistics office's spelling when it is one of them."""
    parsed = parse_place_or_title(text)
    if parsed is None:
        return None
    words = parsed.value.split()
    known = _ethnic_groups()
    # The group is one to three words; what follows on the line is another field's text.
    for n in (3, 2, 1):
        snapped = _snap(" ".join(words[:n]), known) if len(words) >= n else None
        if snapped:
            return ParsedValue(snapped, ("known_ethnic_group",))
    # a short name with one letter misread ("Ghăm"): the one group a letter away, for a
    # person to confirm
    from rapidfuzz.distance import Hamming

    first = fold(words[0]) if words else ""
    if len(first) >= 4:
        near = [
            name
            for key, name in known.items()
            if len(key) == len(first) and Hamming.distance(first, key) == 1
        ]
        if len(near) == 1:
            return ParsedValue(near[0], (), ("group_respelled",))
    return ParsedValue(parsed.value, (), ("known_ethnic_group",))


def parse_record_number(text: str) -> ParsedValue | None:
    """A chart number as printed ("BA24-09747", "2017/54772"): the first word holding digits,
    its parts joined where OCR spaced them around the dash ("BA19- 39609") and an "O" after
    its letters read as the zero it is ("BAO8-28671")."""
    joined = re.sub(r"(?<=\w)\s*([-/])\s*(?=\w)", r"\1", nfc(text))
    for raw in joined.split():
        # and a wall or dash before it ("-1996/53382"): a number starts with a letter or digit
        token = re.sub(r"(?<=^[A-Z]{2})[OQ](?=\d)", "0", raw.strip(".,:;()[]|_'\"-—–"))
        if sum(ch.isdigit() for ch in token) >= 3 and re.fullmatch(r"[\w/.\-]+", token):
            if not token.isascii():  # no chart number holds "đ" or a marked letter: a misread
                return ParsedValue(token, ("has_digits",), ("plain_characters",))
            return ParsedValue(token, ("has_digits",))
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
    return re.sub(r"(?<=\d)[Oo](?=[\d\s./])|(?<=\d)[Il|](?=[\d\s.])|(?<=[\d\s./])[OoIl|](?=\d)"
                  r"|(?<![^\s:|])S(?=\d)",
                  lambda m: as_digits(m.group(0)), text)  # fmt: skip


# --- outcome ----------------------------------------------------------------------------------

# Folded wordings, spaces optional (OCR drops them in tick-box rows: "Nặnghơn").
_OUTCOMES: dict[str, tuple[str, ...]] = {
    "recovered": ("khoi", "khoi benh", "recovered", "cured", "recovery"),
    "improved": ("do giam", "do", "giam", "do, giam", "improved", "improving", "better"),
    "unchanged": ("khong thay doi", "khong doi", "unchanged", "no change", "not changed"),
    "worse": ("nang hon", "nang them", "worse", "worsened", "deteriorated"),
    "deceased": ("tu vong", "chet", "deceased", "died", "death", "dead", "expired"),
}
# The Ministry's order (KET_QUA_DTRI 1-5), used for a code after an unnumbered list.
_OUTCOME_ORDER = ("recovered", "improved", "unchanged", "worse", "deceased")


_OUTCOME_RE = wording_pattern(_OUTCOMES, r"[\s,]*")
#: a tick, also as OCR reads a check mark's stroke ("/Recovered", "\\Improved")
_TICK_CHARS = set("x☒☑✓✔✗✘⊠■/\\")


def parse_outcome(text: str) -> ParsedValue | None:
    """The outcome written out, or ticked (``☒ Khỏi ☐ Đỡ``), or coded after a numbered list
    (``1. Khỏi 2. Đỡ, giảm … 5. Tử vong  2``)."""
    folded = strip_diacritics(_WALL_BEFORE_CAPITAL.sub("", nfc(text))).lower()
    # "[xilmproved": the I read as an l, in a row of options; a person confirms the reading
    misread = re.sub(r"l(?=mprov)", "i", folded)
    parsed = _outcome_in(misread)
    if parsed and misread != folded and parsed.value == "improved":
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
        return ParsedValue(options[0], ("known_value",))
    ticked = []
    previous_end = 0
    for start, end, outcome in found:
        gap = folded[previous_end:start]
        mark = re.sub(r"[\s.,:;()\[\]0-9]", "", gap)
        slash_between = mark in ("/", "\\") and previous_end > 0 and not re.search(r"\s[/\\]", gap)
        ticked_mark = mark and len(mark) <= 4 and mark[0] in _TICK_CHARS or mark[-1:] in _TICK_CHARS
        if ticked_mark and not slash_between:  # "Khỏi/Đỡ" is two options, no tick
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


def _whole_number(
    text: str, low: int, high: int, usual: tuple[float, float] | None = None
) -> ParsedValue | None:
    # not a decimal's fraction, but after a speck ("—.20"); not another sign's ("51 kg")
    m = re.search(
        r"(?<![\d/])(?<!\d[.,])(\d{1,3})(?![\d/]|[.,]\d|\s?(?:kg|mmHg|°))",
        as_digits_in_numbers(nfc(text)),
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


PARSERS: dict[str, Callable[[str], ParsedValue | None]] = {
    "person_name": parse_person_name,
    "physician_name": parse_physician_name,
    "date": parse_date,
    "datetime": parse_datetime,
    "sex": parse_sex,
    "national_id": parse_national_id,
    "insurance_number": parse_insurance_number,
    "icd10": parse_icd10,
    "diagnosis": parse_diagnosis,
    "text": parse_text,
    "place_or_title": parse_place_or_title,
    "address": parse_address,
    "department": parse_department,
    "occupation": parse_occupation,
    "ethnicity": parse_ethnicity,
    "record_number": parse_record_number,
    "phone": parse_phone,
    "outcome": parse_outcome,
    "pulse": parse_pulse,
    "temperature": parse_temperature,
    "blood_pressure": parse_blood_pressure,
    "respiratory_rate": parse_respiratory_rate,
    "weight": parse_weight,
    "medication": parse_medication,
}
