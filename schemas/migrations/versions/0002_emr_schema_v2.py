"""emr schema v2: identifiers, demographics, medications, patient matching, fuller provenance

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00

Only adds tables and columns (SQLite alters in place, no table is rebuilt), then fills the
new columns from what v1 held: identifiers from patients.national_id/insurance_number,
provenance's document and method from the fields table, diagnosis stage from v1's role.
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# v2's vital-sign codes, fixed here: a migration must not change when the catalogue does
_VITALS = {
    "vitals.pulse": ("8867-4", "/min"),
    "vitals.temperature": ("8310-5", "Cel"),
    "vitals.blood_pressure": ("85354-9", "mm[Hg]"),
    "vitals.respiratory_rate": ("9279-1", "/min"),
    "vitals.weight": ("29463-7", "kg"),
}


def _name_key(name: str) -> str:
    text = name.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.upper().split())


def _add_reference(table: str, column: str, target: str, ondelete: str | None) -> None:
    """A nullable integer column with a foreign key. SQLite takes the key inline in ADD COLUMN
    (alembic would rebuild the table, and a referenced table cannot be rebuilt with foreign
    keys on); PostgreSQL gets a named constraint."""
    if op.get_context().dialect.name == "sqlite":
        action = f" ON DELETE {ondelete}" if ondelete else ""
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {target} (id){action}"
        )
        return
    op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
    op.create_foreign_key(
        f"fk_{table}_{column}", table, target, [column], ["id"], ondelete=ondelete
    )


def upgrade() -> None:
    _add_reference("patients", "source_document_id", "documents", "SET NULL")
    _add_reference("patients", "merged_into_id", "patients", None)
    with op.batch_alter_table("patients") as b:
        b.add_column(sa.Column("ethnicity", sa.String(100), nullable=True))
        b.add_column(sa.Column("occupation", sa.String(200), nullable=True))
        b.add_column(sa.Column("address", sa.Text(), nullable=True))
        b.add_column(sa.Column("phone", sa.String(20), nullable=True))
        b.add_column(sa.Column("name_key", sa.String(200), nullable=True))
        b.create_index("ix_patients_name_key", ["name_key"])
        b.create_index("ix_patients_merged_into_id", ["merged_into_id"])
        b.create_index("uq_patients_source_document_id", ["source_document_id"], unique=True)

    op.create_table(
        "patient_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(10), nullable=False),
        sa.Column("value", sa.String(20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "system", "value"),
    )
    op.create_index("ix_patient_identifiers_lookup", "patient_identifiers", ["system", "value"])

    with op.batch_alter_table("encounters") as b:
        b.add_column(sa.Column("record_number", sa.String(100), nullable=True))
        b.add_column(sa.Column("department", sa.String(200), nullable=True))
        b.add_column(sa.Column("outcome", sa.String(20), nullable=True))
        b.add_column(sa.Column("attending_physician", sa.String(200), nullable=True))
        b.add_column(sa.Column("fingerprint", sa.String(64), nullable=True))
        b.add_column(sa.Column("loaded_at", sa.DateTime(), nullable=True))
        b.create_index("ix_encounters_patient_id", ["patient_id"])

    with op.batch_alter_table("diagnoses") as b:
        b.add_column(sa.Column("stage", sa.String(20), nullable=False, server_default="discharge"))
        b.create_index("ix_diagnoses_encounter_id", ["encounter_id"])

    with op.batch_alter_table("observations") as b:
        b.add_column(sa.Column("loinc", sa.String(20), nullable=True))
        b.add_column(sa.Column("component", sa.String(20), nullable=True))
        b.add_column(sa.Column("component_loinc", sa.String(20), nullable=True))
        b.add_column(sa.Column("value_number", sa.Float(), nullable=True))
        b.create_index("ix_observations_encounter_id", ["encounter_id"])

    _add_reference("provenance", "document_id", "documents", "CASCADE")
    with op.batch_alter_table("provenance") as b:
        b.add_column(sa.Column("ocr_confidence", sa.Float(), nullable=True))
        b.add_column(sa.Column("method", sa.String(200), nullable=True))
        b.add_column(sa.Column("decided_at", sa.DateTime(), nullable=True))
        b.create_index("ix_provenance_document_id", ["document_id"])

    op.create_table(
        "medication_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("encounter_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("strength", sa.String(100), nullable=True),
        sa.Column("route", sa.String(50), nullable=True),
        sa.Column("frequency", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(["encounter_id"], ["encounters.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_medication_statements_encounter_id", "medication_statements", ["encounter_id"]
    )
    op.create_table(
        "patient_match_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("answer", sa.String(20), nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["candidate_id"], ["patients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "candidate_id"),
    )
    op.create_index("ix_patient_match_questions_state", "patient_match_questions", ["state"])
    op.create_table(
        "patient_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("merged_by", sa.String(100), nullable=False),
        sa.Column("merged_at", sa.DateTime(), nullable=False),
        sa.Column("undone_by", sa.String(100), nullable=True),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["survivor_id"], ["patients.id"]),
        sa.ForeignKeyConstraint(["merged_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_patient_merges_survivor_id", "patient_merges", ["survivor_id"])
    op.create_index("ix_patient_merges_merged_id", "patient_merges", ["merged_id"])

    _carry_over_v1_data()


def _carry_over_v1_data() -> None:
    conn = op.get_bind()
    patients = conn.execute(
        sa.text("SELECT id, full_name, national_id, insurance_number FROM patients")
    ).all()
    for pid, name, national_id, insurance in patients:
        if name:
            conn.execute(
                sa.text("UPDATE patients SET name_key = :k WHERE id = :id"),
                {"k": _name_key(name), "id": pid},
            )
        if national_id:
            kind = "cccd" if len(national_id) == 12 else "cmnd"
            conn.execute(
                sa.text("INSERT INTO patient_identifiers (patient_id, system, value) "
                        "VALUES (:p, :s, :v)"),
                {"p": pid, "s": kind, "v": national_id},
            )  # fmt: skip
        if insurance:
            conn.execute(
                sa.text("INSERT INTO patient_identifiers (patient_id, system, value) "
                        "VALUES (:p, 'bhyt', :v)"),
                {"p": pid, "v": insurance},
            )  # fmt: skip
    # v1 found patients by CCCD/BHYT only, so a v1 patient may hold several charts: the
    # first one is its source
    conn.execute(sa.text(
        "UPDATE patients SET source_document_id = (SELECT MIN(e.document_id) FROM encounters e "
        "WHERE e.patient_id = patients.id)"
    ))  # fmt: skip
    conn.execute(sa.text(
        "UPDATE diagnoses SET role = 'principal', stage = 'admission' WHERE role = 'admission'"
    ))  # fmt: skip
    for code, (loinc, unit) in _VITALS.items():
        conn.execute(
            sa.text("UPDATE observations SET loinc = :l, unit = COALESCE(unit, :u) "
                    "WHERE code = :c"),
            {"l": loinc, "u": unit, "c": code},
        )  # fmt: skip
    for target, source in (("document_id", "document_id"), ("ocr_confidence", "ocr_confidence"),
                           ("method", "rule"), ("decided_at", "decided_at")):  # fmt: skip
        conn.execute(sa.text(
            f"UPDATE provenance SET {target} = "
            f"(SELECT f.{source} FROM fields f WHERE f.id = provenance.field_id)"
        ))  # fmt: skip


def downgrade() -> None:
    op.drop_table("patient_merges")
    op.drop_table("patient_match_questions")
    op.drop_table("medication_statements")
    op.drop_table("patient_identifiers")
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint("fk_provenance_document_id", "provenance", type_="foreignkey")
        op.drop_constraint("fk_patients_merged_into_id", "patients", type_="foreignkey")
        op.drop_constraint("fk_patients_source_document_id", "patients", type_="foreignkey")
    with op.batch_alter_table("provenance") as b:
        b.drop_index("ix_provenance_document_id")
        for column in ("decided_at", "method", "ocr_confidence", "document_id"):
            b.drop_column(column)
    with op.batch_alter_table("observations") as b:
        b.drop_index("ix_observations_encounter_id")
        for column in ("value_number", "component_loinc", "component", "loinc"):
            b.drop_column(column)
    with op.batch_alter_table("diagnoses") as b:
        b.drop_index("ix_diagnoses_encounter_id")
        b.drop_column("stage")
    with op.batch_alter_table("encounters") as b:
        b.drop_index("ix_encounters_patient_id")
        for column in ("loaded_at", "fingerprint", "attending_physician", "outcome",
                       "department", "record_number"):  # fmt: skip
            b.drop_column(column)
    with op.batch_alter_table("patients") as b:
        b.drop_index("uq_patients_source_document_id")
        b.drop_index("ix_patients_merged_into_id")
        b.drop_index("ix_patients_name_key")
        for column in ("merged_into_id", "source_document_id", "name_key", "phone", "address",
                       "occupation", "ethnicity"):  # fmt: skip
            b.drop_column(column)
