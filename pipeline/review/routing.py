"""Routing: every field gets a confidence; below its field's threshold it waits for a reviewer.

A field's raw score combines the OCR confidence of its words, how well its label matched and
the checks it passed or failed. Calibration (``calibration.py``) turns the score into the
probability that the value is right, and gives the score a field needs to be loaded without a
person, derived from the target precision. A field the calibration does not cover keeps the
catalogue's threshold on its raw score. Where QA sampling measured a field's precision on this
archive below the target, ``tighten`` raises its threshold (``qa.py`` gives the factor).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from pipeline.models import Decision, FieldCandidate, RoutedField
from pipeline.review.calibration import Calibration, Reading
from schemas.catalogue import field_spec, list_spec
from schemas.checks import checks_with_effect

# A failed validator or cross-check makes a value much less likely to be right.
_FAILED_CHECK_FACTOR = 0.4
# A check that holds the value against something outside its own words (another field, a
# code list or vocabulary, a second reading) takes part of the remaining doubt away.
_CORROBORATED_FACTOR = 0.6
CORROBORATING_CHECKS = checks_with_effect("corroborates")  # schemas/checks.json


#: checks whose failure no score outweighs: the page offered another value for the field as
#: plausible as the one chosen (``extract/candidates.py``), so how well it was read says
#: nothing of whether it is the field's
BLOCKING_CHECKS = frozenset({"ambiguous_candidates"})


def raw_score(
    ocr_confidence: float,
    label_score: float,
    failed_checks: int,
    has_value: bool = True,
    corroborating_checks: int = 0,
) -> float:
    if not has_value:
        return 0.0
    score = (ocr_confidence**2) * (0.5 + 0.5 * label_score)
    score *= _FAILED_CHECK_FACTOR**failed_checks
    score = 1 - (1 - score) * _CORROBORATED_FACTOR**corroborating_checks
    return round(max(0.0, min(1.0, score)), 4)


def reading_score(
    ocr_confidence: float,
    label_score: float,
    checks_passed: Sequence[str],
    checks_failed: Sequence[str],
    has_value: bool = True,
) -> float:
    corroborating = sum(1 for name in set(checks_passed) if name in CORROBORATING_CHECKS)
    return raw_score(ocr_confidence, label_score, len(checks_failed), has_value, corroborating)


def candidate_score(c: FieldCandidate) -> float:
    return reading_score(
        c.ocr_confidence, c.label_score, c.checks_passed, c.checks_failed, c.value is not None
    )


def _reasons(c: FieldCandidate) -> tuple[str, ...]:
    if c.value is None:  # a box kept without a value: its label found, the value unreadable
        return ("value unreadable" if c.bbox else "not found on the chart",)
    reasons = [f"failed check: {name}" for name in c.checks_failed]
    if set(c.checks_failed) & BLOCKING_CHECKS:
        reasons.append("another value on the page is as plausible")
    if c.ocr_confidence < 0.85:
        reasons.append("low OCR confidence")
    if c.label_score < 0.9:
        reasons.append("label matched loosely")
    return tuple(reasons) or ("confidence below target",)


def route_fields(
    candidates: Sequence[FieldCandidate], calibration: Calibration | None = None
) -> tuple[RoutedField, ...]:
    routed = []
    for c in candidates:
        fitted = calibration.fields.get(c.key) if calibration else None
        if fitted is not None:
            score = fitted.score(Reading.of(c))
            confidence = round(fitted.probability(score), 4) if c.value is not None else 0.0
            threshold = fitted.threshold if fitted.threshold is not None else 1.01
            accept = c.value is not None and fitted.threshold is not None and score >= threshold
            # A value that failed a validator or cross-check always gets a person's eye, whatever
            # the labelled data said about its score.
            accept = accept and not c.checks_failed
        else:
            confidence = score = candidate_score(c)
            threshold = field_spec(c.key).threshold
            accept = score >= threshold
        accept = accept and not set(c.checks_failed) & BLOCKING_CHECKS
        if accept:
            routed.append(RoutedField(c, confidence, threshold, Decision.AUTO_ACCEPTED, (), score))
        else:
            reasons = _reasons(c)
            routed.append(
                RoutedField(c, confidence, threshold, Decision.NEEDS_REVIEW, reasons, score)
            )
    return tuple(routed)


def tightened_threshold(threshold: float, factor: float) -> float:
    """The threshold with the doubt it lets through divided by ``factor`` (>= 1): a field whose
    measured error is ``factor`` times what its threshold was set for gets a threshold that
    lets ``factor`` times less doubt through (``1 - t' = (1 - t) / factor``)."""
    if factor <= 1:
        return threshold
    return round(1 - (1 - threshold) / factor, 6)


def tighten(routed: Sequence[RoutedField], factors: Mapping[str, float]) -> tuple[RoutedField, ...]:
    """Hold for review the auto-accepted fields whose score no longer reaches their field's
    tightened threshold (``factors``: field key -> tightening factor, from QA sampling)."""
    out = []
    for r in routed:
        factor = factors.get(r.key, 1.0)
        if r.decision is not Decision.AUTO_ACCEPTED or factor <= 1 or r.score is None:
            out.append(r)
            continue
        threshold = tightened_threshold(r.threshold, factor)
        if r.score >= threshold:
            out.append(replace(r, threshold=threshold))
        else:
            out.append(
                replace(
                    r,
                    threshold=threshold,
                    decision=Decision.NEEDS_REVIEW,
                    reasons=("confidence below target",),
                )
            )
    return tuple(out)


def route_list_entries(candidates: Sequence[FieldCandidate]) -> tuple[RoutedField, ...]:
    """List entries (``medications.N``) are routed as fields are, on their list's threshold
    (fields.json ``lists``); calibration does not cover them yet."""
    routed = []
    for c in candidates:
        threshold = list_spec(c.key.rpartition(".")[0]).threshold
        confidence = candidate_score(c)
        if confidence >= threshold:
            routed.append(
                RoutedField(c, confidence, threshold, Decision.AUTO_ACCEPTED, (), confidence)
            )
        else:
            routed.append(
                RoutedField(
                    c, confidence, threshold, Decision.NEEDS_REVIEW, _reasons(c), confidence
                )
            )
    return tuple(routed)
