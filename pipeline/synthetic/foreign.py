"""A third chart design, held out of calibration: charts of another origin.

Drawn by code that shares nothing with ``render.py`` or ``grid.py`` (only the content and the
truth schema): every chart seed draws its own layout, section by section — key/value lists in
one or two columns, "Label: value" runs, tables with the labels as column heads, boxed cells
with the label above or beside the value — with its own wordings (``foreign_words.py``),
leaders ("……", "____", ". . . .", "-----", ":") before, under or after the value, fonts and
sizes, and marks of its own (a stamp, a photocopy's grey and toner) under the scanner
degradations of ``degrade.py``. It stands in for the charts of hospitals the pipeline was never
shown, so that figures measured on it say how the pipeline does on charts it was not tuned on;
``pipeline.cli calibrate --synthetic`` never draws it.
"""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from pipeline.synthetic import foreign_words as W
from pipeline.synthetic.content import ChartContent, load_data
from pipeline.synthetic.foreign_layout import (
    _FAMILIES,
    _VALUE_FACES,
    _VITALS,
    LEADERS,
    STYLES,
    Row,
    _Entry,
    _face,
    _Plan,
    _Section,
    _section_rows,
    _Sheet,
    _value,
    _wrap,
)
from pipeline.synthetic.render import RenderedChart

# ------------------------------------------------------------------ the plan


def _words(c: ChartContent, rng: random.Random) -> dict[str, str]:
    lang = c.language
    table = dict(W.WORDINGS[lang])
    if c.national_id_kind == "cmnd":
        table["patient.national_id"] = table["patient.national_id.cmnd"]
    labels = {k: rng.choice(v) for k, v in table.items()}
    if lang == "vi" and rng.random() < 0.2:
        for k, en in W.BILINGUAL.items():
            labels[k] = f"{labels[k]} / {en}"
    return labels


def _entries(c: ChartContent, rng: random.Random, labels: dict[str, str]) -> dict[str, _Entry]:
    lang, f = c.language, c.fields
    comma = lang == "vi" and rng.random() < 0.6
    unit_in_value = rng.random() < 0.6
    ds, ts = rng.randrange(5), rng.randrange(6)
    text = dict(f)
    text["patient.birth_date"] = W.spell_date(c.birth_date, lang, ds)
    text["encounter.admission_time"] = W.spell_time(c.admission, lang, ts)
    text["encounter.discharge_time"] = W.spell_time(c.discharge, lang, ts)
    text["patient.insurance_number"] = W.spell_insurance(f["patient.insurance_number"], rng)
    text["patient.phone"] = W.spell_phone(f["patient.phone"], rng)
    text["patient.national_id"] = W.spell_national_id(f["patient.national_id"], rng)
    for key in _VITALS:
        number = f[key].replace(".", ",") if comma else f[key]
        text[key] = f"{number} {rng.choice(W.UNITS[lang][key])}" if unit_in_value else number
    sex = W.SEX[lang]
    text["patient.sex"] = rng.choice(sex[c.sex])
    outcome = W.OUTCOME[lang]
    text["encounter.outcome"] = rng.choice(outcome[c.outcome])
    typed = rng.random() < 0.3
    out: dict[str, _Entry] = {}
    for key, value in text.items():
        e = _Entry(key, labels[key], value, dy=rng.uniform(-0.15, 0.15) if typed else 0.0)
        if key == "patient.sex" and rng.random() < 0.3:
            e.options = [sex["male"][0], sex["female"][0]]
            e.value = sex[c.sex][0]
        if key == "encounter.outcome" and rng.random() < 0.3:
            e.options = [v[0] for v in outcome.values()]
            e.value = outcome[c.outcome][0]
        out[key] = e
    return out


