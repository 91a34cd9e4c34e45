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


class DatabaseError(MigrateError):
    exit_code = ExitCode.DATABASE


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


def is_transient(exc: BaseException) -> bool:
    """Retry policy for flows: only errors marked transient, and network hiccups."""
    if isinstance(exc, MigrateError):
        return exc.transient
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
