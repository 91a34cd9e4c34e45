"""Validators for a reviewer's typed value: the same parsers the pipeline reads with, plus a
reason in words when the value is refused."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.extract.values import PARSERS
from schemas.catalogue import field_spec

_REASONS = {
    "plausible_year": "the year is not plausible",
    "time_found": "the time is missing: write it as HH:MM with the date",
    "cccd_province": "a CCCD starts with a real province code",
    "cccd_century_sex": "the 4th digit of a CCCD must be 0-3 (century and sex)",
    "bhyt_group": "the first two letters are not a BHYT group code",
    "bhyt_province": "digits 4-5 must be a province code",
    "boxed_code": "write the ICD-10 code with its dot, e.g. J18.9",
}
_EXPECTED = {
    "date": "a real date, e.g. 12/03/1965",
    "datetime": "a date and time, e.g. 08:30 15/06/2012",
    "sex": "Nam / Nữ (male / female)",
    "national_id": "12 digits (CCCD) or 9 digits (CMND)",
    "insurance_number": "15 characters, e.g. DN4791234567890",
    "icd10": "an ICD-10 code, e.g. J18.9",
    "person_name": "a full name of at least two words, letters only",
}


@dataclass(frozen=True)
class Checked:
    value: str | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.reason is None


def check_value(key: str, raw: str) -> Checked:
    """Normalise a typed value for field ``key`` or say why it cannot be accepted."""
    spec = field_spec(key)
    text = raw.strip()
    if not text:
        return Checked(None, "empty: type the value, or mark the field as not on the chart")
    parsed = PARSERS.get(spec.type, PARSERS["text"])(text)
    if parsed is None:
        return Checked(None, f"not {_EXPECTED.get(spec.type, 'a value')}")
    failed = [c for c in parsed.checks_failed if c != "known_surname"]
    if failed:
        return Checked(None, _REASONS.get(failed[0], f"failed check {failed[0]}"))
    return Checked(parsed.value, None)