def _lists(
    c: ChartContent, rng: random.Random, labels: dict[str, str]
) -> tuple[_Entry | None, list[_Entry]]:
    """The secondary diagnoses (an entry) and the medications (lines), when printed."""
    lang, furn = c.language, W.FURNITURE[c.language]
    secondary = None
    if rng.random() < 0.6:
        if not c.secondary:
            value = rng.choice(furn["none"])
        elif rng.random() < 0.5:
            value = "; ".join(f"{d.code} - {d.title[lang]}" for d in c.secondary)
        else:
            value = ", ".join(f"{d.title[lang]} ({d.code})" for d in c.secondary)
        secondary = _Entry("secondary_icd10", labels["secondary_icd10"], value)
    meds: list[_Entry] = []
    if c.medications and rng.random() < 0.55:
        drugs = load_data("drugs")
        bullet, sep = rng.choice(["{n}.", "{n}/", "-", "•"]), rng.choice([", ", " - ", " ; "])
        for n, m in enumerate(c.medications, 1):
            route = drugs["routes"][m.route][lang][0]
            freq = rng.choice(drugs["frequencies"][str(m.per_day)][lang])
            line = (
                f"{bullet.format(n=n)} {m.printed_name[lang]} {m.strength}{sep}{route}{sep}{freq}"
            )
            meds.append(_Entry("medications", "", line))
    return secondary, meds


def _plan(c: ChartContent, rng: random.Random, max_pages: int) -> _Plan:
    lang, furn = c.language, dict(W.FURNITURE[c.language])
    labels = _words(c, rng)
    if rng.random() < 0.2:  # a form printing its labels in capitals
        labels = {k: v.upper() for k, v in labels.items()}
        furn = {k: [w.upper() for w in v] for k, v in furn.items()}
    numbering = rng.choice([None, None, "{n}.", "{n:02d}-", "{n})"])
    e = _entries(c, rng, labels)
    secondary, meds = _lists(c, rng, labels)
    age = _Entry(None, furn["age"][0], str(c.age))
    kin = _Entry(None, rng.choice(furn["kin"]), c.relative) if c.relative else None
    bed = _Entry(None, rng.choice(furn["bed"]), c.bed)
    reason = _Entry(None, rng.choice(furn["reason"]), c.reason)
    order: dict[str, list[_Entry | None]] = {
        "patient": [
            e["patient.full_name"],
            e["patient.birth_date"],
            age,
            e["patient.sex"],
            e["patient.ethnicity"],
            e["patient.occupation"],
            e["patient.address"],
            e["patient.national_id"],
            e["patient.insurance_number"],
            e["patient.phone"],
            kin,
        ],
        "stay": [
            e["encounter.record_number"],
            e["encounter.department"],
            bed,
            e["encounter.admission_time"],
            e["encounter.discharge_time"],
        ],
        "diagnosis": [
            e["encounter.admission_diagnosis"],
            e["encounter.discharge_diagnosis"],
            e["encounter.discharge_icd10"],
            secondary,
        ],
        "vitals": [reason, *(e[k] for k in _VITALS)],
        "outcome": [e["encounter.outcome"]],
    }
    header = [
        (c.health_department, "left"),
        (c.hospital, "left"),
        (rng.choice(W.TITLES[lang]), "title"),
    ]
    if rng.random() < 0.4:  # the record number in the corner of the page
        rec = order["stay"].pop(0)
        assert rec is not None
        header.insert(2, (f"{rec.label}: {rec.value}", "right"))
        header_key: str | None = rec.key
    else:
        header_key = None
    signed = rng.random() < 0.5
    if not signed:
        order["outcome"].append(e["encounter.attending_physician"])
    for entries in order.values():
        if rng.random() < 0.4:  # neighbours swapped: another hospital's order
            i = rng.randrange(max(1, len(entries) - 1))
            entries[i : i + 2] = entries[i : i + 2][::-1]
    names = ["patient", "stay", "diagnosis", "vitals", "outcome"]
    middle = names[1:4]
    rng.shuffle(middle)
    sections = []
    count = 1
    for name in [names[0], *middle, names[4]]:
        printed = [x for x in order[name] if x is not None]
        for x in printed:
            if numbering and x.label:
                x.label = f"{numbering.format(n=count)} {x.label}"
                count += 1
        heading = rng.choice(W.SECTIONS[lang][name]) if rng.random() < 0.8 else None
        style = "table" if name == "vitals" and rng.random() < 0.4 else rng.choice(STYLES)
        sections.append(_Section(heading, style, printed))
        if name == "diagnosis" and meds:
            sections.append(_Section(rng.choice(W.SECTIONS[lang]["treatment"]), "meds", meds))
    if max_pages > 1 and rng.random() < 0.7:
        rng.choice(sections[2:]).page_break = True
    footer = [
        _Entry(
            "encounter.attending_physician" if signed else None,
            rng.choice(["", labels["encounter.attending_physician"].upper()]),
            c.fields["encounter.attending_physician"],
        ),
        _Entry(None, rng.choice(furn["head"]), c.head_of_department),
    ]
    if not signed:
        footer[0] = _Entry(None, rng.choice(furn["sign"]), "")
    if rng.random() < 0.5:
        footer.reverse()
    plan = _Plan(
        families=rng.choice(_FAMILIES),
        value_face="",
        point=rng.choice([9.5, 10, 10.5, 11, 12]) + (1 if max_pages > 1 else 0),
        leader=rng.choice(LEADERS),
        mode=rng.choice(["colon", "fill", "fill", "under", "trail"]),
        tab=rng.choice([0.0, 0.22, 0.3, 0.38]),
        rule=rng.choice([1, 1, 2, 3]),
        header=header,
        sections=sections,
        footer=footer,
        seed=rng.randrange(1 << 30),
        stamp=rng.choice(furn["stamp"]) if rng.random() < 0.6 else None,
        photocopy=rng.uniform(0.55, 0.85) if rng.random() < 0.35 else None,
    )
    plan.value_face = rng.choice(_VALUE_FACES) if rng.random() < 0.3 else plan.families[0]
    plan.header_key = header_key
    return plan


