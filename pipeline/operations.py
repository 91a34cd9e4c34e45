"""`emr-migrate retry`, `server`, `deploy` and `worker`: running a migration for weeks on many
machines (a Prefect server, a process work pool, workers sharing PostgreSQL and MinIO)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from pipeline.config import Settings
from pipeline.errors import BadArguments, ExitCode, MigrateError

Add = Callable[[str, Callable[..., int], str], argparse.ArgumentParser]


def _prefect(*args: str) -> None:
    """Become the Prefect CLI (same interpreter, same environment): a worker or a server
    then is one process, stopped by a signal like any other."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "prefect", *args])


def _need_api() -> str:
    url = os.environ.get("PREFECT_API_URL", "")
    if not url:
        raise BadArguments(
            "PREFECT_API_URL is not set: point it at the Prefect server, e.g. "
            "PREFECT_API_URL=http://prefect-host:4200/api (start one with `emr-migrate server`)"
        )
    return url


def _check_api(url: str) -> None:
    import httpx

    try:
        httpx.get(url.rstrip("/") + "/health", timeout=5.0).raise_for_status()
    except httpx.HTTPError as exc:
        raise MigrateError(
            f"the Prefect server at {url} does not answer ({type(exc).__name__}): start it "
            "with `emr-migrate server` or fix PREFECT_API_URL"
        ) from None


def cmd_retry(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.ocr.engine import check_tesseract
    from pipeline.report import batch_status, status_text
    from pipeline.retry import counts_line, process_documents, retry_batch
    from schemas.database import open_database

    sessions = open_database(settings.database_url)
    counts = retry_batch(sessions, args.batch, settings, args.document)
    print(counts_line(counts))
    if counts.requeued:
        check_tesseract()
        process_documents(sessions, args.batch, counts.requeued, settings)
        print(status_text(batch_status(sessions, args.batch, settings.workers)))
    return ExitCode.OK


def cmd_server(args: argparse.Namespace, settings: Settings) -> int:
    print(
        f"Prefect server on http://{args.host}:{args.port}/ (usage reporting off); workers "
        f"and deploy use PREFECT_API_URL=http://<this machine>:{args.port}/api",
        flush=True,
    )
    _prefect("server", "start", "--host", args.host, "--port", str(args.port))
    return ExitCode.OK  # not reached: the process is the server now


def cmd_deploy(args: argparse.Namespace, settings: Settings) -> int:
    from flows.deployments import Watch, deploy

    _check_api(_need_api())
    watch = None
    if args.watch:
        if not args.batch:
            raise BadArguments("--watch needs --batch: the batch its new scans go into")
        from pipeline.ingest.sources import check_source, open_source

        check_source(open_source(args.watch, settings))
        watch = Watch(
            args.watch, args.batch, args.every, args.parallel_runs, args.documents_at_once
        )
    for name in deploy(args.pool, watch):
        print(f"deployment {name} on work pool {args.pool}")
    print(
        f"start workers with `emr-migrate worker --pool {args.pool}`; run a batch with "
        "`prefect deployment run migrate-batch/migrate -p source_uri=SOURCE -p batch=NAME "
        "-p parallel_runs=N`"
    )
    return ExitCode.OK


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from flows.deployments import ensure_pool
    from pipeline.ocr.engine import check_tesseract
    from schemas.database import open_database

    _check_api(_need_api())
    check_tesseract()  # fail here, not in the first flow run
    open_database(settings.database_url)
    if settings.s3 is None:
        print(
            "note: MINIO_ENDPOINT is not set: this worker can migrate only folders it sees",
            file=sys.stderr,
        )
    ensure_pool(args.pool)
    name: list[str] = ["--name", args.name] if args.name else []
    _prefect(
        "worker",
        "start",
        "--pool",
        args.pool,
        "--type",
        "process",
        "--limit",
        str(args.limit),
        *name,
    )
    return ExitCode.OK  # not reached


def add_commands(add: Add) -> None:
    """The sub-commands of this module, on the CLI's parser."""
    from flows.deployments import POOL

    p = add(
        "retry",
        cmd_retry,
        "Fetch failed documents again: changed bytes are processed as new, deleted ones "
        "marked gone.",
    )
    p.add_argument("--batch", required=True, help="the batch whose failed documents to retry")
    p.add_argument("--document", metavar="KEY", help="only this document (its key in the source)")

    p = add("server", cmd_server, "Start the Prefect server that workers and deployments share.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: all)")
    p.add_argument("--port", type=int, default=4200, help="port to listen on (default 4200)")
    p.set_defaults(prefect_logs=True)

    p = add(
        "deploy",
        cmd_deploy,
        "Create the process work pool and the migration deployments on the Prefect server.",
    )
    p.add_argument("--pool", default=POOL, help=f"work pool name (default {POOL})")
    p.add_argument(
        "--watch", metavar="SOURCE", help="also a scheduled deployment watching this prefix"
    )
    p.add_argument("--batch", help="with --watch: the batch new scans go into")
    p.add_argument("--every", type=float, default=300.0, help="with --watch: seconds between looks")
    p.add_argument(
        "--parallel-runs", type=int, default=1, help="with --watch: runs (workers) per look"
    )
    p.add_argument(
        "--documents-at-once",
        type=int,
        default=0,
        help="documents each run works on at once (default: one per core)",
    )

    p = add("worker", cmd_worker, "Start a worker on this machine for the work pool.")
    p.add_argument("--pool", default=POOL, help=f"work pool name (default {POOL})")
    p.add_argument("--limit", type=int, default=1, help="flow runs at once (default 1)")
    p.add_argument("--name", help="worker name (default: Prefect's)")
    p.set_defaults(prefect_logs=True)
