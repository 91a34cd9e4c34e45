"""review desk: indexes the claim and skip queries need

The next chart is picked from the open items grouped by chart: a partial index of the open
items, in chart order and holding the lease columns, lets PostgreSQL read them from the index
alone (decided items, most of the table once a migration is under way, are not in it). A
reviewer's skips are found by user name and action.

Revision ID: 0010_desk_claims
Revises: 0009_desk
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_desk_claims"
down_revision: str | None = "0009_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("state = 'open'")


def upgrade() -> None:
    op.create_index(
        "ix_review_items_open",
        "review_items",
        ["document_id", "claimed_by", "lease_expires_at"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index("ix_audit_events_username_action", "audit_events", ["username", "action"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_username_action", table_name="audit_events")
    op.drop_index("ix_review_items_open", table_name="review_items")
