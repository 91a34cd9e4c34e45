"""Every value the page offers for a field, kept and scored; the choice, and whether it was one.

A field may be offered several values: one under each label hit (a date under each of two
labels worded alike, a principal code beside secondary codes under labels of the same
wording), or more than one under the same label. The choice (``choose``) follows how forms
state a field (the first clean reading beside its label); every other distinct value is kept
on the chosen candidate as an ``Alternative``, strongest first, for the reviewer. When the
runner-up is a clean reading (it passes its checks, under a label matched as well) whose
strength comes within ``REACH`` of the chosen value's, the page did not say which value is the
field's: the field fails ``ambiguous_candidates`` (``mark_ambiguous``), a blocking check, so it
is never auto-accepted however well each value was read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from pipeline.models import Alternative, FieldCandidate

#: checks that fail on a reading put right rather than doubted: it is as good a choice (a
#: patient's name whose lost marks were put back, before a clinician's under a signature)
REPAIRED = frozenset({"name_respelled", "marks_mixed", "outcome_read_exactly", "group_respelled"})
#: a label matched at least this well is a label, not a loose word
CLEAN_LABEL = 0.9
#: a clean runner-up this close to the chosen value's strength (label match x OCR confidence)
#: is a choice the page did not make
REACH = 0.25
#: a runner-up's label matched this much worse than the chosen value's is no rival
LABEL_MARGIN = 0.1
AMBIGUOUS = "ambiguous_candidates"
#: the cross-field checks (``crosscheck.cross_check``), handed in: fields.py imports this module
Checker = Callable[[list[FieldCandidate]], list[FieldCandidate]]
#: checks on how a value was read, not on whether it is the field's: the runner-up was never
#: read again, so the chosen value's holding these does not make it the field's
READING_CHECKS = frozenset({"reread_agrees", "second_model_agrees", "vietnamese_spelling"})
#: checks that already say the field's readings disagree: no second check for the same doubt
_SAME_DOUBT = frozenset({"readings_differ"})


def is_clean(c: FieldCandidate) -> bool:
    """A reading that passes its checks (repairs aside) under a label matched as a label."""
    return not set(c.checks_failed) - REPAIRED and c.label_score >= CLEAN_LABEL


def strength(c: FieldCandidate) -> float:
    """How strongly the page offers a reading: label match times the words' confidence,
    halved for a failed check."""
    return c.label_score * c.ocr_confidence * (0.5 if c.checks_failed else 1.0)


def choose(found: Sequence[tuple[FieldCandidate, bool]]) -> FieldCandidate:
    """Forms state a field once, in their administrative part, before any signature or
    relative's details: the first reading that passes its checks wins, one beside its label
    before one below it (a heading above may belong to a neighbouring column); else the
    strongest. ``found``: each reading and whether it lies below its label. The chosen
    reading carries the other distinct values as its alternatives."""
    clean = [(below, i) for i, (c, below) in enumerate(found) if is_clean(c)]
    chosen = found[min(clean)[1]][0] if clean else max((c for c, _ in found), key=strength)
    return replace(chosen, alternatives=alternatives(chosen, [c for c, _ in found]))


def alternatives(
    chosen: FieldCandidate, offered: Sequence[FieldCandidate]
) -> tuple[Alternative, ...]:
    """Each other value offered, once (its strongest reading), strongest first; clean
    readings before doubtful ones."""
    best: dict[str, FieldCandidate] = {}
    for c in offered:
        if c.value is None or c.value == chosen.value:
            continue
        known = best.get(c.value)
        if known is None or (is_clean(c), strength(c)) > (is_clean(known), strength(known)):
            best[c.value] = c
    ranked = sorted(best.values(), key=lambda c: (is_clean(c), strength(c)), reverse=True)
    return tuple(
        Alternative(
            v,
            c.page,
            c.bbox,
            round(strength(c), 4),
            c.label_score,
            c.rule,
            is_clean(c),
            c.checks_passed,
            c.checks_failed,
        )  # fmt: skip
        for v, c in ((c.value, c) for c in ranked)
        if v is not None
    )


def runner_up(c: FieldCandidate) -> Alternative | None:
    """The strongest other value still distinct from the (possibly re-read) final value."""
    return next((a for a in c.alternatives if a.value != c.value), None)


def _as_rival(c: FieldCandidate, rival: Alternative) -> FieldCandidate:
    return replace(
        c,
        value=rival.value,
        page=rival.page,
        bbox=rival.bbox,
        rule=rival.rule,
        checks_passed=rival.checks_passed,
        checks_failed=rival.checks_failed,
    )


def is_ambiguous(
    candidates: Sequence[FieldCandidate], index: int, check: Checker | None = None
) -> bool:
    """Whether the field's runner-up is within reach: a clean reading, under a label matched
    as well, nearly as strong, that holds against the chart's other fields (``check``) and
    lacks none of the evidence for the chosen value beyond how it was read."""
    c = candidates[index]
    rival = runner_up(c)
    if c.value is None or rival is None or not rival.clean:
        return False
    if rival.label_score < c.label_score - LABEL_MARGIN:
        return False
    if rival.strength < c.label_score * c.ocr_confidence - REACH:
        return False
    challenger = _as_rival(c, rival)
    if check is not None:
        trial = list(candidates)
        trial[index] = challenger
        challenger = check(trial)[index]
        if set(challenger.checks_failed) - REPAIRED:
            return False  # the chart's other fields deny it
    evidence = set(c.checks_passed) - READING_CHECKS
    return evidence <= set(challenger.checks_passed)


def mark_ambiguous(
    candidates: Sequence[FieldCandidate], check: Checker | None = None
) -> list[FieldCandidate]:
    """Run on the final candidates (after re-reading and ``check``, the cross-field checks): a
    field whose runner-up is within reach fails ``ambiguous_candidates``."""
    out = []
    for index, c in enumerate(candidates):
        if is_ambiguous(candidates, index, check) and not set(c.checks_failed) & (
            _SAME_DOUBT | {AMBIGUOUS}
        ):
            c = replace(c, checks_failed=(*c.checks_failed, AMBIGUOUS))
        out.append(c)
    return out
