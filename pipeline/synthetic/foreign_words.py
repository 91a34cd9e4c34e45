"""What the "foreign" design prints (``foreign.py``): label wordings and value spellings of its
own, as other hospitals' forms and word-processor templates print them.

Kept apart from ``data/labels.json`` (render.py's list) and grid.py's: the design stands in for
charts of another origin, so its lists were written without looking at the extraction lexicons.
A wording may coincide with one of theirs, as real forms share most of their words.
"""

from __future__ import annotations

import random
from datetime import date, datetime

#: per field and language; a wording is picked per chart
WORDINGS: dict[str, dict[str, list[str]]] = {
    "vi": {
        "patient.full_name": [
            "Họ và tên",
            "Họ tên",
            "Họ tên BN",
            "Tên người bệnh",
            "Họ và tên người bệnh",
            "Người bệnh",
            "Họ, tên",
        ],
        "patient.birth_date": [
            "Ngày sinh",
            "Sinh ngày",
            "Ngày tháng năm sinh",
            "Ngày/tháng/năm sinh",
            "Năm sinh",
            "Sinh ngày/tháng/năm",
        ],
        "patient.sex": ["Giới", "Giới tính", "Phái", "Nam/Nữ"],
        "patient.ethnicity": ["Dân tộc", "Dân tộc (DT)", "Thuộc dân tộc"],
        "patient.occupation": ["Nghề nghiệp", "Nghề", "Công việc", "Nghề nghiệp/Công việc"],
        "patient.address": [
            "Địa chỉ",
            "Địa chỉ thường trú",
            "Nơi ở hiện nay",
            "Chỗ ở",
            "Nơi cư trú",
            "Địa chỉ liên lạc",
            "ĐC",
            "Nơi thường trú",
        ],
        "patient.national_id": [
            "Số CCCD",
            "CCCD",
            "Số CCCD/CMND",
            "CMND/CCCD",
            "Số căn cước",
            "Mã định danh",
            "Số định danh cá nhân",
            "Số giấy tờ tùy thân",
        ],
        "patient.national_id.cmnd": [
            "Số CMND",
            "CMND",
            "CMND/CCCD",
            "Số CCCD/CMND",
            "Số giấy tờ tùy thân",
            "Chứng minh thư số",
        ],
        "patient.insurance_number": [
            "Số thẻ BHYT",
            "Thẻ BHYT",
            "Mã thẻ BHYT",
            "BHYT",
            "Số BHYT",
            "Mã số BHYT",
            "Số thẻ bảo hiểm",
            "Thẻ BHYT số",
        ],
        "patient.phone": [
            "Điện thoại",
            "ĐT",
            "SĐT",
            "Số ĐT",
            "Di động",
            "Điện thoại liên lạc",
            "ĐT liên hệ",
            "Số điện thoại",
        ],
        "encounter.record_number": [
            "Số bệnh án",
            "Mã BA",
            "Số lưu trữ",
            "Số BA",
            "Mã bệnh án",
            "Số hồ sơ",
            "Mã số BA",
            "Số vào viện",
            "Mã lưu trữ",
        ],
        "encounter.department": [
            "Khoa",
            "Khoa điều trị",
            "Khoa/Phòng",
            "Tên khoa",
            "Khoa nằm viện",
            "Khoa lâm sàng",
            "Điều trị tại khoa",
        ],
        "encounter.admission_time": [
            "Ngày vào viện",
            "Vào viện lúc",
            "Ngày nhập viện",
            "Nhập viện lúc",
            "Thời gian vào viện",
            "Giờ vào viện",
            "Vào viện",
            "Ngày giờ nhập viện",
            "Thời điểm nhập viện",
        ],
        "encounter.discharge_time": [
            "Ngày ra viện",
            "Ra viện lúc",
            "Ngày xuất viện",
            "Xuất viện lúc",
            "Thời gian ra viện",
            "Ra viện",
            "Ngày giờ ra viện",
            "Thời điểm xuất viện",
        ],
        "encounter.admission_diagnosis": [
            "Chẩn đoán vào viện",
            "Chẩn đoán khi vào viện",
            "Chẩn đoán ban đầu",
            "Chẩn đoán lúc nhập viện",
            "CĐ vào viện",
            "Chẩn đoán khi nhập viện",
            "Chẩn đoán của khoa khám bệnh",
        ],
        "encounter.discharge_diagnosis": [
            "Chẩn đoán ra viện",
            "Bệnh chính",
            "Chẩn đoán xác định",
            "Chẩn đoán khi ra viện",
            "CĐ ra viện",
            "Chẩn đoán bệnh chính",
        ],
        "encounter.discharge_icd10": [
            "Mã ICD-10",
            "Mã ICD",
            "ICD10",
            "Mã bệnh",
            "Mã bệnh chính",
            "ICD",
            "Mã ICD10",
        ],
        "encounter.outcome": [
            "Kết quả điều trị",
            "Kết quả",
            "Tình trạng ra viện",
            "KQĐT",
            "Tình trạng khi ra viện",
            "Kết quả khi ra viện",
        ],
        "encounter.attending_physician": [
            "Bác sĩ điều trị",
            "BS điều trị",
            "Bác sỹ điều trị",
            "BS. điều trị",
            "Bác sĩ phụ trách",
            "Người làm bệnh án",
            "BS điều trị chính",
        ],
        "vitals.pulse": ["Mạch", "Mạch (l/p)", "Mạch (nhịp/phút)", "Nhịp tim", "M"],
        "vitals.temperature": ["Nhiệt độ", "T°", "Nhiệt độ (°C)", "Thân nhiệt", "To"],
        "vitals.blood_pressure": ["Huyết áp", "HA", "HA (mmHg)", "Huyết áp động mạch"],
        "vitals.respiratory_rate": ["Nhịp thở", "NT", "Nhịp thở (l/p)", "Tần số thở"],
        "vitals.weight": ["Cân nặng", "CN", "Cân nặng (kg)", "Trọng lượng", "Cân"],
        "secondary_icd10": [
            "Bệnh kèm theo",
            "Bệnh phụ",
            "Chẩn đoán phụ",
            "Bệnh kèm",
            "Các bệnh kèm theo",
        ],
        "medications": ["Thuốc điều trị", "Thuốc dùng", "Y lệnh thuốc", "Điều trị"],
    },
    "en": {
        "patient.full_name": [
            "Name",
            "Patient name",
            "Full name",
            "Patient",
            "Name of patient",
            "Patient's name",
            "Surname, given name",
        ],
        "patient.birth_date": ["Date of birth", "DOB", "D.O.B", "Birth date", "Born", "Birthdate"],
        "patient.sex": ["Sex", "Gender", "M/F"],
        "patient.ethnicity": ["Ethnicity", "Ethnic group", "Ethnic origin"],
        "patient.occupation": ["Occupation", "Job", "Profession", "Employment"],
        "patient.address": [
            "Address",
            "Home address",
            "Residence",
            "Permanent address",
            "Addr.",
            "Place of residence",
        ],
        "patient.national_id": [
            "National ID",
            "ID no.",
            "Citizen ID",
            "ID card",
            "National ID no.",
            "Identity no.",
        ],
        "patient.national_id.cmnd": ["ID card no.", "ID no.", "Identity card", "National ID"],
        "patient.insurance_number": [
            "Health insurance no.",
            "Insurance no.",
            "HI no.",
            "Insurance card",
            "HI card no.",
            "Health ins. no.",
        ],
        "patient.phone": ["Phone", "Tel", "Tel.", "Telephone", "Mobile", "Contact no."],
        "encounter.record_number": [
            "Record no.",
            "MRN",
            "Medical record no.",
            "Hospital no.",
            "Chart no.",
            "Case no.",
            "File no.",
            "Record number",
        ],
        "encounter.department": ["Department", "Dept.", "Ward", "Unit", "Clinical unit"],
        "encounter.admission_time": [
            "Date of admission",
            "Admitted",
            "Admission date",
            "Admitted on",
            "Admission",
            "Date/time of admission",
            "Adm. date",
        ],
        "encounter.discharge_time": [
            "Date of discharge",
            "Discharged",
            "Discharge date",
            "Discharged on",
            "Discharge",
            "Disch. date",
        ],
        "encounter.admission_diagnosis": [
            "Admission diagnosis",
            "Diagnosis on admission",
            "Provisional diagnosis",
            "Working diagnosis",
            "Adm. diagnosis",
            "Initial diagnosis",
        ],
        "encounter.discharge_diagnosis": [
            "Discharge diagnosis",
            "Principal diagnosis",
            "Final diagnosis",
            "Main diagnosis",
            "Primary diagnosis",
        ],
        "encounter.discharge_icd10": ["ICD-10", "ICD-10 code", "ICD code", "Code", "ICD10"],
        "encounter.outcome": [
            "Outcome",
            "Result",
            "Condition on discharge",
            "Discharge status",
            "Treatment outcome",
        ],
        "encounter.attending_physician": [
            "Attending physician",
            "Physician",
            "Attending",
            "Doctor",
            "Treating doctor",
            "Consultant",
        ],
        "vitals.pulse": ["Pulse", "HR", "Heart rate", "P", "Pulse (bpm)"],
        "vitals.temperature": ["Temp", "Temperature", "Temp.", "T (°C)"],
        "vitals.blood_pressure": ["BP", "Blood pressure", "B/P", "BP (mmHg)"],
        "vitals.respiratory_rate": ["RR", "Resp. rate", "Respiratory rate", "Resp"],
        "vitals.weight": ["Weight", "Wt", "Body weight", "Wt."],
        "secondary_icd10": [
            "Secondary diagnoses",
            "Comorbidities",
            "Other diagnoses",
            "Co-morbidity",
            "Additional diagnoses",
        ],
        "medications": ["Medications", "Drugs given", "Treatment", "Medication orders"],
    },
}

