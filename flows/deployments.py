"""Deployments of the migration flow on a Prefect server: a process work pool, an on-demand
deployment, and scheduled ones that watch a bucket prefix.

The deployments name the flow by module (``flows.migrate:migrate_batch``), so a worker on
any machine runs the code of the emr-migrate installed there: nothing is pulled at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.errors import BadArguments

POOL = "emr-migrate"
ON_DEMAND = "migrate"
FLOW_NAME = "migrate-batch"


def watch_name(batch: str) -> str:
    return f"watch-{batch}"


def ensure_pool(name: str) -> bool:
    """Create the process work pool unless it exists; whether it was created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(
                    name=name,
                    type="process",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )
            return True
    if pool.type != "process":
        raise BadArguments(
            f"the work pool {name!r} is of type {pool.type}, not process: choose another --pool"
        )
    return False


@dataclass(frozen=True)
class Watch:
    """A prefix to watch: every ``every_seconds`` a run lists it and migrates new scans."""

    source_uri: str
    batch: str
    every_seconds: float = 300.0
    parallel_runs: int = 1
    documents_at_once: int = 0


def deploy(pool: str = POOL, watch: Watch | None = None) -> list[str]:
    """Create or update the pool and the deployments; their full names."""
    from prefect.types.entrypoint import EntrypointType

    from flows.migrate import migrate_batch

    ensure_pool(pool)
    common: dict[str, Any] = {
        "work_pool_name": pool,
        "entrypoint_type": EntrypointType.MODULE_PATH,
        "tags": ["emr-migrate"],
    }
    names = []
    on_demand = migrate_batch.to_deployment(
        name=ON_DEMAND,
        description="Migrate one batch: give source_uri and batch; parallel_runs to use "
        "several workers",
        **common,
    )
    on_demand.apply(work_pool_name=pool)  # type: ignore[union-attr]  # sync here
    names.append(f"{FLOW_NAME}/{ON_DEMAND}")
    if watch is not None:
        if watch.every_seconds < 10:
            raise BadArguments("--every must be at least 10 seconds")
        watching = migrate_batch.to_deployment(
            name=watch_name(watch.batch),
            description=f"Every {watch.every_seconds:g} s: migrate new scans of "
            f"{watch.source_uri} into batch {watch.batch}",
            interval=watch.every_seconds,
            parameters={
                "source_uri": watch.source_uri,
                "batch": watch.batch,
                "parallel_runs": watch.parallel_runs,
                "documents_at_once": watch.documents_at_once,
            },
            # a tick while the last run still works would only wait for its leases
            concurrency_limit=1,
            **common,
        )
        watching.apply(work_pool_name=pool)  # type: ignore[union-attr]
        names.append(f"{FLOW_NAME}/{watch_name(watch.batch)}")
    return names
