"""Validators for a reviewer's typed value: what is saved is what was typed, or it is refused
with a sentence in the reviewer's language saying why.

A typed value is read in two ways. Values with one written form (dates, codes, numbers,
identifiers) must be typed whole in that form, or in another form that says the same thing
("12/03/1965" for 1965-03-12, "Nữ" for female, "37,5" for 37.5); the pipeline's own parser
must then read back exactly that value (nothing dropped, no digit put right, no code snapped
to another), and the checks the registry marks ``refuses`` (schemas/checks.json) must hold.
Free text (names, addresses, diagnoses) is saved as typed (NFC, single spaces); its parser
only says whether it is a value of its kind. Checks about OCR readings (a digit repaired, a
name not in capitals, a surname not in the list) never refuse what a person typed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pipeline.extract.medications import (
    _FREQUENCY,
    _ROUTES,
    _STRENGTH,
    _frequency,
    _strength,
    frequency_words,
)
from pipeline.extract.text import fold, nfc, single_spaces
from pipeline.extract.values import _OUTCOMES, PARSERS, _plain_number
from schemas.catalogue import field_spec, list_spec, load_full_catalogue, split_list_key
from schemas.checks import check_sentence, expected, load_registry, reason

#: the value type of a list's entries (a reviewer corrects one entry at a time)
LIST_TYPES = {"medications": "medication", "secondary_icd10": "icd10"}
_INTEGERS = {"pulse", "respiratory_rate"}
_DECIMALS = {"temperature", "weight"}
#: free text saved as typed; its parser only tells whether it is a value of its kind
_AS_TYPED = {"text", "place_or_title", "address", "department", "occupation", "ethnicity",
             "diagnosis", "person_name", "physician_name"}  # fmt: skip
Typed = str | int | float | dict[str, Any] | None


@dataclass(frozen=True)
class Checked:
    value: str | None
    reason: str | None
    #: the check or reason id behind ``reason`` (for programs; people read ``reason``)
    code: str | None = None
    #: a medication's parts, each checked on its own
    parts: dict[str, Checked] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.reason is None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "value": self.value, "reason": self.reason,
                               "code": self.code}  # fmt: skip
        if self.parts:
            out["parts"] = {k: p.as_json() for k, p in self.parts.items()}
        return out


class _Refusal(Exception):
    def __init__(self, code: str, sentence: str) -> None:
        super().__init__(code)
        self.code, self.sentence = code, sentence


def value_kind(key: str) -> str | None:
    """The value type of a catalogue field, a list entry (``medications.2``) or a list."""
    listed = split_list_key(key)
    if listed:
        return LIST_TYPES[listed[0]]
    if key in load_full_catalogue().lists:
        return LIST_TYPES[key]
    try:
        return field_spec(key).type
    except KeyError:
        return None


def tidy(text: str) -> str:
    """The harmless normalisation: NFC, single spaces, no outer spaces."""
    return single_spaces(nfc(text)).strip()


def _as_text(raw: Typed, kind: str, lang: str) -> str:
    if isinstance(raw, (bool, dict)):
        raise _Refusal("format", expected(kind, lang))
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if kind in _INTEGERS and raw.is_integer():
            return str(int(raw))
        return repr(raw)
    return tidy(raw or "")


# --- values with one written form ------------------------------------------------------------

_YMD = r"(\d{4})-(\d{1,2})-(\d{1,2})"
_DMY = r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})"
_HM = r"(\d{1,2})\s?[:hH]\s?(\d{2})"


def _day(y: str, m: str, d: str, lang: str) -> date:
    try:
        day = date(int(y), int(m), int(d))
    except ValueError:
        raise _Refusal("real_date", check_sentence("real_date", lang)) from None
    if day.year < 1900:
        raise _Refusal("before_1900", reason("before_1900", lang))
    if day > date.today():
        raise _Refusal("in_future", reason("in_future", lang))
    return day


def _date_in(text: str, lang: str) -> date | None:
    if m := re.fullmatch(_YMD, text):
        return _day(m[1], m[2], m[3], lang)
    if m := re.fullmatch(_DMY, text):
        return _day(m[3], m[2], m[1], lang)
    return None


def _date(text: str, lang: str) -> str:
    day = _date_in(text, lang)
    if day is None:
        raise _Refusal("format", expected("date", lang))
    return day.isoformat()


def _datetime(text: str, lang: str) -> str:
    found = None
    for pattern, at_day, at_time in (
        (rf"(.+?)(?:T|\s)\s?{_HM}", 1, 2),  # 2019-04-17T16:20, 17/04/2019 16:20
        (rf"{_HM},?\s(.+)", 3, 1),  # 16:20 17/04/2019
    ):
        if m := re.fullmatch(pattern, text):
            found = (m[at_day], m[at_time], m[at_time + 1])
            break
    if found is None:
        if _date_in(text, lang) is not None:
            raise _Refusal("time_found", check_sentence("time_found", lang))
        raise _Refusal("format", expected("datetime", lang))
    day = _date_in(found[0].strip(), lang)
    hour, minute = int(found[1]), int(found[2])
    if day is None or hour > 23 or minute > 59:
        raise _Refusal("format", expected("datetime", lang))
    moment = datetime(day.year, day.month, day.day, hour, minute)
    if moment > datetime.now():
        raise _Refusal("in_future", reason("in_future", lang))
    return moment.strftime("%Y-%m-%dT%H:%M")


def _choice(options: dict[str, tuple[str, ...]], kind: str) -> Callable[[str, str], str]:
    """A value typed as one of its wordings, folded: "Nữ", "nu", "female" -> female."""
    wordings = {" ".join(w.replace(",", " ").split()): v for v, ws in options.items() for w in ws}

    def read(text: str, lang: str) -> str:
        folded = " ".join(fold(text).replace(",", " ").split())
        if folded in wordings:
            return wordings[folded]
        raise _Refusal("format", expected(kind, lang))

    return read


_SEXES: dict[str, tuple[str, ...]] = {"male": ("male", "nam", "m"), "female": ("female", "nu", "f")}
_OUTCOME_WORDINGS = {v: (v, *ws) for v, ws in _OUTCOMES.items()}
_ROUTE_WORDINGS = {v: (v, *ws) for v, ws in _ROUTES.items()}


def _shaped(pattern: str, kind: str, shape: Callable[[re.Match[str]], str], drop: str = "") -> Any:
    def read(text: str, lang: str) -> str:
        m = re.fullmatch(pattern, re.sub(drop, "", text) if drop else text)
        if m is None:
            raise _Refusal("format", expected(kind, lang))
        return shape(m)

    return read


def _phone(m: re.Match[str]) -> str:
    return "0" + m[2] if m[1] else m[2]


_CANONICAL: dict[str, Callable[[str, str], str]] = {
    "date": _date,
    "datetime": _datetime,
    "sex": _choice(_SEXES, "sex"),
    "outcome": _choice(_OUTCOME_WORDINGS, "outcome"),
    "national_id": _shaped(r"\d{9}|\d{12}", "national_id", lambda m: m[0], r"[\s.\-]"),
    "insurance_number": _shaped(
        r"[A-Za-z]{2}[1-5]\d{12}", "insurance_number", lambda m: m[0].upper(), r"[\s\-]"
    ),
    "phone": _shaped(r"(\+84|84(?=\d{9,10}$))?(0?\d{8,10})", "phone", _phone, r"[\s.\-()]"),
    "icd10": _shaped(r"[A-Za-z]\d{2}(?:\.\d{1,2})?", "icd10", lambda m: m[0].upper(), r"\s"),
    "pulse": _shaped(r"\d{1,3}", "pulse", lambda m: str(int(m[0]))),
    "respiratory_rate": _shaped(r"\d{1,3}", "respiratory_rate", lambda m: str(int(m[0]))),
    "temperature": _shaped(
        r"(\d{1,3})(?:[.,](\d{1,2}))?", "temperature", lambda m: _plain_number(m[1], m[2])
    ),
    "weight": _shaped(
        r"(\d{1,3})(?:[.,](\d{1,2}))?", "weight", lambda m: _plain_number(m[1], m[2])
    ),
    "blood_pressure": _shaped(
        r"(\d{2,3})\s*/\s*(\d{2,3})", "blood_pressure", lambda m: f"{int(m[1])}/{int(m[2])}"
    ),
    "record_number": _shaped(r"[\w/.\-]*\d[\w/.\-]*", "record_number", lambda m: m[0]),
}  # fmt: skip
#: kinds whose parser holds no further check on a canonical value (ranges are in _day)
_NOT_REPARSED = {"date", "datetime", "sex", "outcome"}
_NAME = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)+")


#: a field's own unit typed after its number ("82 lần/phút", "37,5 °C", "55 kg"): left out,
#: as it says nothing the field does not; any other unit (°F, lb) is refused with the value
_OWN_UNIT = {
    "pulse": r"l(?:ần|an)?\s?/\s?ph(?:út|ut)?|/\s?min|bpm",
    "respiratory_rate": r"l(?:ần|an)?\s?/\s?ph(?:út|ut)?|/\s?min",
    "temperature": r"°\s?C|độ\s?C|do\s?C|C",
    "weight": r"kg",
    "blood_pressure": r"mm\s?Hg",
}


def _without_own_unit(kind: str, text: str) -> str:
    unit = _OWN_UNIT.get(kind)
    if unit is None:
        return text
    return re.sub(rf"(?<=\d)\s*(?:{unit})$", "", text, flags=re.IGNORECASE)


def _refusing(failed: tuple[str, ...], lang: str) -> None:
    checks = load_registry().checks
    for name in failed:
        if name not in checks or checks[name].refuses_typed:
            raise _Refusal(name, check_sentence(name, lang))


def _one_value(kind: str, text: str, lang: str) -> str:
    if not text:
        raise _Refusal("empty", reason("empty", lang))
    parser = PARSERS.get(kind, PARSERS["text"])
    if kind in _CANONICAL:
        value = _CANONICAL[kind](_without_own_unit(kind, text), lang)
        if kind in _NOT_REPARSED:
            return value
        parsed = parser(value)
        if parsed is None:
            raise _Refusal("format", expected(kind, lang))
        _refusing(parsed.checks_failed, lang)
        if parsed.value != value:  # the parser would save another value than was typed
            raise _Refusal("not_read_back", reason("not_read_back", lang, saved=parsed.value))
        return value
    if kind in ("person_name", "physician_name") and not _NAME.fullmatch(text):
        raise _Refusal("format", expected(kind, lang))
    parsed = parser(text)
    if parsed is None:
        raise _Refusal("format", expected(kind, lang))
    _refusing(parsed.checks_failed, lang)
    return text


# --- medications: four parts, each with its own check ----------------------------------------

_DRUG_NAME = re.compile(r"[^\W\d_][\w\-+/ ]{1,48}")
_FREQUENCY_REST = re.compile(r"[\s/.,]*(?:ngay|day|daily)?[\s.]*")


def _drug(text: str, lang: str) -> str:
    if not _DRUG_NAME.fullmatch(text) or len(text.split()) > 5:
        raise _Refusal("format", expected("medication_name", lang))
    return text


def _dose(text: str, lang: str) -> str:
    m = _STRENGTH.fullmatch(text)
    if m is None:
        raise _Refusal("strength_found", expected("medication_strength", lang))
    return _strength(m[1], m[2])


def _route(text: str, lang: str) -> str:
    try:
        return _choice(_ROUTE_WORDINGS, "medication")(text, lang)
    except _Refusal:
        raise _Refusal("route_unknown", reason("route_unknown", lang)) from None


def _per_day(text: str, lang: str) -> str:
    folded = " ".join(fold(text).split())
    for pattern in _FREQUENCY:
        m = pattern.search(folded)
        rest = folded[: m.start()] + folded[m.end() :] if m else folded
        if m and _FREQUENCY_REST.fullmatch(rest) and (words := _frequency(folded)):
            return words
    for n in range(1, 13):
        if folded == fold(frequency_words(n)):
            return frequency_words(n)
    raise _Refusal("frequency_unknown", reason("frequency_unknown", lang))


_PART_READERS: dict[str, Callable[[str, str], str]] = {
    "name": _drug, "strength": _dose, "route": _route, "frequency": _per_day,
}  # fmt: skip
#: parts a chart may not print: left empty, they are saved as null
_OPTIONAL_PARTS = {"route", "frequency"}


def _medication(raw: Typed, lang: str) -> Checked:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    items = list_spec("medications").items
    if not isinstance(raw, dict) or set(raw) - set(items):
        return Checked(None, reason("medication_parts", lang), "medication_parts")
    parts: dict[str, Checked] = {}
    for part in items:
        typed = raw.get(part)
        text = tidy(typed) if isinstance(typed, str) else "" if typed is None else None
        if text is None:
            parts[part] = Checked(None, reason("medication_parts", lang), "medication_parts")
        elif not text and part in _OPTIONAL_PARTS:
            parts[part] = Checked(None, None)
        elif not text:
            parts[part] = Checked(None, reason("empty", lang), "empty")
        else:
            try:
                parts[part] = Checked(_PART_READERS[part](text, lang), None)
            except _Refusal as refused:
                parts[part] = Checked(None, refused.sentence, refused.code)
    wrong = next((p for p in parts.values() if not p.ok), None)
    if wrong is not None:
        return Checked(None, wrong.reason, wrong.code, parts)
    value = json.dumps({k: parts[k].value for k in items}, ensure_ascii=False)
    return Checked(value, None, None, parts)


def check_value(key: str, raw: Typed, lang: str = "en") -> Checked:
    """The value to save for field ``key`` as typed, or why it cannot be (in ``lang``)."""
    kind = value_kind(key)
    if kind is None:
        return Checked(None, reason("unknown_field", lang), "unknown_field")
    if kind == "medication":
        return _medication(raw, lang)
    try:
        return Checked(_one_value(kind, _as_text(raw, kind, lang), lang), None)
    except _Refusal as refused:
        return Checked(None, refused.sentence, refused.code)
