"""A code's labels as OCR reads them: the lexicons' labels of the fields that hold a code
(ICD-10, the insurance card's and the ID card's numbers), as patterns tolerant of the readings
the confusions table lists. A wording added to a lexicon is found glued to its code, before a
code at a diagnosis's end and inside a wrapped diagnosis, with no pattern in code."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.extract.confusions import confusions, read_for
from pipeline.extract.lexicon import languages, load_lexicon
from pipeline.extract.text import strip_diacritics
from schemas.catalogue import extracted_fields

#: the value types whose labels name a code
CODE_TYPES = frozenset({"icd10", "insurance_number", "national_id"})


def code_wordings(types: frozenset[str] = CODE_TYPES) -> tuple[str, ...]:
    """Every language's label variants of the fields of these types, longest first."""
    keys = {f.key for f in extracted_fields() if f.type in types}
    found = {
        w for lang in languages() for k in keys for w in load_lexicon(lang).wordings.get(k, ())
    }
    return tuple(sorted(found, key=lambda w: (-len(w), w)))


def as_read(wording: str) -> str:
    """A regex for a wording as OCR may read it (to be matched ignoring case): a marked letter
    also without its marks ("Ma" for "Mã") or as a symbol read for it ("I€D"), a digit also as
    a lookalike ("ICD-I0"), a mark
    inside a word dropped ("ICD10"), the space between words dropped or a speck read there
    ("MãICD", "MãTICD")."""
    table = confusions()
    words = []
    for word in wording.split():
        out = ""
        for ch in word:
            if ch.isdigit():
                out += "[" + ch + re.escape(read_for(table.digit_for, ch)) + "]"
            elif ch.isalpha():
                symbols = read_for(table.code_letter_symbols, ch.upper())
                read = "".join(dict.fromkeys(ch + strip_diacritics(ch) + symbols))
                out += f"[{re.escape(read)}]" if len(read) > 1 else re.escape(ch)
            else:
                out += re.escape(ch) + "?"
        words.append(out)
    return r"\s*\S?\s*".join(words)


def is_acronym(wording: str) -> bool:
    """A label in capitals ("BHYT", "ICD-10"): no word of a value starts with it."""
    return wording.isupper()


@lru_cache(maxsize=16)
def alternation(
    single_words: bool = False, acronyms: bool | None = None, types: frozenset[str] = CODE_TYPES
) -> str:
    """The code labels as one alternation, longest first; optionally only those of one word,
    only the acronyms (True) or only the others (False), only the labels of some types."""
    wordings = [
        w
        for w in code_wordings(types)
        if (not single_words or len(w.split()) == 1) and acronyms in (None, is_acronym(w))
    ]
    return "|".join(as_read(w) for w in wordings)


def label_words(types: frozenset[str], acronyms: bool | None = None, last: bool = False) -> str:
    """The words of these types' code labels, one alternation, longest first (a wrapped
    label's word: "… tuần hoàn ICD ngoại vi"); with ``last``, the last words of labels of
    several words ("code" of "ICD code")."""
    wordings = [w.split() for w in code_wordings(types)]
    words = {w[-1] for w in wordings if len(w) > 1} if last else {x for w in wordings for x in w}
    chosen = [w for w in words if acronyms in (None, is_acronym(w))]
    return "|".join(as_read(w) for w in sorted(chosen, key=lambda w: (-len(w), w)))
