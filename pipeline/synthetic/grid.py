"""A second chart design, drawn by code that shares nothing with ``render.py`` but the fonts
and value formats: a hospital's own one-page summary, every field in a ruled table cell.

The extraction was developed on ``render.py``'s charts (the Ministry of Health's form: labels
and values running along dotted lines). This design checks that its figures are not that
generator's: the table's rules cross every value, a cell's label may sit above its value or in
a cell of its own, the vital signs may be a table with the labels as column heads, and the
wordings are those ``render.py`` never prints (each is one a real form uses).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont

from pipeline.synthetic.content import ChartContent, load_data
from pipeline.synthetic.render import (
    _PRINT_FAMILIES,
    A4_MM,
    RenderedChart,
    _families,
    _font,
    format_date,
    format_insurance,
    format_phone,
    format_time,
)

#: label wordings, none of which render.py prints
WORDINGS: dict[str, dict[str, list[str]]] = {
    "vi": {
        "patient.full_name": ["Tên bệnh nhân", "Họ tên bệnh nhân", "Họ và tên bệnh nhân"],
        "patient.birth_date": ["Ngày/tháng/năm sinh", "Ngày, tháng, năm sinh"],
        "patient.sex": ["Phái", "Giới tính"],
        "patient.ethnicity": ["Dân tộc", "Thành phần dân tộc"],
        "patient.occupation": ["Nghề nghiệp hiện tại", "Công việc"],
        "patient.address": ["Chỗ ở hiện nay", "Địa chỉ cư trú", "Hộ khẩu thường trú"],
        "patient.national_id": ["Số định danh", "Số CCCD/CMND", "Căn cước công dân"],
        "patient.insurance_number": ["Mã BHYT", "Số BHYT", "Thẻ BH số"],
        "patient.phone": ["SĐT", "Số di động", "ĐT liên hệ"],
        "encounter.record_number": ["Số hồ sơ", "Mã BA", "Số vào viện"],
        "encounter.department": ["Khoa điều trị nội trú", "Tên khoa", "Khoa/phòng"],
        "encounter.admission_time": ["Ngày giờ vào viện", "Nhập viện", "Thời điểm vào viện"],
        "encounter.discharge_time": ["Ngày giờ ra viện", "Xuất viện", "Thời điểm ra viện"],
        "encounter.admission_diagnosis": ["Chẩn đoán sơ bộ", "Chẩn đoán khi nhập viện"],
        "encounter.discharge_diagnosis": ["Chẩn đoán xác định", "Chẩn đoán chính"],
        "encounter.discharge_icd10": ["Mã ICD", "Mã bệnh ICD", "Mã ICD10"],
        "encounter.outcome": ["Tình trạng ra viện", "Kết quả ra viện"],
        "encounter.attending_physician": ["Bác sĩ phụ trách", "BS phụ trách"],
        "vitals.pulse": ["Nhịp tim", "Tần số mạch"],
        "vitals.temperature": ["Nhiệt", "Nhiệt độ cơ thể"],
        "vitals.blood_pressure": ["Huyết áp động mạch", "HA"],
        "vitals.respiratory_rate": ["Tần số hô hấp", "NT"],
        "vitals.weight": ["Thể trọng", "Trọng lượng"],
    },
    "en": {
        "patient.full_name": ["Name of patient", "Patient full name", "Surname and given names"],
        "patient.birth_date": ["Birthdate", "D.O.B.", "Born on"],
        "patient.sex": ["Sex/Gender"],
        "patient.ethnicity": ["Ethnic origin"],
        "patient.occupation": ["Profession", "Employment", "Job title"],
        "patient.address": ["Residential address", "Place of residence", "Current address"],
        "patient.national_id": ["Citizen identity card", "Personal identification number"],
        "patient.insurance_number": ["HI card no.", "Health insurance card number"],
        "patient.phone": ["Contact number", "Mobile phone", "Telephone number"],
        "encounter.record_number": ["Case no.", "Inpatient no.", "Hospital number"],
        "encounter.department": ["Clinical department", "Ward/Department"],
        "encounter.admission_time": ["Admission date and time", "Admitted on"],
        "encounter.discharge_time": ["Discharge date and time", "Discharged on"],
        "encounter.admission_diagnosis": ["Provisional diagnosis", "Initial diagnosis"],
        "encounter.discharge_diagnosis": ["Primary diagnosis", "Diagnosis at discharge"],
        "encounter.discharge_icd10": ["Diagnosis code", "ICD code", "Dx code"],
        "encounter.outcome": ["Condition at discharge", "Status at discharge"],
        "encounter.attending_physician": ["Doctor in charge", "Treating physician"],
        "vitals.pulse": ["Pulse rate"],
        "vitals.temperature": ["Body temperature"],
        "vitals.blood_pressure": ["B.P."],
        "vitals.respiratory_rate": ["Respirations", "Breathing rate"],
        "vitals.weight": ["Body weight", "Wt."],
    },
}
_TITLES = {
    "vi": ["PHIẾU TÓM TẮT BỆNH ÁN", "TÓM TẮT HỒ SƠ BỆNH ÁN NỘI TRÚ"],
    "en": ["DISCHARGE SUMMARY", "INPATIENT RECORD SUMMARY"],
}
_SECTIONS = {
    "vi": ["THÔNG TIN NGƯỜI BỆNH", "ĐIỀU TRỊ NỘI TRÚ", "CHẨN ĐOÁN", "SINH HIỆU", "RA VIỆN"],
    "en": ["PATIENT", "STAY", "DIAGNOSES", "VITAL SIGNS", "DISCHARGE"],
}
_FOOTER = {
    "vi": ("TRƯỞNG KHOA", "Người nhà"),
    "en": ("HEAD OF DEPARTMENT", "Next of kin"),
}
_VITALS = (
    "vitals.pulse",
    "vitals.temperature",
    "vitals.blood_pressure",
    "vitals.respiratory_rate",
    "vitals.weight",
)


@dataclass
class _Cell:
    """One field in a table cell: ``span`` is its share of the row's width."""

    label: str
    value: str
    key: str | None
    span: float


