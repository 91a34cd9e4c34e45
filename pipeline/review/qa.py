"""QA sampling: a blind share of auto-accepted fields goes to reviewers and measures precision.

Sampling is stratified by field and by blocks of documents: each field's share ``r`` makes
blocks of ``round(1 / r)`` consecutive documents of a batch (in the order the batch listed
them), and in each block one document, chosen by a hash of (batch, field, block), has that
field sampled if routing auto-accepted it. The choice is random (the hash), reproducible (a
document's place in its batch is fixed when the batch is listed) and cannot depend on whether
the value is right, so the outcomes are unbiased labels of auto-accepted values; and every
field is sampled once per block, however unlucky a pure coin would be.

A sampled field is stored as waiting for review (its chart waits for it before it is loaded),
flagged ``qa_sample`` in its provenance; the reviewer's view of it borrows the confidence and
reasons of an ordinary review item of the same field, so nothing tells it apart.

Outcomes (confirmed: right; corrected or not on the chart: wrong) give each field's measured
precision with a Wilson 95 % interval. A field with at least one wrong sample whose upper bound
of the error rate is above the target's allowance (``1 - target``) is tightened by the factor
``upper bound / allowance``: its threshold lets that many times less doubt through
(``routing.tighten``) and its share is raised (up to ``MAX_BOOST`` times) to gather evidence
faster. As right samples accumulate the upper bound falls, and the field is released when it
reaches the allowance: the evidence then says the target is met. A field with no wrong sample
is never tightened: the calibration is trusted until the archive contradicts it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.models import Decision, RoutedField
from pipeline.review.calibration import DEFAULT_TARGET
from pipeline.review.routing import tighten
from schemas.catalogue import field_keys
from schemas.tables import Batch, Document, ExtractedField, ReviewItem

DEFAULT_SHARE = 0.02
#: a tightened field is sampled up to this many times its share
MAX_BOOST = 5.0
MAX_SHARE = 0.5
#: the two-sided 95 % normal quantile of the Wilson interval
_Z = 1.959964
_DECIDED_WRONG = (Decision.CORRECTED.value, Decision.MISSING.value)
_DECIDED = (Decision.CONFIRMED.value, *_DECIDED_WRONG)


@dataclass(frozen=True)
class QaSettings:
    #: share of auto-accepted fields sampled (0 turns QA sampling off)
    share: float = DEFAULT_SHARE
    #: precision wanted of auto-accepted values (the routing's target)
    target: float = DEFAULT_TARGET


def wilson(right: int, n: int) -> tuple[float, float]:
    """Wilson score interval (95 %) of a proportion ``right / n``."""
    if n == 0:
        return 0.0, 1.0
    p = right / n
    centre = p + _Z**2 / (2 * n)
    spread = _Z * math.sqrt(p * (1 - p) / n + _Z**2 / (4 * n * n))
    scale = 1 + _Z**2 / n
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


@dataclass(frozen=True)
class Evidence:
    sampled: int = 0  # decided QA samples
    wrong: int = 0
    waiting: int = 0  # sampled, not decided yet

    def precision(self) -> float | None:
        return (self.sampled - self.wrong) / self.sampled if self.sampled else None

    def as_json(self) -> dict[str, Any]:
        low, high = wilson(self.sampled - self.wrong, self.sampled)
        p = self.precision()
        return {
            "sampled": self.sampled,
            "wrong": self.wrong,
            "precision": round(p, 5) if p is not None else None,
            "ci_low": round(low, 5) if self.sampled else None,
            "ci_high": round(high, 5) if self.sampled else None,
            "waiting": self.waiting,
        }

    def tightening(self, target: float) -> float:
        """How many times too much doubt the field's threshold lets through, at most (1: none)."""
        if not self.wrong:
            return 1.0
        error_high = 1 - wilson(self.sampled - self.wrong, self.sampled)[0]
        return max(1.0, error_high / max(1e-6, 1 - target))


def evidence(session: Session, batch: str | None = None) -> dict[str, Evidence]:
    """QA samples and their outcomes per field, in one batch or the whole archive."""
    query = (
        select(ExtractedField.key, ExtractedField.decision, func.count())
        .where(ExtractedField.qa_sample.is_(True))
        .group_by(ExtractedField.key, ExtractedField.decision)
    )
    if batch:
        query = (
            query.join(Document, Document.id == ExtractedField.document_id)
            .join(Batch, Batch.id == Document.batch_id)
            .where(Batch.name == batch)
        )
    counts: dict[str, dict[str, int]] = {}
    for key, decision, n in session.execute(query).all():
        counts.setdefault(key, {})[decision] = int(n)
    out = {}
    for key, by in counts.items():
        decided = sum(by.get(d, 0) for d in _DECIDED)
        wrong = sum(by.get(d, 0) for d in _DECIDED_WRONG)
        out[key] = Evidence(decided, wrong, sum(by.values()) - decided)
    return out


