"""A synthetic archive for the EMR side: people admitted one to four times, their charts'
values with OCR-level variations of their names, stored as decided fields (no scans, no OCR).

Also the hard cases for patient matching: namesakes born on other days, and twins (same
birth date, address and phone, another given name).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from pipeline.models import Decision
from pipeline.state import ensure_batch
from pipeline.synthetic.content import ChartContent, ascii_fold, make_content
from schemas.catalogue import list_item_key
from schemas.tables import Document, ExtractedField

# letters OCR confuses on Vietnamese names (marks misread or lost on one letter, shapes)
_CONFUSIONS = dict(zip("ƯƠĂÂÊÔỄỜỊĐNHIOUC", "UOAAEOÊƠIDHNLQVG", strict=True))


@dataclass(frozen=True)
class ArchiveChart:
    key: str
    person: int  # the truth: charts with the same person number are one patient
    fields: dict[str, str | None]
    medications: list[dict[str, str]] = field(default_factory=list)
    secondary_icd10: list[str] = field(default_factory=list)


def misread_name(name: str, rng: random.Random) -> str:
    """One letter as OCR gets it wrong, or every mark lost (an unmarked print of the name)."""
    if rng.random() < 0.4:
        return ascii_fold(name)
    spots = [i for i, c in enumerate(name) if c in _CONFUSIONS]
    if not spots:
        return ascii_fold(name)
    i = rng.choice(spots)
    return name[:i] + _CONFUSIONS[name[i]] + name[i + 1 :]


def make_archive(seed: int, people: int = 60, repeat_share: float = 0.5) -> list[ArchiveChart]:
    """Charts of `people` persons; `repeat_share` of them have 2-4 charts. A tenth of the
    persons get a namesake (same name, other birth date), another tenth a twin."""
    rng = random.Random(seed)
    charts: list[ArchiveChart] = []
    person = 0

    def add(person_no: int, values: dict[str, str | None], content: ChartContent) -> None:
        meds = [m.normalised() for m in content.medications]
        codes = [d.code for d in content.secondary]
        key = f"archive-{seed:03d}/chart-{len(charts):04d}.pdf"
        charts.append(ArchiveChart(key, person_no, values, meds, codes))

    for _ in range(people):
        base = make_content(rng, "vi")
        who = dict(base.fields)
        count = rng.randint(2, 4) if rng.random() < repeat_share else 1
        for n in range(count):
            stay = base if n == 0 else make_content(rng, "vi")
            values: dict[str, str | None] = dict(stay.fields)
            for key in ("patient.full_name", "patient.birth_date", "patient.sex",
                        "patient.ethnicity", "patient.address", "patient.phone"):  # fmt: skip
                values[key] = who[key]
            if n > 0:
                if rng.random() < 0.6:
                    values["patient.full_name"] = misread_name(who["patient.full_name"], rng)
                # identifiers: the same CCCD, a new BHYT card, or neither printed
                values["patient.national_id"] = (
                    who["patient.national_id"] if rng.random() < 0.35 else None
                )
                values["patient.insurance_number"] = (
                    who["patient.insurance_number"] if rng.random() < 0.25 else None
                )
                if rng.random() < 0.3:
                    values["patient.phone"] = None
                if rng.random() < 0.2:
                    values["patient.address"] = None
            add(person, values, stay)
        person += 1
        roll = rng.random()
        if roll < 0.2:
            other = make_content(rng, "vi")
            values = dict(other.fields)
            values["patient.full_name"] = who["patient.full_name"]
            if roll < 0.1:  # a namesake born on another day
                pass
            else:  # a twin: same birth, home and phone; another given name
                given = make_content(rng, "vi").fields["patient.full_name"].split()[-1]
                values["patient.full_name"] = " ".join(
                    who["patient.full_name"].split()[:-1] + [given]
                )
                for key in ("patient.birth_date", "patient.address", "patient.phone",
                            "patient.ethnicity"):  # fmt: skip
                    values[key] = who[key]
                values["patient.national_id"] = None
                values["patient.insurance_number"] = None
            add(person, values, other)
            person += 1
    return charts


def _field(key: str, value: str | None, n: int) -> ExtractedField:
    return ExtractedField(
        key=key, value=value, read_value=value, confidence=0.99, threshold=0.85,
        ocr_confidence=0.95, label_score=1.0,
        decision=Decision.AUTO_ACCEPTED if value is not None else Decision.MISSING,
        page=1, bbox=[10, 20 * n, 600, 20 * n + 18], rule="synthetic",
        checks_passed=[], checks_failed=[], reasons=[],
    )  # fmt: skip


def chart_fields(chart: ArchiveChart) -> list[ExtractedField]:
    rows = [_field(k, v, i) for i, (k, v) in enumerate(chart.fields.items())]
    for i, med in enumerate(chart.medications, 1):
        rows.append(_field(list_item_key("medications", i), json.dumps(med, ensure_ascii=False), i))
    for i, code in enumerate(chart.secondary_icd10, 1):
        rows.append(_field(list_item_key("secondary_icd10", i), code, i))
    return rows


def store_charts(session: Session, batch: str, charts: Iterable[ArchiveChart]) -> list[Document]:
    """Documents with decided fields, as the pipeline leaves charts that need no review."""
    found = ensure_batch(session, batch, "synthetic-archive")
    docs = []
    for chart in charts:
        doc = Document(
            batch_id=found.id, key=chart.key, size=0, media_type="pdf", state="loaded",
            sha256=hashlib.sha256(chart.key.encode()).hexdigest(), language="vi",
        )  # fmt: skip
        doc.fields.extend(chart_fields(chart))
        session.add(doc)
        docs.append(doc)
    session.flush()
    return docs


def merge_counts(
    charts: Iterable[ArchiveChart], patient_of: dict[str, int]
) -> tuple[int, int, int]:
    """Chart pairs put under one patient rightly, wrongly, and left apart though one person:
    (true positives, false positives, false negatives). `patient_of` maps document key to
    the patient its encounter belongs to."""
    truth = {c.key: c.person for c in charts}
    keys = sorted(patient_of)
    tp = fp = fn = 0
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            same, merged = truth[a] == truth[b], patient_of[a] == patient_of[b]
            tp += same and merged
            fp += merged and not same
            fn += same and not merged
    return tp, fp, fn
