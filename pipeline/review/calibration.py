"""Calibration: turn what is known of a reading into the probability that its value is right,
and derive each field's routing threshold from a target precision for auto-accepted values.

Fitted on labelled charts — synthetic charts with their truth, or charts reviewers finished
(a confirmation is a right reading, a correction or "missing" a wrong one) — and written as a
data file the pipeline loads. Per field, a logistic regression weighs the reading's evidence
(OCR confidence, label match, each check passed or failed: a second model's agreement says
more for an ID than for a name) into one score, each weight held to its sign (a failed check
never raises a score), and isotonic regression turns the score into a probability, monotone:
a higher score never means a lower probability. The thresholds come from one probability cut
for all fields, set where the auto-accepted readings together reach the target precision;
both learn from the readings routing may accept (those that failed no check).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from pipeline.models import FieldCandidate
from schemas.catalogue import field_keys
from schemas.tables import Batch, Document, ExtractedField

DEFAULT_TARGET = 0.995
PACKAGED = Path(__file__).resolve().parents[2] / "schemas" / "calibration.json"
#: fewer labelled readings than this and a field keeps its catalogue threshold
MIN_SAMPLES = 30
#: a field is never auto-accepted where its own probability of error is above this many times
#: the target's (4 x 0.5 % = 2 %), however well the other fields do
FIELD_FLOOR = 4


@dataclass(frozen=True)
class Reading:
    """What routing knows of one reading of a field, as stored with it."""

    ocr_confidence: float
    label_score: float
    checks_passed: tuple[str, ...] = ()
    checks_failed: tuple[str, ...] = ()

    @classmethod
    def of(cls, c: FieldCandidate) -> Reading:
        return cls(c.ocr_confidence, c.label_score, tuple(c.checks_passed), tuple(c.checks_failed))

    def raw_score(self) -> float:
        from pipeline.review.routing import reading_score

        return reading_score(
            self.ocr_confidence, self.label_score, self.checks_passed, self.checks_failed
        )

    def features(self) -> dict[str, float]:
        """The evidence, by name: what the logistic regression weighs."""
        out = {
            "confidence": self.ocr_confidence,
            "confidence_squared": self.ocr_confidence**2,
            "label": self.label_score,
            "failed_checks": float(min(len(self.checks_failed), 2)),
            "raw_score": self.raw_score(),
        }
        out.update({f"passed:{name}": 1.0 for name in self.checks_passed})
        out.update({f"failed:{name}": 1.0 for name in self.checks_failed})
        return out


#: a labelled reading: the reading (or, for a field without its evidence, a score) and whether
#: its value was right
Sample = tuple["Reading | float", bool]


@dataclass(frozen=True)
class FieldCalibration:
    #: isotonic breakpoints: score -> probability right (interpolated between)
    scores: tuple[float, ...]
    probabilities: tuple[float, ...]
    #: auto-accept a reading when its score is at least this (None: never)
    threshold: float | None
    samples: int
    #: on the calibration set: share auto-accepted, and their (smoothed) precision
    automation: float
    precision: float
    #: the logistic regression that makes a reading's score (none: the raw score is used)
    weights: dict[str, float] | None = None
    intercept: float = 0.0

    def score(self, reading: Reading | float) -> float:
        if isinstance(reading, float | int):
            return float(reading)
        if self.weights is None:
            return reading.raw_score()
        z = self.intercept + sum(
            self.weights.get(name, 0.0) * value for name, value in reading.features().items()
        )
        return round(1.0 / (1.0 + float(np.exp(-z))), 4)

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
                f.get("weights"),
                float(f.get("intercept", 0.0)),
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


def _curve(samples: Sequence[tuple[float, bool]]) -> tuple[np.ndarray, np.ndarray]:
    """Isotonic probability of being right at each distinct score. Each block of equal
    probability is counted with half a reading of doubt either way ((right + 0.5) / (n + 1)),
    so that a small block of right readings does not claim certainty, and made monotone again."""
    from sklearn.isotonic import IsotonicRegression

    scores = np.array([s for s, _ in samples], dtype=float)
    right = np.array([r for _, r in samples], dtype=float)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    fitted = iso.fit(scores, right).predict(scores)
    xs = np.unique(scores)
    ys = np.empty_like(xs)
    weights = np.empty_like(xs)
    for level in np.unique(fitted):
        in_block = fitted == level
        smoothed = (right[in_block].sum() + 0.5) / (in_block.sum() + 1)
        members = np.isin(xs, scores[in_block])
        ys[members] = smoothed
        weights[members] = in_block.sum() / members.sum()
    monotone = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True)
    return xs, monotone.fit(xs, ys, sample_weight=weights).predict(xs)


def _field_at(
    samples: Sequence[tuple[float, bool]],
    total: int,
    xs: np.ndarray,
    ys: np.ndarray,
    cut: float | None,
    model: tuple[dict[str, float], float] | None,
) -> FieldCalibration:
    """The field's threshold for a probability cut: the lowest score whose probability reaches
    it; with the share of its ``total`` labelled readings accepted and their smoothed
    precision."""
    reaching = xs[ys >= cut] if cut is not None else xs[:0]
    threshold = float(reaching.min()) if len(reaching) else None
    accepted = [r for s, r in samples if threshold is not None and s >= threshold]
    return FieldCalibration(
        tuple(float(x) for x in xs),
        tuple(round(float(y), 6) for y in ys),
        threshold,
        total,
        round(len(accepted) / total, 4),
        round((sum(accepted) + 1) / (len(accepted) + 2), 5) if accepted else 1.0,
        model[0] if model else None,
        model[1] if model else 0.0,
    )


#: the logistic regression's regularisation (as scikit-learn's C), and its folds: each
#: reading's score for the isotonic step comes from a model fitted without it
_C, _FOLDS = 3.0, 5


def _sign(name: str) -> tuple[float | None, float | None]:
    """The bounds of a piece of evidence's weight: a failed check can only lower the score, a
    passed check, confidence or label match only raise it. Learnt freely, a failed check that
    happened to go with right readings in the labelled set (a repair that worked there) would
    raise the scores of readings it fails elsewhere."""
    if name.startswith("failed") or name == "failed_checks":
        return (None, 0.0)
    return (0.0, None)


def _fit_logistic(
    x: np.ndarray, y: np.ndarray, bounds: list[tuple[float | None, float | None]]
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression with each weight held to its sign (L-BFGS-B)."""
    from scipy.optimize import minimize

    n, k = x.shape

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:k], theta[k]
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        # log(1 + e^z) - y z, summed; its gradient; plus the penalty |w|^2 / 2C
        value = float(np.sum(np.logaddexp(0.0, z) - y * z) + w @ w / (2 * _C))
        grad = np.append(x.T @ (p - y) + w / _C, np.sum(p - y))
        return value, grad

    result = minimize(loss, np.zeros(k + 1), jac=True, method="L-BFGS-B",
                      bounds=[*bounds, (None, None)])  # fmt: skip
    return result.x[:k], float(result.x[k])


