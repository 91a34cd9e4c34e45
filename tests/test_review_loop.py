"""The whole loop on a batch migrated for real: every open field reviewed through the API
(truth typed where the reading was wrong) -> every chart loaded, EMR rows equal the truth
(or, for a value auto-accepted, the value as read: accuracy is the benchmark's to measure)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pipeline.evaluation import read_jsonl
from pipeline.review.app import create_app
from pipeline.review.auth import add_user
from schemas.database import open_database
from schemas.tables import Diagnosis, Document, Encounter, ExtractedField, Patient
from tests.batch import BAD_INPUTS, Batch

pytestmark = [pytest.mark.tesseract, pytest.mark.s3, pytest.mark.slow]

# How a truth value is typed by a person (the screen's validators normalise it back).
TYPED = {
    "patient.birth_date": lambda v: "/".join(reversed(v.split("-"))),
    "encounter.admission_time": lambda v: (
        v.replace("T", " ").split(" ")[1] + " " + "/".join(reversed(v.split("T")[0].split("-")))
    ),
    "patient.sex": lambda v: {"male": "Nam", "female": "Nữ"}[v],
    "encounter.outcome": lambda v: {"recovered": "Khỏi", "improved": "Đỡ, giảm"}.get(v, v),
    "vitals.temperature": lambda v: v.replace(".", ","),
}
TYPED["encounter.discharge_time"] = TYPED["encounter.admission_time"]


def _expected(chart: dict[str, Any], item: dict[str, Any]) -> tuple[Any, Any, str]:
    """The truth of a review item, its value as read, and the truth as a person types it. A
    list entry the chart does not hold (a line read as a drug that is none) has no truth."""
    key, value = item["field"], item["value"]
    list_key, _, number = key.rpartition(".")
    if list_key == "medications":
        entries = chart["medications"]
        expected = entries[int(number) - 1] if int(number) <= len(entries) else None
        read = json.loads(value) if value else None
        typed = "{name} {strength} {route} {frequency}".format(**expected) if expected else ""
        return expected, read, typed
    if list_key == "secondary_icd10":
        codes = chart["secondary_icd10"]
        expected = codes[int(number) - 1] if int(number) <= len(codes) else None
        return expected, value, expected or ""
    expected = chart["fields"].get(key)
    return expected, value, TYPED.get(key, lambda v: v)(expected) if expected else ""


def test_every_open_field_reviewed_loads_every_chart_as_the_truth(
    batch_migrated: Batch, tmp_path: Path
) -> None:
    db = tmp_path / "review.db"
    shutil.copy(batch_migrated.tmp / "emr.db", db)  # the end-to-end tests keep their own
    sessions = open_database(f"sqlite:///{db}")
    with sessions.begin() as s:
        add_user(s, "vy", "reviewer-pass-9", "reviewer")
    http = TestClient(create_app(sessions))
    csrf = http.post("/api/session", json={"username": "vy", "password": "reviewer-pass-9"}).json()[
        "csrf_token"
    ]
    charts = {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in batch_migrated.truth.glob("*.json")
    }
    truth = {stem: dict(chart["fields"]) for stem, chart in charts.items()}
    with sessions() as s:  # a value loaded without a person is in the EMR as it was read
        for doc, f in s.execute(
            select(Document, ExtractedField)
            .join(ExtractedField, ExtractedField.document_id == Document.id)
            .where(ExtractedField.decision == "auto_accepted")
        ).all():
            truth[Path(doc.key).stem][f.key] = f.value
    keystrokes = {"confirm": 0, "correct": 0, "missing": 0}
    while (r := http.get("/api/review/next")).status_code == 200:
        for item in r.json()["items"]:
            expected, value, typed = _expected(charts[Path(item["document"]).stem], item)
            if expected is None:
                body: dict[str, object] = {"action": "missing"}
            elif value == expected:
                body = {"action": "confirm"}
            else:
                body = {"action": "correct", "value": typed}
            keystrokes[str(body["action"])] += 1
            done = http.post(
                f"/api/review/items/{item['id']}", json=body, headers={"X-CSRF-Token": csrf}
            )
            assert done.status_code == 200, (item["field"], done.text)
            stored = done.json()["value"]
            if item["field"].startswith("medications.") and stored is not None:
                stored = json.loads(stored)
            assert stored == expected
    assert r.status_code == 204
    print(f"\nreviewed: {keystrokes}")

    with sessions() as s:
        docs = s.scalars(select(Document)).all()
        charts = [d for d in docs if Path(d.key).name not in BAD_INPUTS]
        assert {d.state for d in charts} == {"loaded"}
        for doc in charts:
            want = truth[Path(doc.key).stem]
            encounter = s.scalars(select(Encounter).where(Encounter.document_id == doc.id)).one()
            patient = s.get_one(Patient, encounter.patient_id)
            assert patient.full_name == want["patient.full_name"]
            assert (
                patient.birth_date and patient.birth_date.isoformat() == want["patient.birth_date"]
            )
            assert patient.sex == want["patient.sex"]
            assert patient.national_id == want["patient.national_id"]
            assert patient.insurance_number == want["patient.insurance_number"]
            assert (
                encounter.admission_time
                and encounter.admission_time.isoformat(timespec="minutes")
                == want["encounter.admission_time"]
            )
            assert (
                encounter.discharge_time
                and encounter.discharge_time.isoformat(timespec="minutes")
                == want["encounter.discharge_time"]
            )
            dx = s.scalars(
                select(Diagnosis).where(
                    Diagnosis.encounter_id == encounter.id,
                    Diagnosis.role == "principal",
                    Diagnosis.stage == "discharge",
                )
            ).one()
            assert (dx.icd10, dx.text) == (
                want["encounter.discharge_icd10"],
                want["encounter.discharge_diagnosis"],
            )
            assert (encounter.outcome, encounter.department, patient.phone) == (
                want["encounter.outcome"],
                want["encounter.department"],
                want["patient.phone"],
            )

    out = tmp_path / "reviewed.jsonl"
    from pipeline.load.export import export_batch

    export_batch(sessions, "e2e", out, "jsonl")
    for record in read_jsonl(out):
        if record["status"] == "failed":
            continue
        assert record["status"] == "loaded"
        decisions = {f["decision"] for f in record["fields"].values()}
        assert decisions <= {"auto_accepted", "confirmed", "corrected"}
