"""People and logins: argon2 password hashes, expiring sessions, roles, login rate limit."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from pipeline.errors import BadArguments
from pipeline.review.audit import record
from schemas.tables import AuditEvent, ReviewItem, User, WebSession, utcnow

ROLES = ("reviewer", "lead", "admin")
#: what each role may do; a higher role includes the lower ones
RANK = {"reviewer": 1, "lead": 2, "admin": 3}
SESSION_HOURS = 10  # one working day, then log in again
MAX_FAILED_LOGINS = 5  # per user name in LOGIN_WINDOW, then refused for the rest of it
#: per client address in LOGIN_WINDOW: one machine trying many user names (a few each) is
#: slowed down too; a ward's shared PC mistyping now and then stays far below it
MAX_FAILED_LOGINS_PER_CLIENT = 20
LOGIN_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Login:
    user_id: int
    username: str
    role: str
    csrf_token: str

    def may(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(session: Session, username: str, password: str, role: str) -> User:
    if role not in ROLES:
        raise BadArguments(f"role must be one of {', '.join(ROLES)}")
    if (
        not username
        or len(username) > 100
        or not username.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        raise BadArguments("a user name is letters, digits, '.', '-' or '_'")
    if len(password) < 8:
        raise BadArguments("the password must have at least 8 characters")
    if session.scalars(select(User).where(User.username == username)).first():
        raise BadArguments(f"user {username!r} exists already")
    user = User(username=username, password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    return user


@functools.cache
def _unknown_user_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


class TooManyAttempts(Exception):
    pass


def authenticate(session: Session, username: str, password: str, client: str) -> str | None:
    """A new session token for good credentials, else None. Raises TooManyAttempts when the
    user name, or the client address, has failed too often lately (guessing is slowed to a
    crawl). The count is of audit rows, which the database keeps append-only."""
    since = utcnow() - LOGIN_WINDOW
    failures = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "login_failed", AuditEvent.at >= since)
    )
    by_name = session.scalar(failures.where(AuditEvent.username == username[:100])) or 0
    by_client = session.scalar(failures.where(AuditEvent.client == client[:100])) or 0
    if by_name >= MAX_FAILED_LOGINS or by_client >= MAX_FAILED_LOGINS_PER_CLIENT:
        raise TooManyAttempts
    user = session.scalars(select(User).where(User.username == username, User.active)).first()
    # an unknown name costs one hash check too: the answer's time does not tell who exists
    stored = user.password_hash if user is not None else _unknown_user_hash()
    try:
        ok = _hasher.verify(stored, password) and user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        record(session, username[:100], "login_failed", client=client[:100])
        return None
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(24),
            expires_at=utcnow() + timedelta(hours=SESSION_HOURS),
        )
    )
    record(session, user.username, "login", client=client[:100])
    return token


def session_login(session: Session, token: str | None) -> Login | None:
    if not token:
        return None
    # every request asks: four columns, no ORM objects (the login lives in the database, so
    # every server process sees a login, a logout or a disabled user at once)
    row = session.execute(
        select(User.id, User.username, User.role, WebSession.csrf_token)
        .join(User, User.id == WebSession.user_id)
        .where(
            WebSession.token_hash == _digest(token), WebSession.expires_at > utcnow(), User.active
        )
    ).first()
    if row is None:
        return None
    return Login(row.id, row.username, row.role, row.csrf_token)


def logout(session: Session, token: str | None) -> None:
    """End the session and release the person's claims: their items go back to the queue at
    once instead of waiting for the lease to run out."""
    login = session_login(session, token)
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))
    if login is not None:
        session.execute(
            update(ReviewItem)
            .where(ReviewItem.claimed_by == login.username, ReviewItem.state == "open")
            .values(claimed_by=None, lease_expires_at=None, claim_token=None)
            .execution_options(synchronize_session=False)
        )
        record(session, login.username, "logout")
