"""Migration history written straight into the state tables, at chosen times: the dashboard's
figures are checked against it, and the browser test draws a few days of it."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from schemas.tables import (
    AuditEvent,
    Batch,
    Document,
    DocumentEvent,
    ExtractedField,
    Page,
    ReviewItem,
)

FIELDS = ("patient.full_name", "patient.birth_date", "patient.national_id",
          "encounter.record_number", "encounter.admission_time", "medications.0",
          "medications.1")  # fmt: skip


def batch_named(session: Session, name: str, created: datetime) -> Batch:
    batch = session.scalars(select(Batch).where(Batch.name == name)).first()
    if batch is None:
        batch = Batch(name=name, source=f"s3://archive/{name}", created_at=created)
        session.add(batch)
        session.flush()
    return batch


def add_chart(
    session: Session,
    batch: Batch,
    key: str,
    state: str,
    read_at: datetime | None,
    pages: int = 2,
    decisions: dict[str, str] | None = None,
    record_number: str | None = None,
    error: str | None = None,
) -> Document:
    """One document in ``state``; read (an event with its pages) at ``read_at``; its fields
    decided as ``decisions`` says (field key -> decision)."""
    doc = Document(batch_id=batch.id, key=key, size=1000, state=state, error=error, attempts=1,
                   updated_at=read_at or batch.created_at)  # fmt: skip
    session.add(doc)
    session.flush()
    if read_at is None:
        return doc
    if state == "failed":
        session.add(
            DocumentEvent(document_id=doc.id, state=state, pages=0, seconds=0.2, at=read_at)
        )
        return doc
    read_state = "in_review" if "needs_review" in (decisions or {}).values() else state
    session.add(
        DocumentEvent(document_id=doc.id, state=read_state, pages=pages, seconds=9.0, at=read_at)
    )
    for n in range(1, pages + 1):
        session.add(
            Page(
                document_id=doc.id,
                number=n,
                width=2480,
                height=3508,
                dpi=300,
                mean_confidence=0.9,
                word_count=300,
                text="",
            )  # fmt: skip
        )
    for field_key, decision in (decisions or {}).items():
        value = record_number if field_key == "encounter.record_number" else "x"
        session.add(
            ExtractedField(
                document_id=doc.id,
                key=field_key,
                value=value,
                read_value=value,
                confidence=0.5 if decision != "auto_accepted" else 0.99,
                threshold=0.9,
                ocr_confidence=0.9,
                label_score=1.0,
                decision=decision,
                rule="test",
            )  # fmt: skip
        )
    session.flush()
    return doc


def open_items(session: Session, doc: Document, created: datetime) -> list[ReviewItem]:
    """A review item for each of the document's fields that waits for review."""
    items = []
    fields = select(ExtractedField).where(ExtractedField.document_id == doc.id)
    for f in session.scalars(fields.order_by(ExtractedField.id)):
        if f.decision == "needs_review":
            item = ReviewItem(field_id=f.id, document_id=doc.id, created_at=created)
            session.add(item)
            items.append(item)
    session.flush()
    return items


def decide_at(session: Session, item: ReviewItem, who: str, at: datetime) -> None:
    """The item decided by ``who`` at ``at``, with the crop view before it, as the desk does."""
    field = session.get_one(ExtractedField, item.field_id)
    field.decision, field.decided_by, field.decided_at = "confirmed", who, at
    item.state, item.decided_by, item.decided_at = "decided", who, at
    for action, when in (("view_crop", at - timedelta(seconds=20)), ("decide", at)):
        session.add(
            AuditEvent(
                username=who,
                action=action,
                document_id=item.document_id,
                field_key=field.key,
                item_id=item.id,
                at=when,
            )  # fmt: skip
        )


REASONS = (
    "the file is empty (0 bytes): copy the scan again from the scanner's folder",
    "not a PDF: the file starts like text; export it again as PDF",
    "the PDF is incomplete (cut off while copying): copy it again",
    "not scans: a Word document; print it to PDF or scan the paper",
)


def seed_history(sessions: sessionmaker[Session], now: datetime, seed: int = 19) -> None:
    """Five days of a migration: three batches read by day and night, six reviewers on day
    shifts, a backlog that grows then shrinks, a few failures."""
    rng = random.Random(seed)
    reviewers = ["hoa.nguyen", "minh.tran", "lan.pham", "tuan.le", "mai.vo", "duc.hoang"]
    start = (now - timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    with sessions.begin() as s:
        batches = [
            batch_named(s, name, start + timedelta(hours=i * 30))
            for i, name in enumerate(("ward-a/2012", "ward-b/2013", "icu/2014"))
        ]
        waiting: list[tuple[datetime, ReviewItem]] = []
        number = 0
        for hour in range(int((now - start).total_seconds() // 3600)):
            at = start + timedelta(hours=hour)
            batch = batches[min(hour // 30, 2)]
            for _ in range(rng.randint(3, 7) if at.hour >= 6 else rng.randint(0, 2)):
                number += 1
                when = at + timedelta(minutes=rng.randint(0, 59))
                key = f"{batch.name}/BA-{number:05d}.pdf"
                if rng.random() < 0.03:
                    add_chart(s, batch, key, "failed", when, error=rng.choice(REASONS))
                    continue
                decisions = {
                    k: "needs_review" if rng.random() < (0.35 if k != "patient.full_name" else 0.6)
                    else "auto_accepted"
                    for k in FIELDS
                }  # fmt: skip
                state = "in_review" if "needs_review" in decisions.values() else "loaded"
                doc = add_chart(s, batch, key, state, when, rng.randint(2, 6), decisions,
                                record_number=f"{24000 + number}")  # fmt: skip
                waiting += [(when, item) for item in open_items(s, doc, when)]
            if 8 <= at.hour < 17:
                on_shift = reviewers[: 4 + (at.day % 3)]
                for who in on_shift:
                    for _ in range(rng.randint(4, 9)):
                        if not waiting or waiting[0][0] >= at:
                            break
                        _, item = waiting.pop(0)
                        decide_at(s, item, who, at + timedelta(minutes=rng.randint(1, 59)))
        for doc in s.scalars(select(Document).where(Document.state == "in_review")):
            still_open = s.scalars(
                select(ReviewItem).where(
                    ReviewItem.document_id == doc.id, ReviewItem.state == "open"
                )
            ).first()
            if still_open is None:
                doc.state = "loaded"
        for i in range(14):
            s.add(Document(batch_id=batches[2].id, key=f"icu/2014/BA-q{i:03d}.pdf", size=1000))
