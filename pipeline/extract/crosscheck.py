"""Hold a chart's fields against each other: CCCD vs sex and birth, dates in order, weight."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache

from pipeline.extract.lexicon import languages, load_lexicon
from pipeline.extract.text import nfc
from pipeline.extract.values import cccd_sex_and_century
from pipeline.extract.vocabulary import code_for_title
from pipeline.models import FieldCandidate


def _with_check(c: FieldCandidate, name: str, ok: bool) -> FieldCandidate:
    if ok:
        return replace(c, checks_passed=c.checks_passed + (name,))
    return replace(c, checks_failed=c.checks_failed + (name,))


#: the longest inpatient stay taken as plausible without a person's look
MAX_STAY_DAYS = 366


def _weight_fits_age(kg: float, years: float) -> bool:
    """Far outside what anyone weighs at that age: an adult under 25 kg, an infant over 25."""
    return not (years >= 16 and kg < 25) and not (years < 2 and kg > 25)


#: free-text fields whose value a label's or a heading's words may stand in for
_FREE_TEXT = frozenset(
    {
        "patient.full_name",
        "patient.occupation",
        "patient.address",
        "encounter.department",
        "encounter.admission_diagnosis",
        "encounter.discharge_diagnosis",
        "encounter.attending_physician",
    }
)


@lru_cache(maxsize=1)
def _label_words() -> frozenset[str]:
    """Every word the lexicons' labels print, in lower case with its marks."""
    return frozenset(
        w for lang in languages() for p in load_lexicon(lang).printed for w in _words(p)
    )


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", nfc(text).lower())


LABEL_WORDS = "only_label_words"


def only_label_words(c: FieldCandidate) -> bool:
    """A free-text value made of labels' words alone, and no term of its field's vocabulary:
    a label or a heading read as the value ("bệnh" of "Chẩn đoán bệnh", "ĐIỀU TRỊ",
    "Address" of "Địa chỉ / Address"), not what was written in the field."""
    if c.key not in _FREE_TEXT or not c.value:
        return False
    words = _words(c.value)
    if words and all(w in _label_words() for w in words):
        return "known_term" not in c.checks_passed  # a department named so: "Khám bệnh"
    # the words read, before the vocabulary put them right: "Buồng" (a room's label) is no
    # "Bỏng" (the burns department)
    read = _words(c.raw_text)
    return bool(read) and read != words and all(w in _label_words() for w in read)


def cross_check(cands: list[FieldCandidate]) -> list[FieldCandidate]:
    """Hold fields against each other: CCCD vs sex and birth year; birth < admission <
    discharge, and a stay of at most a year; weight vs age. And each free-text value against
    the labels: words of labels alone are no value."""
    by_key = {
        c.key: _with_check(c, LABEL_WORDS, False)
        if only_label_words(c) and LABEL_WORDS not in c.checks_failed
        else c
        for c in cands
    }

    def value(key: str) -> str | None:
        c = by_key.get(key)
        return c.value if c else None

    cccd, sex, birth = (
        value(k) for k in ("patient.national_id", "patient.sex", "patient.birth_date")
    )
    if cccd and len(cccd) == 12 and (coded := cccd_sex_and_century(cccd)):
        coded_sex, century = coded
        if sex:
            ok = coded_sex == sex
            for k in ("patient.national_id", "patient.sex"):
                by_key[k] = _with_check(by_key[k], "cccd_matches_sex", ok)
        if birth:
            ok = century + int(cccd[4:6]) == int(birth[:4])
            for k in ("patient.national_id", "patient.birth_date"):
                by_key[k] = _with_check(by_key[k], "cccd_matches_birth_year", ok)

    def moment(key: str) -> datetime | None:
        v = value(key)
        if not v:
            return None
        return (
            datetime.fromisoformat(v)
            if "T" in v
            else datetime.combine(date.fromisoformat(v), datetime.min.time())
        )

    chain = ["patient.birth_date", "encounter.admission_time", "encounter.discharge_time"]
    # the checks' names are literal: every name the extractor emits is in schemas/checks.json
    order_checks = ("birth_date_before_admission_time", "admission_time_before_discharge_time")
    for earlier, later, name in zip(chain[:-1], chain[1:], order_checks, strict=True):
        a, b = moment(earlier), moment(later)
        if a and b:
            ok = a <= b
            for k in (earlier, later):
                by_key[k] = _with_check(by_key[k], name, ok)
    # An inpatient stay lasts days or weeks: a year misread in one date ("2067" for "2007")
    # leaves the order right but the stay decades long.
    admitted, discharged = moment(chain[1]), moment(chain[2])
    if admitted and discharged and admitted <= discharged:
        ok = (discharged - admitted).days <= MAX_STAY_DAYS
        for k in chain[1:]:
            by_key[k] = _with_check(by_key[k], "stay_length", ok)
    # A weight the patient's age rules out: a number misread short ("5" for "55" kg)
    weight, born = value("vitals.weight"), moment(chain[0])
    seen = admitted or discharged
    if weight and born and seen and born <= seen:
        ok = _weight_fits_age(float(weight), (seen - born).days / 365.25)
        by_key["vitals.weight"] = _with_check(by_key["vitals.weight"], "weight_fits_age", ok)
    # A code the chart's page lost or garbled, its diagnosis an ICD-10 title: the title's one
    # code, for a person to confirm against the chart
    code, diagnosis = (by_key.get(k) for k in ("encounter.discharge_icd10", _DIAGNOSIS))
    found = code_for_title(diagnosis.value) if diagnosis and diagnosis.value else None
    if code and diagnosis and code.value is None and found:
        by_key[code.key] = replace(
            code,
            value=found,
            page=code.page or diagnosis.page,
            bbox=code.bbox or diagnosis.bbox,
            ocr_confidence=diagnosis.ocr_confidence,
            rule=f"{code.rule}+title",
            checks_passed=("known_code",),
            checks_failed=("code_from_title",),
        )
    return [by_key[c.key] for c in cands]


_DIAGNOSIS = "encounter.discharge_diagnosis"
