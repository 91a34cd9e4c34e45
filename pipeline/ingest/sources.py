"""Scan sources: an S3/MinIO prefix (through the minio client) or a local directory."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from urllib3.exceptions import HTTPError

from pipeline.config import S3Settings, Settings
from pipeline.errors import (
    BadArguments,
    ScanGone,
    SourceNotFound,
    SourceUnavailable,
    TooLarge,
    UnreadableKey,
)
from pipeline.models import ScanRef

if TYPE_CHECKING:  # the client is imported where it is used: a folder source never needs it
    from minio import Minio

_CHUNK = 1024 * 1024


class ScanSource(Protocol):
    @property
    def uri(self) -> str: ...

    def list_scans(self) -> Iterator[ScanRef]: ...

    def fetch(self, ref: ScanRef, dest: Path) -> str:
        """Copy the scan's bytes to ``dest`` and return their sha256 (hex)."""
        ...


def _copy_hashing(stream: object, dest: Path, limit: int) -> str:
    digest = hashlib.sha256()
    size = 0
    with dest.open("wb") as out:
        while True:
            chunk = stream.read(_CHUNK)  # type: ignore[attr-defined]
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise TooLarge(
                    f"the file is larger than {limit // (1024 * 1024)} MiB: split it into one "
                    "file per chart, or raise the limit"
                )
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


@dataclass
class DirectorySource:
    root: Path
    max_bytes: int

    @property
    def uri(self) -> str:
        return str(self.root)

    def list_scans(self) -> Iterator[ScanRef]:
        if not self.root.is_dir():
            raise SourceNotFound(f"the folder {self.root} does not exist or is not a folder")
        for path in sorted(p for p in self.root.rglob("*") if p.is_file()):
            if any(part.startswith(".") for part in path.relative_to(self.root).parts):
                continue  # hidden files (.DS_Store, editor swap files) are not charts
            yield ScanRef(self.uri, path.relative_to(self.root).as_posix(), path.stat().st_size)

    def fetch(self, ref: ScanRef, dest: Path) -> str:
        try:
            stream = (self.root / ref.key).open("rb")
        except FileNotFoundError:
            raise ScanGone(f"{ref.key} is no longer in {self.root}") from None
        with stream:
            return _copy_hashing(stream, dest, self.max_bytes)


@dataclass
class S3Source:
    """A bucket prefix on MinIO (or any S3-compatible endpoint)."""

    bucket: str
    prefix: str
    settings: S3Settings
    max_bytes: int

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def _client(self) -> Minio:
        return make_minio_client(self.settings)

    def list_scans(self) -> Iterator[ScanRef]:
        from minio.error import S3Error

        client = self._client()
        try:
            check_bucket_name(self.bucket)
            if not client.bucket_exists(self.bucket):
                raise SourceNotFound(
                    f"the bucket {self.bucket!r} does not exist on {self.settings.endpoint}"
                )
            objects = client.list_objects(self.bucket, prefix=self.prefix or None, recursive=True)
            for obj in sorted(objects, key=lambda o: o.object_name or ""):
                if obj.is_dir or not obj.object_name:
                    continue
                yield ScanRef(self.uri, obj.object_name, int(obj.size or 0))
        except S3Error as exc:
            raise SourceNotFound(
                f"cannot list {self.uri} on {self.settings.endpoint} ({exc.code}): "
                "check MINIO_ACCESS_KEY/MINIO_SECRET_KEY and the bucket name"
            ) from None
        except (OSError, HTTPError) as exc:
            raise SourceUnavailable(
                f"cannot reach the object store at {self.settings.endpoint} "
                f"({type(exc).__name__}): check MINIO_ENDPOINT and MINIO_SECURE"
            ) from None

    def fetch(self, ref: ScanRef, dest: Path) -> str:
        from minio.error import S3Error
        from minio.helpers import check_object_name

        try:
            check_object_name(ref.key)
        except ValueError:
            # minio refuses keys with a '.' or '..' segment (MinIO stores none; other S3
            # stores may): the key is never used as a path, but the object cannot be read.
            raise UnreadableKey(
                "the object's name has a '.' or '..' folder in it, which MinIO clients cannot "
                "read: rename the object without it (e.g. with the S3 console) and run the "
                "batch again"
            ) from None
        client = self._client()
        try:
            response = client.get_object(self.bucket, ref.key)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise ScanGone(f"{ref.key} is no longer in {self.uri}") from None
            raise SourceUnavailable(f"cannot read {ref.key} ({exc.code})") from None
        except (OSError, HTTPError) as exc:
            raise SourceUnavailable(
                f"cannot reach the object store to read {ref.key} ({type(exc).__name__})"
            ) from None
        try:
            return _copy_hashing(response, dest, self.max_bytes)
        finally:
            response.close()
            response.release_conn()


