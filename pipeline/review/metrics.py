"""The dashboard's figures: plain functions over the state tables, per batch or overall.

Counts, rates, document keys, reasons and record numbers only; never a field's value
otherwise. Times are naive UTC like the tables; ``now`` is a parameter so figures can be
checked on inserted history.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from pipeline.models import Decision
from schemas.tables import (
    AuditEvent,
    Batch,
    DocState,
    Document,
    DocumentEvent,
    ExtractedField,
    Page,
    ReviewItem,
)

DAYS = 7  # span of the time series and of the reviewer figures
#: the ETA's rate is taken over the last WORK_HOURS clock hours that had work in them,
#: looked for within LOOKBACK: nights and weekends neither count nor dilute it
WORK_HOURS = 24
LOOKBACK = timedelta(days=14)
#: a reviewer's hour counts as worked when they did any of these at the desk in it
DESK_ACTIONS = ("decide", "skip", "view_crop")
RECORD_NUMBER = "encounter.record_number"
REVIEWED = (Decision.CONFIRMED, Decision.CORRECTED, Decision.MISSING)


class UnknownBatch(LookupError):
    """No batch of that name: said so, instead of a page of zeros."""


def batches(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Batch.name, Batch.created_at, func.count(Document.id))
        .outerjoin(Document, Document.batch_id == Batch.id)
        .group_by(Batch.id, Batch.name, Batch.created_at)
        .order_by(Batch.created_at, Batch.id)
    ).all()
    return [
        {"name": n, "created_at": at.isoformat(timespec="seconds"), "documents": int(c)}
        for n, at, c in rows
    ]


def check_batch(session: Session, batch: str | None) -> None:
    if batch and session.scalar(select(Batch.id).where(Batch.name == batch)) is None:
        raise UnknownBatch(batch)


def _of_batch(stmt: Any, document_id: Any, batch: str | None) -> Any:
    """``stmt`` limited to the documents of ``batch`` (all when None)."""
    if batch is None:
        return stmt
    ids = select(Document.id).join(Batch, Batch.id == Document.batch_id)
    return stmt.where(document_id.in_(ids.where(Batch.name == batch)))


def _counts(session: Session, stmt: Any) -> dict[str, int]:
    return {str(k): int(n) for k, n in session.execute(stmt).all()}


def overview(session: Session, batch: str | None = None) -> dict[str, Any]:
    """Documents and pages by state, fields by how they were decided.

    ``done`` is what needs nobody any more (loaded, failed); charts waiting for a
    reviewer are ``in_review``, not done."""
    by_doc = _counts(
        session,
        _of_batch(
            select(Document.state, func.count()).group_by(Document.state), Document.id, batch
        ),
    )
    by_page = _counts(
        session,
        _of_batch(
            select(Document.state, func.count(Page.id))
            .join(Page, Page.document_id == Document.id)
            .group_by(Document.state),
            Document.id,
            batch,
        ),
    )
    decisions = _counts(
        session,
        _of_batch(
            select(ExtractedField.decision, func.count()).group_by(ExtractedField.decision),
            ExtractedField.document_id,
            batch,
        ),
    )
    waiting = session.scalar(
        _of_batch(
            select(func.count()).select_from(ReviewItem).where(ReviewItem.state == "open"),
            ReviewItem.document_id,
            batch,
        )
    )
    documents = {s: 0 for s in DocState.ALL} | by_doc
    total = sum(by_doc.values())
    fields_total = sum(decisions.values())
    auto = decisions.get(Decision.AUTO_ACCEPTED, 0)
    return {
        "documents": {
            "total": total,
            "done": total - documents[DocState.QUEUED] - documents[DocState.IN_REVIEW],
            **documents,
        },
        "pages": {"total": sum(by_page.values()), **({s: 0 for s in DocState.ALL} | by_page)},
        "fields": {
            "total": fields_total,
            "auto_accepted": auto,
            "decided_by_reviewers": sum(decisions.get(d, 0) for d in REVIEWED),
            "waiting_for_review": int(waiting or 0),
            "automation_rate": round(auto / fields_total, 4) if fields_total else None,
        },
    }


def _processed() -> ColumnElement[bool]:
    """Events the pipeline wrote on reading a document (a review loading a chart reads none)."""
    return or_(DocumentEvent.pages > 0, DocumentEvent.state == DocState.FAILED)


def hour_index(now: datetime, days: int = DAYS) -> pd.DatetimeIndex:
    end = pd.Timestamp(now).floor("h")
    return pd.date_range(end - pd.Timedelta(days=days) + pd.Timedelta(hours=1), end, freq="h")


def _per_hour(times: list[datetime], index: pd.DatetimeIndex, weights: Any = None) -> np.ndarray:
    if not times:
        return np.zeros(len(index), dtype=int)
    at = pd.DatetimeIndex(times)
    s = pd.Series(1 if weights is None else list(weights), index=at)
    return s.groupby(at.floor("h")).sum().reindex(index, fill_value=0).to_numpy()


def activity(session: Session, batch: str | None, now: datetime, days: int = DAYS) -> pd.DataFrame:
    """Per clock hour: pages and documents read, review decisions, open review items at the
    hour's end (the backlog)."""
    index = hour_index(now, days)
    since = index[0].to_pydatetime()
    read = session.execute(
        _of_batch(
            select(DocumentEvent.at, DocumentEvent.pages).where(
                _processed(), DocumentEvent.at >= since
            ),
            DocumentEvent.document_id,
            batch,
        )
    ).all()
    decided = session.scalars(
        _of_batch(
            select(ReviewItem.decided_at).where(ReviewItem.decided_at >= since),
            ReviewItem.document_id,
            batch,
        )
    ).all()
    # Open at time t: created by t and not decided by t. Items decided before the window
    # cannot be open in it.
    items = session.execute(
        _of_batch(
            select(ReviewItem.created_at, ReviewItem.decided_at).where(
                or_(ReviewItem.decided_at.is_(None), ReviewItem.decided_at >= since)
            ),
            ReviewItem.document_id,
            batch,
        )
    ).all()
    ends = np.minimum((index + pd.Timedelta(hours=1)).to_numpy(), np.datetime64(now, "ns"))
    created = np.sort(np.array([c for c, _ in items], dtype="datetime64[ns]"))
    closed = np.sort(np.array([d for _, d in items if d is not None], dtype="datetime64[ns]"))
    backlog = np.searchsorted(created, ends, side="right") - np.searchsorted(
        closed, ends, side="right"
    )
    return pd.DataFrame(
        {
            "hour": index,
            "pages": _per_hour([a for a, _ in read], index, [p for _, p in read]),
            "documents": _per_hour([a for a, _ in read], index),
            "decisions": _per_hour(list(decided), index),
            "backlog": backlog,
        }
    )


