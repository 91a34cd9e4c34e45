"""A scratch PostgreSQL database for tests and benchmarks: created, handed over, dropped."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def scratch_postgres(admin_url: str, prefix: str = "emr_scratch") -> Iterator[str]:
    """A new, empty database next to ``admin_url`` (a ``postgresql://`` URL of a database the
    user may create databases from); yields its SQLAlchemy URL and drops it afterwards, open
    connections and all. Raises ``psycopg.OperationalError`` when PostgreSQL is unreachable."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
