"""`emr-migrate review serve`: the desk in one uvicorn process, or several (``--workers``).

Several processes are safe because the desk keeps no state of its own in a process: logins and
their CSRF tokens are rows (``web_sessions``), the login rate limit counts audit rows, claims
are conditional UPDATEs in the database. A login made through one process is good in every
other; a logout or a disabled user ends it in all of them at once. Each process opens its own
database connections; the schema is brought up to date once, before the workers start.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy.engine import make_url

#: most processes a desk starts by itself: each one holds its own connection pool
MAX_DEFAULT_WORKERS = 4


def default_workers(database_url: str) -> int:
    """One process per core (at most ``MAX_DEFAULT_WORKERS``) on PostgreSQL; one on SQLite,
    which has a single writer at a time whatever the number of processes."""
    if make_url(database_url).get_backend_name() == "sqlite":
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


def app_from_env() -> FastAPI:
    """The app of one worker process (uvicorn calls it in each), on ``EMR_DATABASE_URL``."""
    from pipeline.config import settings_from_env
    from pipeline.review.app import create_app
    from schemas.database import sessions_for

    return create_app(sessions_for(settings_from_env().database_url))


def serve(database_url: str, host: str, port: int, workers: int | None = None) -> None:
    import uvicorn

    from schemas.database import open_database

    count = workers or default_workers(database_url)
    sessions = open_database(database_url)  # migrates, once
    plural = "es" if count > 1 else ""
    print(
        f"review desk and dashboard on http://{host}:{port}/ ({count} process{plural}; "
        "Ctrl+C to stop)",
        flush=True,
    )
    if count == 1:
        from pipeline.review.app import create_app

        app: FastAPI | str = create_app(sessions)
    else:
        sessions.kw["bind"].dispose()  # the workers open their own connections
        os.environ["EMR_DATABASE_URL"] = database_url  # the workers read it (app_from_env)
        app = "pipeline.review.serve:app_from_env"
    uvicorn.run(
        app,
        host=host,
        port=port,
        workers=count if count > 1 else None,
        factory=count > 1,
        log_level="warning",
        access_log=False,
    )
