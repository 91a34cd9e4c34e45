"""One patient across many charts: deterministic links on CCCD or BHYT, a scored comparison
otherwise, "same patient?" questions for likely-but-uncertain pairs, reversible merges.

Every chart has its own patient row (what that chart says). Merging moves a chart's row
under an earlier one (``merged_into_id``) and repoints the encounters; the merge is a
``patient_merges`` row, and undoing it restores both patients as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from pipeline.extract.text import has_marks, single_spaces, strip_diacritics
from schemas.tables import (
    Encounter,
    IdentifierKind,
    Patient,
    PatientIdentifier,
    PatientMatchQuestion,
    PatientMerge,
    utcnow,
)

PIPELINE = "pipeline"
#: identifiers that name one person for life, or one card: equal values mean one patient
DETERMINISTIC = (IdentifierKind.CCCD, IdentifierKind.BHYT)
SAME, MAYBE, DIFFERENT = "same", "maybe", "different"
MAX_QUESTIONS = 3  # per chart: the best-scoring candidates only


def name_key(name: str | None) -> str | None:
    """Upper case, no diacritics, single spaces: equal for a name and its unmarked print."""
    if not name:
        return None
    return single_spaces(strip_diacritics(name).upper())


@dataclass(frozen=True)
class Verdict:
    kind: str  # same | maybe | different
    score: float  # 0..1, for ordering questions
    reasons: tuple[str, ...]  # field keys and how they compared; never values


def _ids(p: Patient, kind: str) -> set[str]:
    return {i.value for i in p.identifiers if i.system == kind}


def compare(a: Patient, b: Patient) -> Verdict:
    """Whether two chart patient rows are the same person, from demographics and identifiers.

    Automatic "same" needs an exact birth date and either the same name up to lost
    diacritics plus the same address or phone, or a shared legacy CMND. A one-letter
    difference in a name is what OCR does, but also what twins' names do, so it is a question.
    """
    reasons: list[str] = []
    if a.sex and b.sex and a.sex != b.sex:
        reasons.append("patient.sex differs")
    cccd_a, cccd_b = _ids(a, IdentifierKind.CCCD), _ids(b, IdentifierKind.CCCD)
    cccd_conflict = bool(cccd_a and cccd_b and not cccd_a & cccd_b)
    if cccd_conflict:
        reasons.append("patient.national_id differs")
    shared_cmnd = bool(_ids(a, IdentifierKind.CMND) & _ids(b, IdentifierKind.CMND))
    if shared_cmnd:
        reasons.append("patient.national_id (CMND) equal")

    key_a, key_b = name_key(a.full_name) or "", name_key(b.full_name) or ""
    name_ratio = fuzz.ratio(key_a, key_b) / 100 if key_a and key_b else 0.0
    same_name = (
        bool(key_a)
        and key_a == key_b
        and (
            a.full_name == b.full_name
            or not has_marks(a.full_name or "")
            or not has_marks(b.full_name or "")
        )
    )
    one_edit = (
        bool(key_a and key_b)
        and Levenshtein.distance(single_spaces(a.full_name or ""), single_spaces(b.full_name or ""))
        <= 1
    )
    reasons.append(f"patient.full_name {'equal' if same_name else f'{name_ratio:.2f}'}")

    same_birth = a.birth_date is not None and a.birth_date == b.birth_date
    near_birth = _near_dates(a.birth_date, b.birth_date)
    reasons.append(
        "patient.birth_date " + ("equal" if same_birth else "near" if near_birth else "differs")
    )
    address = (
        fuzz.token_sort_ratio(name_key(a.address) or "", name_key(b.address) or "") / 100
        if a.address and b.address
        else None
    )
    if address is not None:
        reasons.append(f"patient.address {address:.2f}")
    same_phone = bool(a.phone) and a.phone == b.phone
    if same_phone:
        reasons.append("patient.phone equal")

    score = 0.5 * name_ratio + 0.3 * (1.0 if same_birth else 0.5 if near_birth else 0.0)
    score += 0.2 * (address if address is not None else 0.5)
    blocked = cccd_conflict or "patient.sex differs" in reasons
    place = (address is not None and address >= 0.9) or same_phone
    if not blocked and same_birth and ((same_name and place) or (shared_cmnd and one_edit)):
        return Verdict(SAME, round(score, 3), tuple(reasons))
    likely_name = same_name or one_edit or name_ratio >= 0.85
    if likely_name and (same_birth or near_birth or place):
        return Verdict(MAYBE, round(score, 3), tuple(reasons))
    return Verdict(DIFFERENT, round(score, 3), tuple(reasons))


def _near_dates(a: date | None, b: date | None) -> bool:
    """One misread digit, or day and month swapped."""
    if a is None or b is None or a == b:
        return False
    x, y = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    if sum(c != d for c, d in zip(x, y, strict=True)) == 1:
        return True
    return a.year == b.year and a.month == b.day and a.day == b.month


def root(session: Session, patient: Patient) -> Patient:
    seen = set()
    while patient.merged_into_id is not None and patient.id not in seen:
        seen.add(patient.id)
        patient = session.get_one(Patient, patient.merged_into_id)
    return patient


def _members(session: Session, top: Patient) -> list[Patient]:
    """The patient and every row merged into it, directly or not."""
    found, frontier = [top], [top.id]
    while frontier:
        children = list(
            session.scalars(select(Patient).where(Patient.merged_into_id.in_(frontier)))
        )
        found += children
        frontier = [c.id for c in children]
    return found


def _repoint(session: Session, top: Patient) -> None:
    """Encounters of every chart in this patient's tree belong to it."""
    docs = [m.source_document_id for m in _members(session, top) if m.source_document_id]
    if docs:
        session.execute(
            update(Encounter).where(Encounter.document_id.in_(docs)).values(patient_id=top.id)
        )