@dataclass
class _Look:
    style: str  # inline "Label: value" | split (label | value cells) | stacked (label above)
    px: int
    regular: ImageFont.FreeTypeFont
    bold: ImageFont.FreeTypeFont
    small: ImageFont.FreeTypeFont
    value: ImageFont.FreeTypeFont
    colon: bool
    lines: list[tuple[float, float, float, float]] = field(default_factory=list)


def _labels(c: ChartContent, rng: random.Random) -> dict[str, str]:
    return {key: rng.choice(options) for key, options in WORDINGS[c.language].items()}


def _value_texts(c: ChartContent, rng: random.Random) -> dict[str, str]:
    lang = c.language
    comma = lang == "vi" and rng.random() < 0.5
    units = load_data("labels")["units"][lang]
    texts = dict(c.fields)
    texts["patient.birth_date"] = format_date(c.birth_date, lang, rng.randrange(4))
    texts["encounter.admission_time"] = format_time(c.admission, lang, rng.randrange(4))
    texts["encounter.discharge_time"] = format_time(c.discharge, lang, rng.randrange(4))
    texts["patient.insurance_number"] = format_insurance(
        c.fields["patient.insurance_number"], rng.choice(["plain", "spaced", "dashed"])
    )
    texts["patient.phone"] = format_phone(c.fields["patient.phone"], rng.randrange(4))
    for key in _VITALS:
        number = c.fields[key].replace(".", ",") if comma else c.fields[key]
        texts[key] = f"{number} {rng.choice(units[key])}"
    words = load_data("labels")
    texts["patient.sex"] = words["sex"][lang][c.sex]
    texts["encounter.outcome"] = words["outcome"][lang][c.outcome]
    return texts