def _weigh(rows: Sequence[Sample]) -> tuple[list[float], tuple[dict[str, float], float] | None]:
    """Scores for a field's labelled readings and the model that makes them. Readings with
    their evidence are weighed by a logistic regression, each weight held to its sign (scored
    out of fold, so that the isotonic step sees scores as new readings get them); bare scores
    are kept as they are."""
    readings = [r for r, _ in rows]
    right = np.array([ok for _, ok in rows], dtype=float)
    if not all(isinstance(r, Reading) for r in readings) or len(set(right)) < 2:
        plain = [r if isinstance(r, float | int) else r.raw_score() for r in readings]
        return [float(x) for x in plain], None
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.model_selection import StratifiedKFold

    vectorizer = DictVectorizer(sparse=False)
    x = vectorizer.fit_transform([r.features() for r in readings if isinstance(r, Reading)])
    names = list(vectorizer.get_feature_names_out())
    bounds = [_sign(name) for name in names]

    def predict(w: np.ndarray, b: float, rows_x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(rows_x @ w + b)))

    held_out = np.empty(len(right))
    folds = min(_FOLDS, int(np.bincount(right.astype(int)).min()))
    if folds >= 2:
        split = StratifiedKFold(folds, shuffle=True, random_state=0)
        for train, test in split.split(x, right):
            w, b = _fit_logistic(x[train], right[train], bounds)
            held_out[test] = predict(w, b, x[test])
    w, b = _fit_logistic(x, right, bounds)
    if folds < 2:  # too few wrong (or right) readings to hold any out
        held_out = predict(w, b, x)
    weights = {name: round(float(v), 6) for name, v in zip(names, w, strict=True) if abs(v) > 1e-9}
    return [round(float(p), 4) for p in held_out], (weights, round(b, 6))