#: what a bilingual Vietnamese form prints after its label: "Họ và tên / Name"
BILINGUAL = {
    "patient.full_name": "Name",
    "patient.birth_date": "Date of birth",
    "patient.sex": "Sex",
    "patient.address": "Address",
    "encounter.admission_time": "Admission",
    "encounter.discharge_time": "Discharge",
    "encounter.department": "Department",
}

SEX = {
    "vi": {"male": ["Nam"], "female": ["Nữ"]},
    "en": {"male": ["Male", "M"], "female": ["Female", "F"]},
}
OUTCOME = {
    "vi": {
        "recovered": ["Khỏi", "Khỏi bệnh"],
        "improved": ["Đỡ", "Đỡ, giảm", "Giảm"],
        "unchanged": ["Không thay đổi", "Không đổi"],
        "worse": ["Nặng hơn", "Nặng"],
        "deceased": ["Tử vong"],
    },
    "en": {
        "recovered": ["Recovered", "Cured"],
        "improved": ["Improved"],
        "unchanged": ["Unchanged", "No change"],
        "worse": ["Worse", "Deteriorated"],
        "deceased": ["Deceased", "Died"],
    },
}
UNITS = {
    "vi": {
        "vitals.pulse": ["l/p", "lần/phút", "nhịp/phút", "l/ph"],
        "vitals.temperature": ["°C", "độ C", "°"],
        "vitals.blood_pressure": ["mmHg", "mm Hg"],
        "vitals.respiratory_rate": ["l/p", "lần/phút", "l/ph"],
        "vitals.weight": ["kg", "Kg"],
    },
    "en": {
        "vitals.pulse": ["bpm", "/min", "beats/min"],
        "vitals.temperature": ["°C", "C"],
        "vitals.blood_pressure": ["mmHg", "mm Hg"],
        "vitals.respiratory_rate": ["/min", "breaths/min"],
        "vitals.weight": ["kg"],
    },
}
TITLES = {
    "vi": [
        "BỆNH ÁN NỘI TRÚ",
        "PHIẾU THEO DÕI NỘI TRÚ",
        "GIẤY RA VIỆN",
        "HỒ SƠ BỆNH ÁN",
        "BỆNH ÁN ĐIỀU TRỊ NỘI TRÚ",
        "TÓM TẮT RA VIỆN",
    ],
    "en": [
        "INPATIENT RECORD",
        "DISCHARGE NOTE",
        "CLINICAL RECORD",
        "HOSPITAL DISCHARGE FORM",
        "IN-PATIENT CASE SHEET",
    ],
}
SECTIONS = {
    "vi": {
        "patient": ["HÀNH CHÍNH", "THÔNG TIN BỆNH NHÂN", "PHẦN HÀNH CHÍNH", "Người bệnh"],
        "stay": ["QUẢN LÝ NGƯỜI BỆNH", "VÀO - RA VIỆN", "Thông tin điều trị"],
        "diagnosis": ["CHẨN ĐOÁN", "Chẩn đoán bệnh", "PHẦN CHẨN ĐOÁN"],
        "vitals": ["DẤU HIỆU SINH TỒN", "Sinh hiệu lúc vào", "KHÁM VÀO VIỆN"],
        "outcome": ["TÌNH TRẠNG RA VIỆN", "TỔNG KẾT", "KẾT THÚC ĐIỀU TRỊ"],
        "treatment": ["ĐIỀU TRỊ", "THUỐC ĐÃ DÙNG", "Y LỆNH"],
    },
    "en": {
        "patient": ["PATIENT DETAILS", "IDENTIFICATION", "Demographics"],
        "stay": ["ADMISSION", "STAY", "Encounter details"],
        "diagnosis": ["DIAGNOSIS", "DIAGNOSES", "Clinical diagnosis"],
        "vitals": ["VITAL SIGNS", "OBSERVATIONS ON ADMISSION", "Vitals"],
        "outcome": ["DISCHARGE", "SUMMARY AT DISCHARGE", "Disposition"],
        "treatment": ["TREATMENT", "MEDICATIONS GIVEN", "Drug chart"],
    },
}
FURNITURE = {
    "vi": {
        "age": ["Tuổi"],
        "bed": ["Giường", "Buồng"],
        "reason": ["Lý do vào viện", "Lý do nhập viện"],
        "kin": ["Người nhà", "Người thân cần báo tin"],
        "head": ["TRƯỞNG KHOA", "GIÁM ĐỐC BỆNH VIỆN"],
        "sign": ["(Ký, họ tên)", "(ký và ghi rõ họ tên)"],
        "none": ["Không", "—"],
        "stamp": ["ĐÃ DUYỆT", "BẢN SAO", "LƯU TRỮ"],
    },
    "en": {
        "age": ["Age"],
        "bed": ["Bed", "Room"],
        "reason": ["Reason for admission", "Presenting complaint"],
        "kin": ["Next of kin", "Emergency contact"],
        "head": ["HEAD OF DEPARTMENT", "MEDICAL DIRECTOR"],
        "sign": ["(signature)", "(sign and print name)"],
        "none": ["None", "Nil"],
        "stamp": ["APPROVED", "COPY", "ARCHIVED"],
    },
}
MEDICATION_HEADS = {
    "vi": ["Tên thuốc", "Hàm lượng", "Đường dùng", "Số lần/ngày"],
    "en": ["Drug", "Strength", "Route", "Frequency"],
}
_MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def spell_date(day: date, language: str, style: int) -> str:
    d, m, y = day.day, day.month, day.year
    if language == "vi":
        return [
            f"{d:02d}/{m:02d}/{y}",
            f"{d}/{m}/{y}",
            f"{d:02d}-{m:02d}-{y}",
            f"{d:02d}.{m:02d}.{y}",
            f"ngày {d:02d} tháng {m:02d} năm {y}",
        ][style % 5]
    return [
        f"{d:02d}/{m:02d}/{y}",
        day.isoformat(),
        f"{d} {_MONTH[m - 1]} {y}",
        f"{d:02d}-{_MON[m - 1]}-{y}",
        f"{_MON[m - 1]} {d}, {y}",
    ][style % 5]


