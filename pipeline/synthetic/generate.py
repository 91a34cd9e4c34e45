"""Writes batches of synthetic scanned charts (PDF, TIFF, JPEG, PNG) and their truth files."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from pipeline.synthetic.content import LANGUAGES, ChartTruth, make_content
from pipeline.synthetic.degrade import NO_DEGRADATION, degrade_page, draw_degradation
from pipeline.synthetic.foreign import render_foreign
from pipeline.synthetic.grid import render_grid
from pipeline.synthetic.render import DPI_CHOICES, render_chart

EXTENSIONS: dict[str, str] = {"pdf": "pdf", "tiff": "tif", "jpeg": "jpg", "png": "png"}
SINGLE_PAGE_FORMATS = frozenset({"jpeg", "png"})
TWO_PAGE_SHARE = 0.6  # of PDF and TIFF charts; about a third of a mixed batch
#: "form": the Ministry of Health's form (render.py), the design extraction was developed on;
#: "grid": a one-page summary in a ruled table (grid.py), kept to check that figures hold;
#: "foreign": charts of another origin, a layout of its own per seed (foreign.py), held out
DESIGNS = ("form", "grid", "foreign")
#: the designs calibration may be fitted on ("both" on the command lines); never "foreign",
#: whose figures must say how the pipeline does on charts it was neither tuned nor fitted on
CALIBRATION_DESIGNS = ("form", "grid")


def chart_name(seed: int, index: int) -> str:
    return f"chart-{seed:03d}-{index:04d}"


def _dpi_choices(dpi_range: tuple[int, int]) -> list[int]:
    lo, hi = dpi_range
    if lo > hi or lo < 72:
        raise ValueError(f"dpi_range {dpi_range}: give (low, high) with 72 <= low <= high")
    inside = [d for d in DPI_CHOICES if lo <= d <= hi]
    return inside or sorted({lo, hi})


def _write_scan(
    path: Path, fmt: str, pages: list[np.ndarray], dpi: int, scanned: datetime, rng: random.Random
) -> None:
    images = [Image.fromarray(p, mode="L") for p in pages]
    if fmt == "pdf":
        # Image-only PDF as a scanner makes it: one JPEG per page at the scan resolution.
        # Fixed dates keep the file byte-identical for a seed.
        stamp = scanned.timetuple()
        images[0].save(
            path,
            "PDF",
            save_all=True,
            append_images=images[1:],
            resolution=float(dpi),
            quality=rng.randint(70, 90),
            title=path.stem,
            creationDate=stamp,
            modDate=stamp,
            producer="emr-migrate synthetic",
        )
    elif fmt == "tiff":
        # Bitonal CCITT group 4, as archive scanners store text pages; stays small.
        bitonal = []
        for p in pages:
            _, bw = cv2.threshold(p, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
            bitonal.append(Image.fromarray(bw, mode="L").convert("1", dither=Image.Dither.NONE))
        bitonal[0].save(
            path,
            "TIFF",
            save_all=True,
            append_images=bitonal[1:],
            compression="group4",
            dpi=(dpi, dpi),
        )
    elif fmt == "jpeg":
        images[0].save(path, "JPEG", quality=rng.randint(72, 92), dpi=(dpi, dpi))
    elif fmt == "png":
        images[0].save(path, "PNG", dpi=(dpi, dpi), compress_level=3)
    else:
        raise ValueError(f"unknown scan format {fmt!r}")


def generate_chart(
    scan_dir: Path,
    truth_dir: Path,
    seed: int,
    index: int,
    fmt: str,
    languages: Sequence[str],
    dpi_choices: Sequence[int],
    clean: bool,
    design: str = "form",
) -> ChartTruth:
    """One chart: its scan in scan_dir and its truth JSON in truth_dir."""
    chart_seed = seed * 100003 + index
    rng = random.Random(chart_seed)
    nrng = np.random.default_rng(chart_seed)
    language = rng.choice(list(languages))
    dpi = rng.choice(list(dpi_choices))
    pages = 1 if fmt in SINGLE_PAGE_FORMATS else (2 if rng.random() < TWO_PAGE_SHARE else 1)
    content = make_content(rng, language)
    if design == "grid":
        rendered = render_grid(content, rng, dpi)
    elif design == "foreign":
        rendered = render_foreign(content, rng, dpi, pages)
    else:
        rendered = render_chart(content, rng, dpi, pages)
    arrays, meta = [], []
    for number, image in enumerate(rendered.pages, 1):
        clean_page = np.asarray(image, dtype=np.uint8)
        d = NO_DEGRADATION if clean else draw_degradation(nrng)
        arrays.append(clean_page.copy() if clean else degrade_page(clean_page, d, nrng))
        meta.append(d.as_meta(number))
    name = chart_name(seed, index)

    def lists(key: str) -> bool:
        return design == "form" or key in rendered.field_pages

    document = f"{name}.{EXTENSIONS[fmt]}"
    scanned = content.discharge + timedelta(days=rng.randint(30, 3000))
    _write_scan(scan_dir / document, fmt, arrays, dpi, scanned, rng)
    truth = ChartTruth(
        document=document,
        language=language,
        pages=len(arrays),
        dpi=dpi,
        fields=dict(content.fields),
        # the grid design prints neither list, the foreign one each on some charts
        medications=[m.normalised() for m in content.medications] if lists("medications") else [],
        secondary_icd10=[d.code for d in content.secondary] if lists("secondary_icd10") else [],
        field_pages=dict(sorted(rendered.field_pages.items())),
        page_meta=meta,
    )
    (truth_dir / f"{name}.json").write_text(truth.to_json() + "\n", encoding="utf-8")
    return truth


def generate_charts(
    scan_dir: Path,
    truth_dir: Path,
    count: int,
    seed: int,
    formats: Sequence[str] = ("pdf", "tiff", "jpeg", "png"),
    languages: Sequence[str] = ("vi", "vi", "vi", "en"),
    dpi_range: tuple[int, int] = (200, 300),
    clean: bool = False,
    design: str = "form",
) -> list[ChartTruth]:
    """Writes `count` charts named chart-{seed:03d}-{i:04d}.{pdf,tif,jpg,png} to scan_dir and one
    truth JSON each to truth_dir (kept apart: every object in scan_dir must be a scan).

    Formats cycle in the given order, so each appears once count >= len(formats); languages
    are drawn with the given multiplicities. Same arguments, same bytes.
    """
    if count < 0 or seed < 0:
        raise ValueError("count and seed must not be negative")
    unknown = [f for f in formats if f not in EXTENSIONS]
    if unknown or not formats:
        raise ValueError(f"unknown scan formats {unknown}: use some of {sorted(EXTENSIONS)}")
    bad_languages = [lang for lang in languages if lang not in LANGUAGES]
    if bad_languages or not languages:
        raise ValueError(f"unknown chart languages {bad_languages}: use some of {LANGUAGES}")
    if design not in DESIGNS:
        raise ValueError(f"unknown chart design {design!r}: use one of {DESIGNS}")
    choices = _dpi_choices(dpi_range)
    scan_dir = Path(scan_dir)
    truth_dir = Path(truth_dir)
    scan_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    return [
        generate_chart(
            scan_dir,
            truth_dir,
            seed,
            i,
            formats[i % len(formats)],
            languages,
            choices,
            clean,
            design,
        )
        for i in range(count)
    ]
