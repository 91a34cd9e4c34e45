"""bad input: one owner per scan's bytes (scan_contents), keys as long as S3's

Revision ID: 0006_badinput
Revises: 0005_ops
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_badinput"
down_revision: str | None = "0005_ops"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scan_contents",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sha256"),
    )
    # Scans already migrated belong to their first document.
    op.execute(
        "INSERT INTO scan_contents (sha256, document_id, claimed_at) "
        "SELECT sha256, MIN(id), CURRENT_TIMESTAMP FROM documents "
        "WHERE sha256 IS NOT NULL AND state IN ('in_review', 'loaded') GROUP BY sha256"
    )
    # SQLite does not enforce a VARCHAR's length (and rebuilding the table would cascade)
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "documents", "key", type_=sa.String(length=1024), existing_type=sa.String(1000)
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "documents", "key", type_=sa.String(length=1000), existing_type=sa.String(1024)
        )
    op.drop_table("scan_contents")
