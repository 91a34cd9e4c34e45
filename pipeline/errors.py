"""The one exception hierarchy: exit codes, clerk-readable messages, transient vs terminal."""

from __future__ import annotations

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
