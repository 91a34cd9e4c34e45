"""The drawing of the "foreign" design (``foreign.py``): fonts, pages, and the section styles —
key/value lists in one or two columns, "Label: value" runs, tables with the labels as column
heads, boxed cells with the label above or beside the value."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from pipeline.synthetic.grid import wrap

_FONTS = Path("/usr/share/fonts/truetype")
#: (regular, bold) of the Debian packages fonts-dejavu-core, fonts-liberation2, fonts-noto-core
_FAMILIES = (
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),
    ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    ("DejaVuSerifCondensed.ttf", "DejaVuSerifCondensed-Bold.ttf"),
    ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"),
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("NotoSerif-Regular.ttf", "NotoSerif-Bold.ttf"),
    ("NotoSansDisplay-Regular.ttf", "NotoSansDisplay-Bold.ttf"),
    ("NotoSerifDisplay-Regular.ttf", "NotoSerifDisplay-Bold.ttf"),
)
#: faces a value may be typed or printed in besides the label's
_VALUE_FACES = (
    "LiberationMono-Regular.ttf",
    "DejaVuSansMono.ttf",
    "NotoSerif-Italic.ttf",
    "LiberationSerif-Italic.ttf",
    "DejaVuSans-ExtraLight.ttf",
)
LEADERS = ("…", "_", ". ", "-", ".", "")  # "" : a colon only
STYLES = ("kv1", "kv2", "inline", "table", "stacked", "side")
_VITALS = (
    "vitals.pulse",
    "vitals.temperature",
    "vitals.blood_pressure",
    "vitals.respiratory_rate",
    "vitals.weight",
)
_LONG = {
    "patient.address",
    "encounter.admission_diagnosis",
    "encounter.discharge_diagnosis",
    "secondary_icd10",
    "patient.full_name",
}


@functools.cache
def _font_path(name: str) -> Path:
    found = sorted(_FONTS.glob(f"**/{name}"))
    if not found:
        raise RuntimeError(
            f"font {name} not found under {_FONTS}: install the Debian packages "
            "fonts-dejavu-core, fonts-liberation2 and fonts-noto-core"
        )
    return found[0]


@functools.lru_cache(maxsize=256)
def _face(name: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_path(name)), max(8, px))


@dataclass
class _Entry:
    key: str | None  # the truth key printed, None for the form's other text
    label: str
    value: str
    options: list[str] | None = None  # tick boxes, value the ticked one
    dy: float = 0.0  # typed over a printed form: the value's baseline off, in line heights


@dataclass
class _Section:
    heading: str | None
    style: str
    entries: list[_Entry]
    page_break: bool = False


@dataclass
class _Plan:
    """Every random choice of a chart, made before anything is laid out (shrinking to fit
    lays the same plan out again, smaller)."""

    families: tuple[str, str]
    value_face: str
    point: float
    leader: str
    mode: str  # colon | fill | under | trail
    tab: float  # where kv values start, a share of the column
    rule: int
    header: list[tuple[str, str]]  # (text, where) where: left | centre | right | title
    sections: list[_Section]
    footer: list[_Entry]
    seed: int
    stamp: str | None
    photocopy: float | None
    header_key: str | None = None  # a field printed in the header (the record number)


class _Sheet:
    """Pages being drawn, and where the next row goes."""

    def __init__(self, plan: _Plan, size: tuple[int, int], mm: float, max_pages: int, px: int):
        self.plan, self.size, self.mm, self.max_pages, self.px = plan, size, mm, max_pages, px
        self.x0, self.x1 = 16 * mm, size[0] - 14 * mm
        self.top, self.bottom = 14 * mm, size[1] - 14 * mm
        reg, bold = plan.families
        self.label, self.bold = _face(reg, px), _face(bold, px)
        self.small, self.small_bold = _face(reg, round(px * 0.85)), _face(bold, round(px * 0.85))
        self.value = _face(plan.value_face, px)
        self.step = px * 1.45
        self.pages: list[Image.Image] = []
        self.field_pages: dict[str, int] = {}
        self.overflow = False
        self.new_page()

    def new_page(self) -> None:
        if len(self.pages) >= self.max_pages:
            self.overflow = True
        self.pages.append(Image.new("L", self.size, 255))
        self.draw = ImageDraw.Draw(self.pages[-1])
        self.y = self.top

    def need(self, height: float) -> float:
        if self.y + height > self.bottom and self.y > self.top:
            self.new_page()
        return self.y

    def text(self, x: float, y: float, s: str, font: ImageFont.FreeTypeFont) -> None:
        self.draw.text((x, y), s, font=font, fill=0)

    def mark(self, key: str | None) -> None:
        if key:
            self.field_pages.setdefault(key, len(self.pages))

    def leader(self, x: float, x1: float, y: float, font: ImageFont.FreeTypeFont) -> None:
        shape = self.plan.leader
        if not shape or x1 - x < font.size:
            return
        n = int((x1 - x) / font.getlength(shape))
        self.text(x, y, shape * n, font)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """grid.wrap, with one empty line for no words (a cell keeps its height)."""
    return wrap(text, font, width) or [""]


def _value(s: _Sheet, x: float, y: float, e: _Entry, width: float) -> int:
    """The value from (x, y) in width: tick boxes, or wrapped words; returns its line count."""
    y += e.dy * s.step
    if e.options:
        side = s.px * 0.75
        words = [s.value.getlength(o) + side * 2.2 for o in e.options]
        if sum(words) <= width:
            for option, w in zip(e.options, words, strict=True):
                top = y + s.px * 0.2
                s.draw.rectangle([x, top, x + side, top + side], outline=0, width=s.plan.rule)
                if option == e.value:
                    s.draw.line([x + 2, top + 2, x + side - 2, top + side - 2], 0, s.plan.rule + 1)
                    s.draw.line([x + 2, top + side - 2, x + side - 2, top + 2], 0, s.plan.rule + 1)
                s.text(x + side * 1.4, y, option, s.value)
                x += w
            return 1
    lines = _wrap(e.value, s.value, width)
    for i, line in enumerate(lines):
        s.text(x, y + i * s.step, line, s.value)
    return len(lines)


def _label(s: _Sheet, e: _Entry, colon: bool) -> str:
    return e.label + (":" if colon and e.label and not e.label.endswith(":") else "")


# ------------------------------------------------------------------ the section styles

Paint = Callable[["_Sheet", float], object]
Row = tuple[float, Paint]


def _kv_row(s: _Sheet, e: _Entry, x0: float, x1: float) -> Row:
    """Label, a leader as the chart's mode has it, the value at the tab or after the label."""
    mode, gap = s.plan.mode, s.px * 0.5
    label = _label(s, e, mode != "fill" or s.plan.leader == "")
    heads = _wrap(label, s.label, x1 - x0) if s.label.getlength(label) > x1 - x0 else [label]
    lw = s.label.getlength(heads[-1])
    vx = max(x0 + (x1 - x0) * s.plan.tab, x0 + lw + gap)
    if mode in ("colon", "trail") and s.plan.tab < 0.2:
        vx = x0 + lw + gap
    if vx > x1 - (x1 - x0) * 0.3:
        vx = x0 + lw + gap
    wide = s.value.getlength(e.value) if not e.options else s.px * 3 * len(e.options)
    below = x1 - vx < wide and x1 - vx < (x1 - x0) * 0.35  # no room: the value under the label
    if below:
        vx = x0 + s.px
    n = len(_wrap(e.value, s.value, x1 - vx)) if not e.options else 1

    def paint(sh: _Sheet, y: float) -> None:
        for i, head in enumerate(heads):
            sh.text(x0, y + i * sh.step, head, sh.label)
        y += (len(heads) - 1) * sh.step
        if below:
            y += sh.step
        elif mode == "fill":
            sh.leader(x0 + lw + gap * 0.3, vx - gap * 0.3, y, sh.label)
        elif mode == "under":
            sh.leader(x0 + lw + gap * 0.3, x1, y + sh.px * 0.12, sh.label)
        lines = _value(sh, vx, y, e, x1 - vx)
        if mode == "trail" and lines == 1 and not e.options:
            end = vx + sh.value.getlength(_wrap(e.value, sh.value, x1 - vx)[0]) + gap
            sh.leader(end, x1, y, sh.label)
        sh.mark(e.key)

    return (n + below + len(heads) - 1) * s.step, paint


