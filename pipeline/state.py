"""Pipeline state in the database: batches, documents and their every state change.

A document's results (pages, fields, review items, EMR rows) are written in one transaction
together with its new state, so a crash leaves it either finished or still ``queued``, and
the next run resumes exactly the unfinished ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.claims import holds
from pipeline.errors import BadArguments
from pipeline.load.emr import load_chart
from pipeline.models import ChartReading, Decision, ScanRef
from pipeline.review.qa import QaSettings, apply_qa, blind_view
from schemas.tables import (
    Batch,
    CleanedPage,
    DocState,
    Document,
    DocumentEvent,
    ExtractedField,
    Page,
    ReviewItem,
    ScanContent,
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


def claim_content(sessions: sessionmaker[Session], sha256: str, doc_id: int) -> Document | None:
    """Claim these bytes for this document; return the other document they belong to, if any.

    The claim is an insert under the sha256 primary key: of two documents with the same bytes
    read at once, in one batch or two, exactly one gets it, and the other is a duplicate."""
    try:
        with sessions.begin() as session:
            # the document shows its bytes at once: a claim is judged by its owner's sha256
            session.get_one(Document, doc_id).sha256 = sha256
            session.add(ScanContent(sha256=sha256, document_id=doc_id))
        return None
    except IntegrityError:
        pass
    with sessions.begin() as session:
        claim = session.get_one(ScanContent, sha256)
        if claim.document_id == doc_id:
            return None  # this document's own claim, from a run that stopped before the end
        owner = session.get(Document, claim.document_id)
        if owner is not None and owner.sha256 in (None, sha256):
            return owner
        # the owner's scan was replaced by other bytes since (retry): these bytes are free
        taken = session.execute(
            update(ScanContent)
            .where(ScanContent.sha256 == sha256, ScanContent.document_id == claim.document_id)
            .values(document_id=doc_id)
        )
        if getattr(taken, "rowcount", 1) == 1:
            session.get_one(Document, doc_id).sha256 = sha256
            return None
    return claim_content(sessions, sha256, doc_id)  # another document took them over first


def quarantine(
    sessions: sessionmaker[Session],
    doc_id: int,
    reason: str,
    sha256: str | None = None,
    media_type: str | None = None,
    seconds: float | None = None,
    owner: str | None = None,
    state: str = DocState.FAILED,
) -> str:
    """Set the document aside with its reason (``failed``, or ``duplicate`` of another); with
    ``owner``, only while that worker holds it. Returns the document's state."""
    with sessions.begin() as session:
        if owner is not None and not holds(session, doc_id, owner):
            return session.get_one(Document, doc_id).state  # another worker has it now
        doc = session.get_one(Document, doc_id)
        doc.state = state
        doc.error = reason
        doc.sha256 = sha256 or doc.sha256
        doc.media_type = media_type or doc.media_type
        doc.attempts += 1
        _event(session, doc, seconds=seconds)
        return doc.state


def save_reading(
    sessions: sessionmaker[Session],
    doc_id: int,
    reading: ChartReading,
    media_type: str,
    seconds: float,
    page_jpegs: dict[int, bytes] | None = None,
    qa: QaSettings | None = None,
    owner: str | None = None,
) -> str:
    """Store what was read, queue what needs a person, load the chart if nothing does. With
    ``qa``, fields whose measured precision falls short are held and a share of auto-accepted
    fields is sampled, blind, into the queue (``review/qa.py``). With ``owner``, only while
    that worker holds the document (pipeline/claims.py)."""
    with sessions.begin() as session:
        if owner is not None and not holds(session, doc_id, owner):
            return session.get_one(Document, doc_id).state  # another worker has it now
        doc = session.get_one(Document, doc_id)
        routed, sampled = (
            apply_qa(session, doc, reading.routed, qa) if qa else (reading.routed, frozenset())
        )
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
        for field in routed:
            c = field.candidate
            doc.fields.append(
                ExtractedField(
                    key=c.key,
                    value=c.value,
                    read_value=c.value,
                    confidence=field.confidence,
                    threshold=field.threshold,
                    ocr_confidence=c.ocr_confidence,
                    label_score=c.label_score,
                    decision=field.decision.value,
                    page=c.page,
                    bbox=list(c.bbox) if c.bbox else None,
                    rule=c.rule,
                    checks_passed=list(c.checks_passed),
                    checks_failed=list(c.checks_failed),
                    reasons=list(field.reasons),
                    qa_sample=c.key in sampled,
                    alternatives=[asdict(a) for a in c.alternatives],
                )
            )
        session.flush()
        blind = []
        for f in doc.fields:
            if f.decision == Decision.NEEDS_REVIEW:
                item = ReviewItem(field_id=f.id, document_id=doc.id)
                session.add(item)
                if f.qa_sample:
                    blind.append((item, f))
        session.flush()  # this chart's ordinary items can lend a sampled one their look
        for item, f in blind:
            item.shown_confidence, item.shown_reasons = blind_view(session, f, reading.sha256)
        if any(f.decision == Decision.NEEDS_REVIEW for f in doc.fields):
            doc.state = DocState.IN_REVIEW
        else:
            load_chart(session, doc)
            doc.state = DocState.LOADED
        _event(session, doc, pages=len(reading.pages), seconds=seconds)
        return doc.state


def mark_gone(sessions: sessionmaker[Session], doc_id: int, owner: str | None = None) -> str:
    """The document's object is no longer in the source: a state of its own, not a failure.
    With ``owner``, only while that worker holds the document."""
    with sessions.begin() as session:
        if owner is not None and not holds(session, doc_id, owner):
            return session.get_one(Document, doc_id).state
        doc = session.get_one(Document, doc_id)
        doc.state = DocState.GONE
        doc.error = "the file is no longer in the source (deleted or moved after it was listed)"
        doc.claimed_by = doc.lease_expires_at = None
        _event(session, doc)
        return doc.state


def requeue(sessions: sessionmaker[Session], doc_id: int, size: int) -> None:
    """A failed or gone document whose object is back with other bytes: processed as new."""
    with sessions.begin() as session:
        doc = session.get_one(Document, doc_id)
        doc.size = size
        doc.state = DocState.QUEUED
        doc.error = None
        doc.claimed_by = doc.lease_expires_at = None
        _event(session, doc)
