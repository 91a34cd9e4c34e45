"""A loaded chart as the EMR holds it: the rows the FHIR and XML 130 exports are built from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.tables import (
    Batch,
    Diagnosis,
    Document,
    Encounter,
    MedicationStatement,
    Observation,
    Patient,
    Provenance,
)


@dataclass(frozen=True)
class EmrChart:
    batch: Batch
    document: Document
    encounter: Encounter
    #: what this chart says about the person, and the patient it belongs to (after merges)
    chart_patient: Patient
    patient_id: int
    diagnoses: list[Diagnosis]
    observations: list[Observation]
    medications: list[MedicationStatement]
    reviewers: list[str]


def iter_emr_charts(session: Session, batch: Batch) -> Iterator[EmrChart]:
    """Every loaded chart of the batch, in document key order."""
    rows = session.execute(
        select(Document, Encounter)
        .join(Encounter, Encounter.document_id == Document.id)
        .where(Document.batch_id == batch.id)
        .order_by(Document.key)
    )
    for doc, encounter in rows:
        patient = session.scalars(
            select(Patient).where(Patient.source_document_id == doc.id)
        ).first() or session.get_one(Patient, encounter.patient_id)

        reviewers = session.scalars(
            select(Provenance.decided_by)
            .where(Provenance.document_id == doc.id, Provenance.decided_by.is_not(None))
            .distinct()
        )
        yield EmrChart(
            batch=batch,
            document=doc,
            encounter=encounter,
            chart_patient=patient,
            patient_id=encounter.patient_id,
            diagnoses=list(
                session.scalars(
                    select(Diagnosis)
                    .where(Diagnosis.encounter_id == encounter.id)
                    .order_by(Diagnosis.id)
                )
            ),
            observations=list(
                session.scalars(
                    select(Observation)
                    .where(Observation.encounter_id == encounter.id)
                    .order_by(Observation.id)
                )
            ),
            medications=list(
                session.scalars(
                    select(MedicationStatement)
                    .where(MedicationStatement.encounter_id == encounter.id)
                    .order_by(MedicationStatement.id)
                )
            ),
            reviewers=sorted(r for r in reviewers if r),
        )
