"""Charts a reviewer hands to a lead: out of the reviewers' queue, first in the leads'."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pipeline.review.audit import record
from schemas.tables import Document, Escalation, ReviewItem, utcnow

NOTE_LENGTH = 500


def escalate(session: Session, document_id: int, username: str, note: str | None) -> Escalation:
    """Flag the chart for a lead (once: a second flag returns the open one) and release
    every claim on its items, so that they go to the leads at once."""
    found = session.scalars(
        select(Escalation).where(
            Escalation.document_id == document_id, Escalation.resolved_at.is_(None)
        )
    ).first()
    if found is None:
        found = Escalation(
            document_id=document_id, raised_by=username, note=(note or "")[:NOTE_LENGTH] or None
        )
        session.add(found)
        session.flush()
    session.execute(
        update(ReviewItem)
        .where(ReviewItem.document_id == document_id, ReviewItem.state == "open")
        .values(claimed_by=None, lease_expires_at=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    record(session, username, "escalate", document_id=document_id, item_id=found.id)
    return found


def resolve(session: Session, escalation: Escalation, username: str) -> None:
    """The lead is done with it (decided or sent back): the chart's open items, if any, go
    back to the reviewers' queue."""
    if escalation.resolved_at is None:
        escalation.resolved_by, escalation.resolved_at = username, utcnow()
        record(
            session,
            username,
            "resolve_escalation",
            document_id=escalation.document_id,
            item_id=escalation.id,
        )


def resolve_for_document(session: Session, document_id: int, username: str) -> None:
    for escalation in session.scalars(
        select(Escalation).where(
            Escalation.document_id == document_id, Escalation.resolved_at.is_(None)
        )
    ):
        resolve(session, escalation, username)


def open_escalations(session: Session) -> list[dict[str, Any]]:
    """What the leads see: the chart, who flagged it, when, the note and what is still open
    (no field values)."""
    left = (
        select(func.count())
        .select_from(ReviewItem)
        .where(ReviewItem.document_id == Escalation.document_id, ReviewItem.state == "open")
        .scalar_subquery()
    )
    rows = session.execute(
        select(Escalation, Document.key, left)
        .join(Document, Document.id == Escalation.document_id)
        .where(Escalation.resolved_at.is_(None))
        .order_by(Escalation.raised_at, Escalation.id)
    ).all()
    return [
        {
            "id": e.id,
            "document_id": e.document_id,
            "document": key,
            "raised_by": e.raised_by,
            "raised_at": e.raised_at.isoformat(timespec="seconds"),
            "note": e.note,
            "open_items": int(n or 0),
        }
        for e, key, n in rows
    ]
