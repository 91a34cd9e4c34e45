"""The synthetic chart generator: deterministic, readable in every format, truth per fields.md."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import unicodedata
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pypdf
import pytest
from PIL import Image, ImageSequence

from pipeline.synthetic import FIELD_KEYS, ChartTruth, generate_charts, load_truth
from pipeline.synthetic.content import load_data, make_content

SEED = 3
COUNT = 4  # one chart per format


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[ChartTruth]]:
    root = tmp_path_factory.mktemp("synthetic")
    truths = generate_charts(root / "scans", root / "truth", COUNT, SEED, dpi_range=(200, 200))
    return root / "scans", root / "truth", truths


def _pages(path: Path) -> list[np.ndarray]:
    if path.suffix == ".pdf":
        reader = pypdf.PdfReader(path)
        images = [page.images[0].image for page in reader.pages]
        return [np.asarray(image.convert("L")) for image in images if image is not None]
    with Image.open(path) as image:
        return [np.asarray(frame.convert("L")) for frame in ImageSequence.Iterator(image)]


def test_same_seed_gives_identical_scans_and_truth(
    batch: tuple[Path, Path, list[ChartTruth]], tmp_path: Path
) -> None:
    scans, truth_dir, truths = batch
    again = generate_charts(
        tmp_path / "scans", tmp_path / "truth", COUNT, SEED, dpi_range=(200, 200)
    )
    assert again == truths
    for t in truths:
        stem = Path(t.document).stem
        assert (truth_dir / f"{stem}.json").read_bytes() == (
            tmp_path / "truth" / f"{stem}.json"
        ).read_bytes()
        first, second = _pages(scans / t.document), _pages(tmp_path / "scans" / t.document)
        assert len(first) == len(second)
        for a, b in zip(first, second, strict=True):
            assert np.array_equal(a, b)
    other = generate_charts(
        tmp_path / "s2", tmp_path / "t2", 1, SEED + 1, formats=("png",), dpi_range=(200, 200)
    )
    assert other[0].fields != truths[0].fields


def test_every_format_is_written_and_reads_back(batch: tuple[Path, Path, list[ChartTruth]]) -> None:
    scans, truth_dir, truths = batch
    names = sorted(p.name for p in scans.iterdir())
    assert names == [
        f"chart-003-{i:04d}.{ext}" for i, ext in enumerate(["pdf", "tif", "jpg", "png"])
    ]
    assert sorted(p.name for p in truth_dir.iterdir()) == [
        f"chart-003-{i:04d}.json" for i in range(COUNT)
    ]
    for t in truths:
        path = scans / t.document
        if path.suffix == ".pdf":
            reader = pypdf.PdfReader(path)
            assert len(reader.pages) == t.pages
            for page in reader.pages:
                # The page size carries the scan resolution: A4 in points.
                assert float(page.mediabox.width) == pytest.approx(595.3, abs=1.0)
                assert page.images[0].name.endswith(".jpg")
        elif path.suffix == ".tif":
            with Image.open(path) as image:
                assert getattr(image, "n_frames", 1) == t.pages
                assert image.info["compression"] == "group4"
                assert round(image.info["dpi"][0]) == t.dpi
        else:
            with Image.open(path) as image:
                assert getattr(image, "n_frames", 1) == 1 == t.pages
                assert round(image.info["dpi"][0]) == t.dpi
                assert image.size == (round(210 / 25.4 * t.dpi), round(297 / 25.4 * t.dpi))


def test_truth_file_loads_back_and_rejects_strangers(
    batch: tuple[Path, Path, list[ChartTruth]], tmp_path: Path
) -> None:
    _, truth_dir, truths = batch
    for t in truths:
        assert load_truth(truth_dir / f"{Path(t.document).stem}.json") == t
    data = json.loads((truth_dir / "chart-003-0000.json").read_text(encoding="utf-8"))
    data["surprise"] = 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="surprise"):
        load_truth(bad)


def test_truth_records_pages_and_degradation(batch: tuple[Path, Path, list[ChartTruth]]) -> None:
    _, _, truths = batch
    for t in truths:
        assert set(FIELD_KEYS) <= set(t.field_pages)
        assert set(t.field_pages.values()) <= set(range(1, t.pages + 1))
        assert [m["page"] for m in t.page_meta] == list(range(1, t.pages + 1))
        for meta in t.page_meta:
            assert -3.0 <= meta["skew_deg"] <= 3.0
            assert isinstance(meta["upside_down"], bool)


def test_clean_charts_are_straight_white_pages(tmp_path: Path) -> None:
    [t] = generate_charts(
        tmp_path / "s", tmp_path / "t", 1, 9, formats=("png",), dpi_range=(200, 200), clean=True
    )
    assert all(m["skew_deg"] == 0 and not m["upside_down"] for m in t.page_meta)
    page = _pages(tmp_path / "s" / t.document)[0]
    assert page[:20].min() == 255  # the top margin is untouched paper
    assert page.min() == 0  # and the ink is black


def _check_fields(fields: dict[str, str]) -> None:
    """The rules of docs/fields.md, as a validator would apply them."""
    assert list(fields) == list(FIELD_KEYS)
    for value in fields.values():
        assert value == unicodedata.normalize("NFC", value)
        assert value == " ".join(value.split()) and value
    birth = date.fromisoformat(fields["patient.birth_date"])
    admitted = datetime.strptime(fields["encounter.admission_time"], "%Y-%m-%dT%H:%M")
    discharged = datetime.strptime(fields["encounter.discharge_time"], "%Y-%m-%dT%H:%M")
    assert birth < admitted.date() < discharged.date()
    assert 1995 <= admitted.year <= 2024 and 1 <= (discharged.date() - admitted.date()).days <= 30
    sex = fields["patient.sex"]
    assert sex in ("male", "female")
    assert fields["encounter.outcome"] in (
        "recovered",
        "improved",
        "unchanged",
        "worse",
        "deceased",
    )
    provinces = {p["code"] for p in load_data("provinces")["provinces"]}
    national_id = fields["patient.national_id"]
    assert re.fullmatch(r"\d{9}|\d{12}", national_id)
    bhyt = fields["patient.insurance_number"]
    assert re.fullmatch(r"[A-Z]{2}[1-5]\d{2}\d{10}", bhyt)
    assert bhyt[:2] in {g["code"] for g in load_data("insurance")["groups"]}
    assert "0" + bhyt[3:5] in provinces
    if len(national_id) == 12:
        assert national_id[:3] in provinces and national_id[1:3] == bhyt[3:5]
        century, female = divmod(int(national_id[3]), 2)
        assert 1900 + 100 * century <= birth.year < 2000 + 100 * century
        assert female == (sex == "female")
        assert national_id[4:6] == f"{birth.year % 100:02d}"
    assert re.fullmatch(r"0\d{9,10}", fields["patient.phone"])
    assert fields["encounter.discharge_icd10"] in {c["code"] for c in load_data("icd10")["codes"]}
    assert re.fullmatch(r"[A-Z]\d{2}(\.\d)?", fields["encounter.discharge_icd10"])
    assert fields["patient.full_name"] == fields["patient.full_name"].upper()
    assert 40 <= int(fields["vitals.pulse"]) <= 200
    assert re.fullmatch(r"\d{2}(\.\d)?", fields["vitals.temperature"])
    assert 35.0 <= float(fields["vitals.temperature"]) <= 41.0
    systolic, diastolic = map(int, fields["vitals.blood_pressure"].split("/"))
    assert 30 <= diastolic < systolic <= 220
    assert 10 <= int(fields["vitals.respiratory_rate"]) <= 60
    assert re.fullmatch(r"\d{1,3}(\.\d)?", fields["vitals.weight"])
    assert 1.5 <= float(fields["vitals.weight"]) <= 150


def test_content_follows_the_field_formats() -> None:
    ethnic = {g["name"] for g in load_data("ethnicities")["groups"]}
    for i in range(400):
        language = "en" if i % 4 == 3 else "vi"
        content = make_content(random.Random(i), language)
        _check_fields(content.fields)
        assert content.fields["patient.ethnicity"] in ethnic
        assert 1 <= len(content.medications) <= 5 and len(content.secondary) <= 3
        for med in content.medications:
            normalised = med.normalised()
            assert normalised["route"] in (
                "oral",
                "intravenous",
                "intramuscular",
                "subcutaneous",
                "topical",
            )
            assert re.fullmatch(r"once daily|twice daily|[34] times daily", normalised["frequency"])
            assert re.fullmatch(r"\d+ (mg|g|mcg|IU)|\d+%", normalised["strength"])


def test_data_files_are_nfc_and_consistent() -> None:
    data_dir = Path(__file__).parents[1] / "pipeline" / "synthetic" / "data"
    for path in data_dir.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert text == unicodedata.normalize("NFC", text), path.name
    codes = load_data("icd10")["codes"]
    assert len(codes) >= 60 and len({c["code"] for c in codes}) == len(codes)
    tags = {t for d in load_data("drugs")["drugs"] for t in d["tags"]}
    departments = load_data("departments")["departments"]
    for c in codes:
        assert set(c["drug_tags"]) <= tags, c["code"]
        assert set(c["depts"]) <= set(departments), c["code"]
        assert set(c["related"]) <= {x["code"] for x in codes}, c["code"]


def _read_clean_chart(tmp_path: Path, design: str) -> tuple[ChartTruth, str]:
    """One clean Vietnamese chart of the design, and what Tesseract reads on its page."""
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    [t] = generate_charts(
        tmp_path / "s",
        tmp_path / "t",
        1,
        11,
        formats=("png",),
        languages=("vi",),
        dpi_range=(300, 300),
        clean=True,
        design=design,
    )
    text = subprocess.run(
        ["tesseract", str(tmp_path / "s" / t.document), "-", "-l", "vie"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return t, unicodedata.normalize("NFC", text)


@pytest.mark.tesseract
def test_clean_vietnamese_page_reads_with_tesseract(tmp_path: Path) -> None:
    t, text = _read_clean_chart(tmp_path, "form")
    assert t.fields["patient.full_name"] in text
    assert t.fields["encounter.discharge_icd10"] in text


@pytest.mark.tesseract
def test_grid_design_prints_every_field_in_a_ruled_table(tmp_path: Path) -> None:
    """The second design: one page, the values in table cells that Tesseract reads."""
    t, text = _read_clean_chart(tmp_path, "grid")
    assert t.pages == 1 and set(t.fields) == set(FIELD_KEYS)
    assert t.medications == [] and t.secondary_icd10 == []  # the design prints no lists
    page = np.asarray(Image.open(tmp_path / "s" / t.document).convert("L"))
    long_rows = [y for y in range(page.shape[0]) if (page[y] < 128).mean() > 0.6]
    assert len(long_rows) >= 15  # the table's rules run across the page
    assert t.fields["patient.full_name"] in text
    assert t.fields["encounter.discharge_icd10"] in text


def test_unknown_design_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="design"):
        generate_charts(tmp_path / "s", tmp_path / "t", 1, 1, design="poster")