def _rows(c: ChartContent, rng: random.Random, vitals_as_table: bool) -> list[list[_Cell] | str]:
    """The table, row by row: a string is a section heading across the table."""
    labels, values = _labels(c, rng), _value_texts(c, rng)

    def cell(key: str, span: float) -> _Cell:
        return _Cell(labels[key], values[key], key, span)

    sections = _SECTIONS[c.language]
    rows: list[list[_Cell] | str] = [sections[0], [cell("patient.full_name", 1.0)]]
    rows.append([cell("patient.birth_date", 0.55), cell("patient.sex", 0.45)])
    rows.append([cell("patient.ethnicity", 0.45), cell("patient.occupation", 0.55)])
    rows.append([cell("patient.address", 1.0)])
    ids = [cell("patient.national_id", 0.5), cell("patient.insurance_number", 0.5)]
    rows.append(ids if rng.random() < 0.5 else ids[::-1])
    phone = [cell("patient.phone", 0.4)]
    if c.relative:  # the next of kin beside the patient's phone: a name that is not the patient's
        phone.append(_Cell(_FOOTER[c.language][1], c.relative, None, 0.6))
    else:
        phone[0].span = 1.0
    rows.append(phone)
    rows += [sections[1], [cell("encounter.record_number", 0.4), cell("encounter.department", 0.6)]]
    rows.append([cell("encounter.admission_time", 0.5), cell("encounter.discharge_time", 0.5)])
    rows += [sections[2], [cell("encounter.admission_diagnosis", 1.0)]]
    rows.append(
        [cell("encounter.discharge_diagnosis", 0.75), cell("encounter.discharge_icd10", 0.25)]
    )
    rows.append(sections[3])
    if vitals_as_table:
        rows.append([cell(key, 0.2) for key in _VITALS])
    else:
        rows.append([cell(key, 1 / 3) for key in _VITALS[:3]])
        rows.append([cell(key, 0.5) for key in _VITALS[3:]])
    rows.append(sections[4])
    rows.append([cell("encounter.outcome", 0.45), cell("encounter.attending_physician", 0.55)])
    return rows


def _put(
    draw: ImageDraw.ImageDraw, x: float, y: float, text: str, font: ImageFont.FreeTypeFont
) -> None:
    draw.text((x, y), text, font=font, fill=0, anchor="lt")  # (x, y): the text's top left


def wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """The words of text in lines no wider than width (none for no words)."""
    lines, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and font.getlength(trial) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    return [*lines, current] if current else lines


def _draw_cell(
    draw: ImageDraw.ImageDraw, look: _Look, c: _Cell, x0: float, x1: float, y: float, measure: bool
) -> float:
    """Draws one cell's text from its top y (or only measures it); returns its height."""
    pad = look.px * 0.4
    step = look.px * 1.35
    label = c.label + (":" if look.colon else "")
    inner = x1 - x0 - 2 * pad
    if look.style == "stacked":
        value_lines = wrap(c.value, look.value, inner)
        height = 2 * pad + look.px * 1.1 + step * len(value_lines)
        if not measure:
            _put(draw, x0 + pad, y + pad, c.label, look.small)
            for i, line in enumerate(value_lines):
                top = y + pad + look.px * 1.1 + i * step
                _put(draw, x0 + pad, top + step * 0.15, line, look.value)
        return height
    if look.style == "split":
        label_w = min(look.regular.getlength(label) + 2 * pad, (x1 - x0) * 0.5)
        label_lines = wrap(label, look.regular, label_w - 2 * pad + 1)
        value_lines = wrap(c.value, look.value, inner - label_w)
        height = 2 * pad + step * max(len(label_lines), len(value_lines))
        if not measure:
            for i, line in enumerate(label_lines):
                _put(draw, x0 + pad, y + pad + i * step, line, look.regular)
            look.lines.append((x0 + label_w, y, x0 + label_w, y + height))
            for i, line in enumerate(value_lines):
                _put(draw, x0 + label_w + pad, y + pad + i * step, line, look.value)
        return height
    # inline: the label, then the value running on after it and wrapping under it
    label_w = look.regular.getlength(label + " ")
    first = wrap(c.value, look.value, inner - label_w)[:1]
    if first and look.value.getlength(first[0]) > inner - label_w:
        first = []  # no room beside the label: the value starts on the line below
    rest_text = c.value[len(first[0]) :].strip() if first else c.value
    rest = wrap(rest_text, look.value, inner) if rest_text else []
    height = 2 * pad + step * (1 + len(rest))
    if not measure:
        _put(draw, x0 + pad, y + pad, label, look.regular)
        if first:
            _put(draw, x0 + pad + label_w, y + pad, first[0], look.value)
        for i, line in enumerate(rest, 1):
            _put(draw, x0 + pad, y + pad + i * step, line, look.value)
    return height


