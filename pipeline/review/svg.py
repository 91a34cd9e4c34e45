"""Charts drawn on the server as SVG text: no JavaScript library, nothing from a CDN.

Every text that goes into a chart is escaped here; charts scale to their panel's width.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape

INK, MUTED, GRID, TRACK = "#1d2329", "#5f6b76", "#e3e8ed", "#eef1f4"
STATE_COLOURS = {
    "loaded": "#2e7d32",
    "in_review": "#f9a825",
    "queued": "#90a4ae",
    "failed": "#c62828",
}
CHAR = 6.6  # average width of a 12 px DejaVu Sans character, for laying out text


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _svg(width: int, height: int, label: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-label="{_e(label)}" '
        'font-family="DejaVu Sans, system-ui, sans-serif" font-size="12" '
        f'style="width:100%;height:auto">{body}</svg>'
    )


def empty(label: str, message: str = "nothing yet", width: int = 760, height: int = 60) -> str:
    return _svg(
        width,
        height,
        label,
        f'<rect class="empty" width="{width}" height="{height}" rx="6" fill="{TRACK}"/>'
        f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="{MUTED}">'
        f"{_e(message)}</text>",
    )


def nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` gridlines."""
    if top <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(top / ticks))
    return min((m * power for m in (1, 2, 5, 10)), key=lambda step: abs(top / step - ticks))


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 or value == int(value) else f"{value:.1f}"


def stacked_bar(label: str, parts: Sequence[tuple[str, int]], width: int = 760) -> str:
    """One bar split by share (documents by state), with a legend of counts and shares."""
    total = sum(n for _, n in parts)
    if total == 0:
        return empty(label)
    body, x = [], 0.0
    body.append(f'<rect width="{width}" height="30" rx="5" fill="{TRACK}"/>')
    for name, n in parts:
        if not n:
            continue
        w = width * n / total
        colour = STATE_COLOURS.get(name, "#546e7a")
        body.append(
            f'<rect class="part" x="{x:.1f}" width="{w:.1f}" height="30" fill="{colour}">'
            f"<title>{_e(name.replace('_', ' '))}: {n:,} ({n / total:.0%})</title></rect>"
        )
        x += w
    lx = 0.0
    for name, n in parts:
        text = f"{name.replace('_', ' ')} {n:,} ({n / total:.0%})"
        colour = STATE_COLOURS.get(name, "#546e7a")
        body.append(
            f'<rect x="{lx:.1f}" y="44" width="11" height="11" rx="2" fill="{colour}"/>'
            f'<text x="{lx + 16:.1f}" y="54" fill="{INK}">{_e(text)}</text>'
        )
        lx += 16 + len(text) * CHAR + 22
    return _svg(width, 62, label, "".join(body))


def _y_axis(top: float, x0: int, x1: int, y0: int, height: int) -> tuple[str, float]:
    step = nice_step(top)
    limit = step * math.ceil(top / step) if top > 0 else step
    lines = []
    for i in range(int(round(limit / step)) + 1):
        value = i * step
        y = y0 + height - height * value / limit
        lines.append(
            f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{_number(value)}</text>"
        )
    return "".join(lines), limit


def _day_ticks(
    hours: Sequence[datetime], x_of: Callable[[int], float], y: float, right: float
) -> str:
    """A tick at each midnight, labelled with the day when the label fits before ``right``."""
    out = []
    for i, h in enumerate(hours):
        if h.hour == 0:
            x = x_of(i)
            label = f"{h:%a %d %b}"
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + 4}" stroke="{MUTED}"/>')
            if x + 3 + len(label) * CHAR <= right:
                out.append(f'<text x="{x + 3:.1f}" y="{y + 16}" fill="{MUTED}">{label}</text>')
    return "".join(out)


def hourly_bars(
    label: str,
    hours: Sequence[datetime],
    values: Sequence[float],
    unit: str,
    colour: str = "#1565c0",
    width: int = 760,
    height: int = 190,
) -> str:
    """One bar per clock hour over days (pages read, decisions made), a day tick at midnight."""
    if not any(values):
        return empty(label, f"no {unit} in the last {len(hours) // 24} days")
    x0, y0, x1, plot_h = 48, 10, width - 8, height - 40
    grid, limit = _y_axis(max(values), x0, x1, y0, plot_h)
    slot = (x1 - x0) / len(hours)
    bars = []
    for i, (h, v) in enumerate(zip(hours, values, strict=True)):
        if not v:
            continue
        bar_h = plot_h * v / limit
        bars.append(
            f'<rect class="bar" x="{x0 + i * slot + slot * 0.1:.1f}" y="{y0 + plot_h - bar_h:.1f}" '
            f'width="{max(slot * 0.8, 1):.1f}" height="{bar_h:.1f}" fill="{colour}">'
            f"<title>{h:%d %b %H}:00 · {_number(v)} {_e(unit)}</title></rect>"
        )
    ticks = _day_ticks(hours, lambda i: x0 + i * slot, y0 + plot_h, width)
    axis = f'<line x1="{x0}" x2="{x1}" y1="{y0 + plot_h}" y2="{y0 + plot_h}" stroke="{MUTED}"/>'
    return _svg(width, height, label, grid + "".join(bars) + axis + ticks)


