"""Migrate one document: fetch, identify, read, store; or quarantine it with a reason."""

from __future__ import annotations

import logging
import time
import traceback

from sqlalchemy.orm import Session, sessionmaker

from pipeline.chart import Scratch, encode_pages, identify, read_chart
from pipeline.config import Settings
from pipeline.errors import DocumentRejected, is_transient
from pipeline.ingest.sources import ScanSource
from pipeline.load.emr import ChartNotLoadable
from pipeline.models import ScanRef
from pipeline.state import find_duplicate, quarantine, save_reading
from pipeline.timing import stage
from schemas.tables import DocState, Document

log = logging.getLogger(__name__)


def _where(exc: BaseException) -> str:
    """File and line of the innermost frame of this project's code in the traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/pipeline/" in f.filename or "/schemas/" in f.filename]
    if not (ours or frames):
        return "?"
    frame = (ours or frames)[-1]
    parts = frame.filename.replace("\\", "/").split("/")
    return f"{'/'.join(parts[-2:])}:{frame.lineno}"


def migrate_document(
    sessions: sessionmaker[Session], source: ScanSource, doc_id: int, settings: Settings
) -> str:
    """Return the document's new state. Transient errors (network) propagate for a retry;
    anything else about this one document quarantines it and the batch goes on."""
    with sessions() as session:
        doc = session.get_one(Document, doc_id)
        if doc.state != DocState.QUEUED:
            return doc.state  # finished by an earlier run: nothing is done twice
        ref = ScanRef(source.uri, doc.key, doc.size)
    started = time.monotonic()
    sha256: str | None = None
    media_type: str | None = None
    with Scratch(settings) as scratch:
        try:
            local = scratch / "scan"
            with stage("fetch"):
                sha256 = source.fetch(ref, local)
            with sessions() as session:
                duplicate = find_duplicate(session, sha256, doc_id)
                if duplicate is not None:
                    raise DocumentRejected(
                        f"the same scan (identical content) was already migrated as "
                        f"{duplicate.key}: it is not loaded twice"
                    )
            raw = identify(ref, local, sha256)
            media_type = raw.media_type
            with stage("read chart (all)"):
                reading = read_chart(raw, settings, scratch / "pages")
            page_jpegs = encode_pages(reading)
        except DocumentRejected as exc:
            log.info("document %d quarantined: %s", doc_id, type(exc).__name__)
            quarantine(sessions, doc_id, str(exc), sha256, media_type, time.monotonic() - started)
            return DocState.FAILED
        except Exception as exc:
            if is_transient(exc):
                raise
            # The message of an unexpected error may quote page text: only its type and where
            # it was raised are kept.
            log.warning(
                "document %d failed with %s at %s",
                doc_id,
                type(exc).__name__,
                _where(exc),
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            quarantine(
                sessions,
                doc_id,
                f"the scan could not be processed (internal error {type(exc).__name__}): "
                "report it to the migration team with this document's name",
                sha256,
                media_type,
                time.monotonic() - started,
            )
            return DocState.FAILED
    try:
        with stage("database"):
            return save_reading(
                sessions, doc_id, reading, raw.media_type, time.monotonic() - started, page_jpegs
            )
    except ChartNotLoadable as exc:  # a safety net: parsers only produce loadable values
        quarantine(sessions, doc_id, str(exc), sha256, media_type, time.monotonic() - started)
        return DocState.FAILED
