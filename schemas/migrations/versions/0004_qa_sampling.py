"""qa sampling: auto-accepted fields sampled blind into the review queue

Revision ID: 0004_qa_sampling
Revises: 0003

Only adds columns: which fields were sampled (fields.qa_sample), and what the reviewer is
shown of a sampled item (review_items.shown_confidence, shown_reasons), so that it looks like
any other item.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_qa_sampling"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fields") as b:
        b.add_column(
            sa.Column("qa_sample", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("review_items") as b:
        b.add_column(sa.Column("shown_confidence", sa.Float(), nullable=True))
        b.add_column(sa.Column("shown_reasons", sa.JSON(), nullable=True))
    op.create_index("ix_fields_qa_sample_key", "fields", ["qa_sample", "key"])


def downgrade() -> None:
    op.drop_index("ix_fields_qa_sample_key", table_name="fields")
    with op.batch_alter_table("review_items") as b:
        b.drop_column("shown_reasons")
        b.drop_column("shown_confidence")
    with op.batch_alter_table("fields") as b:
        b.drop_column("qa_sample")
