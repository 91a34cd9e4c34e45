"""A local S3-compatible endpoint for the demo and the tests: moto's server as a subprocess.

No MinIO server binary can be installed from the package registries these machines reach,
so moto stands in for it; the pipeline talks to it with the same minio client code that
production points at MinIO, over real HTTP.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from pipeline.config import S3Settings
from pipeline.errors import MissingDependency

DEMO_ACCESS_KEY = "emr-demo-access"
DEMO_SECRET_KEY = "emr-demo-secret-key"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalS3Server:
    """``with LocalS3Server() as s3: ...`` starts moto on 127.0.0.1 on a free port and stops it."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or _free_port()
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def settings(self) -> S3Settings:
        return S3Settings(self.endpoint, DEMO_ACCESS_KEY, DEMO_SECRET_KEY, secure=False)

    def env(self) -> dict[str, str]:
        """The MINIO_* variables that point a subprocess at this endpoint."""
        return {
            "MINIO_ENDPOINT": self.endpoint,
            "MINIO_ACCESS_KEY": DEMO_ACCESS_KEY,
            "MINIO_SECRET_KEY": DEMO_SECRET_KEY,
            "MINIO_SECURE": "false",
        }

    def start(self, timeout: float = 30.0) -> LocalS3Server:
        try:
            import moto.server  # noqa: F401
        except ImportError:
            raise MissingDependency(
                "the local S3 endpoint needs moto[server]: run `make demo` to install it"
            ) from None
        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        env = dict(
            os.environ, AWS_ACCESS_KEY_ID=DEMO_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=DEMO_SECRET_KEY
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=log,
            env=env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise MissingDependency(
                    f"the local S3 endpoint exited at start (code {self._proc.returncode})"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise MissingDependency(f"the local S3 endpoint did not start within {timeout:.0f} s")

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)
        self._proc = None

    def __enter__(self) -> LocalS3Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def upload_folder(s3: S3Settings, folder: Path, bucket: str, prefix: str = "") -> int:
    """Upload every file under ``folder`` to ``bucket/prefix`` (creating the bucket); count them."""
    from pipeline.ingest.sources import make_minio_client

    client = make_minio_client(s3)
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)
    count = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = f"{prefix.rstrip('/')}/{path.relative_to(folder).as_posix()}".lstrip("/")
        client.fput_object(bucket, key, str(path))
        count += 1
    return count