def merge(
    session: Session, survivor: Patient, merged: Patient, method: str, score: float | None,
    by: str = PIPELINE,
) -> PatientMerge:  # fmt: skip
    survivor, merged = root(session, survivor), root(session, merged)
    if survivor.id == merged.id:
        raise ValueError(f"patient {merged.id} is already part of patient {survivor.id}")
    merged.merged_into_id = survivor.id
    record = PatientMerge(
        survivor_id=survivor.id, merged_id=merged.id, method=method, score=score, merged_by=by
    )
    session.add(record)
    session.flush()
    _repoint(session, survivor)
    return record


def undo_merge(session: Session, record: PatientMerge, by: str) -> None:
    """Split the merged patient off again, with every chart that came with it."""
    if record.undone_at is not None:
        return
    merged = session.get_one(Patient, record.merged_id)
    merged.merged_into_id = None
    record.undone_at, record.undone_by = utcnow(), by
    session.flush()
    _repoint(session, merged)
    _repoint(session, root(session, session.get_one(Patient, record.survivor_id)))


def answer_question(session: Session, question: PatientMatchQuestion, same: bool, by: str) -> None:
    question.state, question.answer = "decided", SAME if same else DIFFERENT
    question.decided_by, question.decided_at = by, utcnow()
    if same:
        patient = session.get_one(Patient, question.patient_id)
        candidate = session.get_one(Patient, question.candidate_id)
        if root(session, patient).id != root(session, candidate).id:
            merge(session, candidate, patient, "reviewer", question.score, by)


def _identifier_matches(session: Session, patient: Patient) -> list[Patient]:
    wanted = [(i.system, i.value) for i in patient.identifiers if i.system in DETERMINISTIC]
    if not wanted:
        return []
    rows = session.scalars(
        select(Patient)
        .join(PatientIdentifier, PatientIdentifier.patient_id == Patient.id)
        .where(
            Patient.id != patient.id,
            or_(*[(PatientIdentifier.system == s) & (PatientIdentifier.value == v)
                  for s, v in wanted]),
        )
    )  # fmt: skip
    return list(rows)


