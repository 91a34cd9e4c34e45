"""The audit trail: append-only rows of who did what to which chart, when, before and after."""

from __future__ import annotations

from sqlalchemy.orm import Session

from schemas.tables import AuditEvent


def record(
    session: Session,
    username: str,
    action: str,
    *,
    document_id: int | None = None,
    field_key: str | None = None,
    item_id: int | None = None,
    before: str | None = None,
    after: str | None = None,
    client: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            username=username,
            action=action,
            document_id=document_id,
            field_key=field_key,
            item_id=item_id,
            before=before,
            after=after,
            client=client,
        )
    )
