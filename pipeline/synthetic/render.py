"""Draws the pages of a synthetic inpatient chart in the style of the Ministry of Health's forms."""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from pipeline.synthetic.content import ChartContent, load_data

FONT_ROOT = Path("/usr/share/fonts/truetype")
A4_MM = (210.0, 297.0)

# Families (regular, bold, italic) from Debian font packages that cover Vietnamese.
_PRINT_FAMILIES: dict[str, tuple[str, str, str]] = {
    "DejaVu Sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"),
    "DejaVu Serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf"),
    "DejaVu Sans Condensed": (
        "DejaVuSansCondensed.ttf",
        "DejaVuSansCondensed-Bold.ttf",
        "DejaVuSansCondensed-Oblique.ttf",
    ),
    "Liberation Serif": (
        "LiberationSerif-Regular.ttf",
        "LiberationSerif-Bold.ttf",
        "LiberationSerif-Italic.ttf",
    ),
    "Liberation Sans": (
        "LiberationSans-Regular.ttf",
        "LiberationSans-Bold.ttf",
        "LiberationSans-Italic.ttf",
    ),
    "Noto Serif": ("NotoSerif-Regular.ttf", "NotoSerif-Bold.ttf", "NotoSerif-Italic.ttf"),
    "Noto Sans": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSans-Italic.ttf"),
}
# Values typed on a printer's monospace face. Both have a dotted zero that Tesseract often
# reads as 6, 8 or 9, so they are kept to a minority of charts.
_TYPEWRITER_FAMILIES: dict[str, tuple[str, str, str]] = {
    "Liberation Mono": (
        "LiberationMono-Regular.ttf",
        "LiberationMono-Bold.ttf",
        "LiberationMono-Italic.ttf",
    ),
    "DejaVu Sans Mono": (
        "DejaVuSansMono.ttf",
        "DejaVuSansMono-Bold.ttf",
        "DejaVuSansMono-Oblique.ttf",
    ),
}
TYPEWRITER_SHARE = 0.15
DPI_CHOICES: tuple[int, ...] = (200, 240, 300)

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@functools.cache
def _font_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(FONT_ROOT.glob("**/*.ttf")):
        found.setdefault(path.name, path)
    return found


def _families(table: dict[str, tuple[str, str, str]]) -> list[tuple[Path, Path, Path]]:
    files = _font_files()
    families = [
        (files[r], files[b], files[i])
        for r, b, i in table.values()
        if r in files and b in files and i in files
    ]
    if not families:
        raise RuntimeError(
            f"no Vietnamese-capable fonts under {FONT_ROOT}: install the Debian packages "
            "fonts-dejavu-core and fonts-liberation2"
        )
    return families


@functools.lru_cache(maxsize=512)
def _font(path: Path, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size_px)


# ---------------------------------------------------------------- value formats


def format_date(day: date, language: str, style: int) -> str:
    d, m, y = day.day, day.month, day.year
    if language == "vi":
        return [
            f"{d:02d}/{m:02d}/{y}",
            f"{d:02d}-{m:02d}-{y}",
            f"{d} tháng {m} năm {y}",
            f"{d}/{m}/{y}",
            f"{d:02d}.{m:02d}.{y}",
        ][style % 5]
    return [
        f"{d:02d}/{m:02d}/{y}",
        day.isoformat(),
        f"{d} {_MONTHS_EN[m - 1]} {y}",
        f"{d:02d}-{_MONTHS_EN[m - 1]}-{y}",
    ][style % 4]


def format_time(moment: datetime, language: str, style: int) -> str:
    day = moment.date()
    hh, mm = moment.hour, moment.minute
    if language == "vi":
        slash = format_date(day, "vi", 0)
        return [
            f"{hh:02d} giờ {mm:02d} phút ngày {slash}",
            f"{hh:02d}:{mm:02d} {slash}",
            f"{hh}h{mm:02d} ngày {day.day}/{day.month}/{day.year}",
            f"{slash} {hh:02d}:{mm:02d}",
            f"{hh:02d} giờ {mm:02d} ngày {slash}",
        ][style % 5]
    return [
        f"{format_date(day, 'en', 0)} {hh:02d}:{mm:02d}",
        f"{hh:02d}:{mm:02d} {format_date(day, 'en', 0)}",
        f"{format_date(day, 'en', 2)}, {hh:02d}:{mm:02d}",
        f"{day.isoformat()} {hh:02d}:{mm:02d}",
    ][style % 4]


def format_insurance(number: str, style: str) -> str:
    parts = (number[:2], number[2], number[3:5], number[5:])
    if style == "spaced":
        return " ".join(parts)
    if style == "dashed":
        return "-".join(parts)
    return number


def format_phone(number: str, style: int) -> str:
    if style == 0 or len(number) != 10:
        return number
    if style == 1:
        return f"{number[:4]} {number[4:7]} {number[7:]}"
    if style == 2:
        return f"{number[:4]}.{number[4:7]}.{number[7:]}"
    return f"{number[:3]} {number[3:6]} {number[6:]}"


# ---------------------------------------------------------------- drawing ops


