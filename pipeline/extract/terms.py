"""Free text, place, address, department, occupation and ethnicity parsers."""

from __future__ import annotations

import re

from pipeline.extract.diagnoses import _held_against, _wall_bracket_off
from pipeline.extract.grammar import ParsedValue
from pipeline.extract.places import UNIT_NAMES, unit_abbreviations, unit_words
from pipeline.extract.text import fold, nfc, single_spaces, strip_diacritics
from pipeline.extract.vocabulary import (
    address_units,
    check_address,
    hyphens_as_known,
    place_names,
    snap_term,
)

# Form furniture OCR leaves in free text: leaders, underlines, box walls, stray quotes.
_TEXT_FURNITURE = re.compile(r"[.·…_]{2,}|-{2,}|[|_~¬“”\"'`’]+")
# Residue of a label's parenthesised hint ("(In hoa)", "(ghi rõ)") before the value.
_HINT = re.compile(r"^\s*\([^)]{0,20}\)\s*")


def parse_text(text: str) -> ParsedValue | None:
    """Free text as printed: NFC, single spaces, no leaders, label hints or edge punctuation."""
    cleaned = _HINT.sub("", _TEXT_FURNITURE.sub(" ", nfc(text)))
    words = single_spaces(cleaned).split()
    while words and not re.search(r"[0-9a-z]", strip_diacritics(words[-1]).lower()):
        words.pop()  # specks read as marks at the end: "Phú Thọ ˆ", "° ‹"
    while words and not re.search(r"[0-9a-z]", strip_diacritics(words[0]).lower()):
        words.pop(0)  # and at the start: "⁄ Thôn Thượng"
    cleaned = _wall_bracket_off(" ".join(words).strip(" .,:;-_=*‹›«»„‘’¡!¿"))
    if not re.search(r"[^\W_]", cleaned):
        return None
    return ParsedValue(cleaned, ("has_text",))


def parse_place_or_title(text: str) -> ParsedValue | None:
    """Free text that must hold words (departments, occupations, addresses), not a stray code."""
    parsed = parse_text(text)
    if parsed is None or not re.search(r"[^\W\d_]{2}", parsed.value):
        return None
    return parsed


#: a box's or cell's wall read as a letter glued before a capitalised word: "lẤp", "lTử vong"
_WALL_BEFORE_CAPITAL = re.compile(r"(?<![^\s,])[lI|](?=[A-ZĐÀ-Ỹ][a-zà-ỹ])")


def parse_address(text: str) -> ParsedValue | None:
    """An address as printed; it should end with a province (OCR slips in it put right)."""
    parsed = parse_place_or_title(text)
    if parsed is None:
        return None
    # a unit's abbreviation with a colon or a comma for its stop: "P: Minh Khai", "P, Minh Khai"
    value = _ABBREVIATION_STOP.sub(r"\1.", parsed.value)
    # a comma read as a stop before the next part: "Thôn Đông. xã Hưng Đạo"
    value = _UNIT_SPECK.sub(lambda m: m.group(1) + " " if m.group(1) else "", value)
    value = _STOP_FOR_COMMA.sub(",", value)
    # specks glued to words: "Nguyễn,Trãi" (a comma with no space before no unit), "Số-17",
    # "lẤp" (a wall read as l before a capital)
    value = _GLUED_COMMA.sub(" ", value)
    value = re.sub(r"\b(Số|số)-(?=\d)", r"\1 ", value)
    value = _WALL_BEFORE_CAPITAL.sub("", value)
    # a stop glued between a word and the next name ("An.Nhon"); a unit's stop follows a
    # capital ("TP.Hồ", "P.An")
    value = re.sub(r"(?<=[a-zà-ỹ])\.(?=[A-ZĐÀ-Ỹ][a-zà-ỹ])", " ", value)
    # words glued where a space was lost: no word has a capital after a small letter
    # ("Thành phốHồ Chí Minh", "DaNang")
    value = _GLUED_WORDS.sub(lambda m: m[1] + " " if _small_capital(m[1], m[2]) else m[1], value)
    # a comma read as a stop after a whole word, before the next part's name ("Cao Lộc. Lạng
    # Sơn"; a unit's abbreviation keeps its stop: "TP. Huế", "Tp. Vinh"), and specks by a
    # comma ("Vĩnh Long,.Vĩnh Long", "Thành, , phường")
    value = _STOP_AFTER_WORD.sub(
        lambda m: m[1] + ("," if m[1].islower() and m[2].isupper() else "."), value
    )
    value = re.sub(r",(?:\s*[.,])+\s*", ", ", value)
    value = _lost_commas(value)
    value = place_names(address_units(value))
    checked = check_address(value)
    if not checked.known:  # the next field, its label unread, after the province
        for m in _NEXT_FIELD.finditer(value):
            cut = check_address(value[: m.start()])
            if cut.known:
                checked = cut
                break
    return _held_against(checked, "known_province", unknown_fails=True)


#: the words that open an address's parts, marked and bare (English charts)
_UNIT_OPENING = re.compile(
    rf"(?:(?<=,)|(?<=\s))({unit_words(marks_aside=True)}|{unit_abbreviations()})(?=\s)",
    re.IGNORECASE,
)
#: a unit's abbreviation with a colon or a comma for its stop: "P: Minh Khai", "P, Minh Khai"
_ABBREVIATION_STOP = re.compile(rf"\b({unit_abbreviations()})[:,](?=\s)")


