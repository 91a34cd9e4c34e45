"""Exports: JSON lines as the contract fixes them (one object per document), CSV and Excel
for records staff, and from the EMR tables FHIR R4 bundles and XML 130 table 1 per loaded
chart."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from pipeline.errors import BadArguments
from schemas.catalogue import split_list_key
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
            {
                "number": p.number,
                "text": p.text,
                "mean_confidence": p.mean_confidence,
                "warnings": list(p.warnings or []),  # e.g. the page's OCR timed out
            }
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


def _iter_documents(sessions: sessionmaker[Session], batch: str) -> Iterator[Document]:
    with sessions() as session:
        found = _batch(session, batch)
        yield from session.scalars(
            select(Document)
            .where(Document.batch_id == found.id)
            .options(selectinload(Document.pages), selectinload(Document.fields))
            .order_by(Document.key)
        )


def iter_records(sessions: sessionmaker[Session], batch: str) -> Iterator[dict[str, Any]]:
    for doc in _iter_documents(sessions, batch):
        yield document_record(doc)


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


def _export_jsonl(sessions: sessionmaker[Session], batch: str, output: Path) -> int:
    count = 0
    with output.open("w", encoding="utf-8") as fh:
        for record in iter_records(sessions, batch):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def _export_table(sessions: sessionmaker[Session], batch: str, output: Path, fmt: str) -> int:
    from pipeline.load.sheets import table_rows, write_csv, write_xlsx

    rows = table_rows((doc, document_record(doc)) for doc in _iter_documents(sessions, batch))
    if fmt == "csv":
        write_csv(rows, output)
    else:
        write_xlsx(rows, output, batch)
    return len(rows)


def check_output(output: Path) -> None:
    """A file in an existing folder, or a clear refusal before anything is read or written."""
    if output.is_dir():
        raise BadArguments(
            f"--output {output} is a folder: give a file name, e.g. {output / 'export.jsonl'}"
        )
    folder = output.parent
    if not folder.is_dir():
        raise BadArguments(
            f"the folder {folder} does not exist: create it first, or give --output a file in "
            "an existing folder (nothing was written)"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BadArguments(f"cannot write in the folder {folder}: choose another --output")


def _write_atomically(output: Path, write: Callable[[Path], int]) -> int:
    """Write to a hidden file beside ``output`` and rename it over ``output`` only when
    complete: a failure (an unknown batch, a full disk) leaves no empty or half file."""
    fd, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent)
    os.close(fd)
    partial = Path(name)
    try:
        count = write(partial)
        umask = os.umask(0)  # the file gets the permissions any new file would get
        os.umask(umask)
        partial.chmod(0o666 & ~umask)
        os.replace(partial, output)
        return count
    finally:
        partial.unlink(missing_ok=True)


def export_batch(sessions: sessionmaker[Session], batch: str, output: Path, fmt: str) -> int:
    """Write the export; returns how many charts it holds (fhir and xml130: loaded ones)."""
    if fmt not in FORMATS:
        raise BadArguments(
            f"export format {fmt!r} is not available: use one of {', '.join(FORMATS)}"
        )
    check_output(output)
    with sessions() as session:
        _batch(session, batch)  # an unknown batch is refused before any file is made
    if fmt == "fhir":
        return _write_atomically(output, lambda out: _export_fhir(sessions, batch, out))
    if fmt == "xml130":
        return _write_atomically(output, lambda out: _export_xml130(sessions, batch, out))
    if fmt == "jsonl":
        return _write_atomically(output, lambda out: _export_jsonl(sessions, batch, out))
    return _write_atomically(output, lambda out: _export_table(sessions, batch, out, fmt))
