"""The database: pipeline state (batches, documents, pages, fields, review items, events) and
the EMR tables (patients and their identifiers, encounters, diagnoses, observations,
medication statements, patient matching) with per-value provenance."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# --- pipeline state ---------------------------------------------------------------------------


class Batch(Base):
    __tablename__ = "batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    documents: Mapped[list[Document]] = relationship(back_populates="batch")


class DocState:
    QUEUED = "queued"  # listed, not yet finished (a crash leaves documents here: resumed)
    IN_REVIEW = "in_review"  # read; some fields wait for a reviewer
    LOADED = "loaded"  # in the EMR
    FAILED = "failed"  # quarantined with a reason
    GONE = "gone"  # its object was deleted from the source after it was listed
    DUPLICATE = "duplicate"  # the same bytes as another document, migrated once under that key
    ALL = (QUEUED, IN_REVIEW, LOADED, FAILED, GONE, DUPLICATE)
    FINISHED = (IN_REVIEW, LOADED, FAILED, GONE, DUPLICATE)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("batch_id", "key"), Index("ix_documents_sha256", "sha256"))
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    # S3's longest key is 1024 bytes; SQLite does not enforce a length (and keeps 1000 in its
    # schema, as rebuilding the table to change it would cascade deletes)
    key: Mapped[str] = mapped_column(String(1000).with_variant(String(1024), "postgresql"))
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str | None] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default=DocState.QUEUED, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: the worker processing it, and until when (renewed while it works): see pipeline/claims.py
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    batch: Mapped[Batch] = relationship(back_populates="documents")
    pages: Mapped[list[Page]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="Page.number"
    )
    fields: Mapped[list[ExtractedField]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="ExtractedField.id"
    )


class ScanContent(Base):
    """Which document a scan's bytes belong to: the first to claim them. The primary key makes
    the claim atomic, so two keys holding one scan are never both migrated, even at once."""

    __tablename__ = "scan_contents"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    claimed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    dpi: Mapped[int] = mapped_column(Integer)
    rotated_180: Mapped[bool] = mapped_column(default=False)
    skew_degrees: Mapped[float] = mapped_column(Float, default=0.0)
    mean_confidence: Mapped[float] = mapped_column(Float)
    word_count: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    #: the page's OCR result tree (``pipeline.ocr.tree.PageTree.to_dict``): words, boxes,
    #: engine and settings, and the field boxes read again; extraction replays from it
    ocr_tree: Mapped[dict[str, Any] | None] = mapped_column()
    document: Mapped[Document] = relationship(back_populates="pages")


class ExtractedField(Base):
    """One field of one chart with its provenance and how it was decided."""

    __tablename__ = "fields"
    __table_args__ = (
        UniqueConstraint("document_id", "key"),
        Index("ix_fields_qa_sample_key", "qa_sample", "key"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(Text)
    read_value: Mapped[str | None] = mapped_column(Text)  # as extracted, before any review
    confidence: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    ocr_confidence: Mapped[float] = mapped_column(Float)
    label_score: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(20))
    page: Mapped[int | None] = mapped_column(Integer)
    bbox: Mapped[list[Any] | None] = mapped_column()
    rule: Mapped[str] = mapped_column(String(200))
    checks_passed: Mapped[list[Any]] = mapped_column(default=list)
    checks_failed: Mapped[list[Any]] = mapped_column(default=list)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    #: the other values the page offered (value, page, bbox, strength, rule), runner-up first
    alternatives: Mapped[list[Any] | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: routing auto-accepted it and QA sampling sent it, blind, to a reviewer (review/qa.py):
    #: its outcome is an unbiased label of an auto-accepted value
    qa_sample: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    document: Mapped[Document] = relationship(back_populates="fields")


class CleanedPage(Base):
    """The cleaned page as the pipeline read it (JPEG): bboxes are in its pixels, so the
    review desk crops exactly what was read."""

    __tablename__ = "page_images"
    __table_args__ = (UniqueConstraint("document_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)


class ReviewItem(Base):
    """A field waiting for a person. Claimed with a lease; decided once."""

    __tablename__ = "review_items"
    #: the open items by chart, with their lease (migration 0010: the claim query reads it)
    __table_args__ = (
        Index(
            "ix_review_items_open",
            "document_id",
            "claimed_by",
            "lease_expires_at",
            postgresql_where=sql_text("state = 'open'"),
            sqlite_where=sql_text("state = 'open'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id", ondelete="CASCADE"), unique=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    claim_token: Mapped[str | None] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    #: what the reviewer is shown of a QA-sampled item instead of its field's own confidence
    #: and reasons (which would tell it was auto-accepted); None for every other item
    shown_confidence: Mapped[float | None] = mapped_column(Float)
    shown_reasons: Mapped[list[Any] | None] = mapped_column()


class DocumentEvent(Base):
    """Every state change of a document is a row: status, ETA and the dashboard read these."""

    __tablename__ = "document_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(20))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


# --- review desk: people, sessions, audit --------------------------------------------------


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # reviewer | lead | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class WebSession(Base):
    """A login. Only the token's hash is stored; the browser holds the token (HttpOnly)."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class AuditEvent(Base):
    """Append-only: every login, view of a crop and decision (who, when, before, after).
    Migration 0007_audit_append_only adds triggers so the database refuses UPDATE and DELETE."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_username_action", "username", "action"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(30))
    document_id: Mapped[int | None] = mapped_column(Integer, index=True)
    field_key: Mapped[str | None] = mapped_column(String(100))
    item_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    client: Mapped[str | None] = mapped_column(String(100))


class Escalation(Base):
    """A chart a reviewer handed to a lead: its items leave the reviewers' queue until a lead
    decides them or sends the chart back (``resolved_*``)."""

    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    raised_by: Mapped[str] = mapped_column(String(100))
    raised_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(String(500))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)


# --- EMR (schema v2: migration 0002) ------------------------------------------------------------
#
# Every chart gets its own patient row, holding what that chart says about the person. When
# charts are found to be the same person, the later chart's patient row is merged into the
# earlier one (merged_into_id) and its encounters move with it; the merge is a row of its own
# and can be undone, because nothing of the merged row is thrown away.


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (Index("uq_patients_source_document_id", "source_document_id", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(10))
    # the chart's CCCD/CMND and BHYT card, kept for v1 readers; patient_identifiers has them all
    national_id: Mapped[str | None] = mapped_column(String(12), index=True)
    insurance_number: Mapped[str | None] = mapped_column(String(15), index=True)
    ethnicity: Mapped[str | None] = mapped_column(String(100))
    occupation: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20))
    #: upper-case name without diacritics: the blocking key of patient matching
    name_key: Mapped[str | None] = mapped_column(String(200), index=True)
    #: the chart this row was read from (NULL for rows made by schema v1)
    source_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL")
    )
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    identifiers: Mapped[list[PatientIdentifier]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="PatientIdentifier.id"
    )


class IdentifierKind:
    CCCD = "cccd"  # 12-digit citizen identity card
    CMND = "cmnd"  # legacy 9- or 12-digit identity card
    BHYT = "bhyt"  # health-insurance card


class PatientIdentifier(Base):
    __tablename__ = "patient_identifiers"
    __table_args__ = (
        UniqueConstraint("patient_id", "system", "value"),
        Index("ix_patient_identifiers_lookup", "system", "value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    system: Mapped[str] = mapped_column(String(10))  # IdentifierKind
    value: Mapped[str] = mapped_column(String(20))
    #: BHYT cards are valid for a period; charts rarely print it
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    patient: Mapped[Patient] = relationship(back_populates="identifiers")


class Encounter(Base):
    __tablename__ = "encounters"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    admission_time: Mapped[datetime | None] = mapped_column(DateTime)
    discharge_time: Mapped[datetime | None] = mapped_column(DateTime)
    record_number: Mapped[str | None] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(String(20))
    attending_physician: Mapped[str | None] = mapped_column(String(200))
    #: sha256 of the decided values it was loaded from: a reload of the same values is a no-op
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    loaded_at: Mapped[datetime | None] = mapped_column(DateTime)


class Diagnosis(Base):
    __tablename__ = "diagnoses"
    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(
        ForeignKey("encounters.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))  # principal | secondary
    icd10: Mapped[str | None] = mapped_column(String(10))
    text: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(20), default="discharge")  # admission | discharge


class Observation(Base):
    """One measured quantity; blood pressure is two rows (systolic, diastolic) of one panel."""

    __tablename__ = "observations"
    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(
        ForeignKey("encounters.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(50))  # field key, e.g. vitals.pulse
    value: Mapped[str] = mapped_column(String(50))
    unit: Mapped[str | None] = mapped_column(String(20))  # UCUM
    loinc: Mapped[str | None] = mapped_column(String(20))
    component: Mapped[str | None] = mapped_column(String(20))  # systolic | diastolic
    component_loinc: Mapped[str | None] = mapped_column(String(20))
    value_number: Mapped[float | None] = mapped_column(Float)


class MedicationStatement(Base):
    __tablename__ = "medication_statements"
    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(
        ForeignKey("encounters.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    strength: Mapped[str | None] = mapped_column(String(100))
    route: Mapped[str | None] = mapped_column(String(50))
    frequency: Mapped[str | None] = mapped_column(String(100))


class Provenance(Base):
    """Where every EMR cell came from: document, page, box, confidence, how it was decided."""

    __tablename__ = "provenance"
    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(50))
    row_id: Mapped[int] = mapped_column(Integer)
    column_name: Mapped[str] = mapped_column(String(50))
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id", ondelete="CASCADE"))
    document_sha256: Mapped[str] = mapped_column(String(64))
    page: Mapped[int | None] = mapped_column(Integer)
    bbox: Mapped[list[Any] | None] = mapped_column()
    confidence: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    ocr_confidence: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str | None] = mapped_column(String(200))  # the extraction rule
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (Index("ix_provenance_row", "table_name", "row_id"),)


class PatientMatchQuestion(Base):
    """ "Same patient?": a likely but uncertain match, left to a person. Never merged silently."""

    __tablename__ = "patient_match_questions"
    __table_args__ = (UniqueConstraint("patient_id", "candidate_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the newer chart's patient row, and the existing patient it may be
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    # open | decided | withdrawn (the chart was reloaded with other values)
    answer: Mapped[str | None] = mapped_column(String(20))  # same | different
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PatientMerge(Base):
    """One merge of a patient row into another: who or which rule, when, and its undoing."""

    __tablename__ = "patient_merges"
    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))  # cccd | bhyt | score | reviewer
    score: Mapped[float | None] = mapped_column(Float)
    merged_by: Mapped[str] = mapped_column(String(100))  # "pipeline" or the reviewer
    merged_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    undone_by: Mapped[str | None] = mapped_column(String(100))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
