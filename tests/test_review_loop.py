"""The whole loop on a batch migrated for real: every open field reviewed through the API
(truth typed where the reading was wrong) -> every chart loaded, EMR rows equal the truth."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pipeline.evaluation import read_jsonl
from pipeline.review.app import create_app
from pipeline.review.auth import add_user
from schemas.database import open_database
from schemas.tables import Diagnosis, Document, Encounter, Patient
from tests.batch import BAD_INPUTS, Batch

pytestmark = [pytest.mark.tesseract, pytest.mark.s3, pytest.mark.slow]

# How a truth value is typed by a person (the screen's validators normalise it back).
TYPED = {
    "patient.birth_date": lambda v: "/".join(reversed(v.split("-"))),
    "encounter.admission_time": lambda v: (
        v.replace("T", " ").split(" ")[1] + " " + "/".join(reversed(v.split("T")[0].split("-")))
    ),
    "patient.sex": lambda v: {"male": "Nam", "female": "Nữ"}[v],
}
TYPED["encounter.discharge_time"] = TYPED["encounter.admission_time"]


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
    truth = {
        p.stem: json.loads(p.read_text(encoding="utf-8"))["fields"]
        for p in batch_migrated.truth.glob("*.json")
    }
    keystrokes = {"confirm": 0, "correct": 0, "missing": 0}
    while (r := http.get("/api/review/next")).status_code == 200:
        for item in r.json()["items"]:
            expected = truth[Path(item["document"]).stem][item["field"]]
            if item["value"] == expected:
                body: dict[str, object] = {"action": "confirm"}
            else:
                typed = TYPED.get(item["field"], lambda v: v)(expected)
                body = {"action": "correct", "value": typed}
            keystrokes[str(body["action"])] += 1
            done = http.post(
                f"/api/review/items/{item['id']}", json=body, headers={"X-CSRF-Token": csrf}
            )
            assert done.status_code == 200, (item["field"], done.text)
            assert done.json()["value"] == expected
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
            dx = s.scalars(select(Diagnosis).where(Diagnosis.encounter_id == encounter.id)).one()
            assert (dx.icd10, dx.text) == (
                want["encounter.discharge_icd10"],
                want["encounter.discharge_diagnosis"],
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
