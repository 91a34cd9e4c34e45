"""Addresses and given names against their lists: provinces, address units, place names."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.extract.text import fold, has_marks, strip_diacritics
from pipeline.extract.vocabdata import VocabularyMatch, _data, _key, match_case, same_spelling

# --- the words that open an address's parts (``vocabularies/address_units.json``) -----------

_UNIT_DATA = _data("address_units")
#: every unit word, lower case with its marks, longest first ("thị xã" before "xã")
UNIT_NAMES: tuple[str, ...] = tuple(
    sorted((u["name"] for u in _UNIT_DATA["units"]), key=len, reverse=True)
)
#: their abbreviations as charts print them ("TP", "P", "Q")
UNIT_ABBREVIATIONS: tuple[str, ...] = tuple(
    sorted((u["abbreviation"] for u in _UNIT_DATA["units"] if "abbreviation" in u), key=len,
           reverse=True)
)  # fmt: skip


def _same_letters(ch: str) -> str:
    """A character class of the letters that fold to ``ch``'s: its marks aside."""
    base = fold(ch)
    return "[" + "".join(sorted(c for c in _LETTERS if fold(c) == base)) + "]" if base else ch


#: Vietnamese letters, small and capital, marked and bare
_LETTERS = "".join(
    c for c in map(chr, [*range(0x41, 0x7B), *range(0xC0, 0x250), *range(0x1EA0, 0x1EFA)])
    if c.isalpha() and len(fold(c)) == 1
)  # fmt: skip


def unit_words(marks_aside: bool = False) -> str:
    """An alternation of the unit words; with ``marks_aside``, each as read with any marks or
    none ("huyên", "thi xa": a mark OCR lost or an English chart's bare print)."""
    if not marks_aside:
        return "|".join(re.escape(u) for u in UNIT_NAMES)
    return "|".join(
        "".join(r"\s" if ch == " " else _same_letters(ch) for ch in u) for u in UNIT_NAMES
    )


def unit_abbreviations() -> str:
    return "|".join(re.escape(a) for a in UNIT_ABBREVIATIONS)


# --- provinces ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _provinces() -> dict[str, str]:
    """Folded name -> the name as printed correctly: the 63 units before the 2025 merger, the
    34 after it, and their other spellings (an alias is right as printed, never respelled)."""
    data = _data("provinces")
    known = {_key(n): n for n in [*data["before_2025"], *data["after_2025"]]}
    for aliases in data["aliases"].values():
        for alias in aliases:
            known.setdefault(_key(alias), alias)
    return known


@lru_cache(maxsize=1)
def _province_prefixes() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(_key(p).split()) for p in _data("provinces")["prefixes"])


def _starts_a_unit(text: str, tokens: list[re.Match[str]], first: int) -> bool:
    """Whether a province's name can start at token ``first``: at the start, after a comma
    or dash, or after "tỉnh", "thành phố", "TP.", "T."."""
    if first == 0:
        return True
    between = text[tokens[first - 1].end() : tokens[first].start()]
    if re.search(r"[,;\-–]", between):
        return True
    before = [fold(t.group(0)) for t in tokens[:first]]
    return any(tuple(before[-len(p) :]) == p for p in _province_prefixes())


_COUNTRY = re.compile(r"(?:[,\s\-–]+(?:việt\s*nam|viet\s*nam|vn)\.?)\s*$", re.I)
_SUFFIX = {"province", "city", "municipality"}


def _province_spans(body: str, tokens: list[re.Match[str]]) -> list[tuple[int, int, int]]:
    """Where the province may be: (first token, token after it, end of the kept text), for the
    last one to four words, maybe before an English "Province"/"City" or scraps of another
    field's text or a stamp, up to six short words in the same segment ("° XIN", "(© Œœ 1
    ƠI C2 B2 Đ")."""
    spans = []
    prefixes = {p[-1] for p in _province_prefixes()}
    for junk in range(7):
        end = len(tokens) - junk
        if end < 1 or any(len(t.group(0)) > 3 for t in tokens[end:]):
            break
        if junk and re.search(r"[,;]", body[tokens[end - 1].end() :]):
            break  # a segment of its own after the province is no scrap ("…, Sóc")
        if junk and fold(tokens[end].group(0)) in _SUFFIX:
            continue
        last = end - 1 if end > 1 and fold(tokens[end - 1].group(0)) in _SUFFIX else end
        for size in (4, 3, 2, 1):
            first = last - size
            if (
                first >= 0
                and fold(tokens[first].group(0)) not in prefixes
                and _starts_a_unit(body, tokens, first)
            ):
                spans.append((first, last, tokens[end - 1].end()))
    return spans


