"""The review desk's escalation routes and the reviewer's language (an APIRouter that
create_app includes with its session and role dependencies)."""

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from pipeline.review.auth import Login
from pipeline.review.escalation import NOTE_LENGTH, escalate, open_escalations, resolve
from pipeline.review.params import RowId
from schemas.checks import language
from schemas.tables import Escalation, ReviewItem

# No "from __future__ import annotations": FastAPI reads these signatures at definition time.


def reviewer_language(request: Request) -> str:
    """``vi`` or ``en``, from the Accept-Language header the desk's pages send."""
    return language(request.headers.get("accept-language"))


Language = Annotated[str, Depends(reviewer_language)]


class EscalationBody(BaseModel):
    note: str | None = Field(default=None, max_length=NOTE_LENGTH)


def desk_router(
    db: Callable[[], Iterator[Session]],
    reviewer: Callable[..., Login],
    lead: Callable[..., Login],
) -> APIRouter:
    """``db``, ``reviewer``, ``lead``: create_app's dependencies (a session, a login of at
    least that role)."""
    router = APIRouter()
    DB = Annotated[Session, Depends(db)]
    Reviewer = Annotated[Login, Depends(reviewer)]
    Lead = Annotated[Login, Depends(lead)]

    @router.post("/api/review/items/{item_id}/escalate")
    def escalate_chart(
        item_id: RowId, login: Reviewer, session: DB, body: EscalationBody | None = None
    ) -> dict[str, Any]:
        """Hand the item's chart to a lead: its items leave the reviewers' queue at once."""
        item = session.get(ReviewItem, item_id)
        if item is None or item.state != "open":
            raise HTTPException(409, "this item is decided already or does not exist")
        if not login.may("lead") and item.claimed_by != login.username:
            raise HTTPException(409, "this item is not claimed by you: take the next one")
        found = escalate(session, item.document_id, login.username, body.note if body else None)
        session.commit()
        return {"id": found.id, "document_id": found.document_id, "raised_by": found.raised_by}

    @router.get("/api/review/escalations")
    def escalations(_: Lead, session: DB) -> dict[str, Any]:
        return {"escalations": open_escalations(session)}

    @router.post("/api/review/escalations/{escalation_id}/resolve")
    def send_back(escalation_id: RowId, login: Lead, session: DB) -> dict[str, Any]:
        """The lead is done with the chart: what is still open goes back to the reviewers."""
        found: Escalation | None = session.get(Escalation, escalation_id)
        if found is None:
            raise HTTPException(404, "no such escalation")
        resolve(session, found, login.username)
        session.commit()
        return {"id": found.id, "resolved_by": found.resolved_by}

    return router


__all__ = ["Language", "desk_router", "reviewer_language"]