def _kv(s: _Sheet, entries: list[_Entry], columns: int) -> list[Row]:
    rows: list[Row] = []
    x0, x1 = s.x0, s.x1
    mid = x0 + (x1 - x0) / 2
    pending: list[_Entry] = []

    def flush() -> None:
        while pending:
            pair = pending[:2]
            del pending[:2]
            if len(pair) == 1 or columns == 1:
                rows.extend(_kv_row(s, e, x0, x1) for e in pair)
                continue
            left, right = _kv_row(s, pair[0], x0, mid - s.px), _kv_row(s, pair[1], mid, x1)
            rows.append((max(left[0], right[0]), _both(left[1], right[1])))

    for e in entries:
        if e.key in _LONG or columns == 1:
            flush()
            rows.append(_kv_row(s, e, x0, x1))
        else:
            pending.append(e)
    flush()
    return rows


def _both(a: Paint, b: Paint) -> Paint:
    return lambda sh, y: (a(sh, y), b(sh, y))


def _inline(s: _Sheet, entries: list[_Entry]) -> list[Row]:
    """ "Label: value" pieces run along the line, three ems apart; a long one on its own."""
    rows: list[Row] = []
    line: list[tuple[_Entry, float, float]] = []  # entry, x, width
    x, space = s.x0, s.px * 2.5

    def flush() -> None:
        if line:
            items = list(line)
            rows.append(
                (s.step, lambda sh, y: [_kv_row(sh, e, a, a + w)[1](sh, y) for e, a, w in items])
            )
            line.clear()

    for e in entries:
        lw = s.label.getlength(_label(s, e, True)) + s.px * (0.5 if s.plan.mode == "colon" else 3.5)
        w = lw + (
            s.value.getlength(e.value)
            if not e.options
            else s.px * 1.8 * len(e.options) + sum(s.value.getlength(o) for o in e.options)
        )
        if x + w > s.x1 and line:
            flush()
            x = s.x0
        if x + w > s.x1:
            rows.append(_kv_row(s, e, s.x0, s.x1))
            continue
        line.append((e, x, w))
        x += w + space
    flush()
    return rows


