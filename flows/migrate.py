"""The migration flow: list a source, register its scans, then claim and migrate documents.

Any number of runs of this flow, in-process (`emr-migrate run`) or on workers of a work pool
on many machines (flows/deployments.py), can work on one batch at once: each document is
claimed in the database with a lease (pipeline/claims.py), so each is processed exactly once
and a dead worker's documents go to the others when its leases lapse.

Flow and task parameters carry no secrets and no patient data (source address, batch name,
document ids); settings and credentials are built from the environment where they run.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner
from sqlalchemy.orm import Session, sessionmaker

from pipeline import timing
from pipeline.chart import check_scratch_space
from pipeline.claims import (
    LeaseKeeper,
    claim,
    new_owner,
    outstanding,
    release,
    release_dead_here,
)
from pipeline.config import Settings, settings_from_env
from pipeline.errors import ScratchFull, is_transient
from pipeline.ingest.sources import open_source
from pipeline.migrate import migrate_document
from pipeline.ocr.engine import check_tesseract
from pipeline.report import batch_status, status_markdown
from pipeline.retry import find_batch, recheck_failed
from pipeline.state import register_scans
from schemas.database import open_database, sessions_for


def _retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except Exception as exc:  # the task's own exception, re-raised by result()
        return is_transient(exc)
    return False


def _settings(language: str | None) -> Settings:
    return settings_from_env(language=language)


# Both tasks retry only what may pass (network, a database restarting), and never cache.
# The delays add up to about four minutes: an object store or database restarted, or failed
# over, within that is ridden out; past it the document stays queued for the next run.
_DELAYS = [2, 5, 10, 20, 30, 60, 60, 60]
_RETRIES: dict[str, Any] = {
    "retries": len(_DELAYS),
    "retry_delay_seconds": _DELAYS,
    "retry_jitter_factor": 0.2,
    "retry_condition_fn": _retry_if_transient,
    "cache_policy": NO_CACHE,
}


@task(name="list-scans", **_RETRIES)
def list_and_register(source_uri: str, batch: str, language: str | None) -> dict[str, int]:
    """Register new scans; fetch failed ones again (a clerk may have replaced them)."""
    settings = _settings(language)
    source = open_source(source_uri, settings)
    sessions = sessions_for(settings.database_url)
    refs = list(source.list_scans())
    queued = register_scans(sessions, batch, source.uri, refs)
    sizes = {r.key: r.size for r in refs}
    rechecked = recheck_failed(sessions, source, batch, settings, listing=sizes)
    return {"queued": len(queued), **rechecked.as_json()}


@task(name="migrate-document", task_run_name="document-{doc_id}", **_RETRIES)
def migrate_document_task(source_uri: str, doc_id: int, owner: str, language: str | None) -> str:
    settings = _settings(language)
    return migrate_document(
        sessions_for(settings.database_url),
        open_source(source_uri, settings),
        doc_id,
        settings,
        owner,
    )


def _start_helper_runs(
    count: int, source_uri: str, batch: str, language: str | None, documents_at_once: int
) -> int:
    """More runs on the pool (of the on-demand deployment, which no concurrency limit holds
    back), to work on the batch beside this one; only when this run is a deployment's."""
    from prefect.deployments import run_deployment
    from prefect.runtime import deployment

    from flows.deployments import FLOW_NAME, ON_DEMAND

    if count <= 0 or not deployment.get_id():
        return 0  # `emr-migrate run`, in-process: no pool to fan out to
    for _ in range(count):
        run_deployment(
            f"{FLOW_NAME}/{ON_DEMAND}",
            parameters={
                "source_uri": source_uri,
                "batch": batch,
                "language": language,
                "discover": False,
                "documents_at_once": documents_at_once,
            },
            timeout=0,
            as_subflow=False,
        )
    return count


T = TypeVar("T")


def _patiently(call: Callable[[], T]) -> T:
    """The run's own database calls (claims, releases, the summary) ride out a database
    restart or failover as the tasks do: transient errors are tried again after the same
    delays."""
    for delay in _DELAYS:
        try:
            return call()
        except Exception as exc:
            if not is_transient(exc):
                raise
            time.sleep(delay)
    return call()


