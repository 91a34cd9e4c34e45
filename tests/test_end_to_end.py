"""The whole path on real parts: synthetic charts in the local S3 endpoint -> `emr-migrate run`
-> `export`, values compared with the truth; re-runs change nothing; a crash resumes; bad
input is quarantined with a reason and the batch completes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pipeline.evaluation import read_jsonl, score
from pipeline.ingest.local_s3 import LocalS3Server
from pipeline.ingest.sources import make_minio_client
from tests.batch import BAD_INPUTS, BUCKET, CHARTS, CLI, PREFIX, Batch

pytestmark = [pytest.mark.tesseract, pytest.mark.s3, pytest.mark.slow]


def _bucket_digests(s3: LocalS3Server) -> dict[str, str]:
    client = make_minio_client(s3.settings)
    digests = {}
    for obj in client.list_objects(BUCKET, recursive=True):
        assert obj.object_name
        response = client.get_object(BUCKET, obj.object_name)
        digests[obj.object_name] = hashlib.sha256(response.read()).hexdigest()
        response.close()
        response.release_conn()
    return digests


@pytest.fixture(scope="session")
def batch(batch_migrated: Batch) -> Batch:
    return batch_migrated


def test_one_record_per_object_and_bad_input_quarantined(batch: Batch) -> None:
    by_key = {r["document"]: r for r in batch.records}
    assert set(by_key) == {f"{PREFIX}/{p.name}" for p in batch.scans.iterdir()}
    for name, words in BAD_INPUTS.items():
        record = by_key[f"{PREFIX}/{name}"]
        assert record["status"] == "failed" and words in record["error"], record["error"]
    charts = [r for k, r in by_key.items() if Path(k).name not in BAD_INPUTS]
    assert len(charts) == CHARTS
    assert all(r["status"] in ("loaded", "in_review") and r["error"] is None for r in charts)


def test_records_follow_the_contract(batch: Batch) -> None:
    for record in batch.records:
        assert set(record) == {
            "document",
            "sha256",
            "status",
            "error",
            "pages",
            "fields",
            "medications",
            "secondary_icd10",
        }
        if record["status"] == "failed":
            continue
        assert len(record["sha256"]) == 64
        for page in record["pages"]:
            assert page["number"] >= 1 and page["text"] and 0 <= page["mean_confidence"] <= 1
        for key, f in record["fields"].items():
            shape = set(f) - {"qa_sample"}  # a QA-sampled field says so in its provenance
            assert shape == {"value", "confidence", "decision", "page", "bbox"}, key
            assert 0 <= f["confidence"] <= 1
            assert f["decision"] in ("auto_accepted", "needs_review")
            if f["value"] is None:
                assert f["decision"] == "needs_review"
            else:
                x0, y0, x1, y1 = f["bbox"]
                assert 0 <= x0 < x1 and 0 <= y0 < y1 and f["page"] >= 1


def test_values_match_the_truth(batch: Batch) -> None:
    card = score(batch.records, batch.truth)
    print("\n" + card.table())
    assert card.documents == CHARTS and not card.missing_documents
    overall = card.overall
    # Guards against regressions, well below what the benchmark reports.
    assert overall.accuracy >= 0.80, card.table()
    assert overall.automation >= 0.50, card.table()
    assert (overall.auto_precision or 0) >= 0.95, card.wrong_auto


def test_medications_and_secondary_codes_follow_the_contract(batch: Batch) -> None:
    meds = meds_right = codes = codes_right = 0
    for record in batch.records:
        if record["status"] == "failed":
            continue
        truth = json.loads((batch.truth / f"{Path(record['document']).stem}.json").read_text())
        for med in record["medications"]:
            assert set(med) == {"name", "strength", "route", "frequency", "confidence", "decision"}
            assert 0 <= med["confidence"] <= 1
            assert med["decision"] in ("auto_accepted", "needs_review")
            entry = {k: med[k] for k in ("name", "strength", "route", "frequency")}
            meds += 1
            meds_right += entry in truth["medications"]
        for code in record["secondary_icd10"]:
            codes += 1
            codes_right += code in truth["secondary_icd10"]
    # Guards against regressions, well below what the benchmark reports.
    assert meds and meds_right / meds >= 0.7, (meds_right, meds)
    assert codes and codes_right / codes >= 0.7, (codes_right, codes)


def test_status_reports_the_batch(batch: Batch) -> None:
    status = json.loads(batch.cli("status", "--batch", "e2e", "--format", "json").stdout)
    docs = status["documents"]
    assert docs["total"] == CHARTS + len(BAD_INPUTS) and docs["failed"] == len(BAD_INPUTS)
    assert docs["loaded"] + docs["in_review"] == CHARTS and docs["queued"] == 0
    assert {f["document"].rsplit("/", 1)[1] for f in status["failures"]} == set(BAD_INPUTS)
    fields = status["fields"]
    assert fields["auto_accepted"] + fields["waiting_for_review"] == fields["total"]


def test_a_second_run_changes_nothing(batch: Batch, s3_server: LocalS3Server) -> None:
    before = _bucket_digests(s3_server)
    again = batch.cli("run", f"s3://{BUCKET}/{PREFIX}", "--batch", "e2e")
    assert "failed: " in again.stdout  # quarantined documents stay visible
    assert batch.export("second.jsonl") == batch.records
    assert _bucket_digests(s3_server) == before  # originals never modified
    import sqlite3

    db = sqlite3.connect(batch.tmp / "emr.db")
    (patients,) = db.execute("select count(*) from patients").fetchone()
    (encounters,) = db.execute("select count(*) from encounters").fetchone()
    loaded = sum(r["status"] == "loaded" for r in batch.records)
    assert encounters == loaded and patients <= loaded


def test_a_killed_run_resumes_to_the_same_result_on_postgresql(batch: Batch, pg_url: str) -> None:
    env = {**batch.env, "EMR_DATABASE_URL": pg_url}
    args = [*CLI, "run", f"s3://{BUCKET}/{PREFIX}", "--batch", "e2e"]
    proc = subprocess.Popen(
        args,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=batch.tmp,
        start_new_session=True,
    )
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    deadline = time.monotonic() + 600
    finished = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.5)
        try:
            with engine.connect() as conn:
                finished = conn.execute(
                    sa.text("select count(*) from documents where state in ('loaded', 'in_review')")
                ).scalar_one()
        except sa.exc.SQLAlchemyError:
            continue  # the schema is not there yet
        if finished >= 2:
            os.killpg(proc.pid, signal.SIGKILL)  # a crash, not a polite stop
            break
    proc.wait(timeout=60)
    assert 2 <= finished < CHARTS, "the run was not interrupted half-way"
    resumed = subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=900, cwd=batch.tmp
    )
    assert resumed.returncode == 0, resumed.stderr
    out = batch.tmp / "resumed.jsonl"
    subprocess.run(
        [*CLI, "export", "--batch", "e2e", "--output", str(out)],
        env=env,
        check=True,
        timeout=300,
        cwd=batch.tmp,
    )
    assert read_jsonl(out) == batch.records  # nothing lost, nothing twice, same values
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from encounters")).scalar_one() == sum(
            r["status"] == "loaded" for r in batch.records
        )
    engine.dispose()


def test_source_errors_exit_non_zero_with_one_clear_line(batch: Batch) -> None:
    done = batch.cli("run", "s3://no-such-bucket/x", "--batch", "other", check=False)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not exist" in lines[0] and "Traceback" not in done.stderr
