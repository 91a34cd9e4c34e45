"""Patient data stays inside: a real batch (with failures) and a review session through the API
(claims, confirms, corrections, bad requests, 404s, 409s, 422s, a database fault) leave none
of the charts' values in logs, CLI output, errors, Prefect's records or status figures."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pipeline.review.app import create_app
from pipeline.review.auth import add_user
from pipeline.synthetic.content import ascii_fold
from schemas.database import open_database
from schemas.tables import Document, ExtractedField
from tests.batch import BUCKET, PREFIX, Batch

pytestmark = [pytest.mark.tesseract, pytest.mark.s3, pytest.mark.slow]

#: the fields that say who a patient is, or what happened to them
PRIVATE = (
    "patient.full_name",
    "patient.birth_date",
    "patient.address",
    "patient.national_id",
    "patient.insurance_number",
    "patient.phone",
    "patient.occupation",
    "encounter.record_number",
    "encounter.admission_time",
    "encounter.discharge_time",
    "encounter.admission_diagnosis",
    "encounter.discharge_diagnosis",
)
SHORTEST = 6  # shorter values (a sex, a pulse) are everywhere and say nothing alone


def _spellings(key: str, value: str) -> set[str]:
    """A value as the export holds it and as a page or a person writes it."""
    found = {value, ascii_fold(value)}
    if key == "patient.birth_date":
        y, m, d = value.split("-")
        found |= {f"{d}/{m}/{y}", f"{d}-{m}-{y}"}
    if key == "patient.phone":
        found.add(value.replace(" ", ""))
    return {v for v in found if len(v) >= SHORTEST}


def _needles(batch: Batch, sessions: Any) -> dict[str, str]:
    """Spelling -> where it comes from: the generator's truth, and what the pipeline read
    (a misreading is patient data too)."""
    needles = {}
    for path in sorted(batch.truth.glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        for key in PRIVATE:
            if truth["fields"].get(key):
                for spelling in _spellings(key, truth["fields"][key]):
                    needles[spelling] = f"{path.stem} {key} (truth)"
    with sessions() as s:
        for doc_key, key, value in s.execute(
            select(Document.key, ExtractedField.key, ExtractedField.read_value)
            .join(Document, Document.id == ExtractedField.document_id)
            .where(ExtractedField.key.in_(PRIVATE), ExtractedField.read_value.is_not(None))
        ):
            for spelling in _spellings(key, value):
                needles.setdefault(spelling, f"{doc_key} {key} (as read)")
    return needles


class Evidence:
    """Every text that leaves the inside, by where it was found."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, text: str) -> None:
        self.texts.append((where, text))

    def leaks(self, needles: dict[str, str]) -> list[str]:
        return [
            f"{what} in {where}: ...{text[max(0, i - 80) : i + 80]!r}..."
            for where, text in self.texts
            for needle, what in needles.items()
            if (i := text.find(needle)) >= 0
        ]


def _prefect_records(api: str) -> Iterator[tuple[str, Any]]:
    """Logs, artifacts, flow and task runs (names, parameters, state messages) on the server."""
    with httpx.Client(base_url=api.rstrip("/") + "/", timeout=60) as http:
        for kind in ("logs", "artifacts", "flow_runs", "task_runs"):
            offset = 0
            while True:
                page = http.post(f"{kind}/filter", json={"limit": 200, "offset": offset})
                page.raise_for_status()
                rows = page.json()
                for row in rows:
                    yield kind, row
                if len(rows) < 200:
                    break
                offset += 200


def _copy(db: Path, to: Path) -> None:
    """A consistent copy of the batch's SQLite database (WAL included): its own to change."""
    with sqlite3.connect(db) as source, sqlite3.connect(to) as target:
        source.backup(target)


@pytest.fixture
def review_db(batch_migrated: Batch, tmp_path: Path) -> Path:
    db = tmp_path / "privacy.db"
    _copy(batch_migrated.tmp / "emr.db", db)
    return db