def measured_precision(
    session: Session, batch: str | None = None, target: float = DEFAULT_TARGET
) -> dict[str, Any]:
    """``{"fields": {key: figures}, "overall": figures, "target", "tightened"}``: what reviewers
    found of sampled auto-accepted values (in ``batch``, or all); the tightening in force
    (field -> factor) is the whole archive's."""
    per_field = evidence(session, batch)
    overall = Evidence(
        sum(e.sampled for e in per_field.values()),
        sum(e.wrong for e in per_field.values()),
        sum(e.waiting for e in per_field.values()),
    )
    return {
        "fields": {k: e.as_json() for k, e in sorted(per_field.items())},
        "overall": overall.as_json(),
        "target": target,
        "tightened": {k: round(f, 3) for k, f in sorted(tightening(session, target).items())},
    }


def tightening(session: Session, target: float) -> dict[str, float]:
    """Field -> tightening factor (> 1) for the fields whose measured precision falls short."""
    factors = {k: e.tightening(target) for k, e in evidence(session).items()}
    return {k: f for k, f in factors.items() if f > 1}


def field_share(base: float, factor: float) -> float:
    return min(MAX_SHARE, base * min(factor, MAX_BOOST)) if base > 0 else 0.0


def _unit(*parts: object) -> float:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_sampled(batch: str, ordinal: int, key: str, share: float) -> bool:
    """Whether the ``ordinal``-th document of ``batch`` (from 0) has ``key`` sampled: the one
    document of its block of ``round(1 / share)`` the hash of (batch, key, block) picks."""
    if share <= 0:
        return False
    block = max(1, round(1 / share))
    return ordinal % block == int(_unit(batch, key, ordinal // block) * block)


def apply_qa(
    session: Session, doc: Document, routed: Sequence[RoutedField], settings: QaSettings
) -> tuple[tuple[RoutedField, ...], frozenset[str]]:
    """Tighten the fields whose measured precision falls short, then sample auto-accepted
    fields into review; return the routed fields and the keys sampled."""
    factors = tightening(session, settings.target)
    routed = tighten(routed, factors)
    if settings.share <= 0:
        return tuple(routed), frozenset()
    batch = session.get_one(Batch, doc.batch_id)
    ordinal = session.scalar(
        select(func.count())
        .select_from(Document)
        .where(Document.batch_id == doc.batch_id, Document.id < doc.id)
    )
    catalogue = field_keys()
    out, sampled = [], set()
    for r in routed:
        share = field_share(settings.share, factors.get(r.key, 1.0))
        if (
            r.decision is Decision.AUTO_ACCEPTED
            and r.key in catalogue
            and is_sampled(batch.name, int(ordinal or 0), r.key, share)
        ):
            sampled.add(r.key)
            r = replace(r, decision=Decision.NEEDS_REVIEW)
        out.append(r)
    return tuple(out), frozenset(sampled)


def blind_view(session: Session, f: ExtractedField, salt: str) -> tuple[float, list[str]]:
    """What the reviewer is shown of a sampled field: the confidence and reasons of an ordinary
    review item of the same field that had a value (one picked by a hash), so that neither says
    the value was auto-accepted."""
    ordinary = (
        select(ExtractedField.confidence, ExtractedField.reasons)
        .join(ReviewItem, ReviewItem.field_id == ExtractedField.id)
        .where(ExtractedField.qa_sample.is_(False), ExtractedField.read_value.is_not(None))
    )
    # an item of the same field if there is one yet, else of any field (the archive's first
    # charts), else a confidence below the field's threshold
    for donors in (ordinary.where(ExtractedField.key == f.key), ordinary):
        count = session.scalar(select(func.count()).select_from(donors.subquery())) or 0
        if count:
            pick = int(_unit(salt, f.key) * count)
            row = session.execute(donors.order_by(ExtractedField.id).offset(pick).limit(1)).one()
            return float(row.confidence), list(row.reasons) or ["confidence below target"]
    return round(min(f.confidence, 0.9 * f.threshold), 4), ["confidence below target"]


def qa_settings(settings: Settings) -> QaSettings:
    """The share from the settings; the target from the calibration routing uses."""
    from pipeline.review.calibration import load_calibration

    calibration = load_calibration(settings.calibration)
    return QaSettings(settings.qa_share, calibration.target if calibration else DEFAULT_TARGET)


def packaged_target() -> float:
    """The target of the calibration shipped with the catalogue (the default routing's)."""
    from pipeline.review.calibration import load_calibration

    calibration = load_calibration(None)
    return calibration.target if calibration else DEFAULT_TARGET
