"""Validators for a reviewer's typed value: the same parsers the pipeline reads with, plus a
reason in words when the value is refused."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.extract.values import PARSERS
from schemas.catalogue import field_spec, split_list_key

_REASONS = {
    "plausible_year": "the year is not plausible",
    "time_found": "the time is missing: write it as HH:MM with the date",
    "cccd_province": "a CCCD starts with a real province code",
    "cccd_century_sex": "the 4th digit of a CCCD must be 0-3 (century and sex)",
    "bhyt_group": "the first two letters are not a BHYT group code",
    "bhyt_province": "digits 4-5 must be a province code",
    "boxed_code": "write the ICD-10 code with its dot, e.g. J18.9",
    "plausible_range": "the value is outside the physiological range",
    "vn_phone_format": "a Vietnamese number has 10 digits from 0 (or 11 on old mobiles)",
    "route_known": "the route is missing (uống, tiêm tĩnh mạch, tiêm bắp, tiêm dưới da, bôi)",
    "frequency_known": "the frequency is missing, e.g. 2 lần/ngày",
    "decimal_point": "write the temperature with its decimal point, e.g. 37.4",
    "code_read_exactly": "not a real ICD-10 code: check the letter and digits, e.g. J18.9",
    "letter_from_digit": "an ICD-10 code starts with a letter, e.g. O82.9",
    "letter_read_exactly": "an ICD-10 code starts with a letter, e.g. I20.9 or J20.9",
}
_EXPECTED = {
    "date": "a real date, e.g. 12/03/1965",
    "datetime": "a date and time, e.g. 08:30 15/06/2012",
    "sex": "Nam / Nữ (male / female)",
    "national_id": "12 digits (CCCD) or 9 digits (CMND)",
    "insurance_number": "15 characters, e.g. DN4791234567890",
    "icd10": "an ICD-10 code, e.g. J18.9",
    "person_name": "a full name of at least two words, letters only",
    "physician_name": "a full name of at least two words, letters only",
    "phone": "a phone number, e.g. 0912 345 678",
    "outcome": "Khỏi / Đỡ, giảm / Không thay đổi / Nặng hơn / Tử vong",
    "pulse": "a pulse in beats per minute, e.g. 82",
    "temperature": "a temperature in °C, e.g. 37,5",
    "blood_pressure": "a blood pressure as SYS/DIA, e.g. 120/80",
    "respiratory_rate": "breaths per minute, e.g. 18",
    "weight": "a weight in kg, e.g. 55,5",
    "record_number": "the chart number as printed, e.g. BA24-09747",
    "medication": "a prescription line, e.g. Paracetamol 500 mg, uống, 3 lần/ngày",
}
#: the value type of a list's entries (a reviewer corrects one entry at a time)
_LIST_TYPES = {"medications": "medication", "secondary_icd10": "icd10"}


@dataclass(frozen=True)
class Checked:
    value: str | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.reason is None


def check_value(key: str, raw: str) -> Checked:
    """Normalise a typed value for field ``key`` or say why it cannot be accepted."""
    listed = split_list_key(key)
    kind = _LIST_TYPES[listed[0]] if listed else field_spec(key).type
    text = raw.strip()
    if not text:
        return Checked(None, "empty: type the value, or mark the field as not on the chart")
    parsed = PARSERS.get(kind, PARSERS["text"])(text)
    if parsed is None:
        return Checked(None, f"not {_EXPECTED.get(kind, 'a value')}")
    # what a person typed is held to formats and ranges, not to lists a value may be missing
    # from (a surname, an ethnic group, a national ICD-10 extension, a new province), nor to
    # what is only unusual (a pulse of 199 that is on the chart)
    failed = [
        c for c in parsed.checks_failed
        if c not in {"known_surname", "known_ethnic_group", "known_code", "known_province",
                     "route_read_exactly", "frequency_read_exactly", "outcome_read_exactly",
                     "diagnosis_cut_short",
                     "capitalised", "vietnamese_spelling", "diagnosis_marks", "given_name_marks",
                     "unusual_value"}
    ]  # fmt: skip
    if failed:
        return Checked(None, _REASONS.get(failed[0], f"failed check {failed[0]}"))
    return Checked(parsed.value, None)
