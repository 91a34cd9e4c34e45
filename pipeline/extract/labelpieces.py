"""Labels OCR read in pieces: a label's words split or mangled ("Chẩn đoán" read as three short
pieces), found by their letters joined (folded) against the lexicon's label wordings.

Only where a field starts (a line's first words), only for labels long enough that a near
reading is rare among other words (``PIECES_MIN_LETTERS``), with the label's first letter and
a value's start after them; such a label scores under one read clean (``PIECES_SCORE``), so it
never beats one and its fields are less likely accepted without a person's eye.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from spacy.tokens import Doc, Span, Token

from pipeline.extract.layout import label_gap_before
from pipeline.extract.lexicon import OTHER, load_lexicon

#: a label is matched in pieces only when its wording has this many letters or more
PIECES_MIN_LETTERS = 7
#: at most this many letters of the wording read wrong, lost or added
PIECES_EDITS = 2
#: a label read in two to this many pieces
PIECES_MOST = 4
#: a label read in pieces scores at most this: under a clean label (``candidates.CLEAN_LABEL``)
PIECES_SCORE = 0.85


#: the doc's labels read in pieces, as (start, end); and the doubt their values carry: the
#: label was guessed from its letters, a person confirms it is the field's
IN_PIECES = "label_pieces"
PIECES_DOUBT = "label_in_pieces"


def in_pieces(span: Span) -> bool:
    """Whether this label span was read in pieces (``find_labels`` records them)."""
    return (span.start, span.end) in span.doc.user_data.get(IN_PIECES, ())


@lru_cache(maxsize=4)
def _wordings(language: str) -> dict[str, dict[str, frozenset[str]]]:
    """First letter -> each long wording's letters joined -> the keys worded so."""
    found: dict[str, dict[str, set[str]]] = {}
    for key, variants in load_lexicon(language).labels.items():
        for variant in variants:
            joined = "".join(variant)
            if len(joined) >= PIECES_MIN_LETTERS:
                found.setdefault(joined[0], {}).setdefault(joined, set()).add(key)
    return {c: {w: frozenset(keys) for w, keys in ws.items()} for c, ws in found.items()}


def _letters(token: Token) -> bool:
    return not token.is_punct and any(ch.isalpha() for ch in token.norm_)


def _value_follows(doc: Doc, end: int) -> bool:
    """A value starts after the pieces: the last ends in a colon, or the next word on the line
    (past punctuation) starts with a capital or a digit."""
    if doc[end - 1]._.colon:
        return True
    line = doc[end - 1]._.line
    while end < len(doc) and doc[end]._.line == line and doc[end].is_punct:
        end += 1
    return (
        end < len(doc)
        and doc[end]._.line == line
        and (doc[end].text[0].isupper() or doc[end].text[0].isdigit())
    )


def _closest(joined: str, language: str) -> tuple[int, str, str] | None:
    """The nearest wording within ``PIECES_EDITS`` (edits, wording, key); None if none, or if
    two keys are as near."""
    wordings = _wordings(language).get(joined[:1], {})
    near = process.extract(
        joined, list(wordings), scorer=Levenshtein.distance, score_cutoff=PIECES_EDITS, limit=None
    )
    if not near:
        return None
    edits = min(d for _, d, _ in near)
    keys = {k for w, d, _ in near if d == edits for k in wordings[w]}
    if len(keys) != 1:
        return None
    wording = next(w for w, d, _ in near if d == edits)
    return edits, wording, next(iter(keys))


def pieces_labels(
    doc: Doc, language: str, starts: Iterable[int], taken: Container[int]
) -> list[tuple[Span, float]]:
    """Labels read in pieces from the tokens ``starts`` (where fields start): 2 to
    ``PIECES_MOST`` words of one line, none of them ``taken`` by a label already found nor
    apart from the one before by a gap (``label_gap_before``); each as its span (labelled with
    the field key) and its score."""
    found = []
    for start in starts:
        line = doc[start]._.line
        best: tuple[int, int, str, str] | None = None
        for end in range(start + 2, min(start + PIECES_MOST, len(doc)) + 1):
            piece = doc[end - 1]
            if piece._.line != line or piece.i in taken or start in taken:
                break
            if not _letters(piece) or label_gap_before(doc, doc[end - 1 : end]):
                break
            if not _value_follows(doc, end):
                continue
            joined = "".join(t.norm_ for t in doc[start:end])
            closest = _closest(joined, language)
            if closest is not None and (best is None or closest[0] < best[0]):
                best = (closest[0], end, closest[1], closest[2])
        if best is None or best[3] == OTHER or not _letters(doc[start]):
            continue
        edits, end, wording, key = best
        score = min(PIECES_SCORE, 1.0 - edits / len(wording))
        found.append((Span(doc, start, end, label=key), round(score, 3)))
    return found
