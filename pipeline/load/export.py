"""Exports: JSON lines as the contract fixes them (one object per document), CSV and Excel
for records staff, and from the EMR tables FHIR R4 bundles and XML 130 table 1 per loaded
chart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from pipeline.errors import BadArguments
from schemas.catalogue import load_catalogue, split_list_key
from schemas.tables import Batch, Document

FORMATS = ("jsonl", "csv", "xlsx", "fhir", "xml130")


def _lists(doc: Document) -> tuple[list[dict[str, Any]], list[str]]:
    """List entries (``medications.N``, ``secondary_icd10.N`` rows) in the contract's shape."""
    meds: list[tuple[int, dict[str, Any]]] = []
    codes: list[tuple[int, str]] = []
    for f in doc.fields:
        listed = split_list_key(f.key)
        if listed is None or f.value is None:
            continue
        if listed[0] == "medications":
            entry = json.loads(f.value)
            meds.append((listed[1], {**entry, "confidence": f.confidence, "decision": f.decision}))
        else:
            codes.append((listed[1], f.value))
    return [m for _, m in sorted(meds, key=lambda m: m[0])], [c for _, c in sorted(codes)]


def document_record(doc: Document) -> dict[str, Any]:
    medications, secondary = _lists(doc)
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
                # added to the contract: auto-accepted, then sampled for QA by a reviewer
                **({"qa_sample": True} if f.qa_sample else {}),
            }
            for f in doc.fields
            if split_list_key(f.key) is None
        },
        "medications": medications,
        "secondary_icd10": secondary,
    }


def _batch(session: Session, batch: str) -> Batch:
    found = session.scalars(select(Batch).where(Batch.name == batch)).first()
    if found is None:
        raise BadArguments(f"there is no batch named {batch!r}: see `emr-migrate status`")
    return found


def iter_records(sessions: sessionmaker[Session], batch: str) -> Iterator[dict[str, Any]]:
    with sessions() as session:
        found = _batch(session, batch)
        docs = session.scalars(
            select(Document)
            .where(Document.batch_id == found.id)
            .options(selectinload(Document.pages), selectinload(Document.fields))
            .order_by(Document.key)
        )
        for doc in docs:
            yield document_record(doc)


def _table_rows(records: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per chart, one column per catalogue field (empty when absent), then the lists."""
    keys = [spec.key for spec in load_catalogue()]
    rows = []
    for r in records:
        row = {"document": r["document"], "sha256": r["sha256"], "status": r["status"],
               "error": r["error"]}  # fmt: skip
        row.update({k: (r["fields"].get(k) or {}).get("value") for k in keys})
        row["medications"] = "; ".join(
            ", ".join(str(m.get(x) or "") for x in ("name", "strength", "route", "frequency"))
            for m in r["medications"]
        )
        row["secondary_icd10"] = ";".join(r["secondary_icd10"])
        rows.append(row)
    return rows


def _export_fhir(sessions: sessionmaker[Session], batch: str, output: Path) -> int:
    from pipeline.load.fhir import chart_bundle
    from pipeline.load.records import iter_emr_charts

    count = 0
    with sessions() as session, output.open("w", encoding="utf-8") as fh:
        for chart in iter_emr_charts(session, _batch(session, batch)):
            fh.write(json.dumps(chart_bundle(chart), ensure_ascii=False) + "\n")
            count += 1
    return count


def _export_xml130(sessions: sessionmaker[Session], batch: str, output: Path) -> int:
    import xml.etree.ElementTree as ET

    from pipeline.load.records import iter_emr_charts
    from pipeline.load.xml130 import xml1_element

    count = 0
    with sessions() as session, output.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n<DSACH_XML1>\n')
        for chart in iter_emr_charts(session, _batch(session, batch)):
            fh.write(ET.tostring(xml1_element(chart), encoding="unicode") + "\n")
            count += 1
        fh.write("</DSACH_XML1>\n")
    return count


def export_batch(sessions: sessionmaker[Session], batch: str, output: Path, fmt: str) -> int:
    """Write the export; returns how many charts it holds (fhir and xml130: loaded ones)."""
    if fmt not in FORMATS:
        raise BadArguments(
            f"export format {fmt!r} is not available: use one of {', '.join(FORMATS)}"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "fhir":
        return _export_fhir(sessions, batch, output)
    if fmt == "xml130":
        return _export_xml130(sessions, batch, output)
    records = iter_records(sessions, batch)
    if fmt == "jsonl":
        count = 0
        with output.open("w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        return count
    import pandas as pd

    frame = pd.DataFrame(_table_rows(records))
    if fmt == "csv":
        frame.to_csv(output, index=False, encoding="utf-8")
    else:
        frame.to_excel(output, index=False, sheet_name=batch[:31], engine="openpyxl")
    return len(frame)
