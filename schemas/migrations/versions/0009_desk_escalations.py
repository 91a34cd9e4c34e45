"""review desk: charts escalated to a lead

Revision ID: 0009_desk
Revises: 0008_ocr_tree
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_desk"
down_revision: str | None = "0008_ocr_tree"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("raised_by", sa.String(length=100), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalations_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_escalations_resolved_at"), ["resolved_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_resolved_at"))
        batch_op.drop_index(batch_op.f("ix_escalations_document_id"))
    op.drop_table("escalations")
