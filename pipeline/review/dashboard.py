"""The leads' dashboard: figures as JSON, charts as SVG, tables as CSV/Excel, the documents
list and a chart's audit trail page. Leads and admins only; reviewers are refused.
"""

# No "from __future__ import annotations": FastAPI reads the routes' Annotated dependencies,
# defined inside routes(), when the routes are defined.

import io
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.review import metrics, people, svg
from pipeline.review.audit import record
from pipeline.review.auth import Login, session_login
from pipeline.review.params import RowId
from schemas.tables import AuditEvent, Batch, Document, DocumentEvent, utcnow

DOCUMENTS_SHOWN = 200  # rows of the documents page; the downloads have them all
TABLES = ("documents", "failures", "reviewers", "automation", "activity")
CHARTS = (
    "documents", "pages", "pages_per_hour", "decisions_per_hour", "backlog", "automation",
    "reviewers", "precision",
)  # fmt: skip


def _iso(value: Any) -> Any:
    return value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON: times as ISO strings, NaN as null."""
    out = frame.astype(object).where(frame.notna(), None)
    return [{str(k): _iso(v) for k, v in row.items()} for row in out.to_dict("records")]


def _safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Times to the second; text starting like a formula is quoted, so a spreadsheet never
    runs a file name."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.floor("s")
        elif not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v
            )
    return out


def download(frame: pd.DataFrame, name: str, fmt: str, batch: str | None) -> Response:
    stem = "-".join(
        p for p in (name, re.sub(r"[^A-Za-z0-9._-]+", "_", batch or ""), f"{utcnow():%Y%m%d}") if p
    )
    frame = _safe_cells(frame)
    if fmt == "csv":
        # The BOM makes Excel read the Vietnamese letters as UTF-8.
        body = frame.to_csv(index=False).encode("utf-8-sig")
        media = "text/csv; charset=utf-8"
    else:
        buffer = io.BytesIO()
        frame.to_excel(buffer, index=False, sheet_name=name[:31])
        body = buffer.getvalue()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


def _chart(session: Session, sessions: sessionmaker[Session], name: str, batch: str | None) -> str:
    now = utcnow()
    if name in ("documents", "pages"):
        figures = metrics.overview(session, batch)[name]
        states = ["loaded", "in_review", "queued", "failed"]
        states += [s for s in figures if s not in states and s not in ("total", "done")]
        return svg.stacked_bar(f"{name} by state", [(s, figures[s]) for s in states])
    if name in ("pages_per_hour", "decisions_per_hour", "backlog"):
        frame = metrics.activity(session, batch, now)
        hours = [h.to_pydatetime() for h in frame["hour"]]
        if name == "backlog":
            return svg.hourly_line("review backlog", hours, list(frame["backlog"]), "fields open")
        column, unit, colour = (
            ("pages", "pages read", "#1565c0")
            if name == "pages_per_hour"
            else ("decisions", "decisions", "#6a1b9a")
        )
        return svg.hourly_bars(name.replace("_", " "), hours, list(frame[column]), unit, colour)
    if name == "automation":
        frame = metrics.automation_by_field(session, batch)
        rows = [
            (
                str(r["field"]),
                float(r["automation_rate"]),
                f"{r['automation_rate']:.0%} of {r['fields']:,}",
            )
            for r in frame.to_dict("records")
        ]
        return svg.hbars("automation rate per field", rows, top=1.0, percent=True)
    if name == "reviewers":
        frame = metrics.reviewers(session, batch, now)
        rows = [
            (
                str(r["reviewer"]),
                float(r["decisions_per_hour"]),
                f"{r['decisions_per_hour']:g}/h · {r['decisions']:,} in {r['hours_worked']} h",
            )
            for r in frame.to_dict("records")
        ]
        return svg.hbars("decisions per hour worked", rows, colour="#6a1b9a")
    precision = measured_precision(sessions, batch)
    if precision is None:
        raise HTTPException(404, "no QA sample has been checked yet")
    return svg.intervals("measured precision per field", precision_rows(precision))


def measured_precision(sessions: sessionmaker[Session], batch: str | None) -> Any:
    """The QA sample's figures once reviewers have checked a sampled value (else None)."""
    from pipeline.report import batch_status

    measured = batch_status(sessions, batch).get("measured_precision")
    return measured if measured and measured["overall"]["sampled"] else None


def precision_rows(precision: dict[str, Any]) -> list[tuple[str, float, float, float, str]]:
    def row(name: str, p: dict[str, Any]) -> tuple[str, float, float, float, str]:
        text = f"{p['precision']:.1%} ({p['wrong']} wrong of {p['sampled']})"
        return name, p["precision"], p["ci_low"], p["ci_high"], text

    fields = sorted(precision.get("fields", {}).items(), key=lambda kv: kv[1]["precision"])
    rows = [row(k, p) for k, p in fields]
    if precision.get("overall"):
        rows.append(row("all fields", precision["overall"]))
    return rows