def _review_session(sessions: Any, truth: dict[str, dict[str, Any]], evidence: Evidence) -> int:
    """A reviewer and a lead at work, with every kind of wrong request; every error answer is
    evidence. Returns how many requests were made."""
    with sessions.begin() as s:
        add_user(s, "vy", "reviewer-pass-9", "reviewer")
        add_user(s, "lan", "lead-pass-9", "lead")
    app = create_app(sessions)
    requests = 0

    def login(name: str, password: str) -> tuple[TestClient, dict[str, str]]:
        http = TestClient(app)
        r = http.post("/api/session", json={"username": name, "password": password})
        assert r.status_code == 200
        return http, {"X-CSRF-Token": r.json()["csrf_token"]}

    def send(http: TestClient, method: str, url: str, **kw: Any) -> httpx.Response:
        nonlocal requests
        requests += 1
        r = http.request(method, url, **kw)
        if r.status_code >= 400:
            evidence.add(f"HTTP {r.status_code} {method} {url.split('?')[0]}", r.text)
        return r

    stranger = TestClient(app)
    send(stranger, "POST", "/api/session", json={"username": "vy", "password": "wrong-wrong"})
    send(stranger, "GET", "/api/review/next")
    vy, csrf = login("vy", "reviewer-pass-9")
    lan, lead_csrf = login("lan", "lead-pass-9")
    names = [chart["fields"]["patient.full_name"] for chart in truth.values()]
    # a database that refuses writes (a real SQLite fault): the 500 must not quote the value
    with sessions() as s:
        s.connection().exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE UPDATE ON fields "
            "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"
        )
        s.commit()
    faults = 0
    for item in send(vy, "GET", "/api/review/next").json()["items"]:
        right = truth[Path(item["document"]).stem]["fields"].get(item["field"])
        body: dict[str, Any] = {"action": "confirm" if item["value"] else "missing"}
        if isinstance(right, str) and right:
            body = {"action": "correct", "value": right}
        fault = send(vy, "POST", f"/api/review/items/{item['id']}", json=body, headers=csrf)
        faults += fault.status_code == 500
    assert faults, "no decision met the database fault"
    with sessions() as s:
        s.connection().exec_driver_sql("DROP TRIGGER refuse")
        s.commit()
    decided = 0
    while decided < 40 and (r := send(vy, "GET", "/api/review/next")).status_code == 200:
        for item in r.json()["items"]:
            chart = truth[Path(item["document"]).stem]["fields"]
            url = f"/api/review/items/{item['id']}"
            send(vy, "GET", item["crop_url"])
            send(vy, "GET", item["page_url"])
            # wrong values made of patient data, in the wrong field and as broken requests
            wrong = chart["patient.full_name"] if item["field"] != "patient.full_name" else "1"
            send(vy, "POST", url, json={"action": "correct", "value": wrong}, headers=csrf)
            send(vy, "POST", url, json={"action": chart["patient.address"]}, headers=csrf)
            send(vy, "POST", url, json={"action": "correct", "value": [wrong]}, headers=csrf)
            send(vy, "POST", url, json={"action": "correct", "value": wrong})  # no CSRF
            send(
                vy, "POST", url, headers={**csrf, "Content-Type": "application/json"},
                content=f'{{"action": "correct", "value": "{wrong}"',  # cut short
            )  # fmt: skip
            send(vy, "POST", "/api/review/validate", json={"field": wrong, "value": wrong},
                 headers=csrf)  # fmt: skip
            send(vy, "GET", f"/api/review/next?mode=field&field={wrong}")
            send(lan, "POST", url, json={"action": "confirm"}, headers=lead_csrf)  # not hers
            # then the decision: the truth typed where it differs, else a confirmation
            right = chart.get(item["field"])
            if isinstance(right, str) and right and right != item["value"]:
                body = {"action": "correct", "value": right}
            elif item["value"] is None:
                body = {"action": "missing"}
            else:
                body = {"action": "confirm"}
            send(vy, "POST", url, json=body, headers=csrf)
            send(vy, "POST", url, json=body, headers=csrf)  # decided already: 409
            decided += 1
    assert decided >= 5, "the batch left too little to review"
    for name in names[:2]:
        send(vy, "GET", f"/api/nothing/{name}")
        send(lan, "GET", f"/api/status?batch={name}")
        send(vy, "GET", "/api/review/items/999999/crop")
        send(lan, "POST", "/api/users", json={"username": name, "password": name, "role": "x"},
             headers=lead_csrf)  # fmt: skip
    status = send(lan, "GET", "/api/status?batch=e2e")
    evidence.add("GET /api/status", status.text)
    evidence.add("GET /api/reviewers", send(lan, "GET", "/api/reviewers").text)
    evidence.add("GET /api/review/fields", send(vy, "GET", "/api/review/fields").text)
    return requests


