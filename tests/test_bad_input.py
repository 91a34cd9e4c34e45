"""A catalogue of bad input, run as ONE batch through `emr-migrate run` on the local S3
endpoint (PostgreSQL behind it): each kind is set aside with a reason a records clerk can act
on, the good charts beside them are migrated, the batch completes in bounded memory, the
originals are untouched and nothing is written outside the scratch space."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from pipeline.evaluation import read_jsonl, score
from pipeline.ingest.local_s3 import LocalS3Server
from pipeline.ingest.sources import make_minio_client
from pipeline.synthetic import generate_charts
from pipeline.timing import peak_in
from tests import bad_scans
from tests.batch import CLI

pytestmark = [pytest.mark.tesseract, pytest.mark.s3, pytest.mark.slow]

BUCKET, PREFIX, BATCH = "bad-input", "ward-b/2013 (old wing)", "bad-input"
OCR_TIMEOUT = 20  # seconds a page's OCR may take (EMR_OCR_TIMEOUT); a chart page takes ~2
#: the longest key S3 allows, 1024 bytes (over 1000 characters; no local file name is so long)
_LONG_AROUND = f"{PREFIX}/lưu trữ cũ//chart.png"
LONG = "lưu trữ cũ/" + "x" * (1024 - len(_LONG_AROUND.encode())) + "/chart.png"
GOOD = {"hồ sơ bệnh án 0001.pdf": "pdf", LONG: "png"}  # key -> format of a synthetic chart
COPY = "bản sao/hồ sơ bệnh án 0001 (copy).pdf"  # the first good chart's bytes again
#: key -> words of the reason it is set aside with (what is wrong: what to do)
FAILED = {
    "empty.pdf": "the file is empty (0 bytes): scan the chart again or copy it again",
    "ghi chú.pdf": "named .pdf but its content is plain text, not a PDF: find the real scan",
    "trang web.pdf": "its content is a web page (HTML), not a PDF: find the real scan",
    "truncated.pdf": "the PDF is incomplete (it stops before its end",
    "locked.pdf": "the PDF is password-protected: save an unprotected copy and run again",
    "whole box.pdf": "the PDF has 3000 pages, more than the 500 one chart may have "
    "(EMR_MAX_PAGES): it probably holds several charts; split it",
    "bomb.png": "decompression bomb): it was not opened; scan the page again at 300 dpi",
    "cut.jpg": "the image is damaged or incomplete and cannot be read: copy it again",
    "dot.png": "the image is 1 x 1 pixels, too small to be a scanned page",
    "blank.png": "no print was found on any page",
    "broken frame.tif": "page 2 of the TIFF is damaged and cannot be read (page 1 could be): "
    "the chart is not migrated in part",
    "letter.docx": "files of type .docx are not scans: only PDF, TIFF, JPEG and PNG",
    "notes.txt": "files of type .txt are not scans",
    "russian.png": "none of the labels of a Vietnamese or English chart: the chart is in "
    "another language",
    "sub/../escape.pdf": "the object's name has a '.' or '..' folder in it",
}
TIMED_OUT = "dense.png"  # kept, its page empty with a warning, for a person


@dataclass
class Run:
    records: dict[str, dict[str, Any]]
    status: dict[str, Any]
    stdout: str
    before: dict[str, str]
    after: dict[str, str]
    max_rss_mib: float
    tmp: Path
    db_url: str
    truth: Path
    good_names: dict[str, str]  # key -> the synthetic chart's own name


def _digests(s3: LocalS3Server) -> dict[str, str]:
    client = make_minio_client(s3.settings)
    out = {}
    for obj in client.list_objects(BUCKET, recursive=True):
        assert obj.object_name
        if "/../" in obj.object_name:
            continue  # minio cannot read it (that is the point of that key)
        response = client.get_object(BUCKET, obj.object_name)
        out[obj.object_name] = hashlib.sha256(response.read()).hexdigest()
        response.close()
        response.release_conn()
    return out


def _bad_files(good_pdf: bytes, good_jpeg: bytes) -> dict[str, bytes]:
    return {
        "empty.pdf": b"",
        "ghi chú.pdf": "Sổ giao nhận hồ sơ bệnh án khoa Nội\n".encode(),
        "trang web.pdf": b"<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n",
        "truncated.pdf": good_pdf[: len(good_pdf) // 2],
        "locked.pdf": bad_scans.encrypted(good_pdf),
        "whole box.pdf": bad_scans.pdf_of_blank_pages(3000),
        "bomb.png": bad_scans.png_claiming(50_000, 50_000),
        "cut.jpg": good_jpeg[: len(good_jpeg) // 3],
        "dot.png": bad_scans.png(np.full((1, 1), 255, np.uint8)),
        "blank.png": bad_scans.blank_page(),
        "broken frame.tif": bad_scans.tiff_with_broken_frame(),
        "letter.docx": b"PK\x03\x04" + b"\0" * 64,
        "notes.txt": "Bàn giao 12 bệnh án\n".encode(),
        "russian.png": bad_scans.russian_chart(),
        "sub/../escape.pdf": good_pdf,
        TIMED_OUT: bad_scans.dense_page(),
    }


def _upload(s3: LocalS3Server, objects: dict[str, bytes]) -> None:
    import boto3

    client = make_minio_client(s3.settings)
    if not client.bucket_exists(BUCKET):
        client.make_bucket(BUCKET)
    # boto3 stores the '..' key minio refuses to send, as another S3 tool would
    raw = boto3.client(
        "s3",
        endpoint_url=f"http://{s3.endpoint}",
        aws_access_key_id=s3.settings.access_key,
        aws_secret_access_key=s3.settings.secret_key,
        region_name="us-east-1",
    )
    for key, data in objects.items():
        raw.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}", Body=data)


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory, s3_server: LocalS3Server, prefect_api: str
) -> Iterator[Run]:
    from tests.conftest import _pg_database

    tmp = tmp_path_factory.mktemp("bad-input")
    scans, truth = tmp / "scans", tmp / "truth"
    generate_charts(scans, truth, count=2, seed=41, formats=("pdf", "png"), languages=("vi",))
    pdf, png = sorted(scans.glob("*.pdf"))[0], sorted(scans.glob("*.png"))[0]
    from PIL import Image

    jpeg = io.BytesIO()
    Image.open(png).convert("L").save(jpeg, format="JPEG", quality=80)
    good_names = {key: (pdf if fmt == "pdf" else png).name for key, fmt in GOOD.items()}
    objects = {key: (pdf if fmt == "pdf" else png).read_bytes() for key, fmt in GOOD.items()}
    objects[COPY] = pdf.read_bytes()
    objects.update(_bad_files(pdf.read_bytes(), jpeg.getvalue()))
    _upload(s3_server, objects)
    before = _digests(s3_server)
    databases = _pg_database()
    db_url = next(databases)
    env = {
        **os.environ,
        **s3_server.env(),
        "EMR_DATABASE_URL": db_url,
        "EMR_WORKDIR": str(tmp / "work"),
        "EMR_OCR_TIMEOUT": str(OCR_TIMEOUT),
        "PREFECT_API_URL": prefect_api,
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*CLI, *args], env=env, capture_output=True, text=True, timeout=900, cwd=tmp
        )
        assert done.returncode == 0, done.stderr
        return done

    done = cli("run", f"s3://{BUCKET}/{PREFIX}", "--batch", BATCH)
    max_rss_mib = peak_in(done.stdout)
    cli("export", "--batch", BATCH, "--output", str(tmp / "bad.jsonl"))
    status = json.loads(cli("status", "--batch", BATCH, "--format", "json").stdout)
    records = {r["document"]: r for r in read_jsonl(tmp / "bad.jsonl")}
    again = cli("run", f"s3://{BUCKET}/{PREFIX}", "--batch", BATCH)  # nothing done twice
    cli("export", "--batch", BATCH, "--output", str(tmp / "again.jsonl"))
    assert read_jsonl(tmp / "again.jsonl") == list(records.values()), again.stdout
    yield Run(records, status, done.stdout, before, _digests(s3_server), max_rss_mib, tmp,
              db_url, truth, good_names)  # fmt: skip
    next(databases, None)  # drops the database


def _record(run: Run, key: str) -> dict[str, Any]:
    return run.records[f"{PREFIX}/{key}"]


def test_every_object_has_one_record_and_the_batch_completed(run: Run) -> None:
    keys = {*GOOD, COPY, *FAILED, TIMED_OUT}
    assert set(run.records) == {f"{PREFIX}/{k}" for k in keys}
    assert run.status["documents"]["queued"] == 0
    assert run.status["documents"]["total"] == len(keys)


@pytest.mark.parametrize("key", sorted(FAILED))
def test_bad_input_is_set_aside_with_a_reason(run: Run, key: str) -> None:
    record = _record(run, key)
    assert record["status"] == "failed", record
    assert FAILED[key] in record["error"], record["error"]
    assert record["fields"] == {} and record["pages"] == []  # nothing half-read is kept
    assert "internal error" not in record["error"]
    listed = {f["document"]: f["error"] for f in run.status["failures"]}
    assert listed[f"{PREFIX}/{key}"] == record["error"]
    assert f"failed: {PREFIX}/{key}: " in run.stdout


def test_the_good_charts_beside_them_are_migrated(run: Run) -> None:
    records = []
    for key, name in run.good_names.items():
        record = _record(run, key)
        if record["status"] == "duplicate":  # its copy fetched these bytes first
            record = _record(run, COPY)
        assert record["status"] in ("loaded", "in_review") and record["error"] is None, record
        records.append({**record, "document": name})  # scored against its truth file
    card = score(records, run.truth)
    assert card.documents == len(GOOD) and card.overall.accuracy >= 0.8, card.table()


def test_the_same_scan_under_two_keys_is_processed_once(run: Run) -> None:
    first, copy = _record(run, "hồ sơ bệnh án 0001.pdf"), _record(run, COPY)
    assert first["sha256"] == copy["sha256"]
    kept, dup = (first, copy) if copy["status"] == "duplicate" else (copy, first)
    assert kept["status"] in ("loaded", "in_review") and dup["status"] == "duplicate"
    assert (
        f"the same scan (identical bytes) as {kept['document']}: it is processed once"
        in (dup["error"])
    )
    assert dup["fields"] == {} and dup["pages"] == []
    assert run.status["duplicates"] == [{"document": dup["document"], "reason": dup["error"]}]
    assert f"duplicate: {dup['document']}: " in run.stdout
    engine = sa.create_engine(run.db_url)
    with engine.connect() as conn:
        encounters = conn.execute(
            sa.text(
                "select count(*) from encounters e join documents d on d.id = e.document_id "
                "where d.sha256 = :sha"
            ),
            {"sha": kept["sha256"]},
        ).scalar_one()
        items = conn.execute(
            sa.text(
                "select count(*) from review_items r join documents d on d.id = r.document_id "
                "where d.key = :key"
            ),
            {"key": dup["document"]},
        ).scalar_one()
    engine.dispose()
    assert encounters == (1 if kept["status"] == "loaded" else 0) and items == 0


def test_a_page_tesseract_cannot_finish_is_kept_empty_with_a_warning(run: Run) -> None:
    record = _record(run, TIMED_OUT)
    assert record["status"] == "in_review" and record["error"] is None
    (page,) = record["pages"]
    assert page["text"] == "" and page["warnings"] == [f"OCR timed out after {OCR_TIMEOUT} s"]
    assert all(f["value"] is None and f["decision"] == "needs_review"
               for f in record["fields"].values())  # fmt: skip


def test_originals_untouched_scratch_clean_memory_bounded(run: Run) -> None:
    assert run.after == run.before and len(run.before) == len(run.records) - 1
    work = run.tmp / "work"
    assert not work.exists() or list(work.iterdir()) == []  # every scratch folder removed
    assert not list(run.tmp.parent.rglob("escape.pdf"))  # no key was used as a path
    # A 50,000 x 50,000 page decoded, or 3000 pages rendered, would take gigabytes.
    print(f"\nlargest process of the run: {run.max_rss_mib:.0f} MiB")
    assert run.max_rss_mib < 1536
