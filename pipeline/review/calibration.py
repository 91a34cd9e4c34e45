"""Calibration: turn a field's raw score into the probability that its value is right, and
derive each field's routing threshold from a target precision for auto-accepted values.

Fitted on labelled charts — synthetic charts with their truth, or charts reviewers finished
(a confirmation is a right reading, a correction or "missing" a wrong one) — and written as a
data file the pipeline loads. Isotonic regression keeps the mapping monotone: a higher score
never means a lower probability.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from schemas.catalogue import field_keys
from schemas.tables import Batch, Document, ExtractedField

DEFAULT_TARGET = 0.995
PACKAGED = Path(__file__).resolve().parents[2] / "schemas" / "calibration.json"
#: fewer labelled readings than this and a field keeps its catalogue threshold
MIN_SAMPLES = 30


@dataclass(frozen=True)
class FieldCalibration:
    #: isotonic breakpoints: raw score -> probability right (interpolated between)
    scores: tuple[float, ...]
    probabilities: tuple[float, ...]
    #: auto-accept a reading when its raw score is at least this (None: never)
    threshold: float | None
    samples: int
    #: on the calibration set: share auto-accepted, and their (smoothed) precision
    automation: float
    precision: float

    def probability(self, score: float) -> float:
        return float(np.interp(score, self.scores, self.probabilities))


@dataclass(frozen=True)
class Calibration:
    target: float
    fields: dict[str, FieldCalibration] = field(default_factory=dict)
    source: str = ""

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "target": self.target,
            "source": self.source,
            "fields": {k: asdict(v) for k, v in sorted(self.fields.items())},
        }
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Calibration:
        data = json.loads(path.read_text(encoding="utf-8"))
        unknown = set(data) - {"target", "source", "fields"}
        if unknown:
            raise ValueError(f"{path.name}: unknown keys {sorted(unknown)}")
        fields = {
            key: FieldCalibration(
                tuple(f["scores"]),
                tuple(f["probabilities"]),
                f["threshold"],
                f["samples"],
                f["automation"],
                f["precision"],
            )
            for key, f in data["fields"].items()
        }
        return cls(float(data["target"]), fields, str(data.get("source", "")))


@lru_cache(maxsize=4)
def _load_cached(path: Path, mtime: float) -> Calibration:
    return Calibration.load(path)


def load_calibration(path: Path | None) -> Calibration | None:
    """The calibration in use: the given file, else the one shipped with the catalogue."""
    chosen = path or (PACKAGED if PACKAGED.exists() else None)
    if chosen is None:
        return None
    if not chosen.exists():
        from pipeline.errors import BadArguments

        raise BadArguments(f"the calibration file {chosen} does not exist: check EMR_CALIBRATION")
    return _load_cached(chosen, chosen.stat().st_mtime)


def fit_field(samples: Sequence[tuple[float, bool]], target: float) -> FieldCalibration:
    """Isotonic probability of being right, and the lowest score threshold whose accepted
    readings reach ``target`` precision, counted with add-one smoothing so that a small
    perfect sample does not pass for a proven one."""
    from sklearn.isotonic import IsotonicRegression

    scores = np.array([s for s, _ in samples], dtype=float)
    right = np.array([r for _, r in samples], dtype=float)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    iso.fit(scores, right)
    xs = np.unique(scores)
    ys = iso.predict(xs)

    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_right = scores[order], right[order]
    best: tuple[float | None, float, float] = (None, 0.0, 1.0)
    accepted = 0
    correct = 0.0
    for i, (s, r) in enumerate(zip(sorted_scores, sorted_right, strict=True)):
        accepted += 1
        correct += r
        if i + 1 < len(sorted_scores) and sorted_scores[i + 1] == s:
            continue  # a threshold cannot split equal scores
        precision = (correct + 1) / (accepted + 2)
        if precision >= target:
            best = (float(s), accepted / len(samples), precision)
    threshold, automation, precision = best
    return FieldCalibration(
        tuple(float(x) for x in xs),
        tuple(float(y) for y in ys),
        threshold,
        len(samples),
        round(automation, 4),
        round(precision, 5),
    )


def fit(
    samples: Mapping[str, Sequence[tuple[float, bool]]],
    target: float = DEFAULT_TARGET,
    source: str = "",
    min_samples: int = MIN_SAMPLES,
) -> Calibration:
    fields = {key: fit_field(s, target) for key, s in samples.items() if len(s) >= min_samples}
    return Calibration(target, fields, source)


def group(rows: Iterable[tuple[str, float, bool]]) -> dict[str, list[tuple[float, bool]]]:
    out: dict[str, list[tuple[float, bool]]] = {}
    for key, score, right in rows:
        out.setdefault(key, []).append((score, right))
    return out


# --- labelled readings -----------------------------------------------------------------------


def samples_from_truth(
    session: Session, batch: str, truth_dir: Path
) -> dict[str, list[tuple[float, bool]]]:
    """Readings of a migrated batch of synthetic charts, labelled by their truth files."""
    from pipeline.review.routing import raw_score

    truth = {
        p.stem: json.loads(p.read_text(encoding="utf-8"))["fields"]
        for p in truth_dir.glob("*.json")
    }
    rows = []
    for doc, f in _readings(session, batch):
        expected = truth.get(Path(doc.key).stem)
        if expected is None or f.key not in expected:
            continue
        rows.append(
            (
                f.key,
                raw_score(f.ocr_confidence, f.label_score, len(f.checks_failed)),
                f.read_value == expected[f.key],
            )
        )
    return group(rows)


def samples_from_reviews(
    session: Session, batch: str | None = None
) -> dict[str, list[tuple[float, bool]]]:
    """Readings people decided: confirmed is right; corrected or 'not on the chart' is wrong.
    Auto-accepted readings are left out: nobody checked them."""
    from pipeline.review.routing import raw_score

    rows = []
    for _, f in _readings(session, batch):
        if f.decision not in ("confirmed", "corrected", "missing"):
            continue
        right = f.decision == "confirmed" or (f.decision == "corrected" and f.value == f.read_value)
        rows.append(
            (f.key, raw_score(f.ocr_confidence, f.label_score, len(f.checks_failed)), right)
        )
    return group(rows)


def _readings(session: Session, batch: str | None) -> Iterable[tuple[Document, ExtractedField]]:
    from sqlalchemy import select

    query = (
        select(Document, ExtractedField)
        .join(ExtractedField, ExtractedField.document_id == Document.id)
        .join(Batch)
    )
    if batch:
        query = query.where(Batch.name == batch)
    for doc, f in session.execute(query).all():
        if f.read_value is not None and f.key in field_keys():
            yield doc, f
