"""The review queue: claim items with a lease, decide them, load a chart when its last is done.

Two reviewers never get the same item: candidates are locked with ``FOR UPDATE SKIP LOCKED``
on PostgreSQL, and the claim itself is a conditional UPDATE (only still-free items change
hands) that SQLite serialises. Expired leases simply count as free again. What a reviewer
skipped goes behind everything they have not skipped (least recently skipped first, from the
audit trail); charts escalated to a lead leave the reviewers' queue and come first for leads.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from pipeline.load.emr import ChartNotLoadable, load_chart
from pipeline.models import Decision
from pipeline.review.audit import record
from pipeline.review.escalation import resolve_for_document
from pipeline.review.reasons import why_in_review
from pipeline.review.validation import Typed, check_value, value_kind
from schemas.catalogue import load_full_catalogue
from schemas.checks import reason
from schemas.tables import (
    AuditEvent,
    Batch,
    DocState,
    Document,
    DocumentEvent,
    Escalation,
    ExtractedField,
    ReviewItem,
    utcnow,
)

LEASE = timedelta(minutes=10)
FIELD_MODE_ITEMS = 20
ACTIONS = ("confirm", "correct", "missing", "skip")
# SQLite has one writer at a time; in one server process a lock keeps claims from colliding.
_sqlite_claims = threading.Lock()


class NotYours(Exception):
    """The item is not claimed by this reviewer (never was, expired, or decided)."""


class Refused(Exception):
    """The value cannot be accepted; the message says why, in the reviewer's language."""


@dataclass(frozen=True)
class ClaimedItem:
    id: int
    document_id: int
    document: str
    field: str
    value: str | None
    confidence: float
    page: int | None
    bbox: list[int] | None
    reasons: list[str]
    #: the other values the page offered for the field, runner-up first (value, page, bbox)
    alternatives: tuple[dict[str, Any], ...] = ()
    #: the value's type (``medication`` gets its four-part form)
    kind: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "document_id": self.document_id,
            "document": self.document,
            "kind": self.kind,
            "field": self.field,
            "value": self.value,
            "confidence": self.confidence,
            "page": self.page,
            "bbox": self.bbox,
            "reasons": self.reasons,
            "alternatives": list(self.alternatives),
            "crop_url": f"/api/review/items/{self.id}/crop",
            "page_url": f"/api/review/items/{self.id}/page",
        }


def _free(now: Any) -> Any:
    return and_(
        ReviewItem.state == "open",
        or_(ReviewItem.claimed_by.is_(None), ReviewItem.lease_expires_at < now),
    )


def _mine(username: str, now: Any) -> Any:
    return and_(
        ReviewItem.state == "open",
        ReviewItem.claimed_by == username,
        ReviewItem.lease_expires_at >= now,
    )


def field_filter(field: str | None) -> Any:
    """SQL: the items of one catalogue field, or of every entry of a list (``medications``)."""
    if field in load_full_catalogue().lists:
        return ExtractedField.key.like(f"{field}.%")
    return ExtractedField.key == field


def _items(session: Session, where: Any, lang: str = "en") -> list[ClaimedItem]:
    rows = session.execute(
        select(ReviewItem, ExtractedField, Document.key)
        .join(ExtractedField, ExtractedField.id == ReviewItem.field_id)
        .join(Document, Document.id == ReviewItem.document_id)
        .where(where)
        .order_by(ReviewItem.document_id, ExtractedField.id)
    ).all()
    return [
        ClaimedItem(
            item.id,
            item.document_id,
            key,
            f.key,
            f.value,
            # a QA-sampled item shows what an ordinary one would (review/qa.py: blind)
            f.confidence if item.shown_confidence is None else item.shown_confidence,
            f.page,
            f.bbox,
            why_in_review(f, lang),
            alternatives=tuple(
                {k: a.get(k) for k in ("value", "page", "bbox")} for a in f.alternatives or []
            ),
            kind=value_kind(f.key),
        )
        for item, f, key in rows
    ]