#: the words that open a part of a Vietnamese address, each with its one spelling: OCR of
#: stacked marks drops a tone ("Sô 12", "thành phô", "Quân 1", "huyên")
_ADDRESS_UNITS = {
    fold(u): u
    for u in (
        _UNIT_DATA["house_number"],
        *(u["name"] for u in _UNIT_DATA["units"] if u["respelled"]),
    )
}


def address_units(text: str) -> str:
    """An address printed with its Vietnamese marks, with the word that opens each of its
    parts spelt as it must be ("Sô 306 …, Thành phô Hồ Chí Minh" -> "Số 306 …, Thành phố Hồ
    Chí Minh"). Bare addresses (English charts) are left as printed."""
    if not mostly_marked(text):
        return text

    def snap(m: re.Match[str]) -> str:
        lead, words = m.group(1), m.group(2)
        for n in (2, 1):
            head = " ".join(words.split()[:n])
            known = _ADDRESS_UNITS.get(fold(head))
            if known and len(head.split()) == n and not same_spelling(head, known):
                return lead + match_case(known, head) + words[len(head) :]
        return m.group(0)

    return re.sub(r"(^|,\s*)([^\W\d_]+(?:\s+[^\W\d_]+)?)", snap, text)


def _by_letters(names: list[str]) -> dict[str, tuple[str, ...]]:
    """Folded name -> its spellings (one, unless names share their letters: "Hiền", "Hiển")."""
    by_key: dict[str, list[str]] = {}
    for name in names:
        spellings = by_key.setdefault(_key(name), [])
        if not any(same_spelling(name, other) for other in spellings):
            spellings.append(name)
    return {key: tuple(found) for key, found in by_key.items()}


def _one_spelling(name: str, known: dict[str, tuple[str, ...]]) -> str:
    """The one known name with the letters of ``name``, in its printed case, when ``name`` is
    none of them; else ``name`` as read (known, shared by several, or unknown). A name printed
    with capitals that has a word read small ("An khê") is the known one."""
    spellings = known.get(_key(name), ())
    if len(spellings) != 1:
        return name
    if same_spelling(name, spellings[0]):
        capitals = any(w[:1].isupper() for w in name.split()) and not name.isupper()
        return spellings[0] if capitals and name.istitle() != spellings[0].istitle() else name
    return match_case(spellings[0], name)


@lru_cache(maxsize=1)
def _places() -> dict[str, tuple[str, ...]]:
    data = _data("places")
    return _by_letters([*data["districts"], *data["communes"], *data["streets"]])


@lru_cache(maxsize=1)
def _given_names() -> dict[str, tuple[str, ...]]:
    return _by_letters(_data("given_names")["names"])


def bare_given_name(word: str) -> bool:
    """A common given name spelt without marks ("Trinh", "Kim"), not a bare surname's
    homograph that lost them."""
    return not has_marks(word) and any(
        same_spelling(word, s) for s in _given_names().get(_key(word), ())
    )


def marked_only_name(word: str) -> bool:
    """A word spelt bare that common names spell only with marks ("TRONG": "Trọng"): in a name
    printed with marks, it lost them."""
    spellings = _given_names().get(_key(word), ())
    return not has_marks(word) and bool(spellings) and all(has_marks(s) for s in spellings)


def doubtful_given_name(word: str) -> bool:
    """A word of a name that no common name spells so, while two or more common names have its
    letters ("Chỉ": "Chi" or "Chí", the vie model often hooks a bare "i"): which is meant, a
    person decides."""
    spellings = _given_names().get(_key(word), ())
    return len(spellings) >= 2 and not any(same_spelling(word, s) for s in spellings)