def _lost_commas(value: str) -> str:
    """The comma OCR lost before one part of an address whose other parts all have theirs
    ("Thôn Thượng xã Xuân Phú, huyện Đông Anh, Hà Nội")."""
    opened = [m for m in _UNIT_OPENING.finditer(value) if m.start() > 0]
    lost = [m for m in opened if not value[: m.start()].rstrip().endswith(",")
            and value[: m.start()].split()[-1].lower() not in ("thị", "thi")]  # fmt: skip
    if len(lost) != 1 or value.count(",") < 2:
        return value
    before = value[: lost[0].start()].rstrip()
    return before + ", " + value[lost[0].start() :]


_GLUED_WORDS = re.compile(r"([^\W\d_])(?=([^\W\d_]{2}))")
_STOP_AFTER_WORD = re.compile(r"([^\W\d_]{2})\.(?=\s+([^\W\d_]))")


def _small_capital(before: str, after: str) -> bool:
    """A small letter, then a capital and a small one: two words glued."""
    return before.islower() and after[0].isupper() and after[1].islower()


_STOP_FOR_COMMA = re.compile(
    rf"(?<=\w)[.)](?=\s+(?:{unit_words(marks_aside=True)}|{unit_abbreviations()})\.?\s)"
)
#: a speck between a unit's word and its name ("xã.An Bình"), or inside the name ("Phủ: Lý")
_UNIT_SPECK = re.compile(rf"\b({unit_words()})[.:](?=[^\W\d_])|(?<=[^\W\d_]):(?=\s[A-ZĐ])")
#: a comma between two letters, no space after it, that starts no unit ("Nguyễn,Trãi", not
#: "Thôn 4,xã"): a speck read between the words of a name
_GLUED_COMMA = re.compile(
    rf"(?<=[^\W\d_]),(?=[^\W\d_])(?!(?:{unit_words()}|{unit_abbreviations()})\b"
    rf"|(?:{'|'.join(u.split()[0] for u in UNIT_NAMES if ' ' in u)})\b)"
)
#: where another field starts inside a line of free text: its number ("7, CCCD", "5. Nghề")
_NEXT_FIELD = re.compile(r"\s+\d{1,2}\s?[.,]\s+(?=[^\W\d_])")


#: a hyphen between a term's words read as a tilde or a long dash ("Thận ~Tiết niệu"), which
#: free text drops as furniture
_DASH_READ = re.compile(r"(?<=[^\W\d_])\s+[~¬–—]\s*(?=[^\W\d_])")


def _known_term(text: str, vocabulary: str) -> ParsedValue | None:
    parsed = parse_place_or_title(text)
    if parsed is None:
        return None
    match = snap_term(parsed.value, vocabulary)
    dashed = parse_place_or_title(_DASH_READ.sub(" - ", text))
    if dashed is not None and dashed.value != parsed.value:
        hyphened = snap_term(dashed.value, vocabulary)
        if hyphened.known and hyphens_as_known(hyphened.value, vocabulary):
            match = hyphened
    return _held_against(match, "known_term")


#: the rest of a department's label read with its value ("Khoa" | "điều trị Nội tiết")
_DEPARTMENT_LABEL_REST = re.compile(r"^\s*(?:điều\s*trị\s*)?(?:nội\s*trú\s*)?[:.]?\s*", re.I)


def parse_department(text: str) -> ParsedValue | None:
    """A department as printed, snapped to its known name when OCR slipped a letter; the rest
    of its label read before it is left out when the remainder alone is a known one."""
    parsed = _known_term(text, "departments")
    rest = _DEPARTMENT_LABEL_REST.match(text)
    if parsed is None or "known_term" in parsed.checks_passed or not rest or not rest.end():
        return parsed
    alone = _known_term(text[rest.end() :], "departments")
    return alone if alone is not None and "known_term" in alone.checks_passed else parsed


def parse_occupation(text: str) -> ParsedValue | None:
    """An occupation as printed, snapped to its known wording when OCR slipped a letter."""
    return _known_term(text, "occupations")


def _snap(value: str, known: dict[str, str], cutoff: float = 0.85) -> str | None:
    """The known spelling of a value, matched on folded letters with an OCR slip or two."""
    from rapidfuzz import fuzz, process

    found = process.extractOne(fold(value).replace("-", " "), list(known), scorer=fuzz.ratio)
    if found and found[1] >= cutoff * 100:
        return known[found[0]]
    return None


def _ethnic_groups() -> dict[str, str]:
    from schemas.catalogue import code_map

    return {fold(name).replace("-", " "): name for name in code_map("MA_DANTOC")}


def parse_ethnicity(text: str) -> ParsedValue | None:
    """An ethnic group: snapped to the statistics office's spelling when it is one of them."""
    parsed = parse_place_or_title(text)
    if parsed is None:
        return None
    words = parsed.value.split()
    known = _ethnic_groups()
    # The group is one to three words; what follows on the line is another field's text.
    for n in (3, 2, 1):
        snapped = _snap(" ".join(words[:n]), known) if len(words) >= n else None
        if snapped:
            return ParsedValue(snapped, ("known_ethnic_group",))
    # a short name with one letter misread ("Ghăm"): the one group a letter away, for a
    # person to confirm
    from rapidfuzz.distance import Hamming

    first = fold(words[0]) if words else ""
    if len(first) >= 4:
        near = [
            name
            for key, name in known.items()
            if len(key) == len(first) and Hamming.distance(first, key) == 1
        ]
        if len(near) == 1:
            return ParsedValue(near[0], (), ("group_respelled",))
    return ParsedValue(parsed.value, (), ("known_ethnic_group",))
