"""EMR schema v2: migration 0002 upgrades a v1 database holding a loaded chart without losing it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from schemas.database import make_engine, open_database, upgrade
from schemas.tables import Base

# A chart as schema v1's loader left it: patient, encounter, diagnoses, an observation and
# provenance pointing at the fields table (synthetic values).
V1_CHART = [
    "INSERT INTO batches (id, name, source, created_at) VALUES (1, 'b1', '/x', '2024-01-01')",
    "INSERT INTO documents (id, batch_id, key, size, sha256, state, attempts, created_at, "
    "updated_at) VALUES (7, 1, 'a.pdf', 10, :sha, 'loaded', 1, '2024-01-01', '2024-01-01')",
    "INSERT INTO fields (id, document_id, key, value, read_value, confidence, threshold, "
    "ocr_confidence, label_score, decision, page, bbox, rule, checks_passed, checks_failed, "
    "reasons) VALUES (31, 7, 'patient.national_id', '001070123456', '001070123456', 0.97, "
    "0.85, 0.95, 1.0, 'auto_accepted', 1, '[1, 2, 3, 4]', 'label:vi', '[]', '[]', '[]')",
    "INSERT INTO patients (id, full_name, birth_date, sex, national_id, insurance_number) "
    "VALUES (3, 'LÊ VĂN CƯỜNG', '1970-01-02', 'male', '001070123456', 'HC4011234567890')",
    "INSERT INTO encounters (id, patient_id, document_id, admission_time, discharge_time) "
    "VALUES (5, 3, 7, '2015-03-01 08:30:00', '2015-03-09 10:00:00')",
    "INSERT INTO diagnoses (encounter_id, role, icd10, text) VALUES (5, 'principal', 'I10', "
    "'Tăng huyết áp vô căn'), (5, 'admission', NULL, 'Theo dõi tăng huyết áp')",
    "INSERT INTO observations (encounter_id, code, value, unit) VALUES (5, 'vitals.pulse', "
    "'80', NULL)",
    "INSERT INTO provenance (table_name, row_id, column_name, field_id, document_sha256, page, "
    "bbox, confidence, decision) VALUES ('patients', 3, 'national_id', 31, :sha, 1, "
    "'[1, 2, 3, 4]', 0.97, 'auto_accepted')",
]


def test_v1_database_with_a_loaded_chart_upgrades_to_v2(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        for statement in V1_CHART:
            conn.execute(text(statement), {"sha": "a" * 64})
    upgrade(engine, "0002")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0002"
        patient = conn.execute(
            text("SELECT full_name, birth_date, national_id, name_key, source_document_id "
                 "FROM patients")
        ).one()  # fmt: skip
        assert patient[0] == "LÊ VĂN CƯỜNG" and str(patient[1]) == "1970-01-02"
        assert patient[2] == "001070123456" and patient[3] == "LE VAN CUONG"
        assert patient[4] == 7
        identifiers = conn.execute(
            text("SELECT system, value FROM patient_identifiers ORDER BY system")
        ).all()
        assert [tuple(r) for r in identifiers] == [
            ("bhyt", "HC4011234567890"), ("cccd", "001070123456")
        ]  # fmt: skip
        encounter = conn.execute(
            text("SELECT patient_id, document_id, admission_time FROM encounters")
        ).one()
        assert encounter[0] == 3 and encounter[1] == 7
        assert str(encounter[2]).startswith("2015-03-01 08:30")
        dx = conn.execute(text("SELECT role, stage, icd10 FROM diagnoses ORDER BY stage")).all()
        assert [tuple(r) for r in dx] == [("principal", "admission", None),
                                           ("principal", "discharge", "I10")]  # fmt: skip
        obs = conn.execute(text("SELECT value, unit, loinc FROM observations")).one()
        assert tuple(obs) == ("80", "/min", "8867-4")
        prov = conn.execute(
            text("SELECT document_id, method, ocr_confidence, document_sha256 FROM provenance")
        ).one()
        assert tuple(prov) == (7, "label:vi", 0.95, "a" * 64)
    engine.dispose()


def test_tables_match_the_migrations(database_url: str) -> None:
    """The models and the migrated database agree (what autogenerate would find: nothing)."""
    sessions = open_database(database_url)
    engine = sessions.kw["bind"]
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    if engine.dialect.name == "sqlite":
        # SQLAlchemy does not read ON DELETE of a column-level REFERENCES back from SQLite
        diffs = [d for d in diffs if d[0] not in ("add_fk", "remove_fk")]
    assert diffs == []
    engine.dispose()
