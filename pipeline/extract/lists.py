"""A chart's repeated entries: prescription lines (medications) and secondary ICD-10 codes,
each a candidate keyed ``LIST.N`` and routed like a field."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from spacy.tokens import Token

from pipeline.extract import layout
from pipeline.extract.diagnoses import code_in_word
from pipeline.extract.fields import LabelledPage, starts_field
from pipeline.extract.grammar import ParsedValue
from pipeline.extract.quoted import DIAGNOSIS, code_candidates, listed_tokens
from pipeline.extract.values import parse_medication
from pipeline.models import FieldCandidate, union_bbox
from schemas.catalogue import list_item_key

# A prescription line starts with its number or bullet; those marks say nothing of the drug.
_BULLET = re.compile(r"^(?:\(?\d{1,2}[.)/:]?|[-–•*+·>])$")


#: lines under a prescription line that may still belong to it (its usage: route, schedule)
_USAGE_LINES = 2


def _usage_lines(lines: list[list[Token]], i: int, page: LabelledPage) -> list[list[Token]]:
    """The lines after prescription line ``i`` that continue its entry: up to the next
    prescription line or another field's label, as a drug's usage is often printed under it
    ("Uống: Sáng 1 viên, Tối 1 viên")."""
    starts = {h.span.start for h in page.hits if starts_field(page.doc, h)}
    usage = []
    for line in lines[i + 1 : i + 1 + _USAGE_LINES]:
        if parse_medication(" ".join(t.text for t in line)) is not None:
            break
        if any(t.i in starts for t in line):
            break
        usage.append(line)
    return usage


def find_medications(pages: Sequence[LabelledPage]) -> list[FieldCandidate]:
    """Every line that reads as a prescription (a drug name, then a strength, a route and a
    frequency), wherever the treatment section is and whatever its heading says; a route or
    frequency the line lacks is looked for in the usage lines printed under it."""
    found: list[FieldCandidate] = []
    for page in pages:
        lines = layout.lines(page.doc)
        for i, line in enumerate(lines):
            parsed = parse_medication(" ".join(t.text for t in line))
            if parsed is None:
                continue
            entry = list(line)
            if "route_known" in parsed.checks_failed or "frequency_known" in parsed.checks_failed:
                usage = [t for extra in _usage_lines(lines, i, page) for t in extra]
                with_usage = parse_medication(" ".join(t.text for t in line + usage))
                if with_usage is not None and len(with_usage.checks_failed) < len(
                    parsed.checks_failed
                ):
                    parsed, entry = with_usage, line + usage
            words = [t for t in entry if not _BULLET.match(t.text)] or entry
            found.append(
                FieldCandidate(
                    key=list_item_key("medications", len(found) + 1),
                    value=parsed.value,
                    raw_text=" ".join(t.text for t in entry),
                    page=page.number,
                    bbox=union_bbox([t._.bbox for t in words]),
                    ocr_confidence=round(min(t._.conf for t in words), 4),
                    # no label: the line's own shape (strength, route, frequency) is the cue
                    label_score=1.0,
                    rule="line:prescription" if entry == line else "lines:prescription+usage",
                    checks_passed=parsed.checks_passed,
                    checks_failed=parsed.checks_failed,
                )
            )
    return found


def _code(token: Token, first_of_segment: bool) -> ParsedValue | None:
    """The ICD-10 code a listed word holds, by the code grammar; a code whose letter was read
    as a digit or a wall only in brackets or where a segment starts (a bare number inside
    the text, "typ 110", is no code)."""
    text = token.text
    parsed = code_in_word(text, known_only=False)
    if parsed is None:
        return None
    bracketed = text.startswith("(") or text.rstrip(";,.").endswith(")")
    misread = not text.lstrip("([")[:1].isalpha()
    if misread and not (bracketed or first_of_segment):
        return None
    return parsed


def find_secondary_codes(pages: Sequence[LabelledPage]) -> list[FieldCandidate]:
    found: list[FieldCandidate] = []
    seen: set[str] = set()
    for page in pages:
        doc, hits = page.doc, page.hits
        for hit in hits:
            if hit.key != "secondary_icd10":
                continue
            first_of_segment = True
            for token in listed_tokens(doc, hit, hits):
                read = _code(token, first_of_segment)
                first_of_segment = token.text.endswith((";", ",")) or token.text in {"-", "–"}
                if read is None or read.value in seen:
                    continue
                code = read.value
                seen.add(code)
                found.append(
                    FieldCandidate(
                        key=list_item_key("secondary_icd10", len(found) + 1),
                        value=code,
                        raw_text=token.text,
                        page=page.number,
                        bbox=token._.bbox,
                        ocr_confidence=round(token._.conf, 4),
                        label_score=hit.score,
                        rule=f"label:{'_'.join(t.norm_ for t in hit.span if not t.is_punct)}",
                        checks_passed=read.checks_passed,
                        checks_failed=read.checks_failed,
                    )
                )
    # the other codes the principal diagnosis's text quotes (``quoted.py``)
    for page in pages:
        for hit in page.hits:
            if hit.key != DIAGNOSIS:
                continue
            for c in code_candidates(page.doc, page.number, hit, page.hits)[1]:
                if c.value in seen:
                    continue
                seen.add(str(c.value))
                found.append(replace(c, key=list_item_key("secondary_icd10", len(found) + 1)))
    return found