# ------------------------------------------------------------------ pages


def _meds(s: _Sheet, entries: list[_Entry]) -> list[Row]:
    def line(e: _Entry) -> Row:
        n = len(_wrap(e.value, s.value, s.x1 - s.x0 - s.px))

        def paint(sh: _Sheet, y: float) -> None:
            _value(sh, sh.x0 + sh.px, y, e, sh.x1 - sh.x0 - sh.px)
            sh.mark(e.key)

        return n * s.step, paint

    return [line(e) for e in entries]


def _header(s: _Sheet) -> None:
    title = _face(s.plan.families[1], round(s.px * 1.5))
    y = s.y
    for text, where in s.plan.header:
        if where == "title":
            y = max(y, s.y) + s.px * 0.8
            s.draw.text(((s.x0 + s.x1) / 2, y), text, font=title, fill=0, anchor="ma")
            y += s.px * 2.4
        elif where == "right":
            s.text(s.x1 - s.label.getlength(text), s.top, text, s.label)
            s.mark(s.plan.header_key)
        else:
            s.text(s.x0, y, text, s.bold if y > s.top else s.label)
            y += s.step
    s.y = y + s.px * 0.6


def _footer(s: _Sheet) -> tuple[float, float]:
    """The signature blocks side by side; returns where the stamp goes."""
    width = (s.x1 - s.x0) / 2
    s.need(s.px * 7)
    y = s.y + s.px
    for i, e in enumerate(s.plan.footer):
        mid = s.x0 + width * (i + 0.5)
        if e.label:
            s.draw.text((mid, y), e.label, font=s.bold, fill=0, anchor="ma")
        rng = random.Random(s.plan.seed + i)
        pts = [
            (mid - s.px * 3 + k * s.px * 0.3, y + s.px * (2.6 + 0.6 * rng.uniform(-1, 1)))
            for k in range(21)
        ]
        s.draw.line(pts, fill=0, width=max(2, s.px // 12), joint="curve")
        if e.value:
            s.draw.text((mid, y + s.px * 4.2), e.value, font=s.value, fill=0, anchor="ma")
            s.mark(e.key)
    s.y = y + s.px * 6
    return s.x0 + width * rng.uniform(0.3, 1.7), y + s.px * 2.5


def _lay_out(
    plan: _Plan, size: tuple[int, int], mm: float, max_pages: int, point: float, dpi: int
) -> _Sheet:
    s = _Sheet(plan, size, mm, max_pages, round(point * dpi / 72))
    _header(s)
    for sec in plan.sections:
        if sec.page_break and s.y > s.top:
            s.new_page()
        rows = _meds(s, sec.entries) if sec.style == "meds" else _section_rows(s, sec)
        if sec.heading:
            s.need(s.step * 1.3 + (rows[0][0] if rows else 0))
            s.text(s.x0, s.y + s.px * 0.3, sec.heading, s.bold)
            s.y += s.step * 1.3
        for height, paint in rows:
            paint(s, s.need(height))
            s.y += height + s.px * 0.25
        s.y += s.px * 0.6
    where = _footer(s)
    if plan.stamp:
        _stamp(s, plan.stamp, where)
    return s


def _stamp(s: _Sheet, word: str, centre: tuple[float, float]) -> None:
    """A round rubber stamp in grey ink, at an angle, over the signatures."""
    r = round(s.px * 3.2)
    layer = Image.new("L", (2 * r + 4, 2 * r + 4), 255)
    d = ImageDraw.Draw(layer)
    width = max(2, s.px // 9)
    d.ellipse([2, 2, 2 * r + 2, 2 * r + 2], outline=0, width=width)
    d.ellipse([r * 0.25, r * 0.25, r * 1.75 + 4, r * 1.75 + 4], outline=0, width=max(1, width // 2))
    d.text(
        (r + 2, r + 2), word, font=_face(s.plan.families[1], round(s.px * 0.8)), fill=0, anchor="mm"
    )
    rng = random.Random(s.plan.seed)
    layer = layer.rotate(rng.uniform(-30, 30), fillcolor=255)
    grey = rng.randint(90, 160)
    ink = np.asarray(layer, dtype=np.float32) / 255.0
    page = s.pages[-1]
    x, y = round(centre[0] - r), round(centre[1] - r)
    box = (x, y, x + layer.width, y + layer.height)
    under = np.asarray(page.crop(box), dtype=np.float32)
    mixed = np.minimum(under, grey + (255 - grey) * ink)
    page.paste(Image.fromarray(mixed.astype(np.uint8), "L"), box)


def _photocopy(page: Image.Image, strength: float, rng: random.Random) -> Image.Image:
    """A photocopy of a photocopy: grey paper, thickened toner, streaks down the page."""
    img = page.filter(ImageFilter.MinFilter(3)) if rng.random() < 0.5 else page
    a = np.asarray(img, dtype=np.float32)
    paper = 255 * strength + rng.uniform(0, 255 * (1 - strength) * 0.6)
    out = a / 255.0 * (paper - 25) + 25
    cols = np.ones(a.shape[1], dtype=np.float32)
    for _ in range(rng.randint(1, 4)):
        x, w = rng.randrange(a.shape[1]), rng.randint(2, 12)
        cols[x : x + w] = rng.uniform(0.8, 0.93)
    out = out * cols[None, :]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "L")


def render_foreign(c: ChartContent, rng: random.Random, dpi: int, pages: int) -> RenderedChart:
    """The chart's pages at dpi (white "L" images), at most ``pages`` of them."""
    plan = _plan(c, rng, pages)
    mm = dpi / 25.4
    size = (round(210 * mm), round(297 * mm))
    point = plan.point
    while True:
        sheet = _lay_out(plan, size, mm, pages, point, dpi)
        if not sheet.overflow or point <= 7:
            break
        point -= 0.5
    images = sheet.pages
    if plan.photocopy is not None:
        copier = random.Random(plan.seed)
        images = [_photocopy(p, plan.photocopy, copier) for p in images]
    return RenderedChart(images, dict(sheet.field_pages), point)