@dataclass
class _Canvas:
    ops: list[Callable[[ImageDraw.ImageDraw], None]] = field(default_factory=list)

    def text(self, x: float, baseline: float, text: str, font: ImageFont.FreeTypeFont) -> None:
        self.ops.append(lambda d: d.text((x, baseline), text, font=font, fill=0, anchor="ls"))

    def line(self, x0: float, y0: float, x1: float, y1: float, width: int) -> None:
        self.ops.append(lambda d: d.line([(x0, y0), (x1, y1)], fill=0, width=width))

    def rect(self, x0: float, y0: float, x1: float, y1: float, width: int) -> None:
        self.ops.append(lambda d: d.rectangle([x0, y0, x1, y1], outline=0, width=width))

    def dots(self, x0: float, x1: float, y: float, step: float, radius: float) -> None:
        def draw(d: ImageDraw.ImageDraw) -> None:
            x = x0
            while x <= x1:
                d.ellipse([x - radius, y - radius, x + radius, y + radius], fill=0)
                x += step

        if x1 > x0:
            self.ops.append(draw)

    def polyline(self, points: list[tuple[float, float]], width: int) -> None:
        self.ops.append(lambda d: d.line(points, fill=0, width=width, joint="curve"))


# ---------------------------------------------------------------- layout model


@dataclass
class _Token:
    """Something drawn at (x, baseline): a word, a label, a box of characters, a signature."""

    width: float
    ascent: float
    descent: float
    paint: Callable[[_Canvas, float, float], None]
    role: str = "other"  # label | value | other
    text: str = ""
    font: ImageFont.FreeTypeFont | None = None


@dataclass
class _Unit:
    """Tokens that stay together on a line; a line may break between units."""

    tokens: list[tuple[_Token, float]]  # token and its offset inside the unit
    width: float
    gap: float  # space before it when it follows another unit of the same item
    inner_gap: float = 0.0


@dataclass
class _Item:
    units: list[_Unit]
    key: str | None = None  # the chart field whose value this item prints
    tab: float | None = None  # preferred start, as a fraction of the column width
    leader: str = "none"  # none | dots_under | underline | rect
    gap: float = 0.0  # space before the item when it follows another item


@dataclass
class _Line:
    items: list[_Item]
    align: str = "left"  # left | center | right
    space_before: float = 0.0  # in line heights


@dataclass
class _Column:
    x0: float  # fractions of the text width
    x1: float
    lines: list[_Line]
    boxed: bool = False


@dataclass
class _Row:
    columns: list[_Column]
    space_before: float = 0.0  # in line heights


@dataclass
class _Fonts:
    px: int
    label: ImageFont.FreeTypeFont
    bold: ImageFont.FreeTypeFont
    italic: ImageFont.FreeTypeFont
    value: ImageFont.FreeTypeFont
    files: tuple[Path, Path, Path]

    def sized(self, scale: float, bold: bool = True) -> ImageFont.FreeTypeFont:
        return _font(self.files[1] if bold else self.files[0], max(8, round(self.px * scale)))


def _text_token(text: str, font: ImageFont.FreeTypeFont, role: str = "other") -> _Token:
    ascent, descent = font.getmetrics()

    def paint(canvas: _Canvas, x: float, baseline: float) -> None:
        canvas.text(x, baseline, text, font)

    return _Token(font.getlength(text), ascent, descent, paint, role, text, font)


def _dots_token(width: float, font: ImageFont.FreeTypeFont) -> _Token:
    """The dotted line of a field left blank on the form."""
    ascent, descent = font.getmetrics()
    px = font.size

    def paint(canvas: _Canvas, x: float, baseline: float) -> None:
        canvas.dots(x, x + width, baseline - px * 0.05, px * 0.33, max(0.8, px / 28))

    return _Token(width, ascent, descent, paint)


def _box_token(
    text: str, font: ImageFont.FreeTypeFont, groups: Sequence[int], line_w: int
) -> _Token:
    """Characters in printed boxes, as on the BHYT and ICD code fields of the paper form."""
    ascent, descent = font.getmetrics()
    cell = max(font.getlength(ch) for ch in "0123456789WM") * 1.25
    group_gap = cell * 0.35
    sizes = list(groups) or [len(text)]
    width = cell * len(text) + group_gap * (len(sizes) - 1)

    def paint(canvas: _Canvas, x: float, baseline: float) -> None:
        top, bottom = baseline - ascent * 1.02, baseline + descent * 0.9
        pos, i = x, 0
        for size in sizes:
            for ch in text[i : i + size]:
                canvas.rect(pos, top, pos + cell, bottom, line_w)
                canvas.text(pos + (cell - font.getlength(ch)) / 2, baseline, ch, font)
                pos += cell
            i += size
            pos += group_gap

    return _Token(width, ascent * 1.1, descent, paint, "value")


def _tick_token(font: ImageFont.FreeTypeFont, checked: bool, mark: str, line_w: int) -> _Token:
    ascent, descent = font.getmetrics()
    side = ascent * 0.8

    def paint(canvas: _Canvas, x: float, baseline: float) -> None:
        top = baseline - side
        canvas.rect(x, top, x + side, baseline, line_w)
        if checked and mark == "x":
            inset = side * 0.18
            canvas.line(x + inset, top + inset, x + side - inset, baseline - inset, line_w + 1)
            canvas.line(x + inset, baseline - inset, x + side - inset, top + inset, line_w + 1)
        elif checked:
            canvas.text(x + (side - font.getlength("X")) / 2, baseline - side * 0.1, "X", font)

    return _Token(side, ascent, descent, paint, "value" if checked else "other")


