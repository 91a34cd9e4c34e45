"""The same scan's bytes under several keys: claimed by exactly one document, even at once."""

from __future__ import annotations

import threading

from pipeline.models import ScanRef
from pipeline.state import claim_content, register_scans
from schemas.database import open_database
from schemas.tables import Document


def test_one_of_many_documents_racing_for_the_same_bytes_wins(database_url: str) -> None:
    sessions = open_database(database_url)
    keys = [f"ward-a/copy-{i}.pdf" for i in range(6)]
    ids = register_scans(sessions, "b", "s3://x/ward-a", [ScanRef("s3://x", k, 1) for k in keys])
    start = threading.Barrier(len(ids))
    owners: dict[int, int | None] = {}

    def claim(doc_id: int) -> None:
        start.wait()
        other = claim_content(sessions, "ab" * 32, doc_id)
        owners[doc_id] = None if other is None else other.id

    threads = [threading.Thread(target=claim, args=(d,)) for d in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [d for d, owner in owners.items() if owner is None]
    assert len(owners) == len(ids) and len(winners) == 1
    assert {owner for owner in owners.values() if owner is not None} == set(winners)
    # the winner's own claim holds when a stopped run reads it again
    assert claim_content(sessions, "ab" * 32, winners[0]) is None
    sessions.kw["bind"].dispose()


def test_bytes_are_free_again_once_their_owner_holds_other_bytes(database_url: str) -> None:
    sessions = open_database(database_url)
    first, second = register_scans(
        sessions, "b", "dir", [ScanRef("dir", "a.pdf", 1), ScanRef("dir", "b.pdf", 1)]
    )
    assert claim_content(sessions, "cd" * 32, first) is None
    owner = claim_content(sessions, "cd" * 32, second)
    assert owner is not None and owner.key == "a.pdf"
    with sessions.begin() as s:  # the clerk replaced a.pdf with the right scan (retry)
        s.get_one(Document, first).sha256 = "ef" * 32
    assert claim_content(sessions, "cd" * 32, second) is None
    assert claim_content(sessions, "cd" * 32, first) is not None
    sessions.kw["bind"].dispose()