def _field_group(key: str) -> str:
    """``medications.3`` and ``medications.7`` are one field of the form: ``medications.N``."""
    return re.sub(r"\.\d+$", ".N", key)


def automation_by_field(session: Session, batch: str | None = None) -> pd.DataFrame:
    rows = session.execute(
        _of_batch(
            select(ExtractedField.key, ExtractedField.decision, func.count()).group_by(
                ExtractedField.key, ExtractedField.decision
            ),
            ExtractedField.document_id,
            batch,
        )
    ).all()
    columns = ["field", "fields", "auto_accepted", "reviewed", "waiting", "automation_rate"]
    if not rows:
        return pd.DataFrame(columns=columns)
    df = pd.DataFrame(rows, columns=["key", "decision", "n"])
    df["field"] = df["key"].map(_field_group)
    wide = df.pivot_table(index="field", columns="decision", values="n", aggfunc="sum").fillna(0)
    wide = wide.reindex(columns=[d.value for d in Decision], fill_value=0)
    out = pd.DataFrame(
        {
            "fields": wide.sum(axis=1),
            "auto_accepted": wide[Decision.AUTO_ACCEPTED.value],
            "reviewed": sum(wide[d.value] for d in REVIEWED),
            "waiting": wide[Decision.NEEDS_REVIEW.value],
        }
    ).astype(int)
    out["automation_rate"] = (out["auto_accepted"] / out["fields"]).round(4)
    return out.reset_index().sort_values(["automation_rate", "field"])[columns]


def reviewers(session: Session, batch: str | None, now: datetime, days: int = DAYS) -> pd.DataFrame:
    """Per reviewer over the last ``days``: decisions, hours worked (clock hours with any desk
    activity) and decisions per hour worked; a lunch break or a night is not counted."""
    rows = session.execute(
        _of_batch(
            select(AuditEvent.username, AuditEvent.action, AuditEvent.at).where(
                AuditEvent.action.in_(DESK_ACTIONS), AuditEvent.at >= now - timedelta(days=days)
            ),
            AuditEvent.document_id,
            batch,
        )
    ).all()
    columns = ["reviewer", "decisions", "hours_worked", "decisions_per_hour", "last_active"]
    if not rows:
        return pd.DataFrame(columns=columns)
    df = pd.DataFrame(rows, columns=["reviewer", "action", "at"])
    df["hour"] = pd.to_datetime(df["at"]).dt.floor("h")
    df["decided"] = df["action"] == "decide"
    g = df.groupby("reviewer")
    out = pd.DataFrame(
        {
            "decisions": g["decided"].sum().astype(int),
            "hours_worked": g["hour"].nunique().astype(int),
            "last_active": g["at"].max(),
        }
    )
    out["decisions_per_hour"] = (out["decisions"] / out["hours_worked"]).round(1)
    return out.reset_index().sort_values(["decisions", "reviewer"], ascending=[False, True])[
        columns
    ]


