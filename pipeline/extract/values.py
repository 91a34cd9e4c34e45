"""Value parsers and validators per field type: raw OCR text in, normalised value out.

Each parser returns ``None`` when the text holds no value of its type, so a label whose
neighbourhood holds no value is passed over instead of yielding garbage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipeline.extract.text import fold, nfc, single_spaces, strip_diacritics


@dataclass(frozen=True)
class ParsedValue:
    value: str
    checks_passed: tuple[str, ...] = ()
    checks_failed: tuple[str, ...] = ()


# --- OCR confusions inside what must be digits -------------------------------------------

_DIGIT_LOOKALIKES = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "I": "1",
        "l": "1",
        "|": "1",
        "i": "1",
        "Z": "2",
        "S": "5",
        "s": "5",
        "B": "8",
        "G": "6",
        "b": "6",
        "g": "9",
        "T": "7",
    }
)
_LETTER_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"})


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
_YMD = re.compile(rf"({_NUM}{{4}})\s*[/.\-]\s*({_NUM}{{1,2}})\s*[/.\-]\s*({_NUM}{{1,2}})")
_VI_LONG = re.compile(rf"({_NUM}{{1,2}})\s*thang\s*({_NUM}{{1,2}})\s*nam\s*({_NUM}{{4}})")
_EN_LONG = re.compile(r"(\d{1,2})\s+([a-z]{3})[a-z]*\.?,?\s+(\d{4})")
_EN_LONG_MDY = re.compile(r"([a-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})")
_TIME_VI = re.compile(rf"({_NUM}{{1,2}})\s*(?:gio|h)\s*({_NUM}{{1,2}})?\s*(?:phut|p)?")
_TIME_COLON = re.compile(rf"\b({_NUM}{{1,2}})\s*[:h]\s*({_NUM}{{2}})\b")


def _make_date(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(as_digits(y)), int(as_digits(m)), int(as_digits(d)))
    except ValueError:
        return None


_SEPARATORS = str.maketrans({"\u2044": "/", "\u2215": "/", "\\": "/", "|": "/", "\u2013": "-"})


def _fold_value(text: str) -> str:
    return " ".join(fold(strip_diacritics(text.translate(_SEPARATORS))).split())


def find_date(text: str) -> tuple[date, tuple[int, int]] | None:
    """The first real calendar date in the text, and where it was found in the folded text."""
    folded = _fold_value(text) if text else ""
    found: list[tuple[int, date, tuple[int, int]]] = []
    for pattern, order in ((_DMY, "dmy"), (_YMD, "ymd"), (_VI_LONG, "dmy")):
        for m in pattern.finditer(folded):
            parts = dict(zip(order, m.groups(), strict=True))
            d = _make_date(parts["y"], parts["m"], parts["d"])
            if d:
                found.append((m.start(), d, m.span()))
    for m in _EN_LONG.finditer(folded):
        month = _MONTHS_EN.get(m.group(2))
        if month:
            d = _make_date(m.group(3), str(month), m.group(1))
            if d:
                found.append((m.start(), d, m.span()))
    for m in _EN_LONG_MDY.finditer(folded):
        month = _MONTHS_EN.get(m.group(1))
        if month:
            d = _make_date(m.group(3), str(month), m.group(2))
            if d:
                found.append((m.start(), d, m.span()))
    if not found:
        return None
    _, d, span = min(found, key=lambda f: f[0])
    return d, span


def parse_date(text: str) -> ParsedValue | None:
    found = find_date(text)
    if not found:
        return None
    d, _ = found
    checks = ("real_date",)
    if not 1900 <= d.year <= 2030:
        return ParsedValue(d.isoformat(), checks, ("plausible_year",))
    return ParsedValue(d.isoformat(), checks + ("plausible_year",))


def parse_datetime(text: str) -> ParsedValue | None:
    found = find_date(text)
    if not found:
        return None
    d, (start, end) = found
    folded = _fold_value(text)
    outside = folded[:start] + " " + folded[end:]
    hour = minute = None
    for pattern in (_TIME_COLON, _TIME_VI):
        m = pattern.search(outside)
        if m:
            hour = int(as_digits(m.group(1)))
            minute = int(as_digits(m.group(2))) if m.group(2) else 0
            break
    if hour is None or minute is None or not (0 <= hour < 24 and 0 <= minute < 60):
        return ParsedValue(f"{d.isoformat()}T00:00", ("real_date",), ("time_found",))
    value = datetime(d.year, d.month, d.day, hour, minute).strftime("%Y-%m-%dT%H:%M")
    return ParsedValue(value, ("real_date", "time_found"))


# --- identity --------------------------------------------------------------------------------

# Code lists are data (codes.json, with their sources): provinces of the CCCD, BHYT groups.
_CODES = json.loads(Path(__file__).with_name("codes.json").read_text(encoding="utf-8"))
CCCD_PROVINCES = frozenset(_CODES["cccd_provinces"]["codes"])
BHYT_GROUPS = frozenset(_CODES["bhyt_groups"]["codes"])


def parse_national_id(text: str) -> ParsedValue | None:
    candidates = re.findall(r"[0-9OoIl|SBDZ][0-9OoIl|SBDZ\s.\-]{7,20}", text)
    for raw in candidates:
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


def parse_sex(text: str) -> ParsedValue | None:
    """``Nam`` / ``Nữ`` written out; or both printed as options with the chosen one marked:
    a code after them (``1. Nam 2. Nữ [1]``) or a tick before one (``☒ Nam ☐ Nữ``)."""
    words = []
    for token in re.split(r"[\s.:;,]+", nfc(text)):
        word = "x" if token in _TICKS else fold(token)
        word = re.sub(r"^\d+(?=[a-z])", "", word)  # "1.Nam" -> "nam"
        if word[:1] == "x" and word[1:] in _MALE | _FEMALE:
            words.extend(["x", word[1:]])  # a tick read glued to its option: "XMale"
        elif word:
            words.append(word)
    male = [i for i, w in enumerate(words) if w in _MALE]
    female = [i for i, w in enumerate(words) if w in _FEMALE]
    if male and not female:
        return ParsedValue("male", ("known_value",))
    if female and not male:
        return ParsedValue("female", ("known_value",))
    if not (male and female):
        return None
    after = words[max(male[0], female[0]) + 1 :]
    codes = [w for w in after if w in {"1", "2"}]
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
    for token in tokens:
        if token.isupper():
            run.append(token)
            if len(run) > len(best):
                best = list(run)
        else:
            run = []
    return best if len(best) >= 2 else tokens


def parse_person_name(text: str) -> ParsedValue | None:
    tokens = []
    for raw in nfc(text).split():
        token = raw.strip(".,:;()[]\"'`-_*")
        if not token:
            continue
        if not _NAME_TOKEN.match(token):
            break  # names end where digits or symbols begin
        tokens.append(token)
    tokens = _upper_run(tokens)
    if len(tokens) < 2:
        return None
    surname = COMMON_SURNAMES.get(fold(tokens[0]))
    passed, failed = ["letters_only"], list[str]()
    if surname:
        if not tokens[0].isascii():  # printed without marks (English charts) stays so
            tokens[0] = surname
        passed.append("known_surname")
    else:
        failed.append("known_surname")
    name = single_spaces(" ".join(tokens)).upper()
    return ParsedValue(name, tuple(passed), tuple(failed))


# A code stands alone (not inside "24/105/24"); a leading 1 or | is the letter I misread.
_ICD = re.compile(r"(?<![\w/.-])([A-TV-Z1|][0-9OIl]{2})(?:\s?[.,]\s?([0-9OIl]{1,2}))?(?![\w/-])")


def parse_icd10(text: str) -> ParsedValue | None:
    upper = nfc(text).upper()
    for m in _ICD.finditer(upper.replace("(", " ").replace(")", " ")):
        letter = {"1": "I", "|": "I"}.get(m.group(1)[0], m.group(1)[0])
        code = letter + as_digits(m.group(1)[1:])
        if m.group(2):
            code += "." + as_digits(m.group(2))
        if re.fullmatch(r"[A-Z]\d{2}(\.\d{1,2})?", code):
            return ParsedValue(code, ("format",))
    # A code in character boxes reads "K 9 2 | 2": one cell per character, the dot implied.
    boxed = re.match(r"[\s|/'\[\]]*([A-Z])((?:[\s|/'\[\].]*\d){2,4})", upper)
    if boxed:
        digits = re.sub(r"\D", "", boxed.group(2))
        code = boxed.group(1) + digits[:2] + ("." + digits[2:] if len(digits) > 2 else "")
        return ParsedValue(code, ("format",), ("boxed_code",))
    return None


def parse_diagnosis(text: str) -> ParsedValue | None:
    """Diagnosis text as printed, without a trailing code or leaders."""
    cleaned = re.sub(r"\(?\s*\b(?:mã|ma|icd)\b[^)]*\)?\s*$", "", nfc(text), flags=re.IGNORECASE)
    cleaned = re.sub(r"[(\[]\s*[A-Z]\d{2}(?:\.\d{1,2})?\s*[)\]]", " ", cleaned)
    cleaned = re.sub(r"\s[-–]?\s*[A-Z]\d{2}(?:\.\d{1,2})?\s*$", " ", cleaned)
    cleaned = single_spaces(cleaned.strip(" .,:;-_"))
    if len(cleaned) < 3 or not re.search(r"[^\W\d_]{2}", cleaned):
        return None
    return ParsedValue(cleaned, ("has_text",))


def parse_text(text: str) -> ParsedValue | None:
    cleaned = single_spaces(nfc(text).strip(" .,:;-_"))
    return ParsedValue(cleaned) if cleaned else None


PARSERS: dict[str, Callable[[str], ParsedValue | None]] = {
    "person_name": parse_person_name,
    "date": parse_date,
    "datetime": parse_datetime,
    "sex": parse_sex,
    "national_id": parse_national_id,
    "insurance_number": parse_insurance_number,
    "icd10": parse_icd10,
    "diagnosis": parse_diagnosis,
    "text": parse_text,
}
