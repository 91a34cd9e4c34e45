"""Calibration: monotone probabilities, thresholds that hold their precision on held-out
readings, labels from truth files and from reviewers' decisions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from pipeline.models import Decision, FieldCandidate
from pipeline.review.calibration import (
    Calibration,
    Reading,
    fit,
    fit_field,
    samples_from_reviews,
)
from pipeline.review.routing import candidate_score, route_fields
from tests.batch import Batch


def readings(n: int, seed: int) -> list[tuple[float, bool]]:
    """Scores whose chance of being right rises towards the top, as OCR's do."""
    rng = np.random.default_rng(seed)
    scores = rng.beta(5, 1.5, n)
    right = rng.random(n) < 1 - 0.3 * (1 - scores)
    return list(zip(scores.tolist(), right.tolist(), strict=True))


def test_probabilities_are_monotone_and_the_threshold_holds_on_held_out_readings() -> None:
    target = 0.99
    fitted = fit_field(readings(4000, seed=1), target)
    probs = np.array(fitted.probabilities)
    assert (np.diff(probs) >= 0).all() and probs.min() >= 0 and probs.max() <= 1
    assert fitted.threshold is not None and 0 < fitted.automation < 1
    held_out = readings(40000, seed=2)
    accepted = [right for score, right in held_out if score >= fitted.threshold]
    assert len(accepted) > 1000
    assert sum(accepted) / len(accepted) >= target - 0.004  # sampling noise on 40k readings
    # The probability means what it says: among held-out readings given about p, ~p are right.
    band = [right for score, right in held_out if 0.86 <= fitted.probability(score) <= 0.9]
    assert len(band) > 500 and 0.85 <= sum(band) / len(band) <= 0.91


def test_a_small_perfect_sample_does_not_prove_a_high_target() -> None:
    fitted = fit_field([(0.99, True)] * 40, 0.995)
    assert fitted.threshold is None  # 40 right of 40 is not evidence of 99.5 %
    assert fit_field([(0.99, True)] * 500, 0.995).threshold == 0.99


def test_a_readings_evidence_is_weighed_by_what_it_says_of_the_field(tmp_path: Path) -> None:
    # a second model's agreement says much more than OCR confidence on this field
    rng = np.random.default_rng(5)
    rows = []
    for _ in range(3000):
        agrees = bool(rng.random() < 0.7)
        confidence = float(rng.uniform(0.8, 1.0))
        right = bool(rng.random() < (0.999 if agrees else 0.85))
        rows.append((Reading(confidence, 1.0, ("second_model_agrees",) if agrees else ()), right))
    fitted = fit_field(rows, 0.995)
    assert fitted.weights is not None and fitted.weights["passed:second_model_agrees"] > 0
    vouched = Reading(0.82, 1.0, ("second_model_agrees",))
    alone = Reading(0.99, 1.0)
    assert vouched.raw_score() < alone.raw_score()  # the fixed score had them the other way
    assert fitted.threshold is not None
    assert fitted.score(vouched) >= fitted.threshold > fitted.score(alone)
    assert fitted.probability(fitted.score(alone)) < 0.9
    path = tmp_path / "c.json"
    Calibration(0.995, {"patient.phone": fitted}).save(path)
    loaded = Calibration.load(path).fields["patient.phone"]
    assert loaded.score(vouched) == fitted.score(vouched) and loaded.weights == fitted.weights


def test_a_failed_check_never_raises_a_score() -> None:
    # in this labelled set a repair (failing "marks_restacked") happened to be right more often
    # than not: learnt freely, failing the check would raise a reading's score
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(2000):
        repaired = bool(rng.random() < 0.3)
        agrees = bool(rng.random() < 0.6)
        right = bool(rng.random() < (0.999 if repaired else 0.95 if agrees else 0.8))
        passed = ("second_model_agrees",) if agrees else ()
        rows.append((Reading(0.9, 1.0, passed, ("marks_restacked",) if repaired else ()), right))
    fitted = fit_field(rows, 0.99)
    assert fitted.weights is not None
    assert fitted.weights.get("failed:marks_restacked", 0.0) <= 0.0
    assert fitted.weights.get("failed_checks", 0.0) <= 0.0
    assert fitted.weights["passed:second_model_agrees"] > 0
    failing = Reading(0.9, 1.0, ("second_model_agrees",), ("marks_restacked",))
    assert fitted.score(failing) <= fitted.score(Reading(0.9, 1.0, ("second_model_agrees",)))


def test_routing_uses_the_calibration(tmp_path: Path) -> None:
    calibration = fit({"patient.sex": readings(6000, seed=3)}, 0.98)
    path = tmp_path / "c.json"
    calibration.save(path)
    loaded = Calibration.load(path)
    fitted = loaded.fields["patient.sex"]
    assert fitted.threshold is not None
    sure = FieldCandidate("patient.sex", "male", "Nam", 1, (0, 0, 9, 9), 1.0, 1.0, "t")
    unsure = FieldCandidate("patient.sex", "male", "Nam", 1, (0, 0, 9, 9), 0.6, 1.0, "t")
    a, b = route_fields([sure, unsure], loaded)
    assert a.decision is Decision.AUTO_ACCEPTED and b.decision is Decision.NEEDS_REVIEW
    assert a.confidence == pytest.approx(fitted.probability(candidate_score(sure)), abs=1e-4)
    other = FieldCandidate("patient.full_name", "LÊ AN", "LÊ AN", 1, None, 0.99, 1.0, "t")
    assert route_fields([other], loaded)[0].threshold == 0.85  # not calibrated: the catalogue's


@pytest.mark.slow
def test_calibrate_from_a_migrated_batch_and_its_truth(
    batch_migrated: Batch, tmp_path: Path
) -> None:
    out = tmp_path / "calibration.json"
    done = batch_migrated.cli(
        "calibrate",
        "--truth",
        str(batch_migrated.truth),
        "--batch",
        "e2e",
        "--min-samples",
        "5",
        "--output",
        str(out),
    )
    assert "calibrated" in done.stdout
    data = json.loads(out.read_text())
    assert data["target"] == 0.995 and "patient.birth_date" in data["fields"]
    for f in data["fields"].values():
        assert 5 <= f["samples"] <= 8 and f["probabilities"] == sorted(f["probabilities"])


@pytest.mark.slow
def test_reviewers_decisions_are_labels(batch_migrated: Batch, tmp_path: Path) -> None:
    from sqlalchemy import select

    from schemas.database import open_database
    from schemas.tables import ExtractedField

    db = tmp_path / "labels.db"
    shutil.copy(batch_migrated.tmp / "emr.db", db)
    sessions = open_database(f"sqlite:///{db}")
    with sessions.begin() as s:
        fields = s.scalars(
            select(ExtractedField)
            .where(ExtractedField.read_value.is_not(None))
            .order_by(ExtractedField.id)
        ).all()
        fields[0].decision, fields[1].decision = "confirmed", "corrected"
        fields[1].value = "something else"
        keys = (fields[0].key, fields[1].key)
    with sessions() as s:
        labels = samples_from_reviews(s)
    assert sum(len(v) for v in labels.values()) == 2
    assert [right for _, right in labels[keys[0]]] == [True] or keys[0] == keys[1]
    assert False in [right for _, right in labels[keys[1]]]
