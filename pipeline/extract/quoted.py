"""ICD-10 codes quoted inside a diagnosis's text, read as the chart's codes.

Prescriptions and short summaries print their codes inside the diagnosis, not under a code
label: "I10 - Tăng huyết áp; (E78) Rối loạn chuyển hoá lipoprotein". A word is a quoted code
where the text puts one: in brackets, or at the start of the text or of a segment (after a
";") followed by a dash or colon. It is read by the ICD-10 grammar (``parse_icd10``: the
confusions table's lookalikes, the code list, the one real code a slip makes of it) and kept
only when the code is in the list and accounts for every letter and digit of the word, so
that a range inside a title ("(I60-I67)"), a dose or a number is not a code. The first code
is the principal one (``encounter.discharge_icd10`` where the chart has no code under a
label of its own), the others secondary codes; the diagnosis's text is kept without them.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.tokens import Doc, Token

from pipeline.extract.diagnoses import SEPARATORS, Quoted, code_in_word, principal_and_others
from pipeline.extract.labelpieces import PIECES_DOUBT, in_pieces
from pipeline.extract.labels import LabelHit, starts_field
from pipeline.models import FieldCandidate, union_bbox

#: the diagnosis whose quoted codes are the chart's principal and secondary codes
DIAGNOSIS = "encounter.discharge_diagnosis"
PRINCIPAL = "encounter.discharge_icd10"
_OPENING = "(["


def listed_tokens(doc: Doc, hit: LabelHit, hits: Sequence[LabelHit]) -> list[Token]:
    """The words after a label to the next field on its line, and the lines that continue
    it (a wrapped line starts in lower case, or the line before ended on a separator)."""
    starts = {h.span.start for h in hits if h.span.start >= hit.span.end and starts_field(doc, h)}
    tokens: list[Token] = []
    i, line = hit.span.end, hit.span[-1]._.line
    while i < len(doc) and i not in starts:
        token = doc[i]
        if token._.line != line:
            first = token.text.lstrip(_OPENING)
            previous = tokens[-1].text if tokens else ""
            # the next diagnosis of a list, its code in brackets first: "(G46*) Hội chứng …"
            listed = token.text[:1] in _OPENING and code_in_word(token.text) is not None
            wrapped = bool(first[:1].islower()) or previous.endswith((",", ";")) or listed
            if not wrapped:
                break
            line = token._.line
        tokens.append(token)
        i += 1
    return tokens


def code_candidates(
    doc: Doc, page: int, hit: LabelHit, hits: Sequence[LabelHit]
) -> tuple[FieldCandidate | None, list[FieldCandidate]]:
    """The principal code the diagnosis under ``hit`` quotes (keyed ``PRINCIPAL``) and the
    others (keyed by the caller, who numbers them): each its word's box and confidence, and
    the diagnosis label's match."""
    tokens = [t for t in listed_tokens(doc, hit, hits) if not t.is_space]
    principal, others = principal_and_others([t.text for t in tokens])
    found = [_candidate(tokens, q, page, hit) for q in ([principal] if principal else []) + others]
    if principal is None:
        return None, found
    return found[0], found[1:]


def _candidate(tokens: Sequence[Token], q: Quoted, page: int, hit: LabelHit) -> FieldCandidate:
    words = [t for t in tokens[q.start : q.end] if t.text not in SEPARATORS]
    return FieldCandidate(
        key=PRINCIPAL,
        value=q.parsed.value,
        raw_text=" ".join(t.text for t in words),
        page=page,
        bbox=union_bbox([t._.bbox for t in words]),
        ocr_confidence=round(min(t._.conf for t in words), 4),
        label_score=hit.score,
        rule=f"quoted:{'_'.join(t.norm_ for t in hit.span if not t.is_punct)}",
        checks_passed=q.parsed.checks_passed,
        checks_failed=q.parsed.checks_failed + ((PIECES_DOUBT,) if in_pieces(hit.span) else ()),
    )
