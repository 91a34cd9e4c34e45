"""Write one chart's decided fields into the EMR tables, with provenance for every cell.

Runs inside the caller's transaction, so a chart is loaded whole or not at all (the caller
rolls back on any error). Loading the same decided values again changes nothing; loading
a chart whose values changed after review replaces its rows, keeping their ids.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import MigrateError
from pipeline.load import patients as matching
from pipeline.models import Decision
from schemas.catalogue import field_spec, load_catalogue, split_list_key
from schemas.tables import (
    Diagnosis,
    Document,
    Encounter,
    ExtractedField,
    IdentifierKind,
    MedicationStatement,
    Observation,
    Patient,
    PatientIdentifier,
    Provenance,
    utcnow,
)

_PATIENT_COLUMNS = {
    "patient.full_name": "full_name",
    "patient.birth_date": "birth_date",
    "patient.sex": "sex",
    "patient.ethnicity": "ethnicity",
    "patient.occupation": "occupation",
    "patient.address": "address",
    "patient.phone": "phone",
    "patient.national_id": "national_id",
    "patient.insurance_number": "insurance_number",
}
_ENCOUNTER_COLUMNS = {
    "encounter.admission_time": "admission_time",
    "encounter.discharge_time": "discharge_time",
    "encounter.record_number": "record_number",
    "encounter.department": "department",
    "encounter.outcome": "outcome",
    "encounter.attending_physician": "attending_physician",
}


class ChartNotLoadable(MigrateError):
    """A decided value the EMR cannot hold (a date that is no date): the chart stays out."""


@dataclass(frozen=True)
class ChartValues:
    """The decided values of one chart, by catalogue key, and its list entries in order."""

    fields: dict[str, ExtractedField]
    medications: list[tuple[ExtractedField, dict[str, str]]]
    secondary_icd10: list[ExtractedField]

    def value(self, key: str) -> str | None:
        f = self.fields.get(key)
        return f.value if f else None


def chart_values(doc: Document) -> ChartValues:
    """Fields a person or the router decided and that hold a value; nothing waiting."""
    fields: dict[str, ExtractedField] = {}
    meds: list[tuple[int, ExtractedField, dict[str, str]]] = []
    codes: list[tuple[int, ExtractedField]] = []
    for f in doc.fields:
        if f.value is None or f.decision == Decision.NEEDS_REVIEW:
            continue
        listed = split_list_key(f.key)
        if listed is None:
            fields[f.key] = f
        elif listed[0] == "medications":
            entry = json.loads(f.value)
            meds.append((listed[1], f, {k: entry.get(k) for k in
                                        ("name", "strength", "route", "frequency")}))  # fmt: skip
        else:
            codes.append((listed[1], f))
    return ChartValues(
        fields,
        [(f, entry) for _, f, entry in sorted(meds, key=lambda m: m[0])],
        [f for _, f in sorted(codes, key=lambda c: c[0])],
    )


def fingerprint(doc: Document) -> str:
    """What a load depends on: every field row as decided (ids too: provenance points at them)."""
    rows = sorted(
        [f.id, f.key, f.value, f.decision, f.decided_by, f.confidence, f.page, f.bbox]
        for f in doc.fields
    )
    return hashlib.sha256(json.dumps([doc.sha256, rows], default=str).encode()).hexdigest()


def _typed(doc: Document, key: str, value: str) -> Any:
    kind = field_spec(key).type
    try:
        if kind == "date":
            return date.fromisoformat(value)
        if kind == "datetime":
            return datetime.fromisoformat(value)
    except ValueError:
        raise ChartNotLoadable(
            f"{doc.key}: {key} is not a valid {kind}: correct it in review and load again"
        ) from None
    return value


def _number(value: str) -> float | None:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return None


def _provenance(
    doc: Document, f: ExtractedField, table: str, row_id: int, column: str
) -> Provenance:
    return Provenance(
        table_name=table, row_id=row_id, column_name=column, field_id=f.id,
        document_id=doc.id, document_sha256=doc.sha256 or "", page=f.page, bbox=f.bbox,
        confidence=f.confidence, ocr_confidence=f.ocr_confidence, method=f.rule,
        decision=f.decision, decided_by=f.decided_by, decided_at=f.decided_at,
    )  # fmt: skip


def _identifier_kind(key: str, value: str) -> str:
    if key == "patient.insurance_number":
        return IdentifierKind.BHYT
    # a 12-digit number is a CCCD unless it is a late CMND; the century digit cannot tell
    return IdentifierKind.CCCD if len(value) == 12 else IdentifierKind.CMND


def _write_patient(
    session: Session, doc: Document, values: ChartValues, provenance: list[Provenance]
) -> tuple[Patient, bool]:
    """The chart's own patient row, created or brought up to date; True if it is new."""
    patient = session.scalars(select(Patient).where(Patient.source_document_id == doc.id)).first()
    created = patient is None
    if patient is None:
        patient = Patient(source_document_id=doc.id)
        session.add(patient)
    else:
        matching.withdraw(session, patient)
        patient.identifiers.clear()
        session.flush()  # the unit of work would insert the new rows before deleting these
    for key, column in _PATIENT_COLUMNS.items():
        raw = values.value(key)
        setattr(patient, column, _typed(doc, key, raw) if raw is not None else None)
    patient.name_key = matching.name_key(patient.full_name)
    for key in ("patient.national_id", "patient.insurance_number"):
        raw = values.value(key)
        if raw:
            patient.identifiers.append(
                PatientIdentifier(system=_identifier_kind(key, raw), value=raw)
            )
    session.flush()
    for key, column in _PATIENT_COLUMNS.items():
        if key in values.fields:
            provenance.append(_provenance(doc, values.fields[key], "patients", patient.id, column))
    for ident in patient.identifiers:
        key = (
            "patient.insurance_number"
            if ident.system == IdentifierKind.BHYT
            else ("patient.national_id")
        )
        provenance.append(
            _provenance(doc, values.fields[key], "patient_identifiers", ident.id, "value")
        )
    return patient, created