def _work_through(
    source_uri: str, batch_id: int, settings: Settings, slots: int, language: str | None
) -> dict[str, int]:
    """Claim documents while any are free, up to ``slots`` at a time; wait while others hold
    the rest, to take over those whose worker dies; stop when the batch has none queued."""
    sessions = sessions_for(settings.database_url)
    owner = new_owner()
    poll = min(5.0, settings.lease_seconds / 4)
    done: queue.Queue[PrefectFuture[str]] = queue.Queue()
    running: dict[PrefectFuture[str], int] = {}
    given_up: set[int] = set()  # failed transiently here: left for the next run
    counts: dict[str, int] = {}
    with LeaseKeeper(sessions, owner, settings.lease_seconds):
        try:
            while True:
                if not running:
                    _patiently(partial(release_dead_here, sessions, batch_id))
                free, lease = slots - len(running), settings.lease_seconds
                claimed = _patiently(
                    partial(claim, sessions, batch_id, owner, free, lease, given_up)
                )
                for doc_id in claimed:
                    future = migrate_document_task.submit(source_uri, doc_id, owner, language)
                    running[future] = doc_id
                    future.add_done_callback(done.put)
                if not running and not _patiently(
                    partial(outstanding, sessions, batch_id, given_up)
                ):
                    break
                try:
                    finished = done.get(timeout=poll)
                except queue.Empty:
                    continue  # others hold what is left: look again when their leases may lapse
                doc_id = running.pop(finished)
                try:
                    state = finished.result()
                except ScratchFull:
                    _patiently(partial(release, sessions, [doc_id], owner))
                    raise  # no room to work: the run stops, every unfinished document queued
                except Exception:
                    _patiently(partial(release, sessions, [doc_id], owner))
                    given_up.add(doc_id)
                    state = "unfinished"
                counts[state] = counts.get(state, 0) + 1
        finally:  # interrupted: what is still ours goes back at once
            _patiently(partial(release, sessions, list(running.values()), owner))
    return counts


def _batch_id(sessions: sessionmaker[Session], batch: str) -> int:
    with sessions() as session:
        return find_batch(session, batch).id


@flow(
    name="migrate-batch",
    log_prints=False,
    task_runner=ThreadPoolTaskRunner(max_workers=4),  # type: ignore[arg-type]
)
def migrate_batch(
    source_uri: str,
    batch: str,
    language: str | None = None,
    discover: bool = True,
    parallel_runs: int = 1,
    documents_at_once: int = 0,
) -> dict[str, Any]:
    """Migrate every scan under ``source_uri`` into ``batch``; resumable and idempotent.

    ``discover``: list the source first (new scans, replaced failed ones); runs started only
    to help with a listed batch skip it. ``parallel_runs``: in a deployment run, start that
    many runs in all on the work pool (one per worker). ``documents_at_once``: documents in
    progress in this run (0: one per core, one single-threaded Tesseract each)."""
    settings = _settings(language)
    check_tesseract()
    check_scratch_space(settings)
    open_database(settings.database_url)  # migrate the schema once, before the workers start
    sessions = sessions_for(settings.database_url)
    listed = list_and_register(source_uri, batch, language) if discover else {}
    batch_id = _patiently(partial(_batch_id, sessions, batch))
    helpers = _start_helper_runs(parallel_runs - 1, source_uri, batch, language, documents_at_once)
    slots = documents_at_once if documents_at_once > 0 else settings.workers
    counts = _work_through(source_uri, batch_id, settings, slots, language)
    status = _patiently(partial(batch_status, sessions, batch))
    peak = round(timing.peak_memory_mib())
    create_markdown_artifact(
        key="batch-summary",
        markdown=status_markdown(status)
        + "\n| this run | count |\n|---|---|\n"
        + "".join(f"| {k} | {v} |\n" for k, v in sorted({**listed, **counts}.items()))
        + f"| peak memory of this run's process (MiB) | {peak} |\n",
        description="Documents by state, and what this run did (counts only, no patient data)",
    )
    return {
        "status": status,
        "processed": sum(v for k, v in counts.items() if k != "unfinished"),
        "unfinished": counts.get("unfinished", 0),
        "listed": listed,
        "helper_runs": helpers,
        "peak_memory_mib": peak,
    }
