"""Admins manage people: the users page, disabling and enabling a user, resetting a password.

Every change is on the audit trail (never a password). Disabling a user or resetting their
password ends their sessions and returns the fields they had claimed to the queue.
"""

# No "from __future__ import annotations": FastAPI reads the routes' Annotated dependencies,
# defined inside routes(), when the routes are defined.

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from argon2 import PasswordHasher
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.review.audit import record
from pipeline.review.auth import ROLES, Login, session_login
from schemas.tables import ReviewItem, User, WebSession

MIN_PASSWORD = 8  # as for a new user (auth.add_user)
_hasher = PasswordHasher()


class Active(BaseModel):
    active: bool


class NewPassword(BaseModel):
    password: str


def end_sessions(session: Session, user: User) -> None:
    """Log the user out everywhere and give their claimed fields back to the queue."""
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.execute(
        update(ReviewItem)
        .where(ReviewItem.claimed_by == user.username, ReviewItem.state == "open")
        .values(claimed_by=None, lease_expires_at=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )


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
    Admin = Annotated[Login, Depends(role("admin"))]

    def user_named(session: Session, username: str) -> User:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise HTTPException(404, "no such user")
        return user

    @router.get("/admin/users", include_in_schema=False)
    def users_page(request: Request, session: DB) -> Response:
        login = session_login(session, request.cookies.get(cookie))
        if login is None:
            return RedirectResponse("/login", 303)
        if not login.may("admin"):
            return RedirectResponse("/dashboard" if login.may("lead") else "/review", 303)
        users = session.scalars(select(User).order_by(User.username)).all()
        return templates.TemplateResponse(
            request, "users.html", {"login": login, "users": users, "roles": ROLES}
        )

    @router.post("/api/users/{username}/active")
    def set_active(username: str, body: Active, login: Admin, session: DB) -> dict[str, Any]:
        user = user_named(session, username)
        if user.id == login.user_id and not body.active:
            raise HTTPException(422, "you cannot disable yourself: ask another admin")
        user.active = body.active
        if not body.active:
            end_sessions(session, user)
        record(
            session, login.username, "user_enable" if body.active else "user_disable",
            after=user.username,
        )  # fmt: skip
        session.commit()
        return {"username": user.username, "role": user.role, "active": user.active}

    @router.post("/api/users/{username}/password")
    def reset_password(
        username: str, body: NewPassword, login: Admin, session: DB
    ) -> dict[str, Any]:
        user = user_named(session, username)
        if len(body.password) < MIN_PASSWORD:
            raise HTTPException(422, f"the password must have at least {MIN_PASSWORD} characters")
        user.password_hash = _hasher.hash(body.password)
        end_sessions(session, user)
        record(session, login.username, "user_password", after=user.username)
        session.commit()
        return {"username": user.username, "password_reset": True}

    return router