def given_name(word: str) -> str:
    """A word of a name after its surname, respelled as the one common name with its letters
    when it is none itself ("HUYÊN" -> "HUYỀN", "Tuần" -> "Tuấn"); names that share their
    letters ("Hiền", "Hiển") and words no common name has stay as read."""
    return _one_spelling(word, _given_names())


#: what opens a part of an address before its name: a house number, or a unit's word
_PART_LEAD = re.compile(
    rf"^\s*(?:(?:{_UNIT_DATA['house_number']}\s+)?\d+[A-Za-z]?(?:/\d+)?\s+"
    rf"|(?:{unit_words()}|(?:{unit_abbreviations()})\.)\s*)?",
    re.IGNORECASE,
)


def place_names(text: str) -> str:
    """A marked address with each part's name put back to the one place name with its
    letters when OCR changed its marks ("huyện Củ Chỉ" -> "huyện Củ Chi", "Trường Chỉnh" ->
    "Trường Chinh"); a name two places spell with other marks stays as read, and so does an
    address printed bare."""
    if not mostly_marked(text):
        return text
    parts = text.split(",")
    for i, part in enumerate(parts):
        lead = _PART_LEAD.match(part)
        start = lead.end() if lead else 0
        name = part[start:].strip()
        words = name.split()
        if not 1 <= len(words) <= 4 or not all(w.isalpha() for w in words):
            continue
        fixed = _one_spelling(name, _places())
        if fixed != name:
            parts[i] = part[:start] + part[start:].replace(name, fixed)
    return ",".join(parts)


def check_address(text: str) -> VocabularyMatch:
    """An address with its province put right, and whether it ends with a known province
    ("…, tỉnh Vĩnh Phúc", "…, TP. Hồ Chí Minh", "…, T. Ca Mau", "…, Hanoi"). OCR slips in the
    province are snapped ("Long Ân" -> "Long An"), marks it lost are restored only when the
    rest of the address has its marks, and a scrap of another field's text read after it
    ("Ninh Thuận ° XIN") is dropped."""
    from rapidfuzz import fuzz, process

    country = _COUNTRY.search(text)
    body = text[: country.start()] if country and country.start() > 0 else text
    tokens = list(re.finditer(r"[^\W_]+", body))
    known = _provinces()
    spans = _province_spans(body, tokens)
    for fuzzy in (False, True):
        for first, last, kept_end in spans:
            printed = body[tokens[first].start() : tokens[last - 1].end()]
            key = _key(printed)
            name = known.get(key)
            if fuzzy and name is None and kept_end == len(body.rstrip()) and len(key) >= 6:
                found = process.extract(key, list(known), scorer=fuzz.ratio, score_cutoff=86,
                                        limit=2)  # fmt: skip
                if found and (len(found) == 1 or found[1][1] < found[0][1] - 3):
                    name = known[found[0][0]]
            if name is None:
                continue
            before = body[: tokens[first].start()]
            after = body[tokens[last - 1].end() : kept_end]
            if kept_end == len(body.rstrip()):
                after += text[len(body.rstrip()) :]  # the country, and what stood after it
            value = before + _province_as_printed(printed, name, before) + after
            return VocabularyMatch(value, True)
    return VocabularyMatch(text, False)


def _province_as_printed(printed: str, name: str, rest: str) -> str:
    """The province's known spelling in the printed case; an address printed (or read, by
    the English model) without its marks keeps them off; a hyphen OCR lost or added is put
    as the name has it ("Bà Rịa Vũng Tàu")."""
    if same_spelling(printed, name):
        return printed if printed.count("-") == name.count("-") else match_case(name, printed)
    if not mostly_marked(rest):
        if _key(printed) == _key(name):
            return printed
        return match_case(strip_diacritics(name), printed)
    return match_case(name, printed)


def mostly_marked(text: str) -> bool:
    """Vietnamese printed with its marks has them on most words; English OCR of such text
    leaves a stray mark or two ("huyén Dong Anh")."""
    words = re.findall(r"[^\W\d_]{2,}", text)
    return bool(words) and sum(has_marks(w) for w in words) >= 0.4 * len(words)
