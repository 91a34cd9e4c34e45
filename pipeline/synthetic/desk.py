"""Charts waiting for review, made without OCR: for the review desk's tests and benchmark."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import cv2
import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from pipeline.models import ChartReading, FieldCandidate, OcrPage, OcrWord, ScanRef
from pipeline.review.auth import add_user
from pipeline.review.routing import route_fields, route_list_entries
from pipeline.state import register_scans, save_reading
from pipeline.synthetic.content import make_content


def chart_values(i: int) -> dict[str, str]:
    return {
        "patient.full_name": f"NGUYỄN VĂN AN{'' if i == 0 else ' ' + 'BCDEFGHIK'[i % 9]}",
        "patient.birth_date": f"19{50 + i % 40}-03-12",
        "patient.sex": "male",
        "patient.national_id": f"0790{50 + i % 40}0123{i % 10}{i % 10}",
        "encounter.admission_time": "2015-03-01T08:30",
        "encounter.discharge_time": "2015-03-09T10:00",
    }


#: fields read with low confidence on every seeded chart: these wait for review
DOUBTFUL = ("patient.birth_date", "patient.national_id", "encounter.discharge_time")


def page_jpeg(values: dict[str, str]) -> tuple[bytes, dict[str, tuple[int, int, int, int]]]:
    page = np.full((1400, 1000), 255, np.uint8)
    boxes = {}
    for row, (key, value) in enumerate(values.items()):
        y = 100 + row * 80
        cv2.putText(
            page, f"{key.split('.')[1]}: {value}", (60, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2
        )
        boxes[key] = (60, y - 30, 900, y + 8)
    ok, data = cv2.imencode(".jpg", page)
    assert ok
    return data.tobytes(), boxes


@dataclass
class Desk:
    sessions: sessionmaker[Session]
    doc_ids: list[int]


def seed_desk(
    sessions: sessionmaker[Session],
    charts: int = 3,
    batch: str = "desk",
    people: dict[str, tuple[str, str]] | None = None,
) -> Desk:
    """``charts`` charts with three doubtful fields each, and ``people``: name -> (password,
    role)."""
    with sessions.begin() as s:
        for name, (password, role) in (people or {}).items():
            add_user(s, name, password, role)
    refs = [ScanRef("/archive", f"chart-{i:03d}.pdf", 100) for i in range(charts)]
    doc_ids = register_scans(sessions, batch, "/archive", refs)
    for i, doc_id in enumerate(doc_ids):
        values = chart_values(i)
        jpeg, boxes = page_jpeg(values)
        cands = [
            FieldCandidate(k, v, v, 1, boxes[k], 0.5 if k in DOUBTFUL else 0.99, 1.0, "test")
            for k, v in values.items()
        ]
        page = OcrPage(1, 1000, 1400, (OcrWord("x", 0.9, (0, 0, 1, 1), 0),), "vi")
        reading = ChartReading(f"{i:064d}", "vi", (page,), route_fields(cands))
        save_reading(sessions, doc_id, reading, "pdf", 1.0, {1: jpeg})
    return Desk(sessions, doc_ids)


def seed_full_chart(
    sessions: sessionmaker[Session], seed: int, language: str = "vi", batch: str = "full"
) -> tuple[int, dict[str, str], list[dict[str, str]], list[str]]:
    """One synthetic chart (content.py's truth) whose every catalogue field and list entry
    waits for review: the document id, the fields' truth, the medications and the codes."""
    content = make_content(random.Random(seed), language)
    meds = [m.normalised() for m in content.medications]
    codes = [d.code for d in content.secondary] or ["I10"]
    values = dict(content.fields)
    jpeg, boxes = page_jpeg(values)
    cands = [FieldCandidate(k, v, v, 1, boxes[k], 0.3, 1.0, "test") for k, v in values.items()]

    def entry(key: str, value: str) -> FieldCandidate:
        return FieldCandidate(key, value, value, 1, (60, 40, 900, 70), 0.3, 1.0, "test")

    med_cands = [
        entry(f"medications.{i}", json.dumps(m, ensure_ascii=False)) for i, m in enumerate(meds, 1)
    ]
    code_cands = [entry(f"secondary_icd10.{i}", c) for i, c in enumerate(codes, 1)]
    (doc_id,) = register_scans(
        sessions, batch, "/archive", [ScanRef("/archive", f"full-{seed:03d}.pdf", 100)]
    )
    page = OcrPage(1, 1000, 1400, (OcrWord("x", 0.9, (0, 0, 1, 1), 0),), language)
    reading = ChartReading(
        f"{seed + 10**6:064d}",
        language,
        (page,),
        route_fields(cands),
        route_list_entries(med_cands),
        route_list_entries(code_cands),
    )
    save_reading(sessions, doc_id, reading, "pdf", 1.0, {1: jpeg})
    return doc_id, values, meds, codes
