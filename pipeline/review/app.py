"""The review desk: reviewer UI, progress dashboard and the JSON API they both use (FastAPI).

Every route but login needs a session; roles decide what a person sees. Errors are JSON
``{"error": ...}`` without tracebacks. Pages are server-rendered with a little JavaScript;
every asset is served from here (hospitals run offline).
"""

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.load.patients import answer_question, undo_merge
from pipeline.review import dashboard, images
from pipeline.review.asgi import NoTracebacks, SecurityHeaders
from pipeline.review.audit import record
from pipeline.review.auth import (
    SESSION_HOURS,
    Login,
    TooManyAttempts,
    add_user,
    authenticate,
    logout,
    session_login,
)
from pipeline.review.desk_routes import Language, desk_router
from pipeline.review.params import RowId
from pipeline.review.queue import NotYours, Refused, claim_next, decide
from pipeline.review.reasons import comparison_sentences
from pipeline.review.validation import Typed, check_value
from schemas.catalogue import field_keys, load_full_catalogue
from schemas.tables import (
    AuditEvent,
    CleanedPage,
    Document,
    ExtractedField,
    Patient,
    PatientMatchQuestion,
    PatientMerge,
    ReviewItem,
    User,
    utcnow,
)

# No "from __future__ import annotations" here: FastAPI reads the route signatures at
# definition time, including the Annotated dependencies defined inside create_app.
HERE = Path(__file__).parent
COOKIE = "emr_session"
#: methods that change nothing; every other one needs the session's CSRF token
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Credentials(BaseModel):
    username: str
    password: str


class DecisionBody(BaseModel):
    action: str
    #: in the export's format: text, a JSON number, a medication's parts as an object
    value: Typed = None


class ValueBody(BaseModel):
    field: str
    value: Typed = None


class SameAnswer(BaseModel):
    same: bool


class NewUser(BaseModel):
    username: str
    password: str
    role: str


