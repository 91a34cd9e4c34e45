"""Why an item waits for a person, as sentences in the reviewer's language (checks.json)."""

from __future__ import annotations

import math

from schemas.checks import check_sentence, load_registry, reason
from schemas.tables import ExtractedField

#: below these the OCR's or the label's part is named as a cause of a low confidence
LOW_OCR = 0.85
LOOSE_LABEL = 0.9


def percent(share: float) -> int:
    """A share as a whole percentage rounded down: 0.996 is not shown as a certain 100 %."""
    return math.floor(round(share * 100, 6))


def why_in_review(f: ExtractedField, lang: str) -> list[str]:
    """The failed checks, then, only when the confidence is below the field's target, what
    made it low: the words' OCR confidence and the label's match. (A value sent for a failed
    check with a high confidence is not said to be read with low confidence.)"""
    if f.value is None:
        return [reason("value_unreadable" if f.bbox else "not_found", lang)]
    out = [check_sentence(name, lang) for name in dict.fromkeys(f.checks_failed)]
    if f.threshold > 1:
        out.append(reason("always_reviewed", lang))
    elif f.confidence < f.threshold:
        out.append(reason("below_target", lang, target=percent(f.threshold)))
        if f.ocr_confidence < LOW_OCR:
            out.append(reason("low_ocr_confidence", lang, ocr=percent(f.ocr_confidence)))
        if f.label_score < LOOSE_LABEL:
            out.append(reason("label_matched_loosely", lang))
    return out or [reason("below_target", lang, target=percent(f.threshold))]


def _comparison(text: str, lang: str) -> str:
    """One "same patient?" reason as patients.compare writes it ("patient.address 0.93",
    "patient.sex differs", "patient.national_id (CMND) equal"), as a sentence."""
    registry = load_registry()
    key, _, how = text.partition(" ")
    names = registry.field_names.get(key)
    field = names[lang] if names else key.rpartition(".")[2].replace("_", " ").capitalize()
    kind = {"(CMND) equal": "cmnd_equal"}.get(how, how)
    if kind in registry.comparisons:
        return registry.comparisons[kind][lang].format(field=field)
    try:
        share = float(how)
    except ValueError:
        return registry.comparisons["differs"][lang].format(field=field)
    return registry.comparisons["similar"][lang].format(field=field, percent=percent(share))


def comparison_sentences(reasons: list[str], lang: str) -> list[str]:
    return [_comparison(text, lang) for text in reasons]
