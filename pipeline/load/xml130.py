"""XML 130 table 1 (XML1, the summary of one stay) per loaded chart, UTF-8.

Codes come from the catalogue's code maps; an element the chart cannot give (or whose
value has no code there) is left empty, never guessed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime

from pipeline.load.records import EmrChart
from schemas.catalogue import code_map
from schemas.tables import IdentifierKind

#: XML1 elements this export fills, in table order
ELEMENTS = (
    "MA_LK", "MA_BN", "HO_TEN", "SO_CCCD", "NGAY_SINH", "GIOI_TINH", "DIA_CHI", "DIEN_THOAI",
    "MA_THE_BHYT", "MA_DANTOC", "MA_NGHE_NGHIEP", "CHAN_DOAN_VAO", "CHAN_DOAN_RV",
    "MA_BENH_CHINH", "MA_BENH_KT", "NGAY_VAO", "NGAY_RA", "SO_NGAY_DTRI", "KET_QUA_DTRI",
    "MA_KHOA", "CAN_NANG",
)  # fmt: skip
#: outcomes that count the day of discharge too (Circular 39/2018/TT-BYT art. 6, as read
#: here: a death or a worsening that ends the stay counts both end days)
_BOTH_END_DAYS = {"deceased", "worse"}


def stamp(moment: datetime | date | None) -> str:
    """``yyyymmddHHMM``; a date without a time gets ``0000``."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.strftime("%Y%m%d%H%M")
    return moment.strftime("%Y%m%d") + "0000"


def treatment_days(
    admitted: datetime | None, discharged: datetime | None, outcome: str | None
) -> str:
    if admitted is None or discharged is None or discharged < admitted:
        return ""
    days = (discharged.date() - admitted.date()).days
    if outcome in _BOTH_END_DAYS:
        days += 1
    return str(max(days, 1))


def xml1_values(chart: EmrChart) -> dict[str, str]:
    p, enc = chart.chart_patient, chart.encounter
    ids = {i.system: i.value for i in p.identifiers}
    principal = next(
        (d for d in chart.diagnoses if d.role == "principal" and d.stage == "discharge"), None
    )
    admitted = next((d for d in chart.diagnoses if d.stage == "admission"), None)
    secondary = [d.icd10 for d in chart.diagnoses if d.role == "secondary" and d.icd10]
    weight = next((o.value for o in chart.observations if o.code == "vitals.weight"), "")
    values = {
        "MA_LK": chart.document.sha256 or "",
        "MA_BN": str(chart.patient_id),
        "HO_TEN": p.full_name or "",
        "SO_CCCD": ids.get(IdentifierKind.CCCD, ""),
        "NGAY_SINH": stamp(p.birth_date),
        "GIOI_TINH": code_map("GIOI_TINH").get(p.sex or "", "3"),
        "DIA_CHI": p.address or "",
        "DIEN_THOAI": p.phone or "",
        "MA_THE_BHYT": ids.get(IdentifierKind.BHYT, ""),
        "MA_DANTOC": code_map("MA_DANTOC").get(p.ethnicity or "", ""),
        "MA_NGHE_NGHIEP": code_map("MA_NGHE_NGHIEP").get(p.occupation or "", ""),
        "CHAN_DOAN_VAO": (admitted.text or "") if admitted else "",
        "CHAN_DOAN_RV": (principal.text or "") if principal else "",
        "MA_BENH_CHINH": (principal.icd10 or "") if principal else "",
        "MA_BENH_KT": ";".join(secondary),
        "NGAY_VAO": stamp(enc.admission_time),
        "NGAY_RA": stamp(enc.discharge_time),
        "SO_NGAY_DTRI": treatment_days(enc.admission_time, enc.discharge_time, enc.outcome),
        "KET_QUA_DTRI": code_map("KET_QUA_DTRI").get(enc.outcome or "", ""),
        "MA_KHOA": code_map("MA_KHOA").get(enc.department or "", ""),
        "CAN_NANG": weight,
    }
    return {k: values[k] for k in ELEMENTS}


def xml1_element(chart: EmrChart) -> ET.Element:
    element = ET.Element("XML1")
    for name, value in xml1_values(chart).items():
        ET.SubElement(element, name).text = value
    return element