def hourly_line(
    label: str,
    hours: Sequence[datetime],
    values: Sequence[float],
    unit: str,
    colour: str = "#ef6c00",
    width: int = 760,
    height: int = 190,
) -> str:
    """A level over days (the review backlog), as a line over a light area."""
    if not any(values):
        return empty(label, f"no {unit} in the last {len(hours) // 24} days")
    x0, y0, x1, plot_h = 48, 10, width - 8, height - 40
    grid, limit = _y_axis(max(values), x0, x1, y0, plot_h)
    step = (x1 - x0) / max(len(hours) - 1, 1)
    points = [(x0 + i * step, y0 + plot_h - plot_h * v / limit) for i, v in enumerate(values)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    base = y0 + plot_h
    area = f"{x0},{base} {line} {points[-1][0]:.1f},{base}"
    last = values[-1]
    body = (
        grid
        + f'<polygon points="{area}" fill="{colour}" fill-opacity="0.15"/>'
        + f'<polyline class="line" points="{line}" fill="none" stroke="{colour}" '
        'stroke-width="2" stroke-linejoin="round"/>'
        + f'<circle cx="{points[-1][0]:.1f}" cy="{points[-1][1]:.1f}" r="3.5" fill="{colour}">'
        f"<title>now · {_number(last)} {_e(unit)}</title></circle>"
        + f'<line x1="{x0}" x2="{x1}" y1="{base}" y2="{base}" stroke="{MUTED}"/>'
        + _day_ticks(hours, lambda i: x0 + i * step, base, width)
    )
    return _svg(width, height, label, body)


def hbars(
    label: str,
    rows: Sequence[tuple[str, float, str]],
    top: float | None = None,
    colour: str = "#2e7d32",
    percent: bool = False,
    width: int = 760,
) -> str:
    """One horizontal bar per row: (name, value, the text written after the bar)."""
    if not rows:
        return empty(label)
    top = top or max(v for _, v, _ in rows) or 1.0
    name_w = min(max(len(n) for n, _, _ in rows) * CHAR + 12, 260)
    text_w = max(len(t) for _, _, t in rows) * CHAR + 12
    x0, x1, row_h = name_w, width - text_w, 22
    body = []
    for i, (name, value, text) in enumerate(rows):
        y = 6 + i * row_h
        w = (x1 - x0) * min(value / top, 1.0)
        body.append(
            f'<text x="{x0 - 8}" y="{y + 12}" text-anchor="end" fill="{INK}">{_e(name)}</text>'
            f'<rect x="{x0}" y="{y}" width="{x1 - x0}" height="16" rx="3" fill="{TRACK}"/>'
            f'<rect class="bar" x="{x0}" y="{y}" width="{w:.1f}" height="16" rx="3" '
            f'fill="{colour}"><title>{_e(name)}: {_e(text)}</title></rect>'
            f'<text x="{x1 + 6}" y="{y + 12}" fill="{MUTED}">{_e(text)}</text>'
        )
    if percent:
        for share in (0.5, 0.9):
            x = x0 + (x1 - x0) * share
            body.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="2" y2="{6 + len(rows) * row_h}" '
                f'stroke="{MUTED}" stroke-dasharray="2 3"/>'
            )
    return _svg(width, 12 + len(rows) * row_h, label, "".join(body))


def intervals(
    label: str, rows: Sequence[tuple[str, float, float, float, str]], width: int = 760
) -> str:
    """Estimates with their confidence interval (measured precision): (name, estimate, low,
    high, text). The axis starts at a round share below the lowest bound."""
    if not rows:
        return empty(label)
    floor_ = max(0.0, math.floor(min(lo for _, _, lo, _, _ in rows) * 10) / 10 - 0.1)
    name_w = min(max(len(n) for n, *_ in rows) * CHAR + 12, 260)
    text_w = max(len(t) for *_, t in rows) * CHAR + 12
    x0, x1, row_h = name_w, width - text_w, 22
    x_of = lambda v: x0 + (x1 - x0) * (v - floor_) / (1 - floor_)  # noqa: E731
    body = []
    step = nice_step(1 - floor_, 5)
    ticks = [floor_ + i * step for i in range(int(round((1 - floor_) / step)) + 1)]
    bottom = 6 + len(rows) * row_h
    for t in ticks:
        body.append(
            f'<line x1="{x_of(t):.1f}" x2="{x_of(t):.1f}" y1="2" y2="{bottom}" stroke="{GRID}"/>'
            f'<text x="{x_of(t):.1f}" y="{bottom + 14}" text-anchor="middle" fill="{MUTED}">'
            f"{t:.0%}</text>"
        )
    for i, (name, p, lo, hi, text) in enumerate(rows):
        y = 6 + i * row_h + 8
        body.append(
            f'<text x="{x0 - 8}" y="{y + 4}" text-anchor="end" fill="{INK}">{_e(name)}</text>'
            f'<line x1="{x_of(lo):.1f}" x2="{x_of(hi):.1f}" y1="{y}" y2="{y}" stroke="#1565c0" '
            'stroke-width="3" stroke-linecap="round"/>'
            f'<circle class="estimate" cx="{x_of(p):.1f}" cy="{y}" r="5" fill="#0d47a1">'
            f"<title>{_e(name)}: {_e(text)}</title></circle>"
            f'<text x="{x1 + 6}" y="{y + 4}" fill="{MUTED}">{_e(text)}</text>'
        )
    return _svg(width, bottom + 20, label, "".join(body))