def spell_time(moment: datetime, language: str, style: int) -> str:
    day, hh, mm = moment.date(), moment.hour, moment.minute
    if language == "vi":
        dmy = spell_date(day, "vi", 0)
        return [
            f"{hh:02d} giờ {mm:02d} phút, ngày {dmy}",
            f"{hh:02d}h{mm:02d} {dmy}",
            f"{hh:02d}:{mm:02d} - {dmy}",
            f"{dmy} {hh:02d}:{mm:02d}",
            f"{hh}g{mm:02d} ngày {day.day}/{day.month}/{day.year}",
            f"{dmy} lúc {hh:02d}h{mm:02d}",
        ][style % 6]
    dmy = spell_date(day, "en", 0)
    return [
        f"{dmy} {hh:02d}:{mm:02d}",
        f"{hh:02d}:{mm:02d}, {day.day} {_MON[day.month - 1]} {day.year}",
        f"{day.isoformat()} {hh:02d}:{mm:02d}",
        f"{spell_date(day, 'en', 2)} at {hh:02d}:{mm:02d}",
        f"{spell_date(day, 'en', 3)} {hh:02d}:{mm:02d}",
    ][style % 5]


def spell_insurance(number: str, rng: random.Random) -> str:
    groups = (number[:2], number[2], number[3:5], number[5:])
    return rng.choice(
        [number, number, " ".join(groups), "-".join(groups), f"{number[:5]} {number[5:]}"]
    )


def spell_phone(number: str, rng: random.Random) -> str:
    if len(number) != 10:
        return number
    return rng.choice(
        [
            number,
            f"{number[:4]} {number[4:7]} {number[7:]}",
            f"{number[:4]}.{number[4:7]}.{number[7:]}",
            f"{number[:3]}-{number[3:6]}-{number[6:]}",
        ]
    )


def spell_national_id(number: str, rng: random.Random) -> str:
    if len(number) == 12 and rng.random() < 0.2:
        return f"{number[:3]} {number[3:6]} {number[6:9]} {number[9:]}"
    return number
