"""FHIR R4 export: one Bundle per loaded chart (Patient, Encounter, Condition, Observation,
MedicationStatement, DocumentReference to the scan, Provenance), as plain JSON dicts.

Times on the charts are local: they are written with Viet Nam's offset (+07:00), which FHIR
requires once a time of day is given.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pipeline.load.records import EmrChart
from schemas.catalogue import identifier_system

LOCAL_OFFSET = "+07:00"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
_NAMESPACE = uuid.UUID("6f1c4f3e-7a43-4a53-9d7e-2b1c3f6a9e10")  # this project's, for uuid5
_MEDIA = {"pdf": "application/pdf", "tiff": "image/tiff", "jpeg": "image/jpeg", "png": "image/png"}
_GENDER = {"male": "male", "female": "female"}


def _local(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + LOCAL_OFFSET if moment else None


def _ref(url: str) -> dict[str, str]:
    return {"reference": url}


def chart_bundle(chart: EmrChart) -> dict[str, Any]:
    doc, enc, p = chart.document, chart.encounter, chart.chart_patient
    sha = doc.sha256 or ""

    def url(kind: str, n: int = 0) -> str:
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{sha}/{kind}/{n}')}"

    patient_url = f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'patient/{chart.patient_id}')}"
    encounter_url, document_url = url("Encounter"), url("DocumentReference")
    subject, context = _ref(patient_url), _ref(encounter_url)
    resources: list[tuple[str, dict[str, Any]]] = []

    identifiers = [{"system": identifier_system("patient"), "value": str(chart.patient_id)}]
    identifiers += [
        {"system": identifier_system(i.system), "value": i.value, "use": "official"}
        for i in p.identifiers
    ]
    patient: dict[str, Any] = {"resourceType": "Patient", "identifier": identifiers,
                               "gender": _GENDER.get(p.sex or "", "unknown")}  # fmt: skip
    if p.full_name:
        words = p.full_name.split()
        name: dict[str, Any] = {"use": "official", "text": p.full_name, "family": words[0]}
        if len(words) > 1:
            name["given"] = [" ".join(words[1:])]
        patient["name"] = [name]
    if p.birth_date:
        patient["birthDate"] = p.birth_date.isoformat()
    if p.address:
        patient["address"] = [{"text": p.address, "country": "VN"}]
    if p.phone:
        patient["telecom"] = [{"system": "phone", "value": p.phone}]
    resources.append((patient_url, patient))

    encounter: dict[str, Any] = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP",
                  "display": "inpatient encounter"},
        "subject": subject,
    }  # fmt: skip
    period = {k: v for k, v in (("start", _local(enc.admission_time)),
                                ("end", _local(enc.discharge_time))) if v}  # fmt: skip
    if period:
        encounter["period"] = period
    if enc.record_number:
        encounter["identifier"] = [
            {"system": identifier_system("record_number"), "value": enc.record_number}
        ]
    if enc.department:
        encounter["serviceType"] = {"text": enc.department}
    if enc.outcome:
        encounter["hospitalization"] = {"dischargeDisposition": {"text": enc.outcome}}
    if enc.attending_physician:
        encounter["participant"] = [{"individual": {"display": enc.attending_physician}}]
    resources.append((encounter_url, encounter))

    for n, dx in enumerate(chart.diagnoses):
        code: dict[str, Any] = {}
        if dx.icd10:
            code["coding"] = [{"system": ICD10, "code": dx.icd10}]
        if dx.text:
            code["text"] = dx.text
        condition = {
            "resourceType": "Condition",
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                "code": "encounter-diagnosis"}]}],
            "verificationStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": "provisional" if dx.stage == "admission" else "confirmed"}]},
            "code": code,
            "subject": subject,
            "encounter": context,
            "note": [{"text": f"{dx.role} diagnosis at {dx.stage}"}],
        }  # fmt: skip
        resources.append((url("Condition", n), condition))

    panels: dict[str, list[Any]] = {}
    for obs in chart.observations:
        panels.setdefault(obs.loinc or obs.code, []).append(obs)
    for n, (loinc, rows) in enumerate(panels.items()):
        observation: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs"}]}],
            "code": {"coding": [{"system": LOINC, "code": loinc}], "text": rows[0].code},
            "subject": subject,
            "encounter": context,
        }  # fmt: skip
        if enc.admission_time:  # vital signs are taken on admission
            observation["effectiveDateTime"] = _local(enc.admission_time)

        def quantity(o: Any) -> dict[str, Any]:
            if o.value_number is None:
                return {"valueString": o.value}
            return {"valueQuantity": {"value": o.value_number, "unit": o.unit, "system": UCUM,
                                      "code": o.unit}}  # fmt: skip

        if rows[0].component:
            observation["component"] = [
                {"code": {"coding": [{"system": LOINC, "code": o.component_loinc}],
                          "text": o.component}, **quantity(o)}
                for o in rows
            ]  # fmt: skip
        else:
            observation.update(quantity(rows[0]))
        resources.append((url("Observation", n), observation))

    for n, med in enumerate(chart.medications):
        dosage = ", ".join(x for x in (med.strength, med.route, med.frequency) if x)
        statement: dict[str, Any] = {
            "resourceType": "MedicationStatement",
            "status": "completed",
            "medicationCodeableConcept": {"text": med.name},
            "subject": subject,
            "context": context,
        }
        if dosage:
            statement["dosage"] = [{"text": dosage}]
            if med.route:
                statement["dosage"][0]["route"] = {"text": med.route}
        resources.append((url("MedicationStatement", n), statement))

    source = chart.batch.source.rstrip("/")
    document = {
        "resourceType": "DocumentReference",
        "status": "current",
        "masterIdentifier": {"system": identifier_system("document"), "value": sha},
        "description": "scanned inpatient chart",
        "subject": subject,
        "content": [{"attachment": {
            "contentType": _MEDIA.get(doc.media_type or "", "application/octet-stream"),
            "url": f"{source}/{doc.key}", "title": doc.key}}],
        "context": {"encounter": [context]},
    }  # fmt: skip
    resources.append((document_url, document))

    agents = [{"type": {"text": "extraction"}, "who": {"display": "emr-migrate"}}]
    agents += [{"type": {"text": "review"}, "who": {"display": r}} for r in chart.reviewers]
    recorded = enc.loaded_at or datetime(1970, 1, 1)
    provenance = {
        "resourceType": "Provenance",
        "target": [_ref(u) for u, _ in resources],
        "recorded": recorded.strftime("%Y-%m-%dT%H:%M:%S") + "Z",
        "agent": agents,
        "entity": [{"role": "source", "what": _ref(document_url)}],
    }
    resources.append((url("Provenance"), provenance))
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "identifier": {"system": identifier_system("document"), "value": sha},
        "entry": [{"fullUrl": u, "resource": r} for u, r in resources],
    }
