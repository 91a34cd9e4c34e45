"""Claims on documents: which worker processes which chart, for how long (a lease).

However many workers run, on however many machines, each queued document is claimed by one
of them at a time: the claim is one conditional UPDATE of still-free rows (locked
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers never wait for each other; serialised
by SQLite's single writer there). A worker renews its leases while it works; a worker that
dies stops renewing, its leases lapse, and its documents are claimed by the others. Results
are written only by the document's current holder (``holds``), so a worker that lost its
lease (paused, cut off) cannot write a chart a second time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from schemas.tables import DocState, Document, utcnow

log = logging.getLogger(__name__)


def new_owner() -> str:
    """A name for one worker's claims: machine, process and a random part (pids repeat)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def database_now(session: Session) -> datetime:
    """The database's clock on PostgreSQL (workers' clocks may differ); this machine's on
    SQLite, which only one machine uses. Naive UTC, as the tables store times."""
    if _is_postgres(session):
        now = session.scalar(text("SELECT timezone('utc', clock_timestamp())"))
        assert isinstance(now, datetime)
        return now
    return utcnow()


def _claimable(now: datetime) -> Any:
    return and_(
        Document.state == DocState.QUEUED,
        or_(Document.lease_expires_at.is_(None), Document.lease_expires_at < now),
    )


def claim(
    sessions: sessionmaker[Session],
    batch_id: int,
    owner: str,
    limit: int,
    lease_seconds: float,
    exclude: Collection[int] = (),
    only: Collection[int] | None = None,
) -> list[int]:
    """Claim up to ``limit`` queued documents of the batch that nobody holds; their ids."""
    if limit <= 0 or (only is not None and not only):
        return []
    with sessions.begin() as session:
        now = database_now(session)
        free = select(Document.id).where(Document.batch_id == batch_id, _claimable(now))
        if exclude:
            free = free.where(Document.id.not_in(list(exclude)))
        if only is not None:
            free = free.where(Document.id.in_(list(only)))
        free = free.order_by(Document.id).limit(limit)
        if _is_postgres(session):
            # Lock the chosen rows first, skipping those others are claiming: as a subquery of
            # the UPDATE it may run again per row and, skipping, choose more than ``limit``.
            chosen: Any = list(session.scalars(free.with_for_update(skip_locked=True)))
        else:
            # One statement: SQLite's single writer makes the choice and the update atomic.
            chosen = free.scalar_subquery()
        won = session.scalars(
            update(Document)
            .where(Document.id.in_(chosen), _claimable(now))
            .values(claimed_by=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
            .returning(Document.id)
            .execution_options(synchronize_session=False)
        ).all()
        return sorted(won)


def renew(sessions: sessionmaker[Session], owner: str, lease_seconds: float) -> int:
    """Extend every lease this owner still holds; how many."""
    with sessions.begin() as session:
        now = database_now(session)
        result = session.execute(
            update(Document)
            .where(Document.claimed_by == owner, Document.state == DocState.QUEUED)
            .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def release(sessions: sessionmaker[Session], doc_ids: Collection[int], owner: str) -> None:
    """Give documents back unfinished (a transient failure): others may take them at once."""
    if not doc_ids:
        return
    with sessions.begin() as session:
        session.execute(
            update(Document)
            .where(
                Document.id.in_(list(doc_ids)),
                Document.claimed_by == owner,
                Document.state == DocState.QUEUED,
            )
            .values(claimed_by=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )


def holds(session: Session, doc_id: int, owner: str) -> bool:
    """Whether ``owner`` still holds the document, checked as the first statement of the
    transaction that writes its results: the UPDATE locks the row (PostgreSQL) or takes the
    write lock (SQLite) until that transaction ends, so no claim can slip in between."""
    result = session.execute(
        update(Document)
        .where(
            Document.id == doc_id,
            Document.claimed_by == owner,
            Document.state == DocState.QUEUED,
        )
        .values(lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _dead_here(owner: str) -> bool:
    """An owner that was a process of this machine and is no longer running."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


def release_dead_here(sessions: sessionmaker[Session], batch_id: int) -> int:
    """Release the claims of this machine's processes that died (a killed `run` restarted
    at once need not wait for its old leases); others' leases still have to lapse."""
    with sessions() as session:
        owners = set(
            session.scalars(
                select(Document.claimed_by).where(
                    Document.batch_id == batch_id,
                    Document.state == DocState.QUEUED,
                    Document.claimed_by.is_not(None),
                )
            )
        )
    dead = [o for o in owners if o and _dead_here(o)]
    if not dead:
        return 0
    with sessions.begin() as session:
        result = session.execute(
            update(Document)
            .where(Document.claimed_by.in_(dead), Document.state == DocState.QUEUED)
            .values(claimed_by=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def outstanding(sessions: sessionmaker[Session], batch_id: int, exclude: Collection[int]) -> int:
    """Queued documents of the batch, whoever holds them, but for ``exclude``."""
    with sessions() as session:
        q = select(func.count()).where(
            Document.batch_id == batch_id, Document.state == DocState.QUEUED
        )
        if exclude:
            q = q.where(Document.id.not_in(list(exclude)))
        return int(session.scalar(q) or 0)


class LeaseKeeper:
    """Renews an owner's leases from a thread, three times a lease, while the block runs."""

    def __init__(self, sessions: sessionmaker[Session], owner: str, lease_seconds: float) -> None:
        self.sessions, self.owner, self.lease_seconds = sessions, owner, lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lease-keeper", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                renew(self.sessions, self.owner, self.lease_seconds)
            except Exception as exc:  # a database hiccup: the next round tries again
                log.warning("could not renew document leases (%s)", type(exc).__name__)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