def _candidates(
    session: Session, username: str, lead: bool, mode: str, field: str | None, now: Any
) -> list[int]:
    """Escalated charts first for a lead (and never for a reviewer); then what this reviewer
    has not skipped before what they skipped (least recently first); then the oldest batch,
    the charts closest to complete, the oldest item."""
    open_left = (
        select(ReviewItem.document_id, func.count().label("left"))
        .where(ReviewItem.state == "open")
        .group_by(ReviewItem.document_id)
        .subquery()
    )
    # one pass over this reviewer's skips and the open escalations, joined (not a subquery
    # per candidate row: the queue's answer time is what reviewers wait on)
    skipped_ref = AuditEvent.item_id if mode == "field" else AuditEvent.document_id
    skips = (
        select(skipped_ref.label("ref"), func.max(AuditEvent.id).label("last"))
        .where(AuditEvent.action == "skip", AuditEvent.username == username)
        .group_by(skipped_ref)
        .subquery()
    )
    escalations = (
        select(Escalation.document_id)
        .where(Escalation.resolved_at.is_(None))
        .group_by(Escalation.document_id)
        .subquery()
    )
    skipped_on = ReviewItem.id if mode == "field" else ReviewItem.document_id
    escalated = escalations.c.document_id.is_not(None)
    query = (
        select(ReviewItem.id, ReviewItem.document_id)
        .join(Document, Document.id == ReviewItem.document_id)
        .join(Batch, Batch.id == Document.batch_id)
        .join(open_left, open_left.c.document_id == ReviewItem.document_id)
        .outerjoin(skips, skips.c.ref == skipped_on)
        .outerjoin(escalations, escalations.c.document_id == ReviewItem.document_id)
        .where(_free(now))
        .order_by(
            *([case((escalated, 0), else_=1)] if lead else []),
            func.coalesce(skips.c.last, 0),
            Batch.created_at,
            Batch.id,
            open_left.c.left,
            ReviewItem.document_id,
            ReviewItem.id,
        )
    )
    if not lead:
        query = query.where(~escalated)
    if mode == "field":
        query = (
            query.join(ExtractedField, ExtractedField.id == ReviewItem.field_id)
            .where(field_filter(field))
            .limit(FIELD_MODE_ITEMS)
        )
    else:
        query = query.limit(200)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ReviewItem)
    rows = session.execute(query).all()
    if mode == "document" and rows:
        first_doc = rows[0].document_id
        return [r.id for r in rows if r.document_id == first_doc]
    return [r.id for r in rows]


def claim_next(
    session: Session,
    username: str,
    mode: str = "document",
    field: str | None = None,
    lang: str = "en",
    lead: bool = False,
) -> list[ClaimedItem]:
    """Claim the next items for ``username`` (their unexpired claims come back first); a
    ``lead`` gets escalated charts first."""
    now = utcnow()
    held = _items(
        session,
        _mine(username, now)
        if mode == "document"
        else and_(_mine(username, now), field_filter(field)),
        lang,
    )
    if held:
        return held
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_claims.acquire()
    try:
        ids = _candidates(session, username, lead, mode, field, now)
        if not ids:
            return []
        token = str(uuid.uuid4())
        session.execute(
            update(ReviewItem)
            .where(ReviewItem.id.in_(ids), _free(now))
            .values(claimed_by=username, lease_expires_at=now + LEASE, claim_token=token)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    finally:
        if sqlite:
            _sqlite_claims.release()
    return _items(session, ReviewItem.claim_token == token, lang)


def _outcome(item: ReviewItem, field: ExtractedField, doc: Document) -> dict[str, Any]:
    return {
        "id": item.id,
        "field": field.key,
        "decision": field.decision,
        "value": field.value,
        "document_status": doc.state,
    }


def decide(
    session: Session,
    item_id: int,
    username: str,
    action: str,
    value: Typed = None,
    lang: str = "en",
) -> dict[str, Any]:
    """Apply a reviewer's decision; when it was the chart's last open field, load the chart
    into the EMR in the same transaction (and close its escalation, if it had one)."""
    if action not in ACTIONS:
        raise Refused(reason("bad_action", lang))
    now = utcnow()
    item = session.scalars(
        select(ReviewItem).where(ReviewItem.id == item_id, _mine(username, now)).with_for_update()
    ).first()
    if item is None:
        raise NotYours
    field = session.get_one(ExtractedField, item.field_id)
    doc = session.get_one(Document, item.document_id)
    before = field.value
    if action == "skip":
        item.claimed_by = item.lease_expires_at = item.claim_token = None
        record(session, username, "skip", document_id=doc.id, field_key=field.key, item_id=item.id)
        session.commit()
        return _outcome(item, field, doc)
    if action == "confirm":
        if field.value is None:
            raise Refused(reason("nothing_to_confirm", lang))
        decision = Decision.CONFIRMED
    elif action == "correct":
        checked = check_value(field.key, value, lang)
        if not checked.ok:
            raise Refused(str(checked.reason))
        field.value = checked.value
        decision = Decision.CONFIRMED if checked.value == before else Decision.CORRECTED
    else:
        field.value = None
        decision = Decision.MISSING
    field.decision = decision.value
    field.decided_by, field.decided_at = username, now
    item.state, item.decided_at, item.decided_by = "decided", now, username
    record(
        session,
        username,
        "decide",
        document_id=doc.id,
        field_key=field.key,
        item_id=item.id,
        before=before,
        after=field.value,
    )
    session.flush()
    still_open = session.scalar(
        select(func.count())
        .select_from(ReviewItem)
        .where(ReviewItem.document_id == doc.id, ReviewItem.state == "open")
    )
    if not still_open and doc.state == DocState.IN_REVIEW:
        try:
            load_chart(session, doc)
        except ChartNotLoadable as exc:
            raise Refused(str(exc)) from None
        doc.state = DocState.LOADED
        session.add(DocumentEvent(document_id=doc.id, state=doc.state))
        resolve_for_document(session, doc.id, username)
    session.commit()
    return _outcome(item, field, doc)
