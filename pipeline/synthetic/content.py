"""Random but plausible, self-consistent chart content, and the truth kept beside each scan."""

from __future__ import annotations

import dataclasses
import functools
import json
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

FIELD_KEYS: tuple[str, ...] = (
    "patient.full_name",
    "patient.birth_date",
    "patient.sex",
    "patient.ethnicity",
    "patient.occupation",
    "patient.address",
    "patient.national_id",
    "patient.insurance_number",
    "patient.phone",
    "encounter.record_number",
    "encounter.department",
    "encounter.admission_time",
    "encounter.discharge_time",
    "encounter.admission_diagnosis",
    "encounter.discharge_diagnosis",
    "encounter.discharge_icd10",
    "encounter.outcome",
    "encounter.attending_physician",
    "vitals.pulse",
    "vitals.temperature",
    "vitals.blood_pressure",
    "vitals.respiratory_rate",
    "vitals.weight",
)

LANGUAGES: tuple[str, ...] = ("vi", "en")
OUTCOMES: tuple[str, ...] = ("recovered", "improved", "unchanged", "worse", "deceased")

# Charts are dated 1995-2024; discharge stays inside 2024.
FIRST_ADMISSION = date(1995, 1, 1)
LAST_ADMISSION = date(2024, 11, 30)


@dataclass(frozen=True)
class ChartTruth:
    """What one synthetic chart says, in the exported normalised formats of docs/fields.md.

    `field_pages` maps every field key to the 1-based page it is printed on, and also
    `medications` and `secondary_icd10` when that section is printed (an empty secondary list
    is sometimes printed as "Không"/"None", sometimes left out). `page_meta` lists, per page,
    the degradation applied:
    `skew_deg` is the counter-clockwise rotation (as seen on screen) of the page content,
    `upside_down` whether the page was additionally turned 180 degrees.
    """

    document: str
    language: str
    pages: int
    dpi: int
    fields: dict[str, str]
    medications: list[dict[str, str]]
    secondary_icd10: list[str]
    field_pages: dict[str, int]
    page_meta: list[dict[str, Any]]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, indent=1, sort_keys=True)


def load_truth(path: Path | str) -> ChartTruth:
    """Reads a truth file written by generate_charts; rejects files with missing or unknown keys."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    expected = {f.name for f in dataclasses.fields(ChartTruth)}
    if not isinstance(data, dict) or set(data) != expected:
        got = set(data) if isinstance(data, dict) else set()
        raise ValueError(
            f"{path}: not a chart truth file (missing {sorted(expected - got)}, "
            f"unknown {sorted(got - expected)})"
        )
    missing = [k for k in FIELD_KEYS if k not in data["fields"]]
    if missing:
        raise ValueError(f"{path}: truth lacks fields {missing}")
    return ChartTruth(**data)


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    return value


@functools.cache
def load_data(name: str) -> Any:
    """One of the JSON lists in pipeline/synthetic/data, all strings NFC."""
    path = resources.files("pipeline.synthetic").joinpath("data").joinpath(f"{name}.json")
    text = path.read_text("utf-8")
    return _nfc(json.loads(text))


def ascii_fold(text: str) -> str:
    """Vietnamese without diacritics, as English forms often print it."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


