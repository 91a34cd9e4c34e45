"""Exports: JSON lines as the contract fixes them (one object per document), and CSV."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from pipeline.errors import BadArguments
from schemas.tables import Batch, Document

FORMATS = ("jsonl", "csv")


def document_record(doc: Document) -> dict[str, Any]:
    error = doc.error
    if doc.state == "queued":
        error = "not processed yet: run the batch again to resume"
    return {
        "document": doc.key,
        "sha256": doc.sha256,
        "status": doc.state,
        "error": error,
        "pages": [
            {"number": p.number, "text": p.text, "mean_confidence": p.mean_confidence}
            for p in doc.pages
        ],
        "fields": {
            f.key: {
                "value": f.value,
                "confidence": f.confidence,
                "decision": f.decision,
                "page": f.page,
                "bbox": f.bbox,
            }
            for f in doc.fields
        },
        "medications": [],
        "secondary_icd10": [],
    }


def iter_records(sessions: sessionmaker[Session], batch: str) -> Iterator[dict[str, Any]]:
    with sessions() as session:
        found = session.scalars(select(Batch).where(Batch.name == batch)).first()
        if found is None:
            raise BadArguments(f"there is no batch named {batch!r}: see `emr-migrate status`")
        docs = session.scalars(
            select(Document)
            .where(Document.batch_id == found.id)
            .options(selectinload(Document.pages), selectinload(Document.fields))
            .order_by(Document.key)
        )
        for doc in docs:
            yield document_record(doc)


def export_batch(sessions: sessionmaker[Session], batch: str, output: Path, fmt: str) -> int:
    records = iter_records(sessions, batch)
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        count = 0
        with output.open("w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        return count
    if fmt == "csv":
        import pandas as pd

        rows = [
            {
                "document": r["document"],
                "sha256": r["sha256"],
                "status": r["status"],
                "error": r["error"],
                **{k: v["value"] for k, v in r["fields"].items()},
            }
            for r in records
        ]
        pd.DataFrame(rows).to_csv(output, index=False, encoding="utf-8")
        return len(rows)
    raise BadArguments(
        f"export format {fmt!r} is not available yet: use one of {', '.join(FORMATS)}"
    )
