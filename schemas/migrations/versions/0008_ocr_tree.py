"""OCR result tree per page; the other values a page offered for a field

Revision ID: 0008_ocr_tree
Revises: 0007_audit_append_only
Create Date: 2026-12-06 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_ocr_tree"
down_revision: str | None = "0007_audit_append_only"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("ocr_tree", sa.JSON(), nullable=True))
    with op.batch_alter_table("fields") as batch:
        batch.add_column(sa.Column("alternatives", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fields") as batch:
        batch.drop_column("alternatives")
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("ocr_tree")
