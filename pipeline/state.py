"""Pipeline state in the database: batches, documents and their every state change.

A document's results (pages, fields, review items, EMR rows) are written in one transaction
together with its new state, so a crash leaves it either finished or still ``queued``, and
the next run resumes exactly the unfinished ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import BadArguments
from pipeline.load.emr import load_chart
from pipeline.models import ChartReading, Decision, ScanRef
from schemas.tables import (
    Batch,
    CleanedPage,
    DocState,
    Document,
    DocumentEvent,
    ExtractedField,
    Page,
    ReviewItem,
)


def ensure_batch(session: Session, name: str, source: str) -> Batch:
    batch = session.scalars(select(Batch).where(Batch.name == name)).first()
    if batch is None:
        batch = Batch(name=name, source=source)
        session.add(batch)
        session.flush()
    elif batch.source != source:
        raise BadArguments(
            f"batch {name!r} was started from {batch.source}, not {source}: "
            "use another batch name for another source"
        )
    return batch


def register_scans(
    sessions: sessionmaker[Session], batch_name: str, source: str, refs: Iterable[ScanRef]
) -> list[int]:
    """Record every scan of the source once; return the documents still to be done."""
    with sessions.begin() as session:
        batch = ensure_batch(session, batch_name, source)
        known = {
            d.key: d for d in session.scalars(select(Document).where(Document.batch_id == batch.id))
        }
        for ref in refs:
            if ref.key not in known:
                doc = Document(batch_id=batch.id, key=ref.key, size=ref.size)
                session.add(doc)
                known[ref.key] = doc
        session.flush()
        return sorted(d.id for d in known.values() if d.state == DocState.QUEUED)


def _event(session: Session, doc: Document, pages: int = 0, seconds: float | None = None) -> None:
    session.add(DocumentEvent(document_id=doc.id, state=doc.state, pages=pages, seconds=seconds))


def find_duplicate(session: Session, sha256: str, doc_id: int) -> Document | None:
    """A finished document with the same bytes: the same chart must not be migrated twice."""
    return session.scalars(
        select(Document)
        .where(
            Document.sha256 == sha256,
            Document.id != doc_id,
            Document.state.in_((DocState.IN_REVIEW, DocState.LOADED)),
        )
        .limit(1)
    ).first()


def quarantine(
    sessions: sessionmaker[Session],
    doc_id: int,
    reason: str,
    sha256: str | None = None,
    media_type: str | None = None,
    seconds: float | None = None,
) -> None:
    with sessions.begin() as session:
        doc = session.get_one(Document, doc_id)
        doc.state = DocState.FAILED
        doc.error = reason
        doc.sha256 = sha256 or doc.sha256
        doc.media_type = media_type or doc.media_type
        doc.attempts += 1
        _event(session, doc, seconds=seconds)


def save_reading(
    sessions: sessionmaker[Session],
    doc_id: int,
    reading: ChartReading,
    media_type: str,
    seconds: float,
    page_jpegs: dict[int, bytes] | None = None,
) -> str:
    """Store what was read, queue what needs a person, load the chart if nothing does."""
    with sessions.begin() as session:
        doc = session.get_one(Document, doc_id)
        doc.sha256 = reading.sha256
        doc.media_type = media_type
        doc.language = reading.language
        doc.error = None
        doc.attempts += 1
        doc.pages.clear()
        doc.fields.clear()
        session.flush()
        images = {p.number: p for p in reading.page_images}
        session.execute(delete(CleanedPage).where(CleanedPage.document_id == doc.id))
        read_pages = {p.number: p for p in reading.pages}
        for number, jpeg in (page_jpegs or {}).items():
            shape = read_pages[number]
            session.add(
                CleanedPage(
                    document_id=doc.id,
                    number=number,
                    width=shape.width,
                    height=shape.height,
                    jpeg=jpeg,
                )
            )
        trees = {t.number: t.to_dict() for t in reading.ocr.pages} if reading.ocr else {}
        for page in reading.pages:
            image = images.get(page.number)
            doc.pages.append(
                Page(
                    number=page.number,
                    width=page.width,
                    height=page.height,
                    dpi=image.dpi if image else 300,
                    rotated_180=bool(image and image.rotated_180),
                    skew_degrees=image.skew_degrees if image else 0.0,
                    mean_confidence=round(page.mean_confidence, 4),
                    word_count=len(page.words),
                    text=page.text,
                    warnings=list(page.warnings),
                    ocr_tree=trees.get(page.number),
                )
            )
        for routed in reading.routed:
            c = routed.candidate
            doc.fields.append(
                ExtractedField(
                    key=c.key,
                    value=c.value,
                    read_value=c.value,
                    confidence=routed.confidence,
                    threshold=routed.threshold,
                    ocr_confidence=c.ocr_confidence,
                    label_score=c.label_score,
                    decision=routed.decision.value,
                    page=c.page,
                    bbox=list(c.bbox) if c.bbox else None,
                    rule=c.rule,
                    checks_passed=list(c.checks_passed),
                    checks_failed=list(c.checks_failed),
                    reasons=list(routed.reasons),
                    alternatives=[asdict(a) for a in c.alternatives],
                )
            )
        session.flush()
        for f in doc.fields:
            if f.decision == Decision.NEEDS_REVIEW:
                session.add(ReviewItem(field_id=f.id, document_id=doc.id))
        if reading.needs_review:
            doc.state = DocState.IN_REVIEW
        else:
            load_chart(session, doc)
            doc.state = DocState.LOADED
        _event(session, doc, pages=len(reading.pages), seconds=seconds)
        return doc.state
