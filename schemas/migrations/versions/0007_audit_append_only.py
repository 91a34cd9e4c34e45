"""audit trail append-only: the database itself refuses UPDATE and DELETE on audit_events

Revision ID: 0007_audit_append_only
Revises: 0006_badinput
Create Date: 2026-12-06 00:30:00

The application only ever inserts audit rows; these triggers make that a property of the
database, so neither a bug nor someone with a SQL prompt and the application's account can
rewrite who did what (a trail that can be edited proves nothing).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_audit_append_only"
down_revision: str | None = "0006_badinput"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit_events rows are append-only: they cannot be changed or deleted"

SQLITE = [
    f"""CREATE TRIGGER audit_events_no_{op_name.lower()} BEFORE {op_name} ON audit_events
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
    for op_name in ("UPDATE", "DELETE")
]

POSTGRESQL = [
    f"""CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP; END $$""",
    """CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = SQLITE
    elif dialect == "postgresql":
        statements = POSTGRESQL
    else:
        raise NotImplementedError(f"append-only audit trail not written for {dialect}")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