def _signature_token(rng: random.Random, px: int) -> _Token:
    width, height = px * rng.uniform(5, 8), px * 2.2
    n = 48
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
    freqs = [rng.uniform(1.5, 3.0), rng.uniform(4, 7), rng.uniform(9, 13)]
    amps = [0.35, 0.25, 0.12]
    points = []
    for k in range(n):
        t = k / (n - 1)
        y = sum(
            a * math.sin(2 * math.pi * f * t + p)
            for a, f, p in zip(amps, freqs, phases, strict=True)
        )
        # The x wobble makes the loops of a hand signature.
        points.append(
            (
                t * width + 0.6 * px * math.sin(2 * math.pi * freqs[1] * t + phases[1]),
                y * height * 0.9,
            )
        )
    line_w = max(2, px // 12)

    def paint(canvas: _Canvas, x: float, baseline: float) -> None:
        mid = baseline - height * 0.45
        canvas.polyline([(x + px_, mid + py) for px_, py in points], line_w)

    return _Token(width, height * 0.8, height * 0.2, paint)


def _unit(tokens: list[_Token], gap: float, inner_gap: float = 0.0) -> _Unit:
    placed, x = [], 0.0
    for i, tok in enumerate(tokens):
        if i:
            x += inner_gap
        placed.append((tok, x))
        x += tok.width
    return _Unit(placed, x, gap, inner_gap)


_NUMBER_MARK = "\x00"  # label tokens to be numbered once the page order is known


def _renumber(pages: list[list[_Row]], numbered: bool) -> None:
    """Numbers field labels "1.", "2." ... in the order they are printed."""
    n = 0
    for rows in pages:
        for row in rows:
            for col in row.columns:
                for line in col.lines:
                    for item in line.items:
                        for u, unit in enumerate(item.units):
                            tokens = [t for t, _ in unit.tokens]
                            if not any(t.text.startswith(_NUMBER_MARK) for t in tokens):
                                continue
                            fresh = []
                            for t in tokens:
                                if t.text.startswith(_NUMBER_MARK) and t.font is not None:
                                    n += 1
                                    body = t.text[len(_NUMBER_MARK) :]
                                    t = _text_token(
                                        f"{n}. {body}" if numbered else body, t.font, t.role
                                    )
                                fresh.append(t)
                            item.units[u] = _unit(fresh, unit.gap, unit.inner_gap)


def _words(text: str, font: ImageFont.FreeTypeFont, role: str, space: float) -> list[_Unit]:
    return [_unit([_text_token(w, font, role)], space) for w in text.split()]


# ---------------------------------------------------------------- page layout


@dataclass
class _Page:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    line_h: float
    fonts: _Fonts
    canvas: _Canvas = field(default_factory=_Canvas)
    field_lines: dict[str, bool] = field(default_factory=dict)


def _place_line(page: _Page, line: _Line, x0: float, x1: float, y: float) -> float:
    """Flows the items of one logical line into visual lines; returns the y below them."""
    space = page.fonts.label.getlength(" ")
    visual: list[list[tuple[_Token, float, int]]] = [[]]
    x = x0
    hang = x0
    for idx, item in enumerate(line.items):
        first_of_item = True
        for unit in item.units:
            row = visual[-1]
            if not row:
                nx = x if x > x0 else x0
            elif first_of_item:
                nx = x + (item.gap or 2.5 * space)
                if item.tab is not None:
                    nx = max(nx, x0 + item.tab * (x1 - x0))
                whole = sum(u.width + u.gap for u in item.units) - item.units[0].gap
                if nx + whole > x1 and whole <= x1 - x0:
                    nx = x1 + 1  # rather start the item on a fresh line than split it
            else:
                nx = x + unit.gap
            if row and nx + unit.width > x1:
                visual.append([])
                row = visual[-1]
                nx = hang if not first_of_item else x0
            for tok, dx in unit.tokens:
                row.append((tok, nx + dx, idx))
            if first_of_item:
                value_start = next(
                    (nx + dx for tok, dx in unit.tokens if tok.role == "value"), None
                )
                # Continuation lines of a long value hang under its first word.
                hang = value_start if value_start and value_start - x0 < 0.45 * (x1 - x0) else x0
            x = nx + unit.width
            first_of_item = False
        if item.key:
            page.field_lines[item.key] = True
    y_cur = y
    for row in visual:
        if not row:
            continue
        ascent = max(t.ascent for t, _, _ in row)
        descent = max(t.descent for t, _, _ in row)
        height = max(page.line_h, (ascent + descent) * page.line_h / page.fonts.px * 0.92)
        baseline = y_cur + (height - ascent - descent) / 2 + ascent
        shift = 0.0
        end = max(xx + t.width for t, xx, _ in row)
        if line.align == "center":
            shift = (x1 - x0 - (end - row[0][1])) / 2 + x0 - row[0][1]
        elif line.align == "right":
            shift = x1 - end
        for tok, xx, _ in row:
            tok.paint(page.canvas, xx + shift, baseline)
        _decorate(page, line, row, shift, baseline, x1)
        y_cur += height
    return y_cur


def _decorate(
    page: _Page,
    line: _Line,
    row: list[tuple[_Token, float, int]],
    shift: float,
    baseline: float,
    x1: float,
) -> None:
    """Dotted leaders, underlines and boxes of the fields on one visual line."""
    px = page.fonts.px
    thin = max(1, px // 22)
    for idx, item in enumerate(line.items):
        if item.leader == "none":
            continue
        mine = [(t, xx + shift) for t, xx, i in row if i == idx]
        values = [(t, xx) for t, xx in mine if t.role == "value"]
        if not values:
            continue
        labels = [(t, xx) for t, xx in mine if t.role == "label"]
        v0 = values[0][1]
        v1 = max(xx + t.width for t, xx in values)
        later = [xx for t, xx, i in row if i > idx]
        limit = (min(later) + shift - px) if later else x1
        if item.leader == "dots_under":
            start = labels[-1][1] + labels[-1][0].width + px * 0.2 if labels else v0
            end = max(v1 + px, min(limit, v1 + px * 6))
            # Below the baseline, where typed text sits just above the printed dots.
            page.canvas.dots(start, end, baseline + px * 0.3, px * 0.3, max(0.7, px / 34))
        elif item.leader == "underline":
            page.canvas.line(
                v0 - px * 0.1, baseline + px * 0.14, v1 + px * 0.3, baseline + px * 0.14, thin
            )
        elif item.leader == "rect":
            page.canvas.rect(
                v0 - px * 0.25, baseline - px * 0.95, v1 + px * 0.25, baseline + px * 0.35, thin
            )


def _place_rows(page: _Page, rows: list[_Row]) -> float:
    y = page.top
    text_w = page.right - page.left
    for row in rows:
        y += row.space_before * page.line_h
        bottom = y
        for col in row.columns:
            x0 = page.left + col.x0 * text_w
            x1 = page.left + col.x1 * text_w
            pad = page.fonts.px * 0.5 if col.boxed else 0.0
            yy = y + pad
            for line in col.lines:
                yy += line.space_before * page.line_h
                yy = _place_line(page, line, x0 + pad, x1 - pad, yy)
            yy += pad
            if col.boxed:
                page.canvas.rect(x0, y, x1, yy, max(1, page.fonts.px // 18))
            bottom = max(bottom, yy)
        y = bottom
    return y


# ---------------------------------------------------------------- the form


@dataclass
class _Style:
    language: str
    numbered: bool
    colon: bool
    leader: str
    leader_share: float
    date_style: int
    time_style: int
    bhyt_style: str
    phone_style: int
    sex_style: str
    outcome_style: str
    tick_mark: str
    decimal_comma: bool
    icd_boxes: bool
    tab: float
    labels: dict[str, str]
    units: dict[str, str]


def _draw_style(rng: random.Random, c: ChartContent) -> _Style:
    lang = c.language
    lexicon = load_data("labels")
    labels = {key: rng.choice(options) for key, options in lexicon["fields"][lang].items()}
    if c.national_id_kind == "cmnd":
        labels["patient.national_id"] = labels["patient.national_id.cmnd"]
    units = {key: rng.choice(options) for key, options in lexicon["units"][lang].items()}
    return _Style(
        language=lang,
        numbered=rng.random() < 0.7,
        colon=rng.random() < 0.85,
        leader=rng.choice(
            ["none", "none", "none", "dots_under", "dots_under", "underline", "rect"]
        ),
        leader_share=rng.uniform(0.5, 1.0),
        date_style=rng.randrange(5 if lang == "vi" else 4),
        time_style=rng.randrange(5 if lang == "vi" else 4),
        bhyt_style=rng.choice(["plain", "plain", "spaced", "dashed", "boxes"]),
        phone_style=rng.randrange(4),
        sex_style=rng.choice(["word", "word", "ticks", "code"]),
        outcome_style=rng.choice(["word", "word", "ticks", "code"]),
        tick_mark=rng.choice(["x", "X"]),
        decimal_comma=lang == "vi" and rng.random() < 0.5,
        icd_boxes=rng.random() < 0.25,
        tab=rng.uniform(0.45, 0.6),
        labels=labels,
        units=units,
    )


class _FormBuilder:
    """Turns chart content into rows of items; all wording and layout choices come from rng."""

    def __init__(self, c: ChartContent, rng: random.Random, fonts: _Fonts, style: _Style) -> None:
        self.c, self.rng, self.fonts, self.s = c, rng, fonts, style
        self.lex = load_data("labels")
        self.space = fonts.label.getlength(" ")
        self.filler_share = 0.15

    # -- items

    def _label_text(self, key: str, numbered: bool = True) -> str:
        text = self.s.labels[key]
        if numbered:
            text = _NUMBER_MARK + text
        colon = self.s.colon if self.rng.random() > 0.05 else not self.s.colon
        return text + ":" if colon else text

    def field(
        self,
        key: str | None,
        label: str,
        value: str,
        unit: str = "",
        tab: float | None = None,
        leader: str | None = None,
    ) -> _Item:
        f = self.fonts
        label_tok = _text_token(label, f.label, "label") if label else None
        value_units = _words(value, f.value, "value", f.value.getlength(" "))
        if leader is None:
            leader = self.s.leader if self.rng.random() < self.s.leader_share else "none"
        first_tokens = [t for t, _ in value_units[0].tokens]
        head = _unit([label_tok, *first_tokens], 0, self.space) if label_tok else value_units[0]
        units = [head, *value_units[1:]]
        if unit:
            units.append(_unit([_text_token(unit, f.label)], self.space))
        if len(value_units) > 8 and leader == "rect":
            leader = "none"
        return _Item(units, key=key, tab=tab, leader=leader)

    def keyed(
        self,
        key: str,
        value: str,
        unit: str = "",
        tab: float | None = None,
        leader: str | None = None,
    ) -> _Item:
        return self.field(key, self._label_text(key), value, unit, tab, leader)

    def boxed(self, key: str, value: str, groups: Sequence[int], tab: float | None = None) -> _Item:
        f = self.fonts
        label_tok = _text_token(self._label_text(key), f.label, "label")
        box = _box_token(value, f.value, groups, max(1, f.px // 20))
        return _Item([_unit([label_tok, box], 0, self.space)], key=key, tab=tab)

    def text(
        self,
        text: str,
        font: ImageFont.FreeTypeFont | None = None,
        tab: float | None = None,
        whole: bool = False,
    ) -> _Item:
        font = font or self.fonts.label
        if whole:
            return _Item([_unit([_text_token(text, font)], 0)], tab=tab)
        return _Item(_words(text, font, "other", font.getlength(" ")), tab=tab)

    def choice(
        self,
        key: str | None,
        options: list[str],
        chosen: int,
        style: str,
        tab: float | None = None,
        label: str | None = None,
    ) -> _Item:
        """Sex or outcome as a word, as tick boxes, or as the numbered list with a code box."""
        if style == "word" and key:
            return self.keyed(key, options[chosen], tab=tab)
        f = self.fonts
        line_w = max(1, f.px // 20)
        label_text = self._label_text(key) if key else label or ""
        label_tok = _text_token(label_text, f.label, "label")
        units = [_unit([label_tok], 0)]
        if style == "ticks":
            for i, option in enumerate(options):
                box = _tick_token(f.label, i == chosen, self.s.tick_mark, line_w)
                word = _text_token(option, f.label, "value" if i == chosen else "other")
                units.append(_unit([box, word], self.space * 2.5, self.space * 0.8))
        else:
            for i, option in enumerate(options):
                units.append(_unit([_text_token(f"{i + 1}. {option}", f.label)], self.space * 2))
            units.append(_unit([_box_token(str(chosen + 1), f.value, [1], line_w)], self.space * 3))
        return _Item(units, key=key, tab=tab)

    def fillers(self, section: str, share: float) -> list[_Line]:
        """Form lines that hold no exported field: left blank, or ticked, or a distractor."""
        lines = []
        colon = ":" if self.s.colon else ""
        for spec in self.lex["fillers"][self.s.language][section]:
            if self.rng.random() >= share:
                continue
            label = _NUMBER_MARK + spec["label"]
            if spec.get("kind") == "insurance_expiry":
                expiry = date(self.c.admission.year, 12, 31)
                value = format_date(expiry, self.s.language, self.s.date_style)
                lines.append(_Line([self.field(None, label + colon, value, leader="none")]))
            elif "options" in spec:
                lines.append(
                    _Line(
                        [
                            self.choice(
                                None,
                                spec["options"],
                                0,
                                self.rng.choice(["ticks", "code"]),
                                label=label + colon,
                            )
                        ]
                    )
                )
            else:
                width = self.fonts.px * self.rng.uniform(8, 22)
                tok = _text_token(label + colon, self.fonts.label, "label")
                dots = _dots_token(width, self.fonts.label)
                lines.append(_Line([_Item([_unit([tok, dots], 0, self.space)])]))
        return lines

    # -- formatted values

    def number_text(self, text: str) -> str:
        return text.replace(".", ",") if self.s.decimal_comma else text

    def vital(self, key: str, tab: float | None = None) -> _Item:
        value = self.number_text(self.c.fields[key])
        label = self.s.labels[key]
        unit = "" if "(" in label else self.s.units[key]
        return self.keyed(key, value, unit, tab=tab)

    def sections(self, name: str) -> str:
        return str(self.rng.choice(self.lex["sections"][self.s.language][name]))

    def heading(self, name: str) -> _Line:
        return _Line(
            [self.text(self.sections(name), self.fonts.bold, whole=True)], space_before=0.35
        )

    # -- blocks

    def header(self) -> list[_Row]:
        c, f, lang = self.c, self.fonts, self.s.language
        txt = self.lex["text"][lang]
        small = f.sized(0.92, bold=False)
        left = [
            _Line([self.text(c.health_department, f.sized(0.95), whole=True)]),
            _Line([self.text(c.hospital, f.sized(1.0), whole=True)]),
        ]
        forms = load_data("departments")["forms"][c.form]
        right = []
        if lang == "vi":
            right.append(_Line([self.text(forms["code"], small, whole=True)], align="right"))
        self.dept_in_header = self.rng.random() < 0.55
        if self.dept_in_header:
            items = [
                self.field(
                    "encounter.department",
                    self._label_text("encounter.department", numbered=False),
                    c.fields["encounter.department"],
                )
            ]
            if self.rng.random() < 0.5:
                items.append(self.text(f"{txt['bed']}: {c.bed}"))
            left.append(_Line(items))
        self.record_in_header = self.rng.random() < 0.8
        if self.record_in_header:
            right.append(
                _Line(
                    [
                        self.field(
                            "encounter.record_number",
                            self._label_text("encounter.record_number", numbered=False),
                            c.fields["encounter.record_number"],
                            leader="none",
                        )
                    ],
                    align="right",
                )
            )
        if self.rng.random() < 0.5:
            right.append(
                _Line([self.text(f"{txt['health_code']}: {c.health_code}", small)], align="right")
            )
        split = self.rng.uniform(0.55, 0.62)
        title = self.rng.choice(forms[lang])
        title_font = f.sized(self.rng.uniform(1.45, 1.85))
        return [
            _Row([_Column(0, split, left), _Column(split + 0.02, 1, right)]),
            _Row(
                [
                    _Column(
                        0, 1, [_Line([self.text(title, title_font, whole=True)], align="center")]
                    )
                ],
                space_before=0.4,
            ),
        ]

    def admin(self) -> list[_Line]:
        c, s = self.c, self.s
        lines = [self.heading("admin")]
        name = self.keyed("patient.full_name", c.fields["patient.full_name"])
        dob = self.keyed("patient.birth_date", format_date(c.birth_date, s.language, s.date_style))
        sex_options = [self.lex["sex"][s.language][k] for k in ("male", "female")]
        sex_index = 0 if c.sex == "male" else 1
        groups: list[list[_Item]] = []
        roll = self.rng.random()
        if roll < 0.35:
            groups.append([name, self._tab(dob)])
            groups.append([self.choice("patient.sex", sex_options, sex_index, s.sex_style)])
        elif roll < 0.75:
            groups.append([name])
            groups.append(
                [dob, self._tab(self.choice("patient.sex", sex_options, sex_index, s.sex_style))]
            )
        else:
            groups.append([name])
            groups.append([dob])
            groups.append([self.choice("patient.sex", sex_options, sex_index, s.sex_style)])
        if self.rng.random() < 0.3:
            groups[-1].append(
                self._tab(self.text(f"{self.lex['text'][s.language]['age']}: {c.age}"), 0.78)
            )
        occupation = self.keyed("patient.occupation", c.fields["patient.occupation"])
        ethnicity = self.keyed("patient.ethnicity", c.fields["patient.ethnicity"])
        pair = [ethnicity, occupation] if self.rng.random() < 0.6 else [occupation, ethnicity]
        rest: list[list[_Item]] = []
        if self.rng.random() < 0.6:
            rest.append([pair[0], self._tab(pair[1])])
        else:
            rest += [[pair[0]], [pair[1]]]
        rest.append([self.keyed("patient.address", c.fields["patient.address"])])
        national_id = self.keyed("patient.national_id", c.fields["patient.national_id"])
        insurance = self.insurance()
        phone = self.keyed("patient.phone", format_phone(c.fields["patient.phone"], s.phone_style))
        if self.rng.random() < 0.3:
            rest.append([national_id, self._tab(phone)])
            rest.append([insurance])
        else:
            rest += [[national_id], [insurance], [phone]]
        if c.relative:
            rest.append([self.text(f"{self._label_text_plain('relative')}: {c.relative}")])
        # Forms differ in field order: swap neighbours now and then.
        for i in range(len(rest) - 1):
            if self.rng.random() < 0.25:
                rest[i], rest[i + 1] = rest[i + 1], rest[i]
        lines += [_Line(g) for g in groups + rest]
        return lines + self.fillers("admin", self.filler_share)

    def _label_text_plain(self, name: str) -> str:
        return str(self.lex["text"][self.s.language][name])

    def _tab(self, item: _Item, tab: float | None = None) -> _Item:
        item.tab = self.s.tab if tab is None else tab
        return item

    def insurance(self) -> _Item:
        number = self.c.fields["patient.insurance_number"]
        if self.s.bhyt_style == "boxes":
            return self.boxed("patient.insurance_number", number, [2, 1, 2, 10])
        return self.keyed("patient.insurance_number", format_insurance(number, self.s.bhyt_style))

    def admission_times(self, with_discharge: bool) -> list[_Line]:
        c, s = self.c, self.s
        lines = [self.heading("management")]
        if not self.record_in_header:
            lines.append(
                _Line([self.keyed("encounter.record_number", c.fields["encounter.record_number"])])
            )
        lines.append(
            _Line(
                [
                    self.keyed(
                        "encounter.admission_time",
                        format_time(c.admission, s.language, s.time_style),
                    )
                ]
            )
        )
        if not self.dept_in_header:
            lines.append(
                _Line([self.keyed("encounter.department", c.fields["encounter.department"])])
            )
        if with_discharge:
            lines.append(self.discharge_time())
        if self.rng.random() < 0.5:
            days = (c.discharge.date() - c.admission.date()).days
            lines.append(_Line([self.text(f"{self._label_text_plain('total_days')}: {days}")]))
        return lines + self.fillers("management", self.filler_share)

    def discharge_time(self) -> _Line:
        c, s = self.c, self.s
        return _Line(
            [
                self.keyed(
                    "encounter.discharge_time", format_time(c.discharge, s.language, s.time_style)
                )
            ]
        )

    def diagnosis(self, with_admission: bool, with_discharge: bool) -> list[_Line]:
        c = self.c
        lines = [self.heading("diagnosis")]
        if with_admission:
            lines.append(
                _Line(
                    [
                        self.keyed(
                            "encounter.admission_diagnosis",
                            c.fields["encounter.admission_diagnosis"],
                        )
                    ]
                )
            )
        if with_discharge:
            lines += self.discharge_diagnosis()
        return lines + self.fillers("diagnosis", self.filler_share / 2)

    def discharge_diagnosis(self) -> list[_Line]:
        c, s = self.c, self.s
        dx = self.keyed("encounter.discharge_diagnosis", c.fields["encounter.discharge_diagnosis"])
        code = c.fields["encounter.discharge_icd10"]
        if s.icd_boxes:
            icd = self.boxed("encounter.discharge_icd10", code, [len(code)], tab=0.74)
        else:
            icd = self.keyed("encounter.discharge_icd10", code, tab=0.74, leader="none")
        lines = [_Line([dx, icd])] if self.rng.random() < 0.6 else [_Line([dx]), _Line([icd])]
        if c.secondary or self.rng.random() < 0.5:
            lines.append(self.secondary())
        return lines

    def secondary(self) -> _Line:
        c, s = self.c, self.s
        lang = s.language
        label = self.s.labels["secondary_icd10"] + (":" if s.colon else "")
        if not c.secondary:
            text = "Không" if lang == "vi" else "None"
        elif self.rng.random() < 0.5:
            text = "; ".join(f"{d.title[lang]} ({d.code})" for d in c.secondary)
        else:
            text = "; ".join(f"{d.code} - {d.title[lang]}" for d in c.secondary)
        return _Line([self.field("secondary_icd10", label, text, leader="none")])

    def outcome_lines(self) -> list[_Line]:
        lang = self.s.language
        words = self.lex["outcome"][lang]
        order = ["recovered", "improved", "unchanged", "worse", "deceased"]
        item = self.choice(
            "encounter.outcome",
            [words[k] for k in order],
            order.index(self.c.outcome),
            self.s.outcome_style,
        )
        return [self.heading("outcome"), _Line([item])]

    def vitals(self) -> list[_Row]:
        keys = [
            "vitals.pulse",
            "vitals.temperature",
            "vitals.blood_pressure",
            "vitals.respiratory_rate",
            "vitals.weight",
        ]
        heading = _Row([_Column(0, 1, [self.heading("exam")])])
        txt = self.lex["text"][self.s.language]
        reason = _Line([self.text(f"{txt['reason']}: {self.c.reason}")])
        roll = self.rng.random()
        if roll < 0.4:  # the box at the right of the paper form
            box = [_Line([self.vital(k)]) for k in keys]
            return [heading, _Row([_Column(0, 0.55, [reason]), _Column(0.62, 1, box, boxed=True)])]
        if roll < 0.75:
            first = [self.vital(keys[0]), self.vital(keys[1], 0.34), self.vital(keys[2], 0.67)]
            second = [self.vital(keys[3]), self.vital(keys[4], 0.34)]
            return [heading, _Row([_Column(0, 1, [reason, _Line(first), _Line(second)])])]
        return [heading, _Row([_Column(0, 1, [reason] + [_Line([self.vital(k)]) for k in keys])])]

    def treatment(self) -> list[_Line]:
        lang = self.s.language
        drugs = load_data("drugs")
        lines = [self.heading("treatment")]
        bullet = self.rng.choice(["{n}.", "-", "+", "{n})"])
        sep = self.rng.choice([", ", " - ", "  "])
        compact_strength = lang == "vi" and self.rng.random() < 0.3
        for n, med in enumerate(self.c.medications, 1):
            route = drugs["routes"][med.route][lang]
            route_text = route[0] if self.rng.random() < 0.75 else self.rng.choice(route)
            freq = drugs["frequencies"][str(med.per_day)][lang]
            freq_text = freq[0] if self.rng.random() < 0.7 else self.rng.choice(freq)
            strength = med.strength.replace(" ", "") if compact_strength else med.strength
            text = (
                f"{bullet.format(n=n)} {med.printed_name[lang]} {strength}{sep}{route_text}"
                f"{sep}{freq_text}"
            )
            lines.append(_Line([self.field("medications", "", text, leader="none")]))
        return lines

    def signature(self, date_of: datetime) -> list[_Row]:
        c, f, lang = self.c, self.fonts, self.s.language
        txt = self.lex["text"][lang]
        physician = c.fields["encounter.attending_physician"]
        if self.rng.random() < 0.25:  # a plain line instead of the signature block
            line = _Line([self.keyed("encounter.attending_physician", physician)], space_before=0.6)
            return [_Row([_Column(0, 1, [line])])]
        d = date_of.date()
        date_text = (
            txt["date_line"].format(d=d.day, m=d.month, y=d.year)
            if lang == "vi"
            else txt["date_line"].format(date=format_date(d, "en", self.s.date_style))
        )
        italic = f.italic
        hint = self.rng.choice(txt["signature_hint"])
        heading_font = f.bold
        name_style = self.rng.random()
        if name_style < 0.45:
            name_item = self.field("encounter.attending_physician", "", physician, leader="none")
        elif name_style < 0.75:
            name_item = self.field(
                "encounter.attending_physician", f"{txt['name']}:", physician, leader="none"
            )
        else:
            label = self.s.labels["encounter.attending_physician"] + ":"
            name_item = self.field("encounter.attending_physician", label, physician, leader="none")
        right = [
            _Line([self.text(date_text, italic, whole=True)], align="center"),
            _Line([self.text(txt["attending_heading"], heading_font, whole=True)], align="center"),
            _Line([self.text(hint, italic, whole=True)], align="center"),
            _Line([_Item([_unit([_signature_token(self.rng, f.px)], 0)])], align="center"),
            _Line([name_item], align="center"),
        ]
        columns = [_Column(0.5, 1, right)]
        if self.rng.random() < 0.3:
            left = [
                _Line([self.text(" ", italic, whole=True)], align="center"),
                _Line(
                    [self.text(txt["head_of_department"], heading_font, whole=True)], align="center"
                ),
                _Line([self.text(hint, italic, whole=True)], align="center"),
                _Line([_Item([_unit([_signature_token(self.rng, f.px)], 0)])], align="center"),
                _Line([self.text(c.head_of_department, f.label, whole=True)], align="center"),
            ]
            columns.insert(0, _Column(0, 0.45, left))
        return [_Row(columns, space_before=0.6)]


def _full(lines: list[_Line], space: float = 0.0) -> _Row:
    return _Row([_Column(0, 1, lines)], space_before=space)


@dataclass
class RenderedChart:
    pages: list[Image.Image]
    field_pages: dict[str, int]
    point_size: float  # of the body text, after shrinking to fit


def _compose(
    c: ChartContent, rng: random.Random, fonts: _Fonts, style: _Style, pages: int, lean: bool
) -> list[list[_Row]]:
    b = _FormBuilder(c, rng, fonts, style)
    b.filler_share = 0.0 if lean else 0.6 if pages == 2 else 0.15
    page1 = b.header()
    discharge_later = pages == 2 and rng.random() < 0.4
    page1.append(_full(b.admin()))
    page1.append(_full(b.admission_times(with_discharge=not discharge_later)))
    page1.append(_full(b.diagnosis(True, not discharge_later)))
    tail: list[_Row] = []
    if not discharge_later:
        tail.append(_full(b.outcome_lines()))
    middle = b.vitals() + [_full(b.treatment())]
    if rng.random() < 0.3:
        middle = [middle[-1], *middle[:-1]]
    summary: list[_Row] = []
    if discharge_later:
        summary = [
            _full([b.heading("summary"), b.discharge_time(), *b.discharge_diagnosis()[:]]),
            _full(b.outcome_lines()),
        ]
    closing = b.signature(c.discharge)
    if pages == 1:
        layout = [page1 + middle + tail + closing]
        _renumber(layout, style.numbered)
        return layout
    lang = style.language
    cont = rng.choice(load_data("labels")["sections"][lang]["continued"])
    title = rng.choice(load_data("departments")["forms"][c.form][lang])
    top = _full([_Line([b.text(f"{title} {cont}", fonts.bold, whole=True)], align="center")])
    layout = [page1 + tail, [top, *middle, *summary, *closing]]
    _renumber(layout, style.numbered)
    return layout


def render_chart(c: ChartContent, rng: random.Random, dpi: int, pages: int) -> RenderedChart:
    """Draws the chart's pages (white "L" images, A4 at dpi) and notes where each field went."""
    width = round(A4_MM[0] / 25.4 * dpi)
    height = round(A4_MM[1] / 25.4 * dpi)
    mm = dpi / 25.4
    printed = _families(_PRINT_FAMILIES)
    label_files = rng.choice(printed)
    typed_roll = rng.random()
    if typed_roll < TYPEWRITER_SHARE:
        value_files = rng.choice(_families(_TYPEWRITER_FAMILIES))
    elif typed_roll < TYPEWRITER_SHARE + 0.25:
        value_files = rng.choice(printed)
    else:
        value_files = label_files
    point = rng.choice([10, 10.5, 11, 11.5, 12, 12.5, 13])
    spacing = rng.uniform(1.3, 1.75)
    margins = (rng.uniform(15, 24), rng.uniform(10, 18), rng.uniform(12, 18), rng.uniform(12, 18))
    style_seed = rng.getrandbits(64)
    # Tighten leading, then type (not below 10 pt), then drop the blank form lines, until
    # everything fits; the style choices are the same each try.
    lean = False
    while True:
        px = round(point * dpi / 72)
        fonts = _Fonts(
            px,
            _font(label_files[0], px),
            _font(label_files[1], px),
            _font(label_files[2], px),
            _font(value_files[0], px),
            label_files,
        )
        sub = random.Random(style_seed)
        style = _draw_style(sub, c)
        layout = _compose(c, sub, fonts, style, pages, lean)
        out: list[Image.Image] = []
        field_pages: dict[str, int] = {}
        fits = True
        for number, rows in enumerate(layout, 1):
            page = _Page(
                width,
                height,
                margins[0] * mm,
                margins[1] * mm,
                width - margins[2] * mm,
                height - margins[3] * mm,
                px * spacing,
                fonts,
            )
            bottom = _place_rows(page, rows)
            footer = sub.random() < 0.5 and pages == 2
            if bottom > page.bottom - (px * 1.5 if footer else 0):
                fits = False
                break
            image = Image.new("L", (width, height), 255)
            draw = ImageDraw.Draw(image)
            for op in page.canvas.ops:
                op(draw)
            if footer:
                txt = load_data("labels")["text"][c.language]["page"].format(n=number, total=pages)
                small = _font(label_files[0], max(8, round(px * 0.85)))
                draw.text(
                    (width / 2, height - margins[3] * mm * 0.6),
                    txt,
                    font=small,
                    fill=0,
                    anchor="ms",
                )
            out.append(image)
            for key in page.field_lines:
                field_pages.setdefault(key, number)
        if fits:
            return RenderedChart(out, field_pages, point)
        if spacing > 1.25:
            spacing -= 0.1
        elif point > 10:
            point -= 0.5
        elif not lean:
            lean = True
        else:
            raise RuntimeError("chart content does not fit on its pages")
