"""Write one chart's decided fields into the EMR tables, with provenance for every cell.

Runs inside the caller's transaction, so a chart is loaded whole or not at all; loading the
same chart again replaces its rows instead of adding to them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from schemas.tables import (
    Diagnosis,
    Document,
    Encounter,
    ExtractedField,
    Observation,
    Patient,
    Provenance,
)

_PATIENT_COLUMNS = {
    "patient.full_name": "full_name",
    "patient.birth_date": "birth_date",
    "patient.sex": "sex",
    "patient.national_id": "national_id",
    "patient.insurance_number": "insurance_number",
}
_ENCOUNTER_COLUMNS = {
    "encounter.admission_time": "admission_time",
    "encounter.discharge_time": "discharge_time",
}


def _typed(key: str, value: str) -> object:
    if key == "patient.birth_date":
        return date.fromisoformat(value)
    if key in _ENCOUNTER_COLUMNS:
        return datetime.fromisoformat(value)
    return value


def _find_patient(session: Session, values: dict[str, str]) -> Patient | None:
    """Deterministic identity only (CCCD or BHYT card); fuzzy matching needs a person's eye."""
    conditions = []
    if values.get("patient.national_id"):
        conditions.append(Patient.national_id == values["patient.national_id"])
    if values.get("patient.insurance_number"):
        conditions.append(Patient.insurance_number == values["patient.insurance_number"])
    if not conditions:
        return None
    return session.scalars(select(Patient).where(or_(*conditions)).limit(1)).first()


def _provenance(
    doc: Document, f: ExtractedField, table: str, row_id: int, column: str
) -> Provenance:
    return Provenance(
        table_name=table,
        row_id=row_id,
        column_name=column,
        field_id=f.id,
        document_sha256=doc.sha256 or "",
        page=f.page,
        bbox=f.bbox,
        confidence=f.confidence,
        decision=f.decision,
        decided_by=f.decided_by,
    )


def unload_chart(session: Session, doc: Document) -> None:
    encounter = session.scalars(select(Encounter).where(Encounter.document_id == doc.id)).first()
    if encounter is None:
        return
    field_ids = [f.id for f in doc.fields]
    session.execute(delete(Provenance).where(Provenance.field_id.in_(field_ids)))
    session.execute(delete(Diagnosis).where(Diagnosis.encounter_id == encounter.id))
    session.execute(delete(Observation).where(Observation.encounter_id == encounter.id))
    session.delete(encounter)
    session.flush()


def load_chart(session: Session, doc: Document) -> Encounter:
    unload_chart(session, doc)
    fields = {f.key: f for f in doc.fields if f.value is not None}
    values = {k: f.value for k, f in fields.items() if f.value is not None}

    patient = _find_patient(session, values)
    if patient is None:
        patient = Patient()
        session.add(patient)
    for key, column in _PATIENT_COLUMNS.items():
        if key in values and getattr(patient, column) is None:
            setattr(patient, column, _typed(key, values[key]))
    session.flush()

    encounter = Encounter(patient_id=patient.id, document_id=doc.id)
    for key, column in _ENCOUNTER_COLUMNS.items():
        if key in values:
            setattr(encounter, column, _typed(key, values[key]))
    session.add(encounter)
    session.flush()

    provenance = [
        _provenance(doc, fields[k], "patients", patient.id, c)
        for k, c in _PATIENT_COLUMNS.items()
        if k in fields
    ] + [
        _provenance(doc, fields[k], "encounters", encounter.id, c)
        for k, c in _ENCOUNTER_COLUMNS.items()
        if k in fields
    ]

    code = fields.get("encounter.discharge_icd10")
    text = fields.get("encounter.discharge_diagnosis")
    if code or text:
        dx = Diagnosis(
            encounter_id=encounter.id,
            role="principal",
            icd10=code.value if code else None,
            text=text.value if text else None,
        )
        session.add(dx)
        session.flush()
        if code:
            provenance.append(_provenance(doc, code, "diagnoses", dx.id, "icd10"))
        if text:
            provenance.append(_provenance(doc, text, "diagnoses", dx.id, "text"))
    session.add_all(provenance)
    return encounter
