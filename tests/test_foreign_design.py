"""The held-out "foreign" design (pipeline/synthetic/foreign.py): it renders, a seed gives the same
bytes, seeds give other layouts, its truth says what it printed, and calibration never uses it.
No OCR: what was drawn is caught at the drawing call."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from PIL import ImageDraw

from pipeline.synthetic import FIELD_KEYS, generate_charts
from pipeline.synthetic.content import make_content
from pipeline.synthetic.foreign import _plan, render_foreign
from pipeline.synthetic.foreign_layout import LEADERS, STYLES
from pipeline.synthetic.generate import CALIBRATION_DESIGNS, DESIGNS


def _drawn(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    texts: list[str] = []
    original = ImageDraw.ImageDraw.text

    def text(self: ImageDraw.ImageDraw, xy: object, s: str, *args: object, **kw: object) -> None:
        texts.append(s)
        original(self, xy, s, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", text)
    return texts


def test_a_seed_gives_the_same_chart_and_truth(tmp_path: Path) -> None:
    kw = {"formats": ("png", "tiff"), "dpi_range": (100, 100), "design": "foreign"}
    first = generate_charts(tmp_path / "a", tmp_path / "at", 2, 41, **kw)  # type: ignore[arg-type]
    again = generate_charts(tmp_path / "b", tmp_path / "bt", 2, 41, **kw)  # type: ignore[arg-type]
    assert first == again
    for t in first:
        assert (tmp_path / "a" / t.document).read_bytes() == (
            tmp_path / "b" / t.document
        ).read_bytes()
        assert set(FIELD_KEYS) <= set(t.field_pages)
        assert set(t.field_pages.values()) <= set(range(1, t.pages + 1))
        # the lists are in the truth exactly when printed
        assert bool(t.medications) <= ("medications" in t.field_pages)
        assert bool(t.secondary_icd10) <= ("secondary_icd10" in t.field_pages)


def _signature(seed: int) -> tuple[object, ...]:
    rng = random.Random(seed)
    plan = _plan(make_content(rng, rng.choice(["vi", "en"])), rng, 2)
    return (
        plan.families,
        plan.leader,
        plan.mode,
        tuple((s.style, tuple(e.label for e in s.entries)) for s in plan.sections),
    )


def test_seeds_give_layouts_of_their_own() -> None:
    plans = [_signature(seed) for seed in range(40)]
    assert len(set(plans)) == len(plans)  # no two alike
    styles = {style for p in plans for style, _ in p[3]}  # type: ignore[attr-defined]
    assert set(STYLES) <= styles
    assert {p[1] for p in plans} == set(LEADERS)
    assert len({p[0] for p in plans}) >= 6  # fonts
    orders = {tuple(style for style, _ in p[3]) for p in plans}  # type: ignore[attr-defined]
    assert len(orders) >= 30


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("seed", range(12))
def test_the_truth_is_what_was_printed(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    content = make_content(rng, "vi" if seed % 3 else "en")
    texts = _drawn(monkeypatch)
    chart = render_foreign(content, rng, 100, 1 + seed % 2)
    printed = _fold(" ".join(texts))
    assert set(FIELD_KEYS) <= set(chart.field_pages)
    assert len(chart.pages) <= 1 + seed % 2
    f = content.fields
    for key in ("patient.full_name", "patient.ethnicity", "patient.occupation",
                "patient.address", "encounter.department", "encounter.record_number",
                "encounter.admission_diagnosis", "encounter.discharge_diagnosis",
                "encounter.discharge_icd10", "encounter.attending_physician"):  # fmt: skip
        assert f[key] in printed, key
    digits = re.sub(r"[^0-9A-Z]", "", printed)
    for key in ("patient.national_id", "patient.phone", "patient.insurance_number"):
        assert f[key] in digits, key
    assert str(content.birth_date.year) in printed
    assert f"{content.systolic}/{content.diastolic}" in printed
    if "medications" in chart.field_pages:
        assert all(m.printed_name[content.language] in printed for m in content.medications)
    else:
        assert not any(m.printed_name[content.language] in printed for m in content.medications)
    if content.secondary and "secondary_icd10" in chart.field_pages:
        assert all(d.code in printed for d in content.secondary)


def test_calibration_never_draws_the_foreign_design() -> None:
    assert "foreign" in DESIGNS and "foreign" not in CALIBRATION_DESIGNS
    from pipeline.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["calibrate", "--synthetic", "4", "--design", "both"]).design == "both"
    with pytest.raises(SystemExit):
        parser.parse_args(["calibrate", "--synthetic", "4", "--design", "foreign"])
