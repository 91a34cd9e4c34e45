"""Failed scans fetched again: changed bytes are processed as new, deleted objects marked gone.

A clerk fixes a failed scan by replacing its file in the source (a good scan over an empty
one). ``recheck_failed`` fetches every failed (or gone) document of a batch again and
compares its bytes with those that failed; ``process_documents`` then migrates the ones
requeued, claiming them like any worker so that a running worker never does them twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.chart import Scratch
from pipeline.claims import LeaseKeeper, claim, new_owner, release
from pipeline.config import Settings
from pipeline.errors import BadArguments, ScanGone, TooLarge, is_transient
from pipeline.ingest.sources import ScanSource, open_source
from pipeline.migrate import migrate_document
from pipeline.models import ScanRef
from pipeline.state import mark_gone, requeue
from schemas.tables import Batch, DocState, Document

log = logging.getLogger(__name__)
RETRIED_STATES = (DocState.FAILED, DocState.GONE)


class NotFound(BadArguments):
    """No such batch, or no such document in it."""


class NotFailed(BadArguments):
    """The document asked for is not failed (nor gone): there is nothing to retry."""


@dataclass
class RetryCounts:
    retried: int = 0  # failed or gone documents fetched again
    changed: int = 0  # other bytes than those that failed: queued to be processed as new
    unchanged: int = 0  # the same bytes: they would fail the same way
    gone: int = 0  # not in the source any more
    requeued: tuple[int, ...] = ()

    def as_json(self) -> dict[str, int]:
        out = asdict(self)
        out.pop("requeued")
        return out


def find_batch(session: Session, name: str) -> Batch:
    batch = session.scalars(select(Batch).where(Batch.name == name)).first()
    if batch is None:
        raise NotFound(f"there is no batch named {name!r}: check the name with `status`")
    return batch


def _candidates(session: Session, batch: Batch, document: str | None) -> list[Document]:
    q = select(Document).where(Document.batch_id == batch.id)
    if document is None:
        return list(session.scalars(q.where(Document.state.in_(RETRIED_STATES))))
    doc = session.scalars(q.where(Document.key == document)).first()
    if doc is None:
        raise NotFound(f"batch {batch.name!r} has no document {document!r}")
    if doc.state not in RETRIED_STATES:
        raise NotFailed(
            f"{document} is {doc.state.replace('_', ' ')}, not failed: only failed "
            "documents are retried"
        )
    return [doc]


def recheck_failed(
    sessions: sessionmaker[Session],
    source: ScanSource,
    batch_name: str,
    settings: Settings,
    document: str | None = None,
    listing: Mapping[str, int] | None = None,
) -> RetryCounts:
    """Fetch the batch's failed documents (or the one ``document`` key) again; requeue those
    whose bytes changed and mark those no longer there gone. With ``listing`` (key -> size,
    as a run has just listed the source) only those whose size changed or that were not
    listed are fetched: a run does not download every failed scan again each time."""
    with sessions() as session:
        batch = find_batch(session, batch_name)
        docs = [
            (d.id, d.key, d.size, d.sha256)
            for d in _candidates(session, batch, document)
            if listing is None or listing.get(d.key) != d.size
        ]
    counts = RetryCounts()
    requeued: list[int] = []
    for doc_id, key, size, old_sha in docs:
        counts.retried += 1
        with Scratch(settings) as scratch:
            local = scratch / "scan"
            try:
                sha: str | None = source.fetch(ScanRef(source.uri, key, size), local)
            except ScanGone:
                mark_gone(sessions, doc_id)
                counts.gone += 1
                continue
            except TooLarge:
                sha = None  # still too large to fetch: it would fail the same way
            new_size = local.stat().st_size if sha is not None else size
        if sha is not None and sha != old_sha:
            requeue(sessions, doc_id, new_size)
            requeued.append(doc_id)
            counts.changed += 1
        else:
            counts.unchanged += 1
    counts.requeued = tuple(requeued)
    log.info("batch %s: %s", batch_name, counts.as_json())
    return counts


def process_documents(
    sessions: sessionmaker[Session], batch_name: str, doc_ids: tuple[int, ...], settings: Settings
) -> dict[str, int]:
    """Migrate the given queued documents one at a time under this process's claim (the
    review server's retry button uses this; ``run`` and workers use the flow)."""
    with sessions() as session:
        batch = find_batch(session, batch_name)
        batch_id, uri = batch.id, batch.source
    source = open_source(uri, settings)
    owner = new_owner()
    states: dict[str, int] = {}
    given_up: set[int] = set()
    with LeaseKeeper(sessions, owner, settings.lease_seconds):
        while True:
            ids = claim(
                sessions, batch_id, owner, 1, settings.lease_seconds, given_up, only=doc_ids
            )
            if not ids:
                return states
            try:
                state = migrate_document(sessions, source, ids[0], settings, owner)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                release(sessions, ids, owner)  # the next run or worker takes it
                given_up.add(ids[0])
                state = "unfinished"
            states[state] = states.get(state, 0) + 1


def retry_batch(
    sessions: sessionmaker[Session],
    batch_name: str,
    settings: Settings,
    document: str | None = None,
) -> RetryCounts:
    """``recheck_failed`` on the batch's own source."""
    with sessions() as session:
        uri = find_batch(session, batch_name).source
    return recheck_failed(sessions, open_source(uri, settings), batch_name, settings, document)


def counts_line(counts: RetryCounts) -> str:
    c: dict[str, Any] = counts.as_json()
    return (
        f"retried {c['retried']} documents: {c['changed']} changed (processed as new), "
        f"{c['unchanged']} unchanged, {c['gone']} gone from the source"
    )