def add_diagnoses(
    session: Session, doc: Document, encounter: Encounter, values: ChartValues,
    provenance: list[Provenance],
) -> None:  # fmt: skip
    def add(
        role: str, stage: str, code: ExtractedField | None, text: ExtractedField | None
    ) -> None:
        dx = Diagnosis(
            encounter_id=encounter.id,
            role=role,
            stage=stage,
            icd10=code.value if code else None,
            text=text.value if text else None,
        )
        session.add(dx)
        session.flush()
        if code:
            provenance.append(_provenance(doc, code, "diagnoses", dx.id, "icd10"))
        if text:
            provenance.append(_provenance(doc, text, "diagnoses", dx.id, "text"))

    admitted = values.fields.get("encounter.admission_diagnosis")
    if admitted:
        add("principal", "admission", None, admitted)
    code = values.fields.get("encounter.discharge_icd10")
    text = values.fields.get("encounter.discharge_diagnosis")
    if code or text:
        add("principal", "discharge", code, text)
    for f in values.secondary_icd10:
        add("secondary", "discharge", f, None)


def add_observations(
    session: Session, doc: Document, encounter: Encounter, values: ChartValues,
    provenance: list[Provenance],
) -> None:  # fmt: skip
    for spec in load_catalogue():
        f = values.fields.get(spec.key)
        if f is None or f.value is None or spec.loinc is None:
            continue
        if spec.components:
            parts = dict(zip(spec.components, f.value.split("/"), strict=False))
        else:
            parts = {"": f.value}
        for component, text in parts.items():
            obs = Observation(
                encounter_id=encounter.id, code=spec.key, value=text.strip(), unit=spec.ucum,
                loinc=spec.loinc, component=component or None,
                component_loinc=spec.components.get(component), value_number=_number(text),
            )  # fmt: skip
            session.add(obs)
            session.flush()
            provenance.append(_provenance(doc, f, "observations", obs.id, "value"))


def add_medications(
    session: Session, doc: Document, encounter: Encounter, values: ChartValues,
    provenance: list[Provenance],
) -> None:  # fmt: skip
    for f, entry in values.medications:
        if not entry.get("name"):
            continue
        med = MedicationStatement(encounter_id=encounter.id, **entry)
        session.add(med)
        session.flush()
        provenance.append(_provenance(doc, f, "medication_statements", med.id, "entry"))


def unload_chart(session: Session, doc: Document) -> None:
    """Remove a chart's encounter and its rows (its patient row stays: others may point at it)."""
    encounter = session.scalars(select(Encounter).where(Encounter.document_id == doc.id)).first()
    session.execute(delete(Provenance).where(Provenance.document_id == doc.id))
    if encounter is None:
        return
    for table in (Diagnosis, Observation, MedicationStatement):
        session.execute(delete(table).where(table.encounter_id == encounter.id))
    session.delete(encounter)
    session.flush()


def load_chart(session: Session, doc: Document) -> Encounter:
    current = fingerprint(doc)
    encounter = session.scalars(select(Encounter).where(Encounter.document_id == doc.id)).first()
    if encounter is not None and encounter.fingerprint == current:
        return encounter  # the same values again: nothing to do
    values = chart_values(doc)
    provenance: list[Provenance] = []
    session.execute(delete(Provenance).where(Provenance.document_id == doc.id))
    if encounter is not None:
        for table in (Diagnosis, Observation, MedicationStatement):
            session.execute(delete(table).where(table.encounter_id == encounter.id))

    patient, _ = _write_patient(session, doc, values, provenance)
    if encounter is None:
        encounter = Encounter(document_id=doc.id, patient_id=patient.id)
        session.add(encounter)
    for key, column in _ENCOUNTER_COLUMNS.items():
        raw = values.value(key)
        setattr(encounter, column, _typed(doc, key, raw) if raw is not None else None)
    encounter.fingerprint, encounter.loaded_at = current, utcnow()
    encounter.patient_id = matching.root(session, patient).id
    session.flush()
    for key, column in _ENCOUNTER_COLUMNS.items():
        if key in values.fields:
            provenance.append(
                _provenance(doc, values.fields[key], "encounters", encounter.id, column)
            )
    add_diagnoses(session, doc, encounter, values, provenance)
    add_observations(session, doc, encounter, values, provenance)
    add_medications(session, doc, encounter, values, provenance)
    session.add_all(provenance)
    session.flush()
    if patient.merged_into_id is None:
        matching.resolve(session, patient)
    return encounter


def load_document(sessions: sessionmaker[Session], doc_id: int) -> int:
    """Load one chart in a transaction of its own; returns its encounter id."""
    with sessions.begin() as session:
        return load_chart(session, session.get_one(Document, doc_id)).id
