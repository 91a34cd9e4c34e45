"""Progress figures for ``status``, the Prefect artifact and (later) the dashboard, from state rows.

Figures only: counts, rates, document keys and reasons; never a field value.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from schemas.tables import (
    Batch,
    DocState,
    Document,
    DocumentEvent,
    ExtractedField,
    Page,
    ReviewItem,
    utcnow,
)


def _frame(session: Session, stmt: Any) -> pd.DataFrame:
    return pd.read_sql(stmt, session.connection())


def batch_status(
    sessions: sessionmaker[Session],
    batch: str | None = None,
    workers: int = 2,
    target: float | None = None,
) -> dict[str, Any]:
    from pipeline.review.metrics import eta
    from pipeline.review.qa import measured_precision, packaged_target

    with sessions() as session:
        measured = measured_precision(session, batch, target or packaged_target())
        # hours left at the rate of the last working hours (not the last clock hour), a range
        eta_hours = eta(session, batch, utcnow())
        docs_q = select(
            Document.id, Document.key, Document.state, Document.error, Batch.name.label("batch")
        ).join(Batch)
        if batch:
            docs_q = docs_q.where(Batch.name == batch)
        docs = _frame(session, docs_q)
        ids = [int(i) for i in docs["id"]] if len(docs) else []
        pages = _frame(
            session,
            select(Page.document_id, Document.state)
            .join(Document, Document.id == Page.document_id)
            .where(Page.document_id.in_(ids)),
        )
        fields = _frame(
            session,
            select(ExtractedField.document_id, ExtractedField.decision).where(
                ExtractedField.document_id.in_(ids)
            ),
        )
        events = _frame(
            session,
            select(
                DocumentEvent.document_id,
                DocumentEvent.state,
                DocumentEvent.seconds,
                DocumentEvent.pages,
                DocumentEvent.at,
            ).where(DocumentEvent.document_id.in_(ids)),
        )
        reviews = _frame(
            session,
            select(ReviewItem.state, ReviewItem.decided_at).where(ReviewItem.document_id.in_(ids)),
        )
    by_state = {s: 0 for s in DocState.ALL}
    by_state.update({str(k): int(v) for k, v in docs["state"].value_counts().items()})
    decisions = {str(k): int(v) for k, v in fields["decision"].value_counts().items()}
    total_fields = int(len(fields))
    auto = decisions.get("auto_accepted", 0)
    open_items = int((reviews["state"] != "decided").sum()) if len(reviews) else 0

    now = utcnow()
    recent = reviews[reviews["decided_at"].notna()] if len(reviews) else reviews
    if len(recent):
        recent = recent[pd.to_datetime(recent["decided_at"]) >= now - timedelta(hours=1)]
    review_per_hour = int(len(recent))

    # Time per document from the documents that were read (quarantines take no time).
    timed = events[events["seconds"].notna() & (events["pages"] > 0)] if len(events) else events
    secs_per_doc = float(timed["seconds"].mean()) if len(timed) else None
    queued = by_state[DocState.QUEUED]
    eta_processing = (queued * secs_per_doc / max(1, workers)) if secs_per_doc else None
    eta_review = (open_items / review_per_hour * 3600) if review_per_hour else None

    failures = (
        [
            {"document": str(r.key), "error": str(r.error)}
            for r in docs[docs["state"] == DocState.FAILED].itertuples()
        ]
        if len(docs)
        else []
    )
    duplicates = (
        [
            {"document": str(r.key), "reason": str(r.error)}
            for r in docs[docs["state"] == DocState.DUPLICATE].itertuples()
        ]
        if len(docs)
        else []
    )
    return {
        "batch": batch,
        "documents": {"total": int(len(docs)), **by_state},
        "pages": {
            "read": int(len(pages)),
            **{str(k): int(v) for k, v in pages["state"].value_counts().items()},
        },
        "fields": {
            "total": total_fields,
            "auto_accepted": auto,
            "waiting_for_review": open_items,
            "decided_by_reviewers": sum(
                decisions.get(d, 0) for d in ("confirmed", "corrected", "missing")
            ),
            "automation_rate": round(auto / total_fields, 4) if total_fields else None,
        },
        "review": {"decided_last_hour": review_per_hour},
        "seconds_per_document": round(secs_per_doc, 2) if secs_per_doc else None,
        "eta_seconds": {
            "processing": round(eta_processing) if eta_processing is not None else None,
            "review": round(eta_review) if eta_review is not None else None,
        },
        "eta_hours": {
            k: {h: v[h] for h in ("hours", "hours_low", "hours_high")} for k, v in eta_hours.items()
        },
        "failures": failures,
        "measured_precision": measured,
        "duplicates": duplicates,
    }


def status_text(status: dict[str, Any]) -> str:
    d, f = status["documents"], status["fields"]
    lines = [
        f"batch: {status['batch'] or '(all)'}",
        f"documents: {d['total']} total, {d['loaded']} loaded, {d['in_review']} in review, "
        f"{d['failed']} failed, {d['duplicate']} duplicates, {d['queued']} queued"
        + (f", {d['gone']} gone from the source" if d.get("gone") else ""),
        f"pages read: {status['pages']['read']}",
        f"fields: {f['total']} total, {f['auto_accepted']} auto-accepted"
        + (f" ({f['automation_rate']:.1%})" if f["automation_rate"] is not None else "")
        + f", {f['waiting_for_review']} waiting for review, "
        f"{f['decided_by_reviewers']} decided by reviewers",
        f"review throughput: {status['review']['decided_last_hour']} fields in the last hour",
    ]
    for what, eta in status["eta_hours"].items():
        if eta["hours"]:
            lines.append(
                f"ETA {what}: {eta['hours']:g} h of work "
                f"({eta['hours_low']:g}-{eta['hours_high']:g} h at the last working hours' rates)"
            )
    lines.extend(_measured_lines(status.get("measured_precision")))
    for failure in status["failures"]:
        lines.append(f"failed: {failure['document']}: {failure['error']}")
    for duplicate in status["duplicates"]:
        lines.append(f"duplicate: {duplicate['document']}: {duplicate['reason']}")
    return "\n".join(lines)


def _figures(m: dict[str, Any]) -> str:
    if not m["sampled"]:
        return f"no outcome yet ({m['waiting']} waiting)"
    return (
        f"{m['precision']:.2%} right of {m['sampled']} sampled ({m['wrong']} wrong), "
        f"95% CI {m['ci_low']:.2%}-{m['ci_high']:.2%}"
        + (f", {m['waiting']} waiting" if m["waiting"] else "")
    )


def _measured_lines(measured: dict[str, Any] | None) -> list[str]:
    """QA sampling's figures: what reviewers found of blind-sampled auto-accepted values."""
    if not measured or not (measured["overall"]["sampled"] or measured["overall"]["waiting"]):
        return []
    lines = [
        f"measured precision of auto-accepted (QA sample, target {measured['target']:.1%}): "
        + _figures(measured["overall"])
    ]
    tightened = measured.get("tightened", {})
    for key, m in measured["fields"].items():
        extra = f"; threshold tightened x{tightened[key]:g}" if key in tightened else ""
        lines.append(f"  {key}: {_figures(m)}{extra}")
    return lines


def status_markdown(status: dict[str, Any]) -> str:
    d = status["documents"]
    rows = "\n".join(f"| {k} | {v} |" for k, v in d.items())
    return f"# Batch {status['batch']}\n\n| documents | count |\n|---|---|\n{rows}\n"