def failures(session: Session, batch: str | None = None) -> pd.DataFrame:
    rows = session.execute(
        _of_batch(
            select(
                Document.id,
                Document.key,
                Batch.name,
                Document.error,
                Document.attempts,
                Document.updated_at,
            )
            .join(Batch, Batch.id == Document.batch_id)
            .where(Document.state == DocState.FAILED)
            .order_by(Batch.name, Document.key),
            Document.id,
            batch,
        )
    ).all()
    return pd.DataFrame(
        rows, columns=["id", "document", "batch", "reason", "attempts", "failed_at"]
    )


def documents(
    session: Session, batch: str | None = None, query: str = "", limit: int | None = None
) -> tuple[pd.DataFrame, int]:
    """The documents list, searched by record number, document key or batch name; and how
    many matched in all."""
    record = (
        select(ExtractedField.document_id, ExtractedField.value.label("record_number"))
        .where(ExtractedField.key == RECORD_NUMBER)
        .subquery()
    )
    pages = (
        select(Page.document_id, func.count().label("pages")).group_by(Page.document_id).subquery()
    )
    waiting = (
        select(ReviewItem.document_id, func.count().label("open"))
        .where(ReviewItem.state == "open")
        .group_by(ReviewItem.document_id)
        .subquery()
    )
    stmt = (
        select(
            Document.id,
            Document.key,
            Batch.name,
            Document.state,
            func.coalesce(pages.c.pages, 0),
            func.coalesce(waiting.c.open, 0),
            record.c.record_number,
            Document.updated_at,
        )
        .join(Batch, Batch.id == Document.batch_id)
        .outerjoin(record, record.c.document_id == Document.id)
        .outerjoin(pages, pages.c.document_id == Document.id)
        .outerjoin(waiting, waiting.c.document_id == Document.id)
    )
    stmt = _of_batch(stmt, Document.id, batch)
    if query.strip():
        like = "%" + re.sub(r"([\\%_])", r"\\\1", query.strip()) + "%"
        stmt = stmt.where(
            or_(
                record.c.record_number.ilike(like, escape="\\"),
                Document.key.ilike(like, escape="\\"),
                Batch.name.ilike(like, escape="\\"),
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(Batch.name, Document.key)
    if limit is not None:
        stmt = stmt.limit(limit)
    columns = ["id", "document", "batch", "state", "pages", "open_items", "record_number",
               "updated_at"]  # fmt: skip
    return pd.DataFrame(session.execute(stmt).all(), columns=columns), int(total)


def work_rate(times: list[datetime], now: datetime) -> dict[str, Any] | None:
    """Work per hour over the last WORK_HOURS hours that had work, with the middle half of
    those hours' rates as the range, and how many hours a day work happens."""
    recent = [t for t in times if t >= now - LOOKBACK]
    if not recent:
        return None
    per_hour = (
        pd.Series(1, index=pd.DatetimeIndex(recent))
        .groupby(lambda t: pd.Timestamp(t).floor("h"))
        .sum()
    )
    worked = per_hour.sort_index().iloc[-WORK_HOURS:]
    days = len({pd.Timestamp(t).date() for t in worked.index})
    return {
        "per_hour": round(float(worked.mean()), 2),
        "per_hour_low": round(float(worked.quantile(0.25)), 2),
        "per_hour_high": round(float(worked.quantile(0.75)), 2),
        "window_hours": int(len(worked)),
        "hours_per_day": round(len(worked) / days, 1),
    }


def _eta(remaining: int, rate: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"remaining": remaining, "rate": rate}
    if remaining == 0:
        return out | {"hours": 0.0, "hours_low": 0.0, "hours_high": 0.0}
    if rate is None:
        return out | {"hours": None, "hours_low": None, "hours_high": None}
    return out | {
        "hours": round(remaining / rate["per_hour"], 1),
        "hours_low": round(remaining / rate["per_hour_high"], 1),
        "hours_high": round(remaining / rate["per_hour_low"], 1),
    }


def eta(session: Session, batch: str | None, now: datetime) -> dict[str, Any]:
    """Hours of work left for the pipeline (queued documents) and for the reviewers (open
    fields), each at the rate of its last working hours, with a range."""
    since = now - LOOKBACK
    read = session.scalars(
        _of_batch(
            select(DocumentEvent.at).where(_processed(), DocumentEvent.at >= since),
            DocumentEvent.document_id,
            batch,
        )
    ).all()
    decided = session.scalars(
        _of_batch(
            select(ReviewItem.decided_at).where(ReviewItem.decided_at >= since),
            ReviewItem.document_id,
            batch,
        )
    ).all()
    figures = overview(session, batch)
    return {
        "processing": _eta(figures["documents"][DocState.QUEUED], work_rate(list(read), now)),
        "review": _eta(figures["fields"]["waiting_for_review"], work_rate(list(decided), now)),
    }
