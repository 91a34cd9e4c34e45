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


# --- the command's rough edges ------------------------------------------------------------


def _export_fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["export", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "unexpected" not in err
    return err


def test_export_refuses_bad_destinations_and_unknown_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EMR_DATABASE_URL", f"sqlite:///{tmp_path / 'db' / 'emr.db'}")
    err = _export_fails(capsys, "--batch", "b", "--output", str(tmp_path))
    assert "is a folder: give a file name" in err
    missing = tmp_path / "no" / "such" / "dir" / "x.jsonl"
    err = _export_fails(capsys, "--batch", "b", "--output", str(missing))
    assert f"the folder {missing.parent} does not exist" in err
    assert not (tmp_path / "no").exists()  # no tree made on the way
    for fmt in ("jsonl", "csv", "xlsx", "fhir", "xml130"):
        out = tmp_path / f"unknown.{fmt}"
        err = _export_fails(capsys, "--batch", "no-such", "--output", str(out), "--format", fmt)
        assert "there is no batch named 'no-such'" in err
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db"]  # no partial files left


def test_an_export_is_replaced_only_when_complete(
    loaded: tuple[list[ArchiveChart], sessionmaker[Session]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = export(tmp_path, "jsonl", "jsonl")
    before = out.read_bytes()
    _export_fails(capsys, "--batch", "no-such", "--output", str(out))
    assert out.read_bytes() == before  # a failed export leaves the last good one as it was


def _one_value_waiting(sessions: sessionmaker[Session], key: str) -> str:
    from sqlalchemy import select

    from schemas.tables import Document, ExtractedField

    with sessions.begin() as s:
        field = s.scalars(
            select(ExtractedField)
            .join(Document)
            .where(ExtractedField.key == "patient.full_name", Document.key == key)
        ).one()
        field.decision, field.confidence = "needs_review", 0.4567
        return str(field.value)


def test_csv_opens_in_excel_with_vietnamese_and_says_what_is_unchecked(
    loaded: tuple[list[ArchiveChart], sessionmaker[Session]], tmp_path: Path
) -> None:
    charts, sessions = loaded
    name = _one_value_waiting(sessions, charts[0].key)
    raw = export(tmp_path, "csv", "csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel needs for UTF-8
    assert name in raw.decode("utf-8-sig") and any(ord(ch) > 127 for ch in name)
    frame = pd.read_csv(tmp_path / "export.csv", dtype=str, encoding="utf-8-sig")
    assert list(frame.columns[:4]) == ["document", "sha256", "status", "error"]
    for key in field_keys():
        i = list(frame.columns).index(key)
        assert list(frame.columns[i + 1 : i + 3]) == [f"{key}.decision", f"{key}.confidence"]
    row = frame[frame["document"] == charts[0].key].iloc[0]
    assert row["patient.full_name.decision"] == "needs_review"
    assert row["patient.full_name.confidence"] == "0.457"
    other = frame[frame["document"] == charts[1].key].iloc[0]
    assert other["patient.full_name.decision"] == "auto_accepted"
    meds = other["medications.decision"].split("; ")
    assert len(meds) == len(charts[1].medications) and set(meds) == {"auto_accepted"}
    assert len(other["secondary_icd10.decision"].split(";")) == len(charts[1].secondary_icd10)


def test_xlsx_header_is_styled_frozen_and_filtered(
    loaded: tuple[list[ArchiveChart], sessionmaker[Session]], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    charts, sessions = loaded
    _one_value_waiting(sessions, charts[0].key)
    sheet = load_workbook(export(tmp_path, "xlsx", "xlsx")).active
    assert sheet is not None and sheet.title == "archive"
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["document", "sha256", "status", "error"]
    assert all(c.font.bold and c.fill.fgColor.rgb.endswith("1F4E78") for c in sheet[1])
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}" \
        f"{len(charts) + 1}"  # fmt: skip
    column = header.index("patient.full_name") + 1
    shaded = {
        sheet.cell(r, 1).value: sheet.cell(r, column).fill.fgColor.rgb
        for r in range(2, len(charts) + 2)
    }
    assert shaded[charts[0].key].endswith("FFF2CC")  # waiting for a person: shaded
    assert not str(shaded[charts[1].key]).endswith("FFF2CC")


def test_every_option_of_every_command_has_help() -> None:
    import argparse

    from pipeline.cli import build_parser

    def walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
        lacking = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    lacking += walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                lacking.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
        return lacking

    assert walk(build_parser(), "emr-migrate") == []
