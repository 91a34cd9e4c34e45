"""Migrate one document: fetch, identify, read, store; or quarantine it with a reason."""

from __future__ import annotations

import logging
import time

from sqlalchemy.orm import Session, sessionmaker

from pipeline.chart import Scratch, encode_pages, identify, read_chart, scratch_full
from pipeline.config import Settings
from pipeline.errors import (
    DocumentRejected,
    DuplicateScan,
    ScanGone,
    frames_only,
    is_transient,
    where_raised,
)
from pipeline.ingest.sources import ScanSource
from pipeline.load.emr import ChartNotLoadable
from pipeline.models import ScanRef
from pipeline.review.qa import qa_settings
from pipeline.state import claim_content, mark_gone, quarantine, save_reading
from pipeline.timing import stage
from schemas.tables import DocState, Document

log = logging.getLogger(__name__)


def _claim(sessions: sessionmaker[Session], sha256: str, doc_id: int) -> None:
    """Raise DuplicateScan when these bytes belong to another document."""
    original = claim_content(sessions, sha256, doc_id)
    if original is None:
        return
    with sessions() as session:
        doc = session.get_one(Document, doc_id)
        other = session.get_one(Document, original.id)
        where = "" if other.batch_id == doc.batch_id else f" in batch {other.batch.name!r}"
        raise DuplicateScan(
            f"the same scan (identical bytes) as {other.key}{where}: it is processed once, "
            "under that key (see its status), so this copy adds nothing; remove it from the "
            "archive if it is a mistake, or replace it with the chart it should hold",
            other.id,
        )


def migrate_document(
    sessions: sessionmaker[Session],
    source: ScanSource,
    doc_id: int,
    settings: Settings,
    owner: str | None = None,
) -> str:
    """Return the document's new state. Transient errors (network) propagate for a retry;
    anything else about this one document quarantines it and the batch goes on. With
    ``owner`` (a worker's claim, pipeline/claims.py) results are written only while that
    worker still holds the document."""
    with sessions() as session:
        doc = session.get_one(Document, doc_id)
        if doc.state != DocState.QUEUED:
            return doc.state  # finished by an earlier run: nothing is done twice
        if owner is not None and doc.claimed_by != owner:
            return doc.state  # another worker holds it
        ref = ScanRef(source.uri, doc.key, doc.size)
    started = time.monotonic()
    sha256: str | None = None
    media_type: str | None = None
    with Scratch(settings) as scratch:
        try:
            local = scratch / "scan"
            with stage("fetch"):
                sha256 = source.fetch(ref, local)
            _claim(sessions, sha256, doc_id)
            raw = identify(ref, local, sha256)
            media_type = raw.media_type
            with stage("read chart (all)"):
                reading = read_chart(raw, settings, scratch / "pages")
            page_jpegs = encode_pages(reading)
        except ScanGone:
            log.info("document %d is no longer in the source", doc_id)
            return mark_gone(sessions, doc_id, owner)
        except DuplicateScan as exc:
            log.info("document %d is a duplicate of document %d", doc_id, exc.original_id)
            return quarantine(
                sessions, doc_id, str(exc), sha256, None, None, owner, DocState.DUPLICATE
            )
        except Exception as exc:
            full = scratch_full(scratch, exc)
            if full is not None:  # the disk's fault, not the scan's: it stays queued
                raise full from None
            if isinstance(exc, DocumentRejected):
                log.info("document %d quarantined: %s", doc_id, type(exc).__name__)
                return quarantine(
                    sessions,
                    doc_id,
                    str(exc),
                    sha256,
                    media_type,
                    time.monotonic() - started,
                    owner,
                )
            if is_transient(exc):
                raise
            # The message of an unexpected error may quote page text: only its type and where
            # it was raised are kept.
            log.warning(
                "document %d failed with %s at %s", doc_id, type(exc).__name__, where_raised(exc)
            )
            log.debug("document %d failed at:\n%s", doc_id, frames_only(exc))
            return quarantine(
                sessions,
                doc_id,
                f"the scan could not be processed (internal error {type(exc).__name__}): "
                "report it to the migration team with this document's name",
                sha256,
                media_type,
                time.monotonic() - started,
                owner,
            )
    try:
        with stage("database"):
            return save_reading(
                sessions,
                doc_id,
                reading,
                raw.media_type,
                time.monotonic() - started,
                page_jpegs,
                qa=qa_settings(settings),
                owner=owner,
            )
    except ChartNotLoadable as exc:  # a safety net: parsers only produce loadable values
        return quarantine(
            sessions, doc_id, str(exc), sha256, media_type, time.monotonic() - started, owner
        )