def _vitals_table(
    draw: ImageDraw.ImageDraw, look: _Look, cells: list[_Cell], x0: float, x1: float, y: float
) -> float:
    """The vital signs as a table: the labels as column heads, the values in the row below."""
    pad, step = look.px * 0.4, look.px * 1.35
    width = (x1 - x0) / len(cells)
    heads = [wrap(c.label, look.small, width - 2 * pad) for c in cells]
    head_h = 2 * pad + look.px * 1.15 * max(len(h) for h in heads)
    value_h = 2 * pad + step
    for i, (c, head) in enumerate(zip(cells, heads, strict=True)):
        left = x0 + i * width
        for j, line in enumerate(head):
            _put(draw, left + pad, y + pad + j * look.px * 1.15, line, look.small)
        _put(draw, left + pad, y + head_h + pad, c.value, look.value)
        if i:
            look.lines.append((left, y, left, y + head_h + value_h))
    look.lines.append((x0, y + head_h, x1, y + head_h))
    return head_h + value_h


def _draw_table(
    draw: ImageDraw.ImageDraw,
    look: _Look,
    rows: list[list[_Cell] | str],
    x0: float,
    x1: float,
    y: float,
    vitals_as_table: bool,
) -> float:
    """Draws the rows from y down, collects the rules in look.lines; returns the bottom."""
    top = y
    for row in rows:
        if isinstance(row, str):
            _put(draw, x0 + look.px * 0.4, y + look.px * 0.35, row, look.bold)
            y += look.px * 1.7
        elif vitals_as_table and row[0].key == _VITALS[0]:  # the row _rows made for it
            y += _vitals_table(draw, look, row, x0, x1, y)
        else:
            spans, left = [], x0
            for c in row:
                right = left + (x1 - x0) * c.span
                spans.append((left, right))
                left = right
            height = max(
                _draw_cell(draw, look, c, a, b, y, measure=True)
                for c, (a, b) in zip(row, spans, strict=True)
            )
            for c, (a, b) in zip(row, spans, strict=True):
                _draw_cell(draw, look, c, a, b, y, measure=False)
                if a > x0:
                    look.lines.append((a, y, a, y + height))
            y += height
        look.lines.append((x0, y, x1, y))
    look.lines += [(x0, top, x1, top), (x0, top, x0, y), (x1, top, x1, y)]
    return y


def render_grid(c: ChartContent, rng: random.Random, dpi: int) -> RenderedChart:
    """One A4 page at dpi (a white "L" image) with every field in the table."""
    width, height = round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi)
    mm = dpi / 25.4
    regular, bold, _ = rng.choice(_families(_PRINT_FAMILIES))
    value_file = rng.choice([regular, regular, rng.choice(_families(_PRINT_FAMILIES))[0]])
    style = rng.choice(["inline", "split", "stacked"])
    rule = max(1, round(rng.choice([1, 1.5, 2.5]) * dpi / 200))
    colon = rng.random() < 0.6
    vitals_as_table = rng.random() < 0.5
    rows = _rows(c, rng, vitals_as_table)
    title = rng.choice(_TITLES[c.language])
    point = rng.choice([10, 10.5, 11, 12])
    x0, x1 = rng.uniform(14, 20) * mm, width - rng.uniform(12, 18) * mm
    while True:
        px = round(point * dpi / 72)
        look = _Look(
            style,
            px,
            _font(regular, px),
            _font(bold, px),
            _font(regular, round(px * 0.82)),
            _font(value_file, px),
            colon,
        )
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        y = rng.uniform(12, 18) * mm
        _put(draw, x0, y, c.health_department, look.regular)
        _put(draw, x0, y + px * 1.4, c.hospital, look.bold)
        title_font = _font(bold, round(px * 1.6))
        draw.text((width / 2, y + px * 4), title, font=title_font, fill=0, anchor="mt")
        bottom = _draw_table(draw, look, rows, x0, x1, y + px * 6.8, vitals_as_table)
        for line in look.lines:
            draw.line(line, fill=0, width=rule)
        sign_x = x0 + (x1 - x0) * 0.62
        _put(draw, sign_x, bottom + px * 2, _FOOTER[c.language][0], look.bold)
        _put(draw, sign_x, bottom + px * 6, c.head_of_department, look.regular)
        if bottom + px * 8 < height - 10 * mm or point <= 8:
            return RenderedChart([image], {key: 1 for key in c.fields}, point)
        point -= 0.5