def fit(
    samples: Mapping[str, Sequence[Sample]],
    target: float = DEFAULT_TARGET,
    source: str = "",
    min_samples: int = MIN_SAMPLES,
) -> Calibration:
    """Per field, a score for each reading and the probability of being right at each score;
    then one probability cut for all fields — the lowest at which the readings it accepts,
    counted together, still reach ``target`` precision (add-one smoothed) — so that the fields
    whose scores say most are trusted most. No field is auto-accepted below ``FIELD_FLOOR``
    times the target's doubt."""
    scored: dict[str, list[tuple[float, bool]]] = {}  # the readings routing may accept
    totals: dict[str, int] = {}
    models: dict[str, tuple[dict[str, float], float] | None] = {}
    for key, rows in samples.items():
        if len(rows) >= min_samples:
            scores, models[key] = _weigh(rows)
            # A reading that failed a check always goes to a person (routing), so only the
            # others say how sure a score is for what may be accepted.
            scored[key] = [
                (score, ok)
                for score, (reading, ok) in zip(scores, rows, strict=True)
                if not (isinstance(reading, Reading) and reading.checks_failed)
            ]
            totals[key] = len(rows)
    curves = {key: _curve(rows) for key, rows in scored.items() if rows}
    pooled = sorted(
        (
            (float(np.interp(score, *curves[key])), right)
            for key in curves
            for score, right in scored[key]
        ),
        key=lambda pr: -pr[0],
    )
    floor = 1 - FIELD_FLOOR * (1 - target)
    cut, accepted, correct = None, 0, 0
    for i, (p, right) in enumerate(pooled):
        accepted += 1
        correct += right
        if i + 1 < len(pooled) and pooled[i + 1][0] == p:
            continue  # one probability is accepted whole or not at all
        if p < floor:
            break
        if (correct + 1) / (accepted + 2) >= target:
            cut = p
    fields = {
        key: _field_at(scored[key], totals[key], *curves[key], cut, models[key]) for key in curves
    }
    return Calibration(target, fields, source)


def fit_field(samples: Sequence[Sample], target: float) -> FieldCalibration:
    """One field calibrated on its own."""
    return fit({"field": samples}, target, min_samples=1).fields["field"]


def group(rows: Iterable[tuple[str, Reading | float, bool]]) -> dict[str, list[Sample]]:
    out: dict[str, list[Sample]] = {}
    for key, score, right in rows:
        out.setdefault(key, []).append((score, right))
    return out


# --- labelled readings -----------------------------------------------------------------------


def samples_from_truth(session: Session, batch: str, truth_dir: Path) -> dict[str, list[Sample]]:
    """Readings of a migrated batch of synthetic charts, labelled by their truth files."""
    truth = {
        p.stem: json.loads(p.read_text(encoding="utf-8"))["fields"]
        for p in truth_dir.glob("*.json")
    }
    rows = []
    for doc, f in _readings(session, batch):
        expected = truth.get(Path(doc.key).stem)
        if expected is None or f.key not in expected:
            continue
        rows.append((f.key, _score(f), f.read_value == expected[f.key]))
    return group(rows)


def samples_from_reviews(session: Session, batch: str | None = None) -> dict[str, list[Sample]]:
    """Readings people decided: confirmed is right; corrected or 'not on the chart' is wrong.
    Auto-accepted readings are left out: nobody checked them."""
    rows = []
    for _, f in _readings(session, batch):
        if f.decision not in ("confirmed", "corrected", "missing"):
            continue
        right = f.decision == "confirmed" or (f.decision == "corrected" and f.value == f.read_value)
        rows.append((f.key, _score(f), right))
    return group(rows)


def _score(f: ExtractedField) -> Reading:
    return Reading(f.ocr_confidence, f.label_score, tuple(f.checks_passed), tuple(f.checks_failed))


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
