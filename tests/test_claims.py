"""Document claims on SQLite and PostgreSQL: one holder per document, leases that lapse, and
results written only by the current holder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.claims import (
    claim,
    holds,
    new_owner,
    outstanding,
    release,
    release_dead_here,
    renew,
)
from pipeline.state import quarantine, register_scans, save_reading
from schemas.database import open_database
from schemas.tables import Batch, DocState, Document, DocumentEvent
from tests.test_state import reading, refs


def _batch(database_url: str, count: int) -> tuple[sessionmaker[Session], int, list[int]]:
    sessions = open_database(database_url)
    ids = register_scans(sessions, "b1", "/x", refs(*(f"c{i:02d}.pdf" for i in range(count))))
    with sessions() as s:
        batch_id = s.scalars(select(Batch.id)).one()
    return sessions, batch_id, ids


def test_concurrent_claims_never_share_a_document(database_url: str) -> None:
    sessions, batch_id, ids = _batch(database_url, 40)
    won: dict[str, list[int]] = {}

    def worker(owner: str) -> None:
        mine: list[int] = []
        while got := claim(sessions, batch_id, owner, 3, 60):
            mine += got
            with sessions.begin() as s:
                for doc_id in got:  # finish them, as a worker would
                    assert holds(s, doc_id, owner)
                    s.get_one(Document, doc_id).state = DocState.LOADED
        won[owner] = mine

    threads = [threading.Thread(target=worker, args=(new_owner(),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    claimed = [d for mine in won.values() for d in mine]
    assert sorted(claimed) == sorted(ids)  # every document once, none twice
    assert outstanding(sessions, batch_id, ()) == 0


def test_a_lapsed_lease_returns_the_document(database_url: str) -> None:
    sessions, batch_id, ids = _batch(database_url, 2)
    dead, alive = new_owner(), new_owner()
    assert claim(sessions, batch_id, dead, 1, 1.0) == ids[:1]
    assert claim(sessions, batch_id, alive, 5, 30) == ids[1:]
    assert renew(sessions, alive, 30) == 1
    time.sleep(1.5)  # the dead worker renews nothing; its lease lapses
    assert claim(sessions, batch_id, alive, 5, 30) == ids[:1]


def test_a_worker_that_lost_its_lease_writes_nothing(database_url: str) -> None:
    sessions, batch_id, [doc_id] = _batch(database_url, 1)
    slow, other = new_owner(), new_owner()
    claim(sessions, batch_id, slow, 1, 1.0)
    time.sleep(1.5)
    assert claim(sessions, batch_id, other, 1, 30) == [doc_id]
    # the slow worker finishes its reading late: refused, the holder's result counts
    late = save_reading(sessions, doc_id, reading("a" * 64), "pdf", 1.0, owner=slow)
    assert late == DocState.QUEUED
    assert quarantine(sessions, doc_id, "late", owner=slow) == DocState.QUEUED
    done = save_reading(sessions, doc_id, reading("a" * 64), "pdf", 1.0, owner=other)
    assert done in (DocState.LOADED, DocState.IN_REVIEW)
    with sessions() as s:
        events = s.scalar(select(func.count()).select_from(DocumentEvent))
        assert events == 1


def test_release_gives_a_document_back_at_once(database_url: str) -> None:
    sessions, batch_id, [doc_id] = _batch(database_url, 1)
    first, second = new_owner(), new_owner()
    claim(sessions, batch_id, first, 1, 300)
    assert claim(sessions, batch_id, second, 1, 300) == []
    release(sessions, [doc_id], first)
    assert claim(sessions, batch_id, second, 1, 300) == [doc_id]


def test_claims_of_a_dead_process_of_this_machine_are_released_at_once(
    database_url: str,
) -> None:
    sessions, batch_id, [doc_id] = _batch(database_url, 1)
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    dead = f"{socket.gethostname()}:{finished.stdout.strip()}:0000"
    elsewhere = f"another-machine:{os.getpid()}:0000"
    assert claim(sessions, batch_id, elsewhere, 1, 300) == [doc_id]
    assert release_dead_here(sessions, batch_id) == 0  # another machine's: its lease must lapse
    release(sessions, [doc_id], elsewhere)
    assert claim(sessions, batch_id, dead, 1, 300) == [doc_id]
    alive = new_owner()
    assert claim(sessions, batch_id, alive, 1, 300) == []
    assert release_dead_here(sessions, batch_id) == 1  # a killed `run` here: no need to wait
    assert claim(sessions, batch_id, alive, 1, 300) == [doc_id]
    assert release_dead_here(sessions, batch_id) == 0  # this process is alive