def _table(s: _Sheet, entries: list[_Entry], ruled: bool) -> list[Row]:
    """The labels as column heads, the values in the row under them, up to four a table."""
    rows: list[Row] = []
    short = [e for e in entries if e.key not in _LONG]
    pad = s.px * 0.35
    for i in range(0, len(short), 4):
        chunk = short[i : i + 4]
        need = [
            max(s.small_bold.getlength(e.label), s.value.getlength(e.value)) + s.px for e in chunk
        ]
        scale = (s.x1 - s.x0) / sum(need)
        edges = [s.x0]
        for n in need:
            edges.append(edges[-1] + n * scale)
        heads = [
            _wrap(e.label, s.small_bold, b - a - 2 * pad)
            for e, a, b in zip(chunk, edges, edges[1:], strict=False)
        ]
        vals = [
            _wrap(e.value, s.value, b - a - 2 * pad)
            for e, a, b in zip(chunk, edges, edges[1:], strict=False)
        ]
        hh = max(len(h) for h in heads) * s.px * 1.2 + 2 * pad
        vh = max(len(v) for v in vals) * s.step + 2 * pad

        def paint(
            sh: _Sheet, y: float, chunk=chunk, edges=edges, heads=heads, hh=hh, vh=vh
        ) -> None:
            for e, a, b, head in zip(chunk, edges, edges[1:], heads, strict=False):
                for j, t in enumerate(head):
                    sh.text(a + pad, y + pad + j * sh.px * 1.2, t, sh.small_bold)
                _value(
                    sh, a + pad, y + hh + pad, _Entry(e.key, "", e.value, dy=e.dy), b - a - 2 * pad
                )
                sh.mark(e.key)
                if ruled:
                    sh.draw.rectangle([a, y, b, y + hh + vh], outline=0, width=sh.plan.rule)
            sh.draw.line([edges[0], y + hh, edges[-1], y + hh], 0, sh.plan.rule)

        rows.append((hh + vh + s.px * 0.4, paint))
    return rows + _kv(s, [e for e in entries if e.key in _LONG], 1)


def _cells(s: _Sheet, entries: list[_Entry], stacked: bool) -> list[Row]:
    """Boxed cells, two or three a row: the label above the value or before it."""
    rows: list[Row] = []
    groups: list[list[_Entry]] = []
    for e in entries:
        if e.key in _LONG or not groups or len(groups[-1]) == 3 or groups[-1][0].key in _LONG:
            groups.append([e])
        else:
            groups[-1].append(e)
    pad = s.px * 0.4
    for g in groups:
        width = (s.x1 - s.x0) / len(g)
        spans = [(s.x0 + i * width, s.x0 + (i + 1) * width) for i in range(len(g))]
        if stacked:
            lines = [len(_wrap(e.value, s.value, width - 2 * pad)) for e in g]
            h = s.px * 1.15 + max(lines) * s.step + 2 * pad
        else:
            h = (
                max(_kv_row(s, e, a + pad, b - pad)[0] for e, (a, b) in zip(g, spans, strict=False))
                + 2 * pad
            )

        def paint(sh: _Sheet, y: float, g=g, spans=spans, h=h) -> None:
            for e, (a, b) in zip(g, spans, strict=False):
                sh.draw.rectangle([a, y, b, y + h], outline=0, width=sh.plan.rule)
                if stacked:
                    sh.text(a + pad, y + pad * 0.6, e.label, sh.small)
                    _value(sh, a + pad, y + pad + sh.px * 1.15, e, b - a - 2 * pad)
                    sh.mark(e.key)
                else:
                    _kv_row(sh, e, a + pad, b - pad)[1](sh, y + pad)

        rows.append((h, paint))
    return rows


def _section_rows(s: _Sheet, sec: _Section) -> list[Row]:
    style = sec.style
    if style in ("kv1", "kv2"):
        return _kv(s, sec.entries, 1 if style == "kv1" else 2)
    if style == "inline":
        return _inline(s, sec.entries)
    if style == "table":
        return _table(s, sec.entries, ruled=s.plan.rule > 1 or s.plan.seed % 2 == 0)
    return _cells(s, sec.entries, stacked=style == "stacked")