def routes(
    sessions: sessionmaker[Session],
    templates: Jinja2Templates,
    role: Callable[[str], Any],
    cookie: str,
) -> APIRouter:
    router = APIRouter()

    def db() -> Iterator[Session]:
        with sessions() as session:
            yield session

    DB = Annotated[Session, Depends(db)]
    Lead = Annotated[Login, Depends(role("lead"))]

    def batch_of(session: Session, batch: str | None) -> str | None:
        try:
            metrics.check_batch(session, batch or None)
        except metrics.UnknownBatch:
            raise HTTPException(404, "there is no batch of that name") from None
        return batch or None

    def page_login(request: Request, session: Session) -> Login | Response:
        login = session_login(session, request.cookies.get(cookie))
        if login is None:
            return RedirectResponse("/login", 303)
        if not login.may("lead"):
            return RedirectResponse("/review", 303)
        return login

    # --- figures, charts, tables ---------------------------------------------------------------

    @router.get("/api/dashboard/batches")
    def batch_list(_: Lead, session: DB) -> dict[str, Any]:
        return {"batches": metrics.batches(session)}

    @router.get("/api/dashboard/figures")
    def figures(_: Lead, session: DB, batch: str | None = None) -> dict[str, Any]:
        batch = batch_of(session, batch)
        now = utcnow()
        out = {
            "batch": batch,
            "at": now.isoformat(timespec="seconds"),
            **metrics.overview(session, batch),
            "eta": metrics.eta(session, batch, now),
            "activity": records(metrics.activity(session, batch, now)),
            "automation": records(metrics.automation_by_field(session, batch)),
            "reviewers": records(metrics.reviewers(session, batch, now)),
            "failures": records(metrics.failures(session, batch)),
        }
        precision = measured_precision(sessions, batch)
        if precision is not None:
            out["measured_precision"] = precision
        return out

    @router.get("/api/dashboard/charts/{name}.svg", response_class=Response)
    def chart(name: str, _: Lead, session: DB, batch: str | None = None) -> Response:
        if name not in CHARTS:
            raise HTTPException(404, f"no such chart: one of {', '.join(CHARTS)}")
        drawn = _chart(session, sessions, name, batch_of(session, batch))
        return Response(drawn, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    @router.get("/api/dashboard/tables/{name}.{fmt}", response_class=Response)
    def table(
        name: str,
        fmt: str,
        login: Lead,
        session: DB,
        batch: str | None = None,
        q: Annotated[str, Query(max_length=200)] = "",
    ) -> Response:
        if name not in TABLES or fmt not in ("csv", "xlsx"):
            raise HTTPException(404, f"no such table: one of {', '.join(TABLES)}, as .csv or .xlsx")
        batch = batch_of(session, batch)
        now = utcnow()
        frame = {
            "documents": lambda: metrics.documents(session, batch, q)[0],
            "failures": lambda: metrics.failures(session, batch),
            "reviewers": lambda: metrics.reviewers(session, batch, now),
            "automation": lambda: metrics.automation_by_field(session, batch),
            "activity": lambda: metrics.activity(session, batch, now),
        }[name]()
        # The documents list carries record numbers: who took a copy is on the trail.
        record(session, login.username, "download", after=f"{name}.{fmt}")
        session.commit()
        return download(frame, name, fmt, batch)

    # --- pages ---------------------------------------------------------------------------------

    @router.get("/dashboard/documents", include_in_schema=False)
    def documents_page(
        request: Request,
        session: DB,
        batch: str | None = None,
        q: Annotated[str, Query(max_length=200)] = "",
    ) -> Response:
        login = page_login(request, session)
        if not isinstance(login, Login):
            return login
        batch = batch_of(session, batch)
        frame, total = metrics.documents(session, batch, q, limit=DOCUMENTS_SHOWN)
        return templates.TemplateResponse(
            request,
            "documents.html",
            {
                "login": login,
                "rows": records(frame),
                "total": total,
                "batch": batch or "",
                "q": q,
                "batches": metrics.batches(session),
            },
        )

    @router.get("/dashboard/documents/{document_id}", include_in_schema=False)
    def audit_page(request: Request, document_id: RowId, session: DB) -> Response:
        login = page_login(request, session)
        if not isinstance(login, Login):
            return login
        doc = session.get(Document, document_id)
        if doc is None:
            raise HTTPException(404, "no such document")
        batch = session.get_one(Batch, doc.batch_id)
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.document_id == document_id).order_by(AuditEvent.id)
        ).all()
        states = session.scalars(
            select(DocumentEvent)
            .where(DocumentEvent.document_id == document_id)
            .order_by(DocumentEvent.id)
        ).all()
        return templates.TemplateResponse(
            request,
            "audit.html",
            {"login": login, "doc": doc, "batch": batch, "events": events, "states": states},
        )

    router.include_router(people.routes(sessions, templates, role, cookie))
    return router
