"""Failed scans retried: replaced bytes processed as new, unchanged ones reported, deleted
objects marked gone; `run` again picks up a replaced scan; `POST /api/retry` for leads."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pipeline.config import Settings
from pipeline.ingest.local_s3 import LocalS3Server, upload_folder
from pipeline.ingest.sources import make_minio_client, open_source
from pipeline.migrate import migrate_document
from pipeline.review.app import create_app
from pipeline.review.auth import add_user
from pipeline.state import register_scans
from pipeline.synthetic import generate_charts
from schemas.database import open_database
from schemas.tables import AuditEvent, Batch, DocState, Document, DocumentEvent
from tests.batch import CLI

BUCKET = "retries"


def _states(url: str, batch: str) -> dict[str, str]:
    with open_database(url)() as s:
        rows = s.execute(
            select(Document.key, Document.state).join(Batch).where(Batch.name == batch)
        ).all()
    return {key.rsplit("/", 1)[-1]: state for key, state in rows}


@pytest.mark.tesseract
@pytest.mark.s3
@pytest.mark.slow
def test_retry_after_a_scan_is_replaced_and_one_deleted(
    tmp_path: Path, s3_server: LocalS3Server, prefect_api: str
) -> None:
    charts, truth = tmp_path / "charts", tmp_path / "truth"
    generate_charts(charts, truth, 3, seed=61, formats=("png",), design="grid", clean=True)
    good, replacement, later = sorted(charts.iterdir())
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "good.png").write_bytes(good.read_bytes())
    (scans / "empty.png").write_bytes(b"")  # the clerk will copy a good scan over it
    (scans / "deleted.png").write_bytes(good.read_bytes()[:500])  # truncated, then deleted
    (scans / "still-bad.png").write_text("not an image\n")  # never fixed
    upload_folder(s3_server.settings, scans, BUCKET, "ward-r")
    url = f"sqlite:///{tmp_path / 'emr.db'}"
    env = {
        **os.environ,
        **s3_server.env(),
        "EMR_DATABASE_URL": url,
        "EMR_REREAD": "off",  # the engine is not what this test is about
        "PREFECT_API_URL": prefect_api,
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path
        )

    assert cli("run", f"s3://{BUCKET}/ward-r", "--batch", "r").returncode == 0
    first = _states(url, "r")
    assert first["good.png"] in (DocState.IN_REVIEW, DocState.LOADED)
    assert {first[k] for k in ("empty.png", "deleted.png", "still-bad.png")} == {DocState.FAILED}

    client = make_minio_client(s3_server.settings)
    client.fput_object(BUCKET, "ward-r/empty.png", str(replacement))
    client.remove_object(BUCKET, "ward-r/deleted.png")
    done = cli("retry", "--batch", "r")
    assert done.returncode == 0, done.stderr
    assert "retried 3 documents: 1 changed (processed as new), 1 unchanged, 1 gone" in done.stdout
    after = _states(url, "r")
    assert after["empty.png"] in (DocState.IN_REVIEW, DocState.LOADED)
    assert after["deleted.png"] == DocState.GONE
    assert after["still-bad.png"] == DocState.FAILED
    assert after["good.png"] == first["good.png"]

    # `run` again after a replacement processes it too
    client.fput_object(BUCKET, "ward-r/still-bad.png", str(later))
    assert cli("run", f"s3://{BUCKET}/ward-r", "--batch", "r").returncode == 0
    assert _states(url, "r")["still-bad.png"] in (DocState.IN_REVIEW, DocState.LOADED)

    for args, words in [
        (("retry", "--batch", "nosuch"), "no batch named 'nosuch'"),
        (("retry", "--batch", "r", "--document", "ward-r/good.png"), "not failed"),
        (("retry", "--batch", "r", "--document", "ward-r/nosuch.png"), "has no document"),
    ]:
        refused = cli(*args)
        assert refused.returncode == 2 and words in refused.stderr, refused.stderr


@pytest.mark.s3
def test_run_fails_when_no_document_could_be_processed(
    tmp_path: Path, s3_server: LocalS3Server, prefect_api: str
) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "a.pdf").write_bytes(b"")
    (scans / "b.pdf").write_text("Sổ giao nhận\n", encoding="utf-8")
    upload_folder(s3_server.settings, scans, BUCKET, "all-bad")
    env = {
        **os.environ,
        **s3_server.env(),
        "EMR_DATABASE_URL": f"sqlite:///{tmp_path / 'emr.db'}",
        "PREFECT_API_URL": prefect_api,
    }
    done = subprocess.run(
        [*CLI, "run", f"s3://{BUCKET}/all-bad", "--batch", "bad"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode != 0
    assert "no document of batch bad could be processed (2 listed)" in done.stderr


def test_a_bad_path_is_refused_before_prefect_starts(tmp_path: Path) -> None:
    probe = (
        "import sys; from pipeline.cli import main; code = main(sys.argv[1:]); "
        "print('prefect' in sys.modules); sys.exit(code)"
    )
    done = subprocess.run(
        [CLI[0], "-c", probe, "run", str(tmp_path / "nosuch"), "--batch", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "EMR_DATABASE_URL": f"sqlite:///{tmp_path / 'emr.db'}"},
    )
    assert done.returncode == 2
    assert "is neither s3://bucket/prefix nor an existing folder" in done.stderr
    assert done.stdout.strip() == "False"  # refused before Prefect was even imported
    assert not (tmp_path / "emr.db").exists()


def test_retry_api_for_leads_with_csrf(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "changed.pdf").write_text("an index card\n")
    (folder / "same.pdf").write_bytes(b"")
    (folder / "deleted.pdf").write_text("a letter\n")
    sessions = open_database(database_url)
    settings = Settings(database_url=database_url, workdir=tmp_path / "work")
    source = open_source(str(folder), settings)
    for doc_id in register_scans(sessions, "desk", source.uri, source.list_scans()):
        assert migrate_document(sessions, source, doc_id, settings) == DocState.FAILED
    with sessions.begin() as s:
        add_user(s, "lena", "lead-pass-1", "lead")
        add_user(s, "rita", "reviewer-pass-1", "reviewer")
    (folder / "changed.pdf").write_text("another index card, still no scan\n")
    (folder / "deleted.pdf").unlink()

    http = TestClient(create_app(sessions))

    def login(name: str, password: str) -> str:
        r = http.post("/api/session", json={"username": name, "password": password})
        assert r.status_code == 200
        return str(r.json()["csrf_token"])

    body = {"batch": "desk", "document": None}
    token = login("rita", "reviewer-pass-1")
    assert http.post("/api/retry", json=body, headers={"X-CSRF-Token": token}).status_code == 403
    token = login("lena", "lead-pass-1")
    assert http.post("/api/retry", json=body).status_code == 403  # no CSRF token
    missing = http.post("/api/retry", json={"batch": "nosuch"}, headers={"X-CSRF-Token": token})
    assert missing.status_code == 404 and "no batch named" in missing.json()["error"]
    r = http.post("/api/retry", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    assert r.json() == {"retried": 3, "changed": 1, "unchanged": 1, "gone": 1}
    with sessions() as s:
        states = dict(s.execute(select(Document.key, Document.state)).all())
        assert states == {
            "changed.pdf": DocState.FAILED,  # processed as new (in the background): still no scan
            "same.pdf": DocState.FAILED,
            "deleted.pdf": DocState.GONE,
        }
        changed_id = s.scalars(select(Document.id).where(Document.key == "changed.pdf")).one()
        events = list(
            s.scalars(
                select(DocumentEvent.state)
                .where(DocumentEvent.document_id == changed_id)
                .order_by(DocumentEvent.id)
            )
        )
        assert events == [DocState.FAILED, DocState.QUEUED, DocState.FAILED]
        assert s.scalar(select(func.count()).where(AuditEvent.action == "retry")) == 1
    one = http.post(
        "/api/retry",
        json={"batch": "desk", "document": "same.pdf"},
        headers={"X-CSRF-Token": token},
    )
    assert one.json() == {"retried": 1, "changed": 0, "unchanged": 1, "gone": 0}


def test_a_scan_deleted_after_listing_is_gone_not_failed(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "a.pdf").write_text("listed, then deleted\n")
    sessions = open_database(database_url)
    settings = Settings(database_url=database_url, workdir=tmp_path / "work")
    source = open_source(str(folder), settings)
    [doc_id] = register_scans(sessions, "b", source.uri, source.list_scans())
    (folder / "a.pdf").unlink()
    assert migrate_document(sessions, source, doc_id, settings) == DocState.GONE
    with sessions() as s:
        doc = s.get_one(Document, doc_id)
        assert doc.state == DocState.GONE and "no longer in the source" in (doc.error or "")
