"""Routing: every field gets a confidence; below its field's threshold it waits for a reviewer."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.models import Decision, FieldCandidate, RoutedField
from schemas.catalogue import field_spec

# A failed validator or cross-check makes a value much less likely to be right.
_FAILED_CHECK_FACTOR = 0.4


def field_confidence(c: FieldCandidate) -> float:
    """Provisional score until calibration lands: OCR confidence of the value's words, how well
    the label matched, and the checks it passed or failed."""
    if c.value is None:
        return 0.0
    score = (c.ocr_confidence**2) * (0.5 + 0.5 * c.label_score)
    if c.checks_failed:
        score *= _FAILED_CHECK_FACTOR ** len(c.checks_failed)
    return round(max(0.0, min(1.0, score)), 4)


def _reasons(c: FieldCandidate, confidence: float, threshold: float) -> tuple[str, ...]:
    if c.value is None:
        return ("not found on the chart",)
    reasons = [f"failed check: {name}" for name in c.checks_failed]
    if c.ocr_confidence < threshold:
        reasons.append("low OCR confidence")
    if c.label_score < 0.9:
        reasons.append("label matched loosely")
    if not reasons and confidence < threshold:
        reasons.append("confidence below target")
    return tuple(reasons)


def route_fields(candidates: Sequence[FieldCandidate]) -> tuple[RoutedField, ...]:
    routed = []
    for c in candidates:
        threshold = field_spec(c.key).threshold
        confidence = field_confidence(c)
        if confidence >= threshold:
            routed.append(RoutedField(c, confidence, threshold, Decision.AUTO_ACCEPTED))
        else:
            routed.append(
                RoutedField(
                    c,
                    confidence,
                    threshold,
                    Decision.NEEDS_REVIEW,
                    _reasons(c, confidence, threshold),
                )
            )
    return tuple(routed)
