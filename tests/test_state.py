"""Pipeline state and EMR loading on SQLite and PostgreSQL: a chart at a time, nothing twice."""

from __future__ import annotations

from sqlalchemy import func, select

from pipeline.load.emr import load_chart
from pipeline.models import ChartReading, Decision, FieldCandidate, OcrPage, OcrWord, ScanRef
from pipeline.review.routing import route_fields
from pipeline.state import quarantine, register_scans, save_reading
from schemas.database import open_database
from schemas.tables import Diagnosis, DocState, Document, Encounter, Patient, Provenance, ReviewItem

VALUES = {
    "patient.full_name": "LÊ VĂN CƯỜNG",
    "patient.birth_date": "1970-01-02",
    "patient.sex": "male",
    "patient.national_id": "001070123456",
    "patient.insurance_number": "HC4011234567890",
    "encounter.admission_time": "2015-03-01T08:30",
    "encounter.discharge_time": "2015-03-09T10:00",
    "encounter.discharge_diagnosis": "Tăng huyết áp vô căn",
    "encounter.discharge_icd10": "I10",
}


def reading(sha: str, low: set[str] = frozenset()) -> ChartReading:  # type: ignore[assignment]
    cands = [
        FieldCandidate(
            key,
            value,
            value,
            1,
            (10, 20 * i, 300, 20 * i + 18),
            0.5 if key in low else 0.99,
            1.0,
            "test",
        )
        for i, (key, value) in enumerate(VALUES.items())
    ]
    page = OcrPage(1, 1000, 1400, (OcrWord("Họ", 0.9, (0, 0, 10, 10), 0),), "vi")
    return ChartReading(sha, "vi", (page,), route_fields(cands))


def refs(*keys: str) -> list[ScanRef]:
    return [ScanRef("/x", k, 10) for k in keys]


def test_schema_upgrade_is_idempotent(database_url: str) -> None:
    open_database(database_url)
    open_database(database_url)


def test_registering_twice_does_not_duplicate(database_url: str) -> None:
    sessions = open_database(database_url)
    first = register_scans(sessions, "b1", "/x", refs("a.pdf", "b.pdf"))
    again = register_scans(sessions, "b1", "/x", refs("a.pdf", "b.pdf", "c.pdf"))
    assert len(first) == 2 and len(again) == 3 and set(first) < set(again)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 3


def test_confident_chart_is_loaded_with_provenance(database_url: str) -> None:
    sessions = open_database(database_url)
    [doc_id] = register_scans(sessions, "b1", "/x", refs("a.pdf"))
    assert save_reading(sessions, doc_id, reading("a" * 64), "pdf", 1.0) == DocState.LOADED
    with sessions() as s:
        patient = s.scalars(select(Patient)).one()
        assert patient.full_name == "LÊ VĂN CƯỜNG"
        assert patient.birth_date and patient.birth_date.isoformat() == "1970-01-02"
        encounter = s.scalars(select(Encounter)).one()
        assert encounter.admission_time.isoformat() == "2015-03-01T08:30:00"
        assert s.scalars(select(Diagnosis.icd10)).one() == "I10"
        prov = s.scalars(select(Provenance).where(Provenance.column_name == "national_id")).one()
        assert prov.document_sha256 == "a" * 64 and prov.page == 1 and prov.bbox
        assert s.scalar(select(func.count()).select_from(ReviewItem)) == 0
        # loading the same chart again replaces its rows, adds none
        doc = s.get_one(Document, doc_id)
        load_chart(s, doc)
        s.commit()
        assert s.scalar(select(func.count()).select_from(Encounter)) == 1
        assert s.scalar(select(func.count()).select_from(Patient)) == 1
        # every value once, and the two identifiers again in patient_identifiers
        assert s.scalar(select(func.count()).select_from(Provenance)) == len(VALUES) + 2


def test_uncertain_fields_wait_for_review_and_nothing_is_loaded(database_url: str) -> None:
    sessions = open_database(database_url)
    [doc_id] = register_scans(sessions, "b1", "/x", refs("a.pdf"))
    state = save_reading(sessions, doc_id, reading("b" * 64, low={"patient.birth_date"}), "pdf", 1)
    assert state == DocState.IN_REVIEW
    with sessions() as s:
        items = s.scalars(select(ReviewItem)).all()
        assert len(items) == 1 and items[0].state == "open"
        doc = s.get_one(Document, doc_id)
        decisions = {f.key: f.decision for f in doc.fields}
        assert decisions["patient.birth_date"] == Decision.NEEDS_REVIEW
        assert s.scalar(select(func.count()).select_from(Encounter)) == 0


def test_same_patient_by_cccd_gets_one_patient(database_url: str) -> None:
    sessions = open_database(database_url)
    ids = register_scans(sessions, "b1", "/x", refs("a.pdf", "b.pdf"))
    for i, doc_id in enumerate(ids):
        save_reading(sessions, doc_id, reading(str(i) * 64), "pdf", 1.0)
    with sessions() as s:
        # each chart keeps its own patient row; the second is merged into the first
        active = select(func.count()).select_from(Patient).where(Patient.merged_into_id.is_(None))
        assert s.scalar(active) == 1
        assert set(s.scalars(select(Encounter.patient_id))) == {
            s.scalar(select(func.min(Patient.id)))
        }


def test_quarantine_keeps_the_reason(database_url: str) -> None:
    sessions = open_database(database_url)
    [doc_id] = register_scans(sessions, "b1", "/x", refs("a.pdf"))
    quarantine(sessions, doc_id, "the file is empty (0 bytes): scan it again")
    again = register_scans(sessions, "b1", "/x", refs("a.pdf"))
    assert again == []  # a quarantined document is finished: not retried blindly
    with sessions() as s:
        doc = s.get_one(Document, doc_id)
        assert doc.state == DocState.FAILED and "empty" in (doc.error or "")
