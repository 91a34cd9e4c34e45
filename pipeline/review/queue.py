"""The review queue: claim items with a lease, decide them, load a chart when its last is done.

Two reviewers never get the same item: the claim is a conditional UPDATE (only still-free
items change hands; PostgreSQL re-checks a row another transaction just changed, SQLite
serialises writers). The chart being handed out is locked ``FOR NO KEY UPDATE SKIP LOCKED`` on
PostgreSQL, so reviewers asking at the same moment are handed different charts at once.
Expired leases simply count as free again. What a reviewer skipped goes behind everything they
have not skipped (least recently skipped first, from the audit trail); charts escalated to a
lead leave the reviewers' queue and come first for leads.
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
#: a chart picked as another reviewer's claim of it commits gives nothing (the pick read the
#: chart before that commit): pick again. Every reviewer asks for the same next chart, and the
#: pick reads all open items, so under load a few in a row can be lost; each costs one query.
CLAIM_ATTEMPTS = 20
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


def _skips(username: str, ref: Any) -> Any:
    """This reviewer's skips, one row per skipped chart (or item): when they last skipped it."""
    return (
        select(ref.label("ref"), func.max(AuditEvent.id).label("last"))
        .where(AuditEvent.username == username, AuditEvent.action == "skip")
        .group_by(ref)
        .subquery()
    )


def _open_escalations() -> Any:
    return (
        select(Escalation.document_id)
        .where(Escalation.resolved_at.is_(None))
        .group_by(Escalation.document_id)
        .subquery()
    )


def _in_queue_order(
    query: Any, lead: bool, escalated: Any, skipped_last: Any, left: Any, *then: Any
) -> Any:
    """The queue's order, for charts and field mode alike: escalated charts first for a lead
    (never handed to a reviewer); what this reviewer has not skipped before what they skipped
    (least recently first); the oldest batch; the chart with fewest items left; then ``then``."""
    query = query.order_by(
        *([case((escalated, 0), else_=1)] if lead else []),
        func.coalesce(skipped_last, 0),
        Batch.created_at,
        Batch.id,
        left,
        *then,
    )
    return query if lead else query.where(~escalated)


def _next_chart(username: str, lead: bool, now: Any, postgresql: bool) -> Any:
    """SQL: the id of the chart to hand out next, locked (skipping charts another reviewer is
    being handed at this moment). Escalated charts first for a lead (never for a reviewer);
    then what this reviewer has not skipped before what they skipped (least recently first);
    then the oldest batch, the chart closest to complete, the oldest chart. One pass over the
    open items, grouped by chart (not a row per item: the answer time is what reviewers wait
    on)."""
    charts = (
        select(
            ReviewItem.document_id,
            func.count().label("left"),
            func.max(case((_free(now), 1), else_=0)).label("free"),
        )
        .where(ReviewItem.state == "open")
        .group_by(ReviewItem.document_id)
        .subquery()
    )
    skips = _skips(username, AuditEvent.document_id)
    escalations = _open_escalations()
    escalated = escalations.c.document_id.is_not(None)
    query = _in_queue_order(
        select(Document.id)
        .join(charts, charts.c.document_id == Document.id)
        .join(Batch, Batch.id == Document.batch_id)
        .outerjoin(skips, skips.c.ref == Document.id)
        .outerjoin(escalations, escalations.c.document_id == Document.id)
        .where(charts.c.free == 1),
        lead,
        escalated,
        skips.c.last,
        charts.c.left,
        Document.id,
    ).limit(1)
    if postgresql:
        # FOR NO KEY UPDATE: rows that point at the chart (audit, events) can still be added
        query = query.with_for_update(skip_locked=True, key_share=True, of=Document)
    return query


def _next_fields(username: str, lead: bool, field: str | None, now: Any, postgresql: bool) -> Any:
    """SQL: the ids of the next items of one field (field mode), locked, in the order of
    ``_next_chart`` with skips counted per item."""
    left = (
        select(ReviewItem.document_id, func.count().label("left"))
        .where(ReviewItem.state == "open")
        .group_by(ReviewItem.document_id)
        .subquery()
    )
    skips = _skips(username, AuditEvent.item_id)
    escalations = _open_escalations()
    escalated = escalations.c.document_id.is_not(None)
    query = _in_queue_order(
        select(ReviewItem.id)
        .join(ExtractedField, ExtractedField.id == ReviewItem.field_id)
        .join(Document, Document.id == ReviewItem.document_id)
        .join(Batch, Batch.id == Document.batch_id)
        .join(left, left.c.document_id == ReviewItem.document_id)
        .outerjoin(skips, skips.c.ref == ReviewItem.id)
        .outerjoin(escalations, escalations.c.document_id == ReviewItem.document_id)
        .where(_free(now), field_filter(field)),
        lead,
        escalated,
        skips.c.last,
        left.c.left,
        ReviewItem.document_id,
        ReviewItem.id,
    ).limit(FIELD_MODE_ITEMS)
    if postgresql:
        query = query.with_for_update(skip_locked=True, of=ReviewItem)
    return query


def _claim(
    session: Session, username: str, lead: bool, mode: str, field: str | None, token: str
) -> int | None:
    """Claim the next chart's free items (or a field's next items) with ``token``; how many
    were claimed, None when nothing is left to hand out. The UPDATE changes only the items
    still free when it runs: two reviewers never get one item."""
    now = utcnow()
    postgresql = session.get_bind().dialect.name == "postgresql"
    if mode == "document":
        chart = session.scalar(_next_chart(username, lead, now, postgresql))
        if chart is None:
            return None
        which = ReviewItem.document_id == chart
    else:
        which = ReviewItem.id.in_(_next_fields(username, lead, field, now, postgresql))
    claimed = session.execute(
        update(ReviewItem)
        .where(which, _free(now))
        .values(claimed_by=username, lease_expires_at=now + LEASE, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    count = int(claimed.rowcount)  # type: ignore[attr-defined]
    return None if mode == "field" and count == 0 else count


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
    token = str(uuid.uuid4())
    for _ in range(CLAIM_ATTEMPTS):
        if session.get_bind().dialect.name == "sqlite":
            with _sqlite_claims:
                claimed = _claim(session, username, lead, mode, field, token)
        else:
            claimed = _claim(session, username, lead, mode, field, token)
        if claimed is None:
            return []
        if claimed:
            break
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
    row = session.execute(
        select(ReviewItem, ExtractedField, Document)
        .join(ExtractedField, ExtractedField.id == ReviewItem.field_id)
        .join(Document, Document.id == ReviewItem.document_id)
        .where(ReviewItem.id == item_id, _mine(username, now))
        .with_for_update(of=ReviewItem)
    ).first()
    if row is None:
        raise NotYours
    item, field, doc = row
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