def test_no_patient_value_leaves_the_inside(
    batch_migrated: Batch,
    review_db: Path,
    prefect_api: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    evidence = Evidence()
    url = f"sqlite:///{review_db}"
    sessions = open_database(url)
    truth = {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in batch_migrated.truth.glob("*.json")
    }
    needles = _needles(batch_migrated, sessions)
    assert len(needles) > 8 * 8
    # positive control: the search finds patient data where it belongs (the export)
    export = (batch_migrated.tmp / "first.jsonl").read_text(encoding="utf-8")
    control = Evidence()
    control.add("export", export)
    assert len(control.leaks(needles)) > len(needles) // 2

    # 1. the batch as it ran (every logger at DEBUG), with its failures and its exports
    for done in batch_migrated.outputs:
        command = " ".join(done.args[-4:]) if isinstance(done.args, list) else str(done.args)
        evidence.add(f"stdout of {command}", done.stdout)
        evidence.add(f"stderr of {command}", done.stderr)
    run_log = batch_migrated.outputs[0].stderr
    assert "DEBUG" in run_log and "pipeline" in run_log, "the run was not logged at DEBUG"

    # 2. more commands on a copy: status, exports, the same scans again (all duplicates)
    copy = Batch({**batch_migrated.env, "EMR_DATABASE_URL": url}, batch_migrated.scans,
                 batch_migrated.truth, [], batch_migrated.tmp)  # fmt: skip
    copy.cli("status", "--format", "json", debug=True)
    copy.cli("status", "--batch", "e2e", debug=True)
    copy.cli("export", "--batch", "e2e", "--output", str(review_db.parent / "x.csv"),
             "--format", "csv", debug=True)  # fmt: skip
    copy.cli("export", "--batch", "nope", "--output", str(review_db.parent / "n.jsonl"),
             check=False, debug=True)  # fmt: skip
    again = copy.cli("run", f"s3://{BUCKET}/{PREFIX}", "--batch", "again", debug=True)
    assert "duplicate: " in again.stdout  # every scan recognised as already migrated
    for done in copy.outputs:
        evidence.add(f"stdout of {' '.join(done.args[-4:])}", done.stdout)
        evidence.add(f"stderr of {' '.join(done.args[-4:])}", done.stderr)
        assert "Traceback" not in done.stderr

    # 3. a review session through the API, every logger captured at DEBUG
    caplog.set_level(logging.DEBUG)
    requests = _review_session(sessions, truth, evidence)
    for record in caplog.records:
        evidence.add(f"log {record.name}", record.getMessage() + (record.exc_text or ""))
    out, err = capsys.readouterr()
    evidence.add("test stdout", out)
    evidence.add("test stderr", err)

    # 4. what Prefect keeps: logs, artifacts, runs with their parameters and state messages
    prefect = 0
    for kind, row in _prefect_records(prefect_api):
        evidence.add(f"Prefect {kind}", json.dumps(row, ensure_ascii=False))
        prefect += 1
    assert prefect > 10

    errors = sum(where.startswith("HTTP ") for where, _ in evidence.texts)
    print(
        f"\nsearched {len(evidence.texts)} texts ({errors} HTTP error bodies of {requests} "
        f"requests, {len(caplog.records)} log records, {prefect} Prefect records) for "
        f"{len(needles)} patient values"
    )
    assert errors > 50
    leaks = evidence.leaks(needles)
    assert not leaks, "\n".join(leaks[:20])


def test_database_errors_do_not_quote_values(tmp_path: Path) -> None:
    """A write the database refuses (a real SQLite fault): the error names the statement, not
    the values, so a log of it or a run's failure message holds no patient data."""
    import sqlalchemy as sa

    from schemas.tables import AuditEvent

    sessions = open_database(f"sqlite:///{tmp_path / 'emr.db'}")
    with sessions() as s:
        s.connection().exec_driver_sql(
            "CREATE TRIGGER full BEFORE INSERT ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
        s.commit()
    with pytest.raises(sa.exc.DBAPIError) as caught, sessions.begin() as s:
        s.add(AuditEvent(username="vy", action="decide", before="NGUYỄN VĂN AN", after="079"))
    assert "disk is full" in str(caught.value)
    assert "NGUYỄN" not in str(caught.value) and "parameters hidden" in str(caught.value)
