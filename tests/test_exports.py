"""Exports of loaded charts through `emr-migrate export`: FHIR R4 bundles validated resource by
resource, XML 130 table 1 field formats, CSV and Excel for records staff, JSON lines' lists."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy.orm import Session, sessionmaker

from pipeline.cli import main
from pipeline.load.emr import load_document
from pipeline.load.xml130 import ELEMENTS
from pipeline.synthetic.archive import ArchiveChart, make_archive, store_charts
from schemas.catalogue import field_keys
from schemas.database import open_database


@pytest.fixture
def loaded(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[list[ArchiveChart], sessionmaker[Session]]]:
    """Twelve charts, some of one patient; one chart with everything but its name missing."""
    charts = make_archive(seed=21, people=8)[:12]
    bare = ArchiveChart(
        "archive-021/bare.pdf", -1,
        {k: None for k in field_keys()} | {"patient.full_name": "TRẦN THỊ BÉ"},
    )  # fmt: skip
    charts.append(bare)
    sessions = open_database(database_url)
    with sessions.begin() as s:
        ids = [d.id for d in store_charts(s, "archive", charts)]
    for doc_id in ids:
        load_document(sessions, doc_id)
    monkeypatch.setenv("EMR_DATABASE_URL", database_url)
    yield charts, sessions
    sessions.kw["bind"].dispose()


def export(tmp_path: Path, fmt: str, suffix: str) -> Path:
    out = tmp_path / f"export.{suffix}"
    assert main(["export", "--batch", "archive", "--output", str(out), "--format", fmt]) == 0
    return out


def test_fhir_bundles_validate(loaded: tuple[list[ArchiveChart], sessionmaker[Session]],
                               tmp_path: Path) -> None:  # fmt: skip
    charts, _ = loaded
    lines = export(tmp_path, "fhir", "ndjson").read_text("utf-8").splitlines()
    assert len(lines) == len(charts)
    kinds: set[str] = set()
    for line in lines:
        bundle = json.loads(line)
        get_fhir_model_class("Bundle").model_validate(bundle)
        urls = {e["fullUrl"] for e in bundle["entry"]}
        for entry in bundle["entry"]:
            resource = entry["resource"]
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
            kinds.add(resource["resourceType"])
            for ref in re.findall(r'"reference": "([^"]+)"', json.dumps(resource)):
                assert ref in urls  # every reference resolves inside the bundle
        patient = bundle["entry"][0]["resource"]
        systems = {i["system"] for i in patient["identifier"]}
        assert "http://fhir.ehealth.gov.vn/core/sid/patient-internal-id" in systems
        document = next(e["resource"] for e in bundle["entry"]
                        if e["resource"]["resourceType"] == "DocumentReference")  # fmt: skip
        assert re.fullmatch(r"[0-9a-f]{64}", document["masterIdentifier"]["value"])
    assert kinds == {"Patient", "Encounter", "Condition", "Observation", "MedicationStatement",
                     "DocumentReference", "Provenance"}  # fmt: skip
    bhyt = [json.loads(line) for line in lines if "insurance_number" in line]
    assert bhyt, "some patients carry a BHYT identifier with the VN Core system"


def test_xml130_table1_formats(loaded: tuple[list[ArchiveChart], sessionmaker[Session]],
                               tmp_path: Path) -> None:  # fmt: skip
    charts, _ = loaded
    out = export(tmp_path, "xml130", "xml")
    assert out.read_bytes().startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    rows = ET.parse(out).getroot().findall("XML1")
    assert len(rows) == len(charts)
    by_sha = {hashlib.sha256(c.key.encode()).hexdigest(): c for c in charts}  # as stored
    stamp = re.compile(r"\d{12}")
    for row in rows:
        assert [e.tag for e in row] == list(ELEMENTS)
        v = {e.tag: e.text or "" for e in row}
        assert re.fullmatch(r"[0-9a-f]{64}", v["MA_LK"]) and v["MA_BN"].isdigit()
        assert v["GIOI_TINH"] in {"1", "2", "3"}
        for name in ("NGAY_SINH", "NGAY_VAO", "NGAY_RA"):
            assert v[name] == "" or stamp.fullmatch(v[name])
        chart = by_sha[v["MA_LK"]]
        if chart.person == -1:  # a chart that gives nothing but a name: nothing invented
            assert {k for k, x in v.items() if x} == {"MA_LK", "MA_BN", "HO_TEN", "GIOI_TINH"}
            assert v["GIOI_TINH"] == "3"
            continue
        f = chart.fields
        assert v["NGAY_SINH"] == str(f["patient.birth_date"]).replace("-", "") + "0000"
        assert v["NGAY_VAO"] == re.sub(r"\D", "", str(f["encounter.admission_time"]))
        assert v["MA_BENH_CHINH"] == f["encounter.discharge_icd10"]
        assert v["MA_BENH_KT"] == ";".join(chart.secondary_icd10)
        assert v["KET_QUA_DTRI"] in {"1", "2", "3", "4", "5"}
        assert int(v["SO_NGAY_DTRI"]) >= 1 and v["CAN_NANG"] == f["vitals.weight"]
        if f["patient.ethnicity"] == "Kinh":
            assert v["MA_DANTOC"] == "01"
        cccd = f["patient.national_id"] or ""
        assert v["SO_CCCD"] == (cccd if len(cccd) == 12 else "")


def test_csv_and_excel_have_a_column_per_field(
    loaded: tuple[list[ArchiveChart], sessionmaker[Session]], tmp_path: Path
) -> None:
    charts, _ = loaded
    csv = pd.read_csv(export(tmp_path, "csv", "csv"), dtype=str)
    xlsx = pd.read_excel(export(tmp_path, "xlsx", "xlsx"), dtype=str)
    for frame in (csv, xlsx):
        assert len(frame) == len(charts)
        assert set(field_keys()) | {"medications", "secondary_icd10"} <= set(frame.columns)
    first = charts[0]
    row = xlsx[xlsx["document"] == first.key].iloc[0]
    assert row["patient.full_name"] == first.fields["patient.full_name"]


def test_jsonl_lists_come_from_their_rows(
    loaded: tuple[list[ArchiveChart], sessionmaker[Session]], tmp_path: Path
) -> None:
    charts, _ = loaded
    records = {r["document"]: r for r in map(json.loads, export(tmp_path, "jsonl", "jsonl")
                                              .read_text("utf-8").splitlines())}  # fmt: skip
    for chart in charts:
        record = records[chart.key]
        assert set(record["fields"]) == set(field_keys())
        assert [m["name"] for m in record["medications"]] == [m["name"] for m in chart.medications]
        assert record["secondary_icd10"] == chart.secondary_icd10
