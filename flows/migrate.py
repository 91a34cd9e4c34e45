"""The migration flow: list a source, register its scans, one task per unfinished document.

Flow and task parameters carry no secrets and no patient data (source address, batch name,
document ids); settings and credentials are built from the environment where they run.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from pipeline.chart import check_scratch_space
from pipeline.config import Settings, settings_from_env
from pipeline.errors import ScratchFull, is_transient
from pipeline.ingest.sources import open_source
from pipeline.migrate import migrate_document
from pipeline.ocr.engine import check_tesseract
from pipeline.report import batch_status, status_markdown
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
_RETRIES: dict[str, Any] = {
    "retries": 8,
    "retry_delay_seconds": [2, 5, 10, 20, 30, 60, 60, 60],
    "retry_jitter_factor": 0.2,
    "retry_condition_fn": _retry_if_transient,
    "cache_policy": NO_CACHE,
}


@task(name="list-scans", **_RETRIES)
def list_and_register(source_uri: str, batch: str, language: str | None) -> list[int]:
    settings = _settings(language)
    source = open_source(source_uri, settings)
    return register_scans(
        sessions_for(settings.database_url), batch, source.uri, source.list_scans()
    )


@task(name="migrate-document", task_run_name="document-{doc_id}", **_RETRIES)
def migrate_document_task(source_uri: str, doc_id: int, language: str | None) -> str:
    settings = _settings(language)
    return migrate_document(
        sessions_for(settings.database_url), open_source(source_uri, settings), doc_id, settings
    )


@flow(
    name="migrate-batch",
    log_prints=False,
    task_runner=ThreadPoolTaskRunner(max_workers=2),  # type: ignore[arg-type]
)
def migrate_batch(source_uri: str, batch: str, language: str | None = None) -> dict[str, Any]:
    """Migrate every scan under ``source_uri`` into ``batch``; resumable and idempotent.
    Run it with ``migrate_batch.with_options(task_runner=ThreadPoolTaskRunner(max_workers=N))``
    for N documents at a time (one single-threaded Tesseract per core)."""
    settings = _settings(language)
    check_tesseract()
    check_scratch_space(settings)
    open_database(settings.database_url)  # migrate the schema once, before the workers start
    doc_ids = list_and_register(source_uri, batch, language)
    futures = [migrate_document_task.submit(source_uri, d, language) for d in doc_ids]
    unfinished = 0
    stopped: ScratchFull | None = None
    for future in as_completed(futures):
        try:
            future.result()
        except ScratchFull as exc:
            stopped, unfinished = exc, unfinished + 1
        except Exception:
            unfinished += 1  # left queued: the next run resumes it
    if stopped is not None:
        raise stopped  # the run cannot go on until there is room; nothing was quarantined
    status = batch_status(sessions_for(settings.database_url), batch)
    create_markdown_artifact(
        key="batch-summary",
        markdown=status_markdown(status),
        description="Documents by state (no patient data)",
    )
    return {"status": status, "processed": len(doc_ids), "unfinished": unfinished}
