"""The one exception hierarchy: exit codes, clerk-readable messages, transient vs terminal."""

from __future__ import annotations

import traceback
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    BAD_ARGS = 2
    MISSING_DEPENDENCY = 3
    SOURCE_UNAVAILABLE = 4
    DATABASE = 5
    INTERRUPTED = 130


class MigrateError(Exception):
    """Base error. Its message is shown to the user as one line, so it must say what to do
    and must never contain patient data (name documents by key, fields by key)."""

    exit_code: ExitCode = ExitCode.FAILED
    #: a transient error may succeed when retried (network, a locked database)
    transient: bool = False


class BadArguments(MigrateError):
    exit_code = ExitCode.BAD_ARGS


class MissingDependency(MigrateError):
    exit_code = ExitCode.MISSING_DEPENDENCY


class SourceUnavailable(MigrateError):
    """The bucket or folder cannot be listed or read (network, credentials, missing)."""

    exit_code = ExitCode.SOURCE_UNAVAILABLE
    transient = True


class SourceNotFound(SourceUnavailable):
    """The bucket or folder is not there: retrying will not help."""

    transient = False


class ScanGone(SourceNotFound):
    """One listed object is no longer there (deleted or moved): the document is marked gone."""


class DatabaseError(MigrateError):
    exit_code = ExitCode.DATABASE


class ScratchFull(MigrateError):
    """The scratch folder (EMR_WORKDIR) has no space left: the run stops, documents stay
    queued, and the next run resumes them once there is room."""


class DocumentRejected(MigrateError):
    """A scan that cannot be processed: the document is quarantined with this reason and
    the batch goes on. Terminal: retrying the same bytes gives the same answer."""


class UnsupportedFileType(DocumentRejected):
    pass


class EmptyFile(DocumentRejected):
    pass


class UnreadableScan(DocumentRejected):
    pass


class EncryptedPdf(DocumentRejected):
    pass


class TooLarge(DocumentRejected):
    pass


class UnreadableKey(DocumentRejected):
    """An object key the S3 client refuses to request (a '.' or '..' segment)."""


class TooSmall(DocumentRejected):
    """An image too small to be a scanned page (a thumbnail, an icon, a 1 x 1 placeholder)."""


class TooManyPages(DocumentRejected):
    """More pages than one chart has: several charts (or a whole box) scanned into one file."""


class BlankScan(DocumentRejected):
    """No print on any page: a blank sheet, the back of a page, a scanner lid left open."""


class UnrecognisedChart(DocumentRejected):
    """Print was read, but none of the labels of a Vietnamese or English chart."""


class DuplicateScan(DocumentRejected):
    """The same bytes as another document: migrated once, under the other key."""

    def __init__(self, message: str, original_id: int) -> None:
        super().__init__(message)
        self.original_id = original_id


def is_transient(exc: BaseException) -> bool:
    """Retry policy for flows: only errors marked transient, network hiccups, and a database
    that went away (a restart or failover): the same work may pass a little later."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, MigrateError):
        return exc.transient
    if isinstance(exc, OperationalError):
        return True  # connection refused or lost, server shutting down, a lock timeout
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    return isinstance(exc, ConnectionError | TimeoutError)


def where_raised(exc: BaseException) -> str:
    """File and line of the innermost frame of this project's code in the traceback: what a
    log may say about an unexpected error, whose message may quote a patient value."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/pipeline/" in f.filename or "/schemas/" in f.filename]
    if not (ours or frames):
        return "?"
    frame = (ours or frames)[-1]
    parts = frame.filename.replace("\\", "/").split("/")
    return f"{'/'.join(parts[-2:])}:{frame.lineno}"


def frames_only(exc: BaseException) -> str:
    """The traceback's frames (files, lines, code) without any exception message, for
    debugging logs: messages of database and parser errors can carry page text."""
    return "".join(traceback.format_tb(exc.__traceback__)) + type(exc).__name__
