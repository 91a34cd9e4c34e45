"""Loading charts into the EMR on SQLite and PostgreSQL: whole charts, once, and one patient
across many charts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.load import emr
from pipeline.load.emr import load_document
from pipeline.load.patients import answer_question, undo_merge
from pipeline.models import Decision
from pipeline.synthetic.archive import ArchiveChart, make_archive, merge_counts, store_charts
from schemas.database import open_database
from schemas.tables import (
    Diagnosis,
    Document,
    Encounter,
    MedicationStatement,
    Observation,
    Patient,
    PatientIdentifier,
    PatientMatchQuestion,
    PatientMerge,
    Provenance,
)

EMR_TABLES = (Patient, PatientIdentifier, Encounter, Diagnosis, Observation,
              MedicationStatement, Provenance, PatientMerge, PatientMatchQuestion)  # fmt: skip


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    made = open_database(database_url)
    yield made
    made.kw["bind"].dispose()


def snapshot(sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """Every EMR row, column by column (what a reload must not change)."""
    out = {}
    with sessions() as s:
        for table in EMR_TABLES:
            cols = [c for c in table.__table__.columns if c.name not in ("loaded_at",)]
            rows = s.execute(select(*cols).order_by(table.__table__.c.id)).all()
            out[table.__tablename__] = [tuple(r) for r in rows]
    return out


def store(sessions: sessionmaker[Session], charts: list[ArchiveChart]) -> list[int]:
    with sessions.begin() as s:
        return [d.id for d in store_charts(s, "archive", charts)]


def one_full_chart() -> ArchiveChart:
    chart = next(c for c in make_archive(seed=3, people=10) if c.medications and c.secondary_icd10)
    assert all(v is not None for v in chart.fields.values()) and len(chart.fields) == 23
    return chart


def test_a_chart_with_every_field_lands_in_every_table(sessions: sessionmaker[Session]) -> None:
    chart = one_full_chart()
    [doc_id] = store(sessions, [chart])
    load_document(sessions, doc_id)
    with sessions() as s:
        patient = s.scalars(select(Patient)).one()
        assert patient.address == chart.fields["patient.address"]
        assert patient.ethnicity == chart.fields["patient.ethnicity"]
        assert {i.system for i in patient.identifiers} >= {"bhyt"}
        encounter = s.scalars(select(Encounter)).one()
        assert encounter.outcome == chart.fields["encounter.outcome"]
        assert encounter.department == chart.fields["encounter.department"]
        roles = sorted((d.role, d.stage) for d in s.scalars(select(Diagnosis)))
        assert roles.count(("secondary", "discharge")) == len(chart.secondary_icd10)
        assert ("principal", "admission") in roles and ("principal", "discharge") in roles
        panel = s.scalars(select(Observation).where(Observation.loinc == "85354-9"))
        bp = {o.component: (o.value_number, o.component_loinc, o.unit) for o in panel}
        systolic, diastolic = str(chart.fields["vitals.blood_pressure"]).split("/")
        assert bp == {"systolic": (float(systolic), "8480-6", "mm[Hg]"),
                      "diastolic": (float(diastolic), "8462-4", "mm[Hg]")}  # fmt: skip
        pulse = s.scalars(select(Observation).where(Observation.loinc == "8867-4")).one()
        assert pulse.unit == "/min" and pulse.value == chart.fields["vitals.pulse"]
        meds = s.scalars(select(MedicationStatement).order_by(MedicationStatement.id)).all()
        assert [m.name for m in meds] == [m["name"] for m in chart.medications]
        # every stored cell traces back to the page: one provenance row per written value
        prov = s.scalars(select(Provenance)).all()
        assert all(p.document_id == doc_id and p.page == 1 and p.bbox for p in prov)
        tables = {p.table_name for p in prov}
        assert tables == {"patients", "patient_identifiers", "encounters", "diagnoses",
                          "observations", "medication_statements"}  # fmt: skip


def test_loading_the_same_chart_again_changes_nothing(sessions: sessionmaker[Session]) -> None:
    charts = make_archive(seed=4, people=6)
    ids = store(sessions, charts)
    for doc_id in ids:
        load_document(sessions, doc_id)
    before = snapshot(sessions)
    for doc_id in ids:
        load_document(sessions, doc_id)
    assert snapshot(sessions) == before


def test_a_chart_corrected_in_review_replaces_its_rows(sessions: sessionmaker[Session]) -> None:
    [doc_id] = store(sessions, [one_full_chart()])
    encounter_id = load_document(sessions, doc_id)
    with sessions.begin() as s:
        doc = s.get_one(Document, doc_id)
        for f in doc.fields:
            if f.key == "vitals.pulse":
                f.value, f.decision, f.decided_by = "91", Decision.CORRECTED, "reviewer1"
            if f.key.startswith("medications."):
                s.delete(f)
    assert load_document(sessions, doc_id) == encounter_id
    with sessions() as s:
        pulse = s.scalars(select(Observation).where(Observation.code == "vitals.pulse")).one()
        assert pulse.value == "91" and pulse.value_number == 91.0
        prov = s.scalars(
            select(Provenance).where(Provenance.table_name == "observations",
                                     Provenance.row_id == pulse.id)
        ).one()  # fmt: skip
        assert prov.decision == "corrected" and prov.decided_by == "reviewer1"
        assert s.scalar(select(func.count()).select_from(MedicationStatement)) == 0
        assert s.scalar(select(func.count()).select_from(Encounter)) == 1
        assert s.scalar(select(func.count()).select_from(Patient)) == 1


def test_a_crash_mid_load_leaves_nothing_half_written(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = make_archive(seed=5, people=2, repeat_share=0)[:2]
    ids = store(sessions, [first, second])
    load_document(sessions, ids[0])
    before = snapshot(sessions)

    def crash(*args: object) -> None:  # the process dies after patient, encounter, diagnoses
        raise RuntimeError("injected crash")

    monkeypatch.setattr(emr, "add_medications", crash)
    with pytest.raises(RuntimeError):
        load_document(sessions, ids[1])  # a new chart
    assert snapshot(sessions) == before
    with sessions.begin() as s:  # a chart corrected after review
        f = next(f for f in s.get_one(Document, ids[0]).fields if f.key == "vitals.pulse")
        f.value, f.decision = "99", Decision.CORRECTED
    with pytest.raises(RuntimeError):
        load_document(sessions, ids[0])
    assert snapshot(sessions) == before


def _pairs(sessions: sessionmaker[Session], charts: list[ArchiveChart]) -> tuple[int, int, int]:
    with sessions() as s:
        rows = s.execute(select(Document.key, Encounter.patient_id).join(Encounter)).all()
    return merge_counts(charts, {key: patient for key, patient in rows})


def test_one_patient_across_many_charts(sessions: sessionmaker[Session]) -> None:
    charts = make_archive(seed=11, people=50)
    assert sum(c.fields["patient.full_name"] != charts[0].fields["patient.full_name"]
               for c in charts) > 10  # fmt: skip
    for doc_id in store(sessions, charts):
        load_document(sessions, doc_id)
    tp, fp, fn = _pairs(sessions, charts)
    with sessions() as s:
        questions = s.scalar(select(func.count()).select_from(PatientMatchQuestion))
    print(f"\nautomatic merges: precision {tp / (tp + fp):.3f}, recall {tp / (tp + fn):.3f} "
          f"({tp} of {tp + fn} same-patient chart pairs; {questions} questions)")  # fmt: skip
    assert fp == 0 and tp > 0


def test_questions_merge_on_a_yes_and_merges_undo(sessions: sessionmaker[Session]) -> None:
    charts = make_archive(seed=11, people=50)
    for doc_id in store(sessions, charts):
        load_document(sessions, doc_id)
    with sessions.begin() as s:
        question = s.scalars(select(PatientMatchQuestion).order_by(PatientMatchQuestion.id)).first()
        assert question is not None and question.state == "open"
        patient = s.get_one(Patient, question.patient_id)
        answer_question(s, question, same=True, by="reviewer1")
        merge = s.scalars(select(PatientMerge).where(PatientMerge.method == "reviewer")).one()
        assert merge.merged_by == "reviewer1" and patient.merged_into_id is not None
        doc_encounter = select(Encounter.patient_id).where(
            Encounter.document_id == patient.source_document_id
        )
        assert s.scalar(doc_encounter) == merge.survivor_id
        undo_merge(s, merge, by="lead1")
        assert merge.undone_by == "lead1" and patient.merged_into_id is None
        assert s.scalar(doc_encounter) == patient.id
