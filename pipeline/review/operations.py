"""Operations on batches from the dashboard: retry a batch's failed scans (leads and admins).

``POST /api/retry`` fetches the failed documents again at once and answers the counts; the
changed ones are then migrated in the background, under this server's claim, so a worker
running on the same batch never processes them twice.
"""

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import settings_from_env
from pipeline.errors import BadArguments, MigrateError, SourceUnavailable
from pipeline.review.audit import record
from pipeline.review.auth import Login

# No "from __future__ import annotations": FastAPI reads the route signatures at definition.


class RetryBody(BaseModel):
    batch: str
    document: str | None = None


def operations_router(sessions: sessionmaker[Session], lead: Any) -> APIRouter:
    """``lead``: the app's dependency that lets leads and admins through (CSRF checked)."""
    router = APIRouter()
    Lead = Annotated[Login, Depends(lead)]

    @router.post("/api/retry")
    def retry(body: RetryBody, login: Lead, background: BackgroundTasks) -> dict[str, int]:
        from pipeline.retry import NotFailed, NotFound, process_documents, retry_batch

        settings = settings_from_env()
        try:
            counts = retry_batch(sessions, body.batch, settings, body.document)
        except NotFailed as exc:
            raise HTTPException(409, str(exc)) from None
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from None
        except BadArguments as exc:  # e.g. an S3 batch and no MINIO_ENDPOINT here
            raise HTTPException(422, str(exc)) from None
        except SourceUnavailable as exc:
            raise HTTPException(503, str(exc)) from None
        except MigrateError as exc:
            raise HTTPException(422, str(exc)) from None
        with sessions.begin() as session:
            record(
                session,
                login.username,
                "retry",
                after=f"{body.batch}:{body.document or '*'}:{counts.as_json()}",
            )
        if counts.requeued:
            background.add_task(process_documents, sessions, body.batch, counts.requeued, settings)
        return counts.as_json()

    return router