def make_minio_client(s3: S3Settings) -> Minio:
    from minio import Minio

    # The region is fixed so that the client does not ask the server for it on every call.
    return Minio(
        s3.endpoint,
        access_key=s3.access_key,
        secret_key=s3.secret_key,
        secure=s3.secure,
        region="us-east-1",
    )


def check_source(source: ScanSource) -> None:
    """Fail at once, before any orchestration starts, when the source cannot be listed: a
    folder that is not there (``open_source`` already refused it), a bucket that is not, an
    endpoint that does not answer (one try, a short timeout: no retries with back-off)."""
    if not isinstance(source, S3Source):
        return
    import urllib3
    from minio import Minio
    from minio.error import S3Error

    check_bucket_name(source.bucket)
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=3.0, read=10.0), retries=urllib3.Retry(total=0)
    )
    s3 = source.settings
    client = Minio(
        s3.endpoint,
        access_key=s3.access_key,
        secret_key=s3.secret_key,
        secure=s3.secure,
        region="us-east-1",
        http_client=http,
    )
    try:
        exists = client.bucket_exists(source.bucket)
    except S3Error as exc:
        raise SourceNotFound(
            f"cannot list {source.uri} on {s3.endpoint} ({exc.code}): "
            "check MINIO_ACCESS_KEY/MINIO_SECRET_KEY and the bucket name"
        ) from None
    except (OSError, HTTPError) as exc:
        raise SourceUnavailable(
            f"cannot reach the object store at {s3.endpoint} ({type(exc).__name__}): "
            "check MINIO_ENDPOINT and MINIO_SECURE"
        ) from None
    finally:
        http.clear()
    if not exists:
        raise SourceNotFound(f"the bucket {source.bucket!r} does not exist on {s3.endpoint}")


def check_bucket_name(bucket: str) -> None:
    from minio.helpers import check_bucket_name as minio_check

    try:
        minio_check(bucket)
    except ValueError:
        raise BadArguments(
            f"{bucket!r} is not a valid bucket name (3-63 lower-case letters, digits, dots, "
            "hyphens)"
        ) from None


def open_source(uri: str, settings: Settings) -> ScanSource:
    if uri.startswith("s3://"):
        if settings.s3 is None:
            raise BadArguments(
                f"{uri} is an S3 source but MINIO_ENDPOINT is not set: set MINIO_ENDPOINT, "
                "MINIO_ACCESS_KEY and MINIO_SECRET_KEY"
            )
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        if not bucket:
            raise BadArguments(f"{uri} names no bucket: use s3://bucket/prefix")
        return S3Source(bucket, prefix, settings.s3, settings.max_scan_bytes)
    path = Path(uri)
    if not path.is_dir():
        raise BadArguments(f"{uri} is neither s3://bucket/prefix nor an existing folder")
    return DirectorySource(path.resolve(), settings.max_scan_bytes)


def copy_local(path: Path, dest: Path, max_bytes: int) -> str:
    """Copy one local file to scratch (used by ``inspect``) and return its sha256."""
    with path.open("rb") as stream:
        return _copy_hashing(stream, dest, max_bytes)