def _candidates(session: Session, patient: Patient) -> Iterable[Patient]:
    conditions = []
    if patient.birth_date is not None:
        conditions.append(Patient.birth_date == patient.birth_date)
    if patient.name_key:
        conditions.append(Patient.name_key == patient.name_key)
    if not conditions:
        return []
    return session.scalars(select(Patient).where(Patient.id != patient.id, or_(*conditions)))


def _ask(session: Session, patient: Patient, candidate: Patient, verdict: Verdict) -> None:
    exists = session.scalars(
        select(PatientMatchQuestion).where(
            PatientMatchQuestion.patient_id == patient.id,
            PatientMatchQuestion.candidate_id == candidate.id,
        )
    ).first()
    if exists is None:
        question = PatientMatchQuestion(
            patient_id=patient.id,
            candidate_id=candidate.id,
            score=verdict.score,
            reasons=list(verdict.reasons),
        )
        session.add(question)


def _rank(verdict: Verdict) -> tuple[int, float]:
    return {SAME: 2, MAYBE: 1, DIFFERENT: 0}[verdict.kind], verdict.score


def resolve(session: Session, patient: Patient) -> PatientMerge | None:
    """Link a newly loaded chart's patient row to the patient it already is, or ask."""
    own = root(session, patient).id
    by_identifier: dict[int, Patient] = {}
    for other in _identifier_matches(session, patient):
        top = root(session, other)
        if top.id != own:
            by_identifier.setdefault(top.id, other)
    for top_id, other in sorted(by_identifier.items()):
        birth_conflict = (
            patient.birth_date and other.birth_date and (patient.birth_date != other.birth_date)
        )
        sex_conflict = patient.sex and other.sex and patient.sex != other.sex
        if not (birth_conflict or sex_conflict):
            shared = {(i.system, i.value) for i in patient.identifiers} & {
                (i.system, i.value) for i in other.identifiers
            }
            kinds = {kind for kind, _ in shared}
            method = IdentifierKind.CCCD if IdentifierKind.CCCD in kinds else IdentifierKind.BHYT
            return merge(session, session.get_one(Patient, top_id), patient, method, None)
        # the same card on another person: an OCR error on either chart, or a shared card
        conflict = Verdict(MAYBE, 0.5, ("identifier equal", "patient.birth_date or sex differs"))
        _ask(session, patient, session.get_one(Patient, top_id), conflict)

    best: dict[int, tuple[Verdict, Patient]] = {}
    for other in _candidates(session, patient):
        top = root(session, other)
        if top.id == own:
            continue
        verdict = compare(patient, other)
        kept = best.get(top.id)
        if kept is None or _rank(verdict) > _rank(kept[0]):
            best[top.id] = (verdict, top)
    same = [(v, p) for v, p in best.values() if v.kind == SAME]
    if len(same) == 1:
        verdict, top = same[0]
        return merge(session, top, patient, "score", verdict.score)
    maybes = sorted(
        [(v, p) for v, p in best.values() if v.kind != DIFFERENT], key=lambda vp: -vp[0].score
    )
    for verdict, top in maybes[:MAX_QUESTIONS]:  # two "same" candidates: a person decides
        _ask(session, patient, top, verdict)
    return None


def withdraw(session: Session, patient: Patient) -> None:
    """Before a chart is reloaded with other values: undo the pipeline's merges of its
    patient row and close its open questions (a reviewer's decisions stay)."""
    for record in session.scalars(
        select(PatientMerge).where(
            PatientMerge.merged_id == patient.id,
            PatientMerge.undone_at.is_(None),
            PatientMerge.merged_by == PIPELINE,
        )
    ):
        undo_merge(session, record, PIPELINE)
    for question in session.scalars(
        select(PatientMatchQuestion).where(
            or_(PatientMatchQuestion.patient_id == patient.id,
                PatientMatchQuestion.candidate_id == patient.id),
            PatientMatchQuestion.state == "open",
        )
    ):  # fmt: skip
        question.state, question.decided_by, question.decided_at = "withdrawn", PIPELINE, utcnow()