def format_number(value: float) -> str:
    """The normalised spelling of a measured number: no trailing zeros ("37", "37.5")."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _weighted(rng: random.Random, items: list[Any], weights: list[float]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


@dataclass(frozen=True)
class Medication:
    name: str  # normalised (INN, English)
    printed_name: dict[str, str]  # per language
    strength: str
    route: str
    per_day: int

    def normalised(self) -> dict[str, str]:
        freq = load_data("drugs")["frequencies"][str(self.per_day)]["normalised"]
        return {
            "name": self.name,
            "strength": self.strength,
            "route": self.route,
            "frequency": freq,
        }


@dataclass(frozen=True)
class Diagnosis:
    code: str
    title: dict[str, str]  # "vi", "en"


@dataclass(frozen=True)
class ChartContent:
    """Everything printed on one chart: `fields` holds the truth values; the rest is what the
    renderer needs to print them (real dates, numbers, codes) and the non-field text."""

    language: str
    fields: dict[str, str]
    sex: str
    birth_date: date
    age: int
    admission: datetime
    discharge: datetime
    national_id_kind: str  # "cccd" | "cmnd"
    outcome: str
    principal: Diagnosis
    secondary: list[Diagnosis]
    medications: list[Medication]
    pulse: int
    temperature: float
    systolic: int
    diastolic: int
    respiratory_rate: int
    weight: float
    province: dict[str, Any]
    hospital: str
    health_department: str
    form: str  # key of departments.json "forms"
    bed: str
    health_code: str
    reason: str
    relative: str | None
    head_of_department: str


def _vietnamese_name(rng: random.Random, sex: str, birth_year: int) -> str:
    names = load_data("names")
    surnames = [s for s, _ in names["surnames"]]
    surname = _weighted(rng, surnames, [w for _, w in names["surnames"]])
    classic_share = 0.8 if birth_year < 1970 else 0.55 if birth_year < 1990 else 0.25
    classic = rng.random() < classic_share
    pool = names["middle"][f"{sex}_{'classic' if classic else 'modern'}"]
    common = "Văn" if sex == "male" else "Thị"
    middle = [common if classic and rng.random() < 0.6 else rng.choice(pool)]
    if rng.random() < 0.12:  # four-syllable names, "Nguyễn Thị Thu Hà"
        second = rng.choice(names["middle"][f"{sex}_modern"])
        if second not in middle:
            middle.append(second)
    given = rng.choice(names["given"][sex])
    while given in middle:
        given = rng.choice(names["given"][sex])
    return " ".join([surname, *middle, given])


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _pick_diagnosis(rng: random.Random, admission: date) -> dict[str, Any]:
    codes = [
        c
        for c in load_data("icd10")["codes"]
        if "covid" not in c["flags"] or admission.year >= 2020
    ]
    return dict(_weighted(rng, codes, [c["weight"] for c in codes]))


def _pick_age(rng: random.Random, entry: dict[str, Any]) -> int:
    lo, hi = entry["age"]
    # Inpatients skew old, but every age in the range occurs.
    if rng.random() < 0.5:
        return rng.randint(lo, hi)
    return min(hi, max(lo, int(rng.triangular(lo, hi, lo + 0.7 * (hi - lo)))))


def _department(rng: random.Random, entry: dict[str, Any], age: int) -> str:
    adult = [d for d in entry["depts"] if d != "paediatrics"] or ["internal"]
    if age >= 16:
        return str(rng.choice(adult))
    dept = str(rng.choice(entry["depts"]))
    if dept in ("surgery", "orthopaedics", "obstetrics", "paediatrics"):
        return dept
    # Children go to the paediatric ward, except some to the infectious diseases ward.
    return "infectious" if dept == "infectious" and rng.random() < 0.4 else "paediatrics"


def _cccd(rng: random.Random, province_code: str, sex: str, birth: date) -> str:
    century = 0 if birth.year < 2000 else 2
    digit = century + (0 if sex == "male" else 1)
    return f"{province_code}{digit}{birth.year % 100:02d}{rng.randrange(10**6):06d}"


def _cmnd(rng: random.Random) -> str:
    # Old 9-digit identity cards; the first digits were a regional prefix.
    return f"{rng.randint(0, 3)}{rng.randrange(10**8):08d}"


def _insurance(rng: random.Random, province_code: str, age: int, ethnicity: str) -> str:
    groups = [
        g
        for g in load_data("insurance")["groups"]
        if g["min_age"] <= age <= g["max_age"] and (g["code"] != "DT" or ethnicity != "Kinh")
    ]
    group = _weighted(rng, groups, [g["weight"] for g in groups])
    level = rng.choice(group["levels"])
    return f"{group['code']}{level}{province_code[-2:]}{rng.randrange(10**10):010d}"


def _phone(rng: random.Random, year: int, province: dict[str, Any]) -> str:
    if year < 2008 and rng.random() < 0.5:
        # Landline with the area codes used before the 2017 renumbering.
        area = {"001": "04", "079": "08", "031": "031", "048": "0511", "092": "0710"}.get(
            province["code"], f"0{rng.randint(20, 79)}"
        )
        rest = 8 if len(area) == 2 else 7
        return area + f"{rng.randrange(10**rest):0{rest}d}"
    if 2008 <= year < 2018 and rng.random() < 0.35:
        prefix = rng.choice(["0168", "0169", "0123", "0124", "0122", "0166", "0121", "0128"])
        return prefix + f"{rng.randrange(10**7):07d}"
    if year < 2018:
        prefix = rng.choice(["090", "091", "093", "094", "097", "098", "095"])
    else:
        prefix = rng.choice(
            [
                "090",
                "091",
                "093",
                "094",
                "096",
                "097",
                "098",
                "086",
                "088",
                "089",
                "032",
                "033",
                "034",
                "035",
                "036",
                "037",
                "038",
                "039",
                "070",
                "077",
                "079",
                "081",
                "083",
                "085",
            ]
        )
    return prefix + f"{rng.randrange(10**7):07d}"


def _address(rng: random.Random, province: dict[str, Any], language: str) -> str:
    places = load_data("provinces")
    district = rng.choice(province["districts"])
    urban = not district.startswith("huyện")
    if urban:
        ward = rng.choice(places["wards"])
        if district.startswith("Quận") and rng.random() < 0.5:
            ward_text = f"phường {rng.randint(1, 15)}"
        else:
            ward_text = f"phường {ward}"
        street = f"{rng.randint(1, 350)} {rng.choice(places['streets'])}"
        if rng.random() < 0.3:
            street = f"Số {street}"
        parts = [street, ward_text, district]
    else:
        hamlet = rng.choice(places["hamlets"][province["region"]])
        parts = [hamlet, f"xã {rng.choice(places['communes'])}", district]
    if province.get("city"):
        name = province["name"]
        prov = (
            rng.choice([f"TP {name}", f"TP. {name}", f"Thành phố {name}"])
            if name == "Hồ Chí Minh"
            else rng.choice([name, f"TP {name}"])
        )
    else:
        prov = rng.choice([f"tỉnh {province['name']}", province["name"]])
    parts.append(prov)
    text = ", ".join(parts)
    if rng.random() < 0.25:  # the abbreviations clerks use
        text = (
            text.replace("phường ", "P. ")
            .replace("xã ", "X. ")
            .replace("quận ", "Q. ")
            .replace("Quận ", "Q.")
            .replace("huyện ", "H. ")
            .replace("thành phố ", "TP. ")
            .replace("tỉnh ", "T. ")
        )
    text = text[0].upper() + text[1:]
    if language == "en" and rng.random() < 0.4:
        text = ascii_fold(text)
    return " ".join(text.split())


def _ethnicity(rng: random.Random, region: str) -> str:
    groups = load_data("ethnicities")["groups"]
    if rng.random() < 0.86:
        return "Kinh"
    local = [g for g in groups if region in g["regions"] and g["name"] != "Kinh"]
    return str(_weighted(rng, local, [g["weight"] for g in local])["name"])


def _occupation(rng: random.Random, age: int, language: str) -> str:
    jobs = [
        o for o in load_data("occupations")["occupations"] if o["min_age"] <= age <= o["max_age"]
    ]
    return str(rng.choice(jobs)[language])


def _record_number(rng: random.Random, admission: date) -> str:
    seq = rng.randint(1, 99999)
    style = rng.randrange(5)
    if style == 0:
        return f"{seq:06d}"
    if style == 1:
        return f"{admission.year}/{seq:05d}"
    if style == 2:
        return f"BA{admission.year % 100:02d}-{seq:05d}"
    if style == 3:
        return f"{seq}/{admission.year % 100:02d}"
    return f"{admission.year % 100:02d}{seq:06d}"


def _minute(rng: random.Random) -> int:
    return rng.randrange(0, 60, 5) if rng.random() < 0.5 else rng.randrange(60)


def _vitals(
    rng: random.Random, entry: dict[str, Any], age: int
) -> tuple[int, float, int, int, int, float]:
    flags = entry["flags"]
    fever = "fever" in flags and rng.random() < 0.8
    temperature = round(rng.uniform(37.8, 39.9), 1) if fever else round(rng.uniform(36.3, 37.4), 1)
    if age < 1:
        pulse, rr = rng.randint(110, 160), rng.randint(30, 50)
        sys_, dia = rng.randrange(70, 91, 5), rng.randrange(40, 56, 5)
    elif age < 6:
        pulse, rr = rng.randint(90, 135), rng.randint(22, 36)
        sys_, dia = rng.randrange(80, 106, 5), rng.randrange(50, 66, 5)
    elif age < 13:
        pulse, rr = rng.randint(75, 115), rng.randint(18, 28)
        sys_, dia = rng.randrange(90, 116, 5), rng.randrange(55, 76, 5)
    else:
        pulse, rr = rng.randint(64, 96), rng.randint(16, 22)
        if "htn" in flags and rng.random() < 0.8:
            sys_, dia = rng.randrange(140, 196, 5), rng.randrange(85, 111, 5)
        else:
            sys_, dia = rng.randrange(100, 146, 5), rng.randrange(60, 91, 5)
        if "severe" in flags and rng.random() < 0.3:
            sys_, dia = rng.randrange(80, 96, 5), rng.randrange(45, 61, 5)
    if fever:
        pulse += int((temperature - 37.0) * 10)
    if "resp" in flags and rng.random() < 0.7:
        rr += rng.randint(3, 10)
    dia = min(dia, sys_ - 25)
    if age < 1:
        weight = rng.uniform(2.6, 9.5)
    elif age < 13:
        weight = (8 + 2.3 * age) * rng.uniform(0.85, 1.2)
    elif age < 18:
        weight = rng.uniform(35, 62)
    else:
        weight = rng.uniform(42, 82)
    weight = round(weight * 2) / 2 if weight >= 10 else round(weight, 1)
    if weight >= 10 and rng.random() < 0.6:
        weight = float(round(weight))
    return pulse, temperature, sys_, dia, rr, weight


def _medications(
    rng: random.Random, entry: dict[str, Any], secondary: list[dict[str, Any]]
) -> list[Medication]:
    drugs = load_data("drugs")["drugs"]
    own = list(entry["drug_tags"])
    rng.shuffle(own)
    extra = [t for s in secondary for t in s["drug_tags"]]
    rng.shuffle(extra)
    count = rng.randint(1, 5)
    chosen: list[dict[str, Any]] = []
    used: set[str] = set()
    # One drug per indication, so a chart does not list four drugs of one class.
    for tag in [*own, *extra, "general"]:
        if len(chosen) >= count:
            break
        if tag in used:
            continue
        pool = [
            d
            for d in drugs
            if tag in d["tags"]
            and all(d["name"] != c["name"] for c in chosen)
            and not set(d["tags"]) & (used - {"general", "pain"})
        ]
        if pool:
            pick = rng.choice(pool)
            chosen.append(pick)
            used |= set(pick["tags"])
    return [
        Medication(
            name=d["name"],
            printed_name={"vi": d.get("vi_name", d["name"]), "en": d["name"]},
            strength=d["strength"],
            route=d["route"],
            per_day=rng.choice(d["freqs"]),
        )
        for d in chosen
    ]


def _secondary(
    rng: random.Random, entry: dict[str, Any], age: int, sex: str
) -> list[dict[str, Any]]:
    if age < 30:
        count = 1 if rng.random() < 0.1 else 0
    else:
        count = _weighted(rng, [0, 1, 2, 3], [0.4, 0.32, 0.18, 0.1])
    pool = [
        c
        for c in load_data("icd10")["codes"]
        if "comorbid" in c["flags"]
        and c["code"][:3] != entry["code"][:3]
        and c["age"][0] <= age
        and not ({"male", "female"} - {sex}) & set(c["flags"])
    ]
    rng.shuffle(pool)
    picked: list[dict[str, Any]] = []
    for c in pool:
        if len(picked) >= count:
            break
        if all(p["code"][:3] != c["code"][:3] for p in picked):
            picked.append(c)
    return picked


def _admission_diagnosis(rng: random.Random, entry: dict[str, Any], language: str) -> str:
    title: str = entry[language]
    roll = rng.random()
    if roll < 0.5:
        return title
    if roll < 0.8 and entry["related"]:
        codes = {c["code"]: c for c in load_data("icd10")["codes"]}
        return str(codes[rng.choice(entry["related"])][language])
    lowered = title[0].lower() + title[1:] if title[1:2].islower() else title
    return f"Theo dõi {lowered}" if language == "vi" else f"Suspected {lowered}"


def _outcome(rng: random.Random, entry: dict[str, Any]) -> str:
    flags = entry["flags"]
    deceased = 0.0 if entry["code"].startswith(("O", "P")) else 0.1 if "severe" in flags else 0.012
    weights = [0.36, 0.5, 0.07, 0.045, deceased]
    return str(_weighted(rng, list(OUTCOMES), weights))


def _hospital(rng: random.Random, province: dict[str, Any], language: str) -> tuple[str, str]:
    places = load_data("provinces")
    provinces = places["provinces"]
    where = province
    if rng.random() < 0.15:  # referred to a central hospital
        code = rng.choice(["001", "079", "046"])
        where = next(p for p in provinces if p["code"] == code)
    named = places["hospitals"].get(where["code"])
    if named and rng.random() < 0.6:
        hospital = rng.choice(named[language])
    elif language == "vi":
        kind = "TỈNH" if not where.get("city") else "THÀNH PHỐ"
        hospital = f"BỆNH VIỆN ĐA KHOA {kind} {where['name'].upper()}"
    else:
        hospital = f"{where['ascii'].upper()} GENERAL HOSPITAL"
    if language == "vi":
        if hospital in places["central_hospitals"]:
            dept_line = "BỘ Y TẾ"
        else:
            dept_line = "SỞ Y TẾ " + (
                "TP. HỒ CHÍ MINH" if where["code"] == "079" else where["name"].upper()
            )
    else:
        dept_line = rng.choice(
            ["MINISTRY OF HEALTH", f"{where['ascii'].upper()} DEPARTMENT OF HEALTH"]
        )
    return hospital, dept_line


def make_content(rng: random.Random, language: str) -> ChartContent:
    """Draws one patient stay; every value agrees with the others (fields.md's checks)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown chart language {language!r}: use one of {LANGUAGES}")
    places = load_data("provinces")
    span = (LAST_ADMISSION - FIRST_ADMISSION).days
    admit_day = FIRST_ADMISSION + timedelta(days=rng.randrange(span + 1))
    entry = _pick_diagnosis(rng, admit_day)
    flags = entry["flags"]
    if "newborn" in flags:
        birth = admit_day - timedelta(days=rng.randint(1, 20))
    else:
        # CCCD century digits cover births from 1900 on.
        age_years = min(_pick_age(rng, entry), admit_day.year - 1905)
        birth = date(admit_day.year - age_years, 1, 1) + timedelta(days=rng.randrange(365))
        if birth >= admit_day:
            birth = admit_day - timedelta(days=rng.randint(30, 300))
    age = _age_on(birth, admit_day)
    sex = (
        "male"
        if "male" in flags
        else "female"
        if "female" in flags
        else rng.choice(["male", "female"])
    )

    provinces = places["provinces"]
    weights = [
        9.0 if p["code"] in ("001", "079") else 3.0 if p.get("city") else 1.0 for p in provinces
    ]
    province = _weighted(rng, provinces, weights)
    ethnicity = _ethnicity(rng, province["region"])
    name = _vietnamese_name(rng, sex, birth.year).upper()
    if language == "en":
        roll = rng.random()
        if roll < 0.3:
            name = ascii_fold(name)
        elif roll < 0.4:
            eng = load_data("names")["english"]
            name = f"{rng.choice(eng[sex])} {rng.choice(eng['surnames'])}"

    dept_key = _department(rng, entry, age)
    dept = load_data("departments")["departments"][dept_key]

    stay = max(1, min(30, int(rng.lognormvariate(1.75, 0.55))))
    if entry["code"].startswith("O8"):
        stay = rng.randint(2, 5)
    admission = datetime(
        admit_day.year, admit_day.month, admit_day.day, rng.randrange(24), _minute(rng)
    )
    outcome = _outcome(rng, entry)
    out_day = admit_day + timedelta(days=stay)
    out_hour = rng.randrange(24) if outcome == "deceased" else rng.randint(7, 17)
    discharge = datetime(out_day.year, out_day.month, out_day.day, out_hour, _minute(rng))

    # The 12-digit CCCD replaced the 9-digit CMND from 2016; old charts mostly carry a CMND,
    # but the personal number was printed on many older charts too (about 15% CMND overall).
    cmnd_share = 0.2 if admit_day.year < 2016 else 0.02
    kind = "cmnd" if age >= 14 and rng.random() < cmnd_share else "cccd"
    national_id = _cmnd(rng) if kind == "cmnd" else _cccd(rng, province["code"], sex, birth)
    secondary = _secondary(rng, entry, age, sex)
    meds = _medications(rng, entry, secondary)
    pulse, temperature, systolic, diastolic, rr, weight = _vitals(rng, entry, age)
    hospital, dept_line = _hospital(rng, province, language)
    physician = _vietnamese_name(rng, rng.choice(["male", "female"]), rng.randint(1950, 1995))
    head = _vietnamese_name(rng, rng.choice(["male", "female"]), rng.randint(1950, 1985))
    if language == "en" and rng.random() < 0.4:
        physician, head = ascii_fold(physician), ascii_fold(head)

    reasons = load_data("labels")["text"][language]["reasons"]
    relative = None
    if rng.random() < 0.3:
        rel_sex = rng.choice(["male", "female"])
        rel_name = _vietnamese_name(rng, rel_sex, rng.randint(1940, 2000))
        relation = {
            "vi": {
                "male": ["chồng", "con trai", "bố", "anh trai"],
                "female": ["vợ", "con gái", "mẹ", "chị gái"],
            },
            "en": {
                "male": ["husband", "son", "father", "brother"],
                "female": ["wife", "daughter", "mother", "sister"],
            },
        }
        relative = f"{rel_name} ({rng.choice(relation[language][rel_sex])})"

    fields = {
        "patient.full_name": " ".join(name.split()),
        "patient.birth_date": birth.isoformat(),
        "patient.sex": sex,
        "patient.ethnicity": ethnicity,
        "patient.occupation": _occupation(rng, age, language),
        "patient.address": _address(rng, province, language),
        "patient.national_id": national_id,
        "patient.insurance_number": _insurance(rng, province["code"], age, ethnicity),
        "patient.phone": _phone(rng, admit_day.year, province),
        "encounter.record_number": _record_number(rng, admit_day),
        "encounter.department": dept[language],
        "encounter.admission_time": admission.strftime("%Y-%m-%dT%H:%M"),
        "encounter.discharge_time": discharge.strftime("%Y-%m-%dT%H:%M"),
        "encounter.admission_diagnosis": _admission_diagnosis(rng, entry, language),
        "encounter.discharge_diagnosis": entry[language],
        "encounter.discharge_icd10": entry["code"],
        "encounter.outcome": outcome,
        "encounter.attending_physician": physician,
        "vitals.pulse": str(pulse),
        "vitals.temperature": format_number(temperature),
        "vitals.blood_pressure": f"{systolic}/{diastolic}",
        "vitals.respiratory_rate": str(rr),
        "vitals.weight": format_number(weight),
    }
    fields = {k: unicodedata.normalize("NFC", v) for k, v in fields.items()}
    assert tuple(fields) == FIELD_KEYS
    health_code = (
        f"{province['code'][-2:]}/{rng.randint(1, 120):03d}/"
        f"{admit_day.year % 100:02d}/{rng.randint(1, 99999):05d}"
    )
    return ChartContent(
        language=language,
        fields=fields,
        sex=sex,
        birth_date=birth,
        age=age,
        admission=admission,
        discharge=discharge,
        national_id_kind=kind,
        outcome=outcome,
        principal=Diagnosis(entry["code"], {"vi": entry["vi"], "en": entry["en"]}),
        secondary=[Diagnosis(s["code"], {"vi": s["vi"], "en": s["en"]}) for s in secondary],
        medications=meds,
        pulse=pulse,
        temperature=temperature,
        systolic=systolic,
        diastolic=diastolic,
        respiratory_rate=rr,
        weight=weight,
        province=province,
        hospital=hospital,
        health_department=dept_line,
        form=dept["form"],
        bed=str(rng.randint(1, 40)),
        health_code=health_code,
        reason=rng.choice(reasons),
        relative=relative,
        head_of_department=head,
    )
