"""Shared fixtures: the real local S3 endpoint, PostgreSQL databases, synthetic charts, Prefect.

Expensive things (the S3 server, generated charts, the Prefect test server, OCR'd batches)
are session-wide so the whole suite stays within minutes on two cores.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.ingest.local_s3 import LocalS3Server
from pipeline.scratchdb import scratch_postgres
from tests.batch import Batch, migrate_synthetic_batch

PG_ADMIN_URL = os.environ.get("EMR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

# OpenMP threads make Tesseract 2x slower on 2 cores; tests run one process per core.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
# The Prefect test server must not try to reach the internet (telemetry).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalS3Server]:
    log = tmp_path_factory.mktemp("s3") / "moto.log"
    with LocalS3Server(log_path=log) as server:
        yield server


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """One Prefect test server for the session; subprocesses reach it via PREFECT_API_URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


def _pg_database() -> Iterator[str]:
    with scratch_postgres(PG_ADMIN_URL, "emr_test") as url:
        yield url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database of its own, dropped afterwards."""
    yield from _pg_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each database test runs on both the embedded default and production's database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'emr.db'}"
    else:
        yield from _pg_database()


@pytest.fixture(scope="session")
def batch_migrated(
    tmp_path_factory: pytest.TempPathFactory, s3_server: LocalS3Server, prefect_api: str
) -> Batch:
    """Synthetic charts and bad inputs migrated once, for real, into a SQLite database."""
    return migrate_synthetic_batch(tmp_path_factory.mktemp("e2e"), s3_server, prefect_api)