def create_app(sessions: sessionmaker[Session], secure_cookies: bool = False) -> FastAPI:
    app = FastAPI(title="emr-migrate review desk", version="1", docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(NoTracebacks)
    app.add_middleware(SecurityHeaders)  # outermost: on the 500 answers too
    templates = Jinja2Templates(directory=HERE / "templates")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in exc.errors())
        return JSONResponse(
            {"error": f"malformed request: check {where or 'the body'}"}, status_code=422
        )

    # Unexpected errors: NoTracebacks answers them (never a traceback or a message that
    # could quote a patient value).

    def db() -> Iterator[Session]:
        with sessions() as session:
            yield session

    DB = Annotated[Session, Depends(db)]

    def current(request: Request, session: DB) -> Login:
        login = session_login(session, request.cookies.get(COOKIE))
        if login is None:
            raise HTTPException(401, "log in first")
        if request.method not in SAFE_METHODS and not secrets.compare_digest(
            request.headers.get("x-csrf-token", ""), login.csrf_token
        ):
            raise HTTPException(403, "missing or wrong X-CSRF-Token header: reload the page")
        return login

    def role(needed: str) -> Any:
        def check(login: Annotated[Login, Depends(current)]) -> Login:
            if not login.may(needed):
                raise HTTPException(403, f"this needs the {needed} role")
            return login

        return check

    Reviewer = Annotated[Login, Depends(role("reviewer"))]
    Lead = Annotated[Login, Depends(role("lead"))]
    Admin = Annotated[Login, Depends(role("admin"))]

    # --- pages -------------------------------------------------------------------------------

    def page_login(request: Request, session: Session) -> Login | None:
        return session_login(session, request.cookies.get(COOKIE))

    @app.get("/", include_in_schema=False)
    def home(request: Request, session: DB) -> Response:
        login = page_login(request, session)
        if login is None:
            return RedirectResponse("/login", 303)
        return RedirectResponse("/dashboard" if login.may("lead") else "/review", 303)

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request) -> Response:
        return templates.TemplateResponse(request, "login.html", {})

    @app.get("/review", include_in_schema=False)
    def review_page(request: Request, session: DB) -> Response:
        login = page_login(request, session)
        if login is None:
            return RedirectResponse("/login", 303)
        return templates.TemplateResponse(
            request,
            "review.html",
            {"login": login, "fields": [*sorted(field_keys()), *load_full_catalogue().lists]},
        )

    @app.get("/patients", include_in_schema=False)
    def patients_page(request: Request, session: DB) -> Response:
        login = page_login(request, session)
        if login is None:
            return RedirectResponse("/login", 303)
        return templates.TemplateResponse(request, "patients.html", {"login": login})

    @app.get("/dashboard", include_in_schema=False)
    def dashboard_page(request: Request, session: DB) -> Response:
        login = page_login(request, session)
        if login is None:
            return RedirectResponse("/login", 303)
        if not login.may("lead"):
            return RedirectResponse("/review", 303)
        return templates.TemplateResponse(request, "dashboard.html", {"login": login})

    # --- session -----------------------------------------------------------------------------

    @app.post("/api/session")
    def open_session(
        body: Credentials, request: Request, response: Response, session: DB
    ) -> dict[str, Any]:
        client = request.client.host if request.client else None
        try:
            token = authenticate(session, body.username, body.password, client or "")
        except TooManyAttempts:
            session.commit()
            raise HTTPException(429, "too many failed logins: wait 15 minutes") from None
        session.commit()
        if token is None:
            raise HTTPException(401, "wrong user name or password")
        login = session_login(session, token)
        assert login is not None
        response.set_cookie(
            COOKIE,
            token,
            max_age=SESSION_HOURS * 3600,
            httponly=True,
            samesite="strict",
            # behind a TLS proxy uvicorn takes the scheme from X-Forwarded-Proto
            secure=secure_cookies or request.url.scheme == "https",
            path="/",
        )
        return {"username": login.username, "role": login.role, "csrf_token": login.csrf_token}

    @app.delete("/api/session", status_code=204)
    def close_session(
        request: Request, session: DB, _: Annotated[Login, Depends(current)]
    ) -> Response:
        logout(session, request.cookies.get(COOKIE))
        session.commit()
        response = Response(status_code=204)
        response.delete_cookie(
            COOKIE,
            path="/",
            httponly=True,
            samesite="strict",
            secure=secure_cookies or request.url.scheme == "https",
        )
        return response

    @app.get("/api/me")
    def me(login: Annotated[Login, Depends(current)]) -> dict[str, Any]:
        return {"username": login.username, "role": login.role, "csrf_token": login.csrf_token}

    # --- review ------------------------------------------------------------------------------

    @app.get("/api/review/next", response_model=None)
    def next_items(
        login: Reviewer,
        session: DB,
        lang: Language,
        mode: Annotated[str, Query(pattern="^(document|field)$")] = "document",
        field: str | None = None,
    ) -> dict[str, Any] | Response:
        if mode == "field" and field not in field_keys() | set(load_full_catalogue().lists):
            raise HTTPException(
                422, "field mode needs ?field= one of the catalogue's keys or lists"
            )
        items = claim_next(session, login.username, mode, field, lang, login.may("lead"))
        if not items:
            return Response(status_code=204)
        return {"items": [i.as_json() for i in items]}

    @app.post("/api/review/items/{item_id}")
    def decide_item(
        item_id: RowId, body: DecisionBody, login: Reviewer, session: DB, lang: Language
    ) -> dict[str, Any]:
        try:
            return decide(session, item_id, login.username, body.action, body.value, lang)
        except NotYours:
            session.rollback()
            raise HTTPException(
                409, "this item is not claimed by you (lease expired or decided): take the next one"
            ) from None
        except Refused as exc:
            session.rollback()
            raise HTTPException(422, str(exc)) from None

    @app.post("/api/review/validate")
    def validate(body: ValueBody, _: Reviewer, lang: Language) -> dict[str, Any]:
        checked = check_value(body.field, body.value, lang)
        if checked.code == "unknown_field":
            raise HTTPException(422, str(checked.reason))
        return checked.as_json()

    def _item_page(
        session: Session, login: Login, item_id: int
    ) -> tuple[ReviewItem, ExtractedField, CleanedPage]:
        item = session.get(ReviewItem, item_id)
        if item is None:
            raise HTTPException(404, "no such review item")
        # a reviewer sees the scan only while the item is theirs to decide
        held = (
            item.state == "open"
            and item.claimed_by == login.username
            and item.lease_expires_at is not None
            and item.lease_expires_at >= utcnow()
        )
        if not login.may("lead") and not held:
            raise HTTPException(403, "this item is not claimed by you")
        field = session.get_one(ExtractedField, item.field_id)
        page = session.scalars(
            select(CleanedPage).where(
                CleanedPage.document_id == item.document_id, CleanedPage.number == (field.page or 1)
            )
        ).first()
        if page is None:
            raise HTTPException(404, "the page image of this item was not kept")
        return item, field, page

    @app.get("/api/review/items/{item_id}/crop", response_class=Response)
    def item_crop(
        item_id: RowId,
        login: Reviewer,
        session: DB,
        zoom: Annotated[float, Query(ge=0.25, le=4)] = 1.0,
    ) -> Response:
        item, field, page = _item_page(session, login, item_id)
        record(
            session,
            login.username,
            "view_crop",
            document_id=item.document_id,
            field_key=field.key,
            item_id=item.id,
        )
        session.commit()
        return Response(
            images.crop(page.jpeg, field.bbox, zoom),
            media_type="image/jpeg",
            headers={"Cache-Control": "private, no-store"},
        )

    @app.get("/api/review/items/{item_id}/page", response_class=Response)
    def item_page(item_id: RowId, login: Reviewer, session: DB) -> Response:
        _, field, page = _item_page(session, login, item_id)
        return Response(
            images.thumbnail(page.jpeg, field.bbox),
            media_type="image/jpeg",
            headers={"Cache-Control": "private, no-store"},
        )

    @app.get("/api/review/fields")
    def open_fields(_: Reviewer, session: DB) -> dict[str, Any]:
        rows = session.execute(
            select(ExtractedField.key, func.count())
            .join(ReviewItem, ReviewItem.field_id == ExtractedField.id)
            .where(ReviewItem.state == "open")
            .group_by(ExtractedField.key)
        ).all()
        return {"fields": {k: int(n) for k, n in rows}}

    app.include_router(desk_router(db, role("reviewer"), role("lead")))

    # --- "same patient?" questions: likely matches are never merged without a person --------

    def _person(session: Session, patient_id: int) -> dict[str, Any]:
        p = session.get_one(Patient, patient_id)
        doc = session.get(Document, p.source_document_id) if p.source_document_id else None
        return {
            "full_name": p.full_name,
            "birth_date": p.birth_date.isoformat() if p.birth_date else None,
            "sex": p.sex,
            "address": p.address,
            "national_id": p.national_id,
            "insurance_number": p.insurance_number,
            "document": doc.key if doc else None,
        }

    @app.get("/api/patients/questions/next", response_model=None)
    def next_question(_: Reviewer, session: DB, lang: Language) -> dict[str, Any] | Response:
        question = session.scalars(
            select(PatientMatchQuestion)
            .where(PatientMatchQuestion.state == "open")
            .order_by(PatientMatchQuestion.id)
            .limit(1)
        ).first()
        if question is None:
            return Response(status_code=204)
        return {
            "id": question.id,
            "score": question.score,
            "reasons": comparison_sentences(list(question.reasons), lang),
            "new_chart": _person(session, question.patient_id),
            "existing_patient": _person(session, question.candidate_id),
        }

    @app.post("/api/patients/questions/{question_id}")
    def answer(
        question_id: RowId, body: SameAnswer, login: Reviewer, session: DB
    ) -> dict[str, Any]:
        question = session.get(PatientMatchQuestion, question_id)
        if question is None or question.state != "open":
            raise HTTPException(409, "this question is answered already or withdrawn")
        answer_question(session, question, body.same, login.username)
        record(
            session,
            login.username,
            "same_patient",
            item_id=question.id,
            after="same" if body.same else "different",
        )
        session.commit()
        return {"id": question.id, "answer": question.answer}

    @app.post("/api/patients/merges/{merge_id}/undo")
    def undo(merge_id: RowId, login: Lead, session: DB) -> dict[str, Any]:
        merged = session.get(PatientMerge, merge_id)
        if merged is None:
            raise HTTPException(404, "no such merge")
        undo_merge(session, merged, login.username)
        record(session, login.username, "undo_merge", item_id=merged.id)
        session.commit()
        return {"id": merged.id, "undone_by": merged.undone_by}

    # --- leads: progress, reviewers, audit ------------------------------------------------------

    @app.get("/api/status")
    def status(_: Lead, batch: str | None = None) -> dict[str, Any]:
        from pipeline.report import batch_status

        return batch_status(sessions, batch)

    @app.get("/api/reviewers")
    def reviewers(_: Lead, session: DB) -> dict[str, Any]:
        from pipeline.review.metrics import reviewers as per_reviewer

        frame = per_reviewer(session, None, utcnow(), days=1)
        return {
            "reviewers": [
                {
                    "reviewer": r["reviewer"],
                    "decisions_24h": int(r["decisions"]),
                    "hours_worked": int(r["hours_worked"]),
                    "per_hour": float(r["decisions_per_hour"]),
                }
                for r in frame.to_dict("records")
            ]
        }

    @app.get("/api/documents/{document_id}/audit")
    def audit(document_id: RowId, _: Lead, session: DB) -> dict[str, Any]:
        doc = session.get(Document, document_id)
        if doc is None:
            raise HTTPException(404, "no such document")
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.document_id == document_id).order_by(AuditEvent.id)
        ).all()
        return {
            "document": doc.key,
            "events": [
                {
                    "at": e.at.isoformat(timespec="seconds"),
                    "user": e.username,
                    "action": e.action,
                    "field": e.field_key,
                    "before": e.before,
                    "after": e.after,
                }
                for e in events
            ],
        }

    # --- admins: people ------------------------------------------------------------------------

    @app.get("/api/users")
    def users(_: Admin, session: DB) -> dict[str, Any]:
        return {
            "users": [
                {"username": u.username, "role": u.role, "active": u.active}
                for u in session.scalars(select(User).order_by(User.username))
            ]
        }

    @app.post("/api/users", status_code=201)
    def create_user(body: NewUser, login: Admin, session: DB) -> dict[str, Any]:
        from pipeline.errors import BadArguments

        try:
            user = add_user(session, body.username, body.password, body.role)
        except BadArguments as exc:
            raise HTTPException(422, str(exc)) from None
        record(session, login.username, "user_add", after=f"{user.username}:{user.role}")
        session.commit()
        return {"username": user.username, "role": user.role}

    app.include_router(dashboard.routes(sessions, templates, role, COOKIE))
    from pipeline.review.operations import operations_router

    app.include_router(operations_router(sessions, role("lead")))
    return app
