"""A prescription line: the drug as printed, its strength, route and how often a day.

The wordings (routes, units, counts, the times of day a schedule names) are data in
``vocabularies/medications.json``; this module holds only the grammar that puts them together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.extract.confusions import confusions
from pipeline.extract.grammar import ParsedValue, wording_pattern
from pipeline.extract.text import fold, nfc, single_spaces, strip_diacritics


def _load() -> dict[str, Any]:
    path = Path(__file__).with_name("vocabularies") / "medications.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    expected = {"source", "description", "routes", "units", "count_words", "latin_counts",
                "day_parts"}  # fmt: skip
    if set(data) != expected:
        raise ValueError(f"vocabularies/medications.json: keys must be exactly {sorted(expected)}")
    return data


_DATA = _load()
_ROUTES: dict[str, list[str]] = _DATA["routes"]
_ROUTE_RE = wording_pattern(_ROUTES, r"\s*")
_UNITS: dict[str, str] = _DATA["units"]
_UNIT_ALTERNATION = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_STRENGTH = re.compile(
    rf"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*({_UNIT_ALTERNATION})"
    r"(?!\w)",  # "ICD-10 G03.9" holds no "10 g"
    re.IGNORECASE,
)
#: what OCR reads for a digit (the confusions table), in a strength's number: "I0mg"
_DIGIT_FOR = confusions().digit_for
_LOOKALIKE = "".join(re.escape(chr(c)) for c in _DIGIT_FOR)
#: a strength whose number holds a digit's lookalike beside a real digit (the lookalike
#: strength is tried only where a line has no strength read as printed)
_LOOKALIKE_STRENGTH = re.compile(
    rf"(?<![\w.,])((?=[\d{_LOOKALIKE}]*\d)[\d{_LOOKALIKE}]+(?:[.,]\d+)?)\s*({_UNIT_ALTERNATION})"
    r"(?!\w)",
    re.IGNORECASE,
)
_WORD_COUNTS: dict[str, int] = _DATA["count_words"]
_LATIN_COUNTS: dict[str, int] = _DATA["latin_counts"]
_FREQUENCY = (
    # "3 lần/ngày", "3 lan / ngay", "3 Lần/hgày" (OCR), "x3 lần"
    re.compile(r"(?<!\d)x?\s*(\d)\s*lan\b"),
    re.compile(r"ngay\s*(\d)\s*lan"),
    re.compile(r"(?<!\d)(\d)\s*(?:x|times?)\s*(?:a|per|/)?\s*(?:day|daily|ngay)"),
    re.compile(rf"\b({'|'.join(_WORD_COUNTS)})\s*(?:times?)?\s*(?:a|per)?\s*(?:day|daily)"),
    re.compile(rf"\b({'|'.join(_LATIN_COUNTS)})\b"),
)
#: a time of day followed by its dose: "Sáng 1 viên", "Tối: 1/2 viên", "morning 2 tablets"
_DAY_PART_DOSE = re.compile(
    rf"\b({'|'.join(_DATA['day_parts'])})\b\s*[:\-]?\s*\d+(?:[.,/]\d+)?(?!\d)"
)


_ENUMERATOR_START = re.compile(r"^\s*(?:\(?\d{1,2}\s*[.)/:]|[-–•*+·>])\s*")


def frequency_words(per_day: int) -> str:
    return {1: "once daily", 2: "twice daily"}.get(per_day, f"{per_day} times daily")


def _strength(number: str, unit: str) -> str:
    number = number.replace(",", ".")
    if re.fullmatch(r"\d{1,3}\.000", number):  # "5.000 IU": a thousands separator
        number = number.replace(".", "")
    unit = _UNITS[unit.lower()]
    return f"{number}%" if unit == "%" else f"{number} {unit}"


def _frequency(folded: str) -> str | None:
    for pattern in _FREQUENCY:
        m = pattern.search(folded)
        if m:
            word = m.group(1)
            per_day = _WORD_COUNTS.get(word) or _LATIN_COUNTS.get(word) or int(word)
            if 1 <= per_day <= 12:
                return frequency_words(per_day)
    return _schedule(folded)


def _schedule(folded: str) -> str | None:
    """How often a day, from the times of day a schedule gives a dose at ("Sáng 1 viên, Tối 1
    viên": twice daily)."""
    parts = {m.group(1) for m in _DAY_PART_DOSE.finditer(folded)}
    return frequency_words(len(parts)) if parts else None


#: the words a drug's name holds at most, outside brackets
_NAME_WORDS = 5


def _drug_name(text: str) -> str | None:
    """The drug as printed, with OCR's stray capitals and leading 0 or l undone ("0meprazoLe")
    and the Vietnamese word order of acids turned into the international one ("Acid folic"
    -> "Folic acid")."""
    words = single_spaces(re.sub(r"[^\w\s\-+/]", " ", text)).strip(" -/").split()
    if words and words[0][:1] == "0":
        words[0] = "O" + words[0][1:]
    if words and re.match(r"l[^aeiouyl\W\d_]", words[0]):
        words[0] = "I" + words[0][1:]  # "lbuprofen": no drug starts with l and a consonant
    fixed = [w[0] + w[1:].lower() if len(w) > 2 and not w.isupper() else w for w in words]
    if len(fixed) == 2 and fold(fixed[0]) in {"acid", "axit"}:
        fixed = [fixed[1].capitalize(), "acid"]
    name = " ".join(fixed)
    # a name of five words at most, and as many again in brackets: the brand or the common
    # name after the active ingredients ("Đinh lăng, bạch quả (Hoạt huyết dưỡng não)")
    outside = re.sub(r"\([^()]*\)", " ", text).split()
    most = _NAME_WORDS * (2 if len(outside) < len(text.split()) else 1)
    if not re.fullmatch(rf"[^\W\d_][\w\-+/ ]{{1,{10 * most}}}", name) or len(fixed) > most:
        return None
    if len([w for w in outside if re.search(r"[^\W_]", w)]) > _NAME_WORDS:
        return None
    return name


def _garbled_route(folded: str) -> str | None:
    """A route word OCR damaged by one letter ("uôág" for "uống")."""
    from rapidfuzz.distance import Levenshtein

    words = re.findall(r"[a-z]{4,}", folded)
    for route, wordings in _ROUTES.items():
        for wording in wordings:
            if (
                " " not in wording
                and len(wording) >= 4
                and any(Levenshtein.distance(w, wording, score_cutoff=1) <= 1 for w in words)
            ):
                return route
    return None


def _garbled_frequency(folded: str) -> str | None:
    """ "1 Lâầ/ngày", "ngày 1 tâà": the count survives next to a damaged "lần"."""
    m = re.search(r"(?<!\d)(\d)\s*[a-z]{1,4}\s*/\s*n[a-z]{2,3}\b", folded) or re.search(
        r"\bng[a-z]{1,2}\s*(\d)\s*[a-z]{2,4}\s*$", folded.strip(" .'\"")
    )
    return frequency_words(int(m.group(1))) if m and 1 <= int(m.group(1)) <= 12 else None


def parse_medication(text: str) -> ParsedValue | None:
    """One prescription line: ``Paracetamol 500 mg, uống, 3 lần/ngày``. The value is the JSON
    object ``{"name", "strength", "route", "frequency"}``; None when the line holds no drug
    name followed by a strength."""
    line = _ENUMERATOR_START.sub("", nfc(text))
    m = _STRENGTH.search(line)
    passed, failed = ["strength_found"], []
    if not m and (m := _LOOKALIKE_STRENGTH.search(line)):
        failed.append("strength_read_exactly")
    if not m:
        return None
    name = _drug_name(line[: m.start()])
    if name is None:
        return None
    rest = " " + strip_diacritics(line[m.end() :]).lower()
    route_match = _ROUTE_RE.search(rest)
    route = (route_match.lastgroup or "").rsplit("_", 1)[0] if route_match else None
    frequency = _frequency(rest)
    if route is None and (route := _garbled_route(rest)):
        failed.append("route_read_exactly")
    if frequency is None and (frequency := _garbled_frequency(rest)):
        failed.append("frequency_read_exactly")
    number = m.group(1).translate(_DIGIT_FOR)
    value = {"name": name, "strength": _strength(number, m.group(2)), "route": route,
             "frequency": frequency}  # fmt: skip
    (passed if route else failed).append("route_known")
    (passed if frequency else failed).append("frequency_known")
    return ParsedValue(json.dumps(value, ensure_ascii=False), tuple(passed), tuple(failed))


#: a numbered line's number at a word's start: "1)", "2.", "(3)"
_NUMBER_WORD = re.compile(r"\(?\d{1,2}\s*[.)]")
#: the words a prescription line's number, drug name and strength take at most
_LINE_HEAD = 8


def prescription_starts(words: Sequence[str]) -> int | None:
    """Where a numbered prescription line starts among running words: a line's number, then
    a drug name and its strength in the units of ``medications.json`` ("… tăng huyết áp 1)
    ENALAPRIL 5mg SL 30 viên"): the word's index, None when no such line starts. Free text
    that ran on from its label over the lines below ends there."""
    for i, word in enumerate(words):
        if i and _NUMBER_WORD.match(word):
            head = " ".join(words[i : i + _LINE_HEAD])
            if parse_medication(head) is not None:
                return i
    return None
