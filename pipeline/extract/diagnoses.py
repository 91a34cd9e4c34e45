"""ICD-10 code and diagnosis text parsers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from pipeline.extract.codelabels import alternation, label_words
from pipeline.extract.confusions import confusions
from pipeline.extract.dates import _LETTER_LOOKALIKES, as_digits
from pipeline.extract.grammar import ParsedValue
from pipeline.extract.medications import prescription_starts
from pipeline.extract.text import nfc, single_spaces, strip_diacritics
from pipeline.extract.vocabdata import _data
from pipeline.extract.vocabulary import (
    CAPITAL_SHAPED,
    DANGLING,
    VocabularyMatch,
    _english_titles,
    _title_key,
    correct_vietnamese_diagnosis,
    cut_short,
    edge_speck,
    hook_misread,
    is_known_code,
    is_subdivided,
    mostly_marked,
    repair_code,
    snap_english_title,
)

# A code stands alone (not inside "24/105/24"); a leading 1 or | is the letter I misread, a
# leading 0, 5, 8, 2 or 6 the letter it looks like (O, S, B, Z, G) when that makes a real code.
_ICD = re.compile(r"(?<![\w/.-])([A-Z1|\[0-9][0-9OIl]{2})(?:\s?[.,]\s?([0-9OIl]{1,2}))?(?![\w/-])")


def _known_icd10(code: str, read_as: str) -> ParsedValue | None:
    """A code held against the ICD-10 list: as read; else the one real code a single OCR slip
    makes of it, which a person confirms; else as read, failing the check."""
    letter_from_digit = read_as.isdigit() and read_as != "1"
    if letter_from_digit and "." not in code:
        return None  # "Giường 234": a bare number, not Z34
    if is_known_code(code):
        failed: tuple[str, ...] = ("letter_from_digit",) if letter_from_digit else ()
        failed += ("code_complete",) if is_subdivided(code) else ()
        if read_as in ("1", "|") and is_known_code("J" + code[1:]):
            failed += ("letter_read_exactly",)  # a "1" is an I or a J: I20.9 and J20.9 are real
        return ParsedValue(code, ("format", "known_code"), failed)
    repaired = repair_code(code, read_as)
    if repaired:
        return ParsedValue(repaired, ("format", "known_code"), ("code_read_exactly",))
    if letter_from_digit:
        return None  # a number, not a code
    return ParsedValue(code, ("format",), ("known_code",))


_CODE_LETTER_SYMBOLS = confusions().code_letter_symbols
_AT_START = confusions().code_letter_at_start
#: a character of the confusions table read for a code's letter, where a code starts: not
#: after a word's letter or digit, before the code's two digits
_LETTER_AT_START = re.compile(
    "(?<!\\w)([" + re.escape("".join(map(chr, _AT_START))) + "])(?=\\s?\\d{2})"
)
_SYMBOL = re.compile("(?:^|\\s)[" + re.escape("".join(map(chr, _CODE_LETTER_SYMBOLS))) + "]\\s?\\d")


def parse_icd10(text: str) -> ParsedValue | None:
    original = nfc(text).strip()
    lettered = _LETTER_AT_START.sub(lambda m: m.group(1).translate(_AT_START), original)
    text = re.sub(r"(?<=\d)\.{2,}(?=\s?\d)", ".", lettered)  # a leader's dots: "A09..9"
    parsed = _parse_icd10(text.upper().translate(_CODE_LETTER_SYMBOLS))
    if parsed and (lettered != original or _SYMBOL.search(original)):  # a letter as a symbol
        return replace(parsed, checks_failed=parsed.checks_failed + ("letter_from_symbol",))
    return parsed


def _parse_icd10(upper: str) -> ParsedValue | None:
    for m in _ICD.finditer(upper.replace("(", " ").replace(")", " ")):
        first = m.group(1)[0]
        letter = first.translate(_LETTER_LOOKALIKES)
        code = letter + as_digits(m.group(1)[1:])
        if m.group(2):
            code += "." + as_digits(m.group(2))
        if re.fullmatch(r"[A-Z]\d{2}(\.\d{1,2})?", code):
            parsed = _known_icd10(code, read_as=first)
            if parsed:
                return parsed
    # A code in character boxes reads "K 9 2 | 2", "KI5lI6 . 7", "NÑ 1 8. 5": one cell per
    # character, the dot implied, the cells' walls read as "|", "I", "l" or any mark between
    # them, its letter maybe twice (an "O" is a zero).
    boxed = re.match(
        r"[^A-Z0-9]*([A-Z])\1?((?:(?:[^A-Z0-9]|[IL])*[\dO]){2,4})", strip_diacritics(upper)
    )
    if boxed:
        digits = re.sub(r"\D", "", boxed.group(2).replace("O", "0"))
        code = boxed.group(1) + digits[:2] + ("." + digits[2:] if len(digits) > 2 else "")
        parsed = _known_icd10(code, read_as=code[0])
        if parsed:
            return replace(parsed, checks_failed=parsed.checks_failed + ("boxed_code",))
    return None


# Codes quoted inside a diagnosis's text ("I10 - Tăng huyết áp; (E78) Rối loạn ..."): a word
# where the text puts a code (in brackets, or where a segment starts, before a dash), read by
# the code grammar and kept only when it is a known code and the whole word.
_OPENING, _CLOSING = "([", ")]"
#: what may follow a code in its word: the dagger-asterisk system's marks (read "*", "?",
#: "%", "†"), and punctuation
_AFTER = "*†?%+;,.:" + _CLOSING
#: a word after a code that says the diagnosis's words follow
SEPARATORS = {"-", "–", "—", ":"}


@dataclass(frozen=True)
class Quoted:
    """A code quoted in a diagnosis: its words ``start`` to ``end`` (exclusive), as read."""

    start: int
    end: int
    parsed: ParsedValue


def _alnum(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def code_in_word(word: str, known_only: bool = True) -> ParsedValue | None:
    """The code a word holds, read by the code grammar, when it is the whole word (brackets,
    the dagger-asterisk system's marks and punctuation aside); with ``known_only``, only a
    code in the list."""
    core = word.lstrip(_OPENING).rstrip(_AFTER)
    if not core or not core[0].isalnum():
        return None
    parsed = parse_icd10(core)
    if parsed is None or (known_only and "known_code" not in parsed.checks_passed):
        return None
    if "boxed_code" in parsed.checks_failed:
        return None  # running text, not a code's cells
    if _alnum(parsed.value) != _alnum(core):
        return None  # the code is a piece of the word: a range, a dose, a date
    return parsed


def _slot(words: Sequence[str], i: int) -> bool:
    """Whether word ``i`` stands where a code is printed before its diagnosis: at the start of
    the text or of a segment, followed by a dash or colon."""
    previous = words[i - 1] if i else ""
    segment = i == 0 or previous.endswith(";") or previous in _OPENING
    follows = words[i + 1] if i + 1 < len(words) else ""
    return segment and (follows in SEPARATORS or words[i][-1:] in ("-", ":"))


def principal_and_others(words: Sequence[str]) -> tuple[Quoted | None, list[Quoted]]:
    """The principal diagnosis's code and the others. The principal's is the code in the first
    diagnosis (before the first ";" or the next code): none when that diagnosis quotes none, or
    its code's place at the start of the text holds a word that is no code ("H0 - ...")."""
    codes = quoted_codes(words)
    first_end = next((i for i, w in enumerate(words) if w.endswith(";")), len(words))
    if not codes or (codes[0].start > 0 and _slot(words, 0)) or codes[0].start > first_end:
        return None, codes
    return codes[0], codes[1:]


def quoted_codes(words: Sequence[str]) -> list[Quoted]:
    """The codes a diagnosis's words quote, in order."""
    found: list[Quoted] = []
    skip = 0
    for i, word in enumerate(words):
        if i < skip:
            continue  # the second piece of a code read in two
        opened = word[:1] in _OPENING or (i > 0 and words[i - 1] in _OPENING)
        bracketed = opened or any(ch in word for ch in _CLOSING)
        if not (bracketed or _slot(words, i)):
            split = _split_code(words, i)
            if split is not None:
                found.append(split)
                skip = split.end
            continue
        follows = words[i + 1] if i + 1 < len(words) else ""
        parsed = code_in_word(word)
        if parsed is None:
            continue
        start = i - 1 if i > 0 and words[i - 1] in _OPENING else i
        end = i + 2 if follows in SEPARATORS else i + 1
        found.append(Quoted(start, end, _whole_as_printed(parsed, word, follows)))
    return found


def _whole_as_printed(parsed: ParsedValue, word: str, follows: str) -> ParsedValue:
    """A category quoted whole: its bracket closed right after it ("(E78)", "(G46*)") or its
    dash after it ("H81 - …"), so no digit of it was lost between (``code_complete`` is the
    doubt that one was)."""
    closed = any(ch in word for ch in _CLOSING) or follows in SEPARATORS or word[-1:] in "-:"
    if not closed or "code_complete" not in parsed.checks_failed:
        return parsed
    kept = tuple(c for c in parsed.checks_failed if c != "code_complete")
    return replace(parsed, checks_failed=kept)


def _split_code(words: Sequence[str], i: int) -> Quoted | None:
    """A code read as two words where the text puts a code, before its dash ("E1 I - Bệnh
    đái tháo đường"): the two words read together as one code, doubted (``code_in_pieces``)."""
    previous = words[i - 1] if i else ""
    segment = i == 0 or previous.endswith(";") or previous in _OPENING
    if not segment or i + 2 >= len(words) or words[i + 2] not in SEPARATORS:
        return None
    parsed = code_in_word(words[i] + words[i + 1])
    if parsed is None:
        return None
    failed = parsed.checks_failed + ("code_in_pieces",)
    return Quoted(i, i + 3, replace(parsed, checks_failed=failed))


def without_codes(words: Sequence[str]) -> list[str]:
    """The diagnosis's words without the codes it quotes; a code between two diagnoses
    leaves the ";" that parts them."""
    kept: list[str] = []
    at = 0
    for q in quoted_codes(words):
        kept += words[at : q.start]
        if kept and q.start > 0 and not kept[-1].endswith((";", ",")):
            kept[-1] += ";"
        at = q.end
    kept += words[at:]
    return kept


def _garbled_code(text: str) -> bool:
    """The diagnosis quotes a code OCR garbled past reading (``_without_garbled_codes``):
    its text was read no better than the code, a person looks."""
    words = without_codes(nfc(text).split())
    return len(_without_garbled_codes(words)) < len(words)


def _without_garbled_codes(words: list[str]) -> list[str]:
    """A word of letters and digits where the text puts a code, before its dash, that reads
    as no code ("Sö0,0 - Đụng giập …"): a code OCR garbled, no word of the diagnosis."""
    kept: list[str] = []
    skip = 0
    for i, word in enumerate(words):
        if i < skip:
            continue
        letters_digits = any(c.isalpha() for c in word) and any(c.isdigit() for c in word)
        if letters_digits and _slot(words, i) and words[i + 1 : i + 2] != [] and len(words) > 2:
            skip = i + (2 if words[i + 1] in SEPARATORS else 1)
            continue
        kept.append(word)
    return kept


# What follows a diagnosis on its line (codelabels: the lexicons' labels of the ICD-10 field):
# a code's label and the code ("16.Mã A90", "(ICD-10: J18.9)", "MãICD-I0 K81.0"), with the item
# number printed before that label, or the label alone at the line's end (its code in the next
# cell), but not a label's word followed by other words ("Nghiện ma túy"); a label's word in
# capitals, wrapped to the line's end ("… delta ICD"); a label's last word and its code, its
# first words misread as no word ("Oo ‘rep code B08.4").
_ICD_TYPES = frozenset({"icd10"})
_OPTIONS = _data("options")
_CODE_TAIL = re.compile(
    r"(?:\s\d{1,2}\s*\.\s*)?\(?\s*(?:"
    r"\b(?:" + alternation(types=_ICD_TYPES) + r")(?![^\W\d_])(?:[^)]*\d[^)]*|[\W_]*)"
    r"|\s(?-i:" + label_words(_ICD_TYPES, acronyms=True) + r")(?![^\W\d_])[\W_]*"
    r"|\S*[^\w\s]\S*\s?(?:" + label_words(_ICD_TYPES, last=True) + r")(?=\s*:?\s*[A-Z]\d)[^)]*"
    r")\)?\s*$",
    re.IGNORECASE,
)


#: what ends a diagnosis's line but is none of it: a field's number (10-49), a token of no
#: letter or digit, a lone marked or small letter (a wall read as "l")
_DIAGNOSIS_TAIL = re.compile(r"[1-4]\d[.,]?|[^\w]+|[^\W\d_A-Z]", re.UNICODE)


def parse_diagnosis(text: str) -> ParsedValue | None:
    """Diagnosis text as printed, without a trailing code or leaders; words OCR misread put
    right against the diagnosis vocabulary (ICD-10 titles in English, common wording in
    Vietnamese). Short tokens at its edges (a wall read as "l", the next cell's edge as
    "SO") are dropped where the rest is a known diagnosis and the whole is not."""
    parsed = _parse_diagnosis(text)
    if parsed is not None and _garbled_code(text):
        parsed = replace(parsed, checks_failed=parsed.checks_failed + ("code_unread",))
    return parsed


def _parse_diagnosis(text: str) -> ParsedValue | None:
    cleaned = _diagnosis_text(text)
    parsed = _diagnosis(cleaned)
    if parsed is None or _KNOWN_DIAGNOSIS & set(parsed.checks_passed):
        return parsed
    words = cleaned.split()
    for lead, tail in _EDGE_CUTS:
        edges = words[:lead] + words[len(words) - tail :]
        if lead + tail >= len(words) or not all(edge_speck(w) for w in edges):
            continue
        cut = _diagnosis(_diagnosis_text(" ".join(words[lead : len(words) - tail])))
        if cut is not None and _KNOWN_DIAGNOSIS & set(cut.checks_passed):
            return cut
    return parsed


_KNOWN_DIAGNOSIS = {"known_terms", "known_title"}
#: words dropped at the start and at the end, fewest first
_EDGE_CUTS = sorted(((a, b) for a in range(6) for b in range(4) if a + b), key=sum)

#: the code's label and the code inside a diagnosis that wrapped in its cell, the code beside
#: its first line ("… đồng nhiễm virus Mãbệnh B18.1 delta"), and a wrapped label's last word
#: ("… tuần hoàn ICD ngoại vi")
_CODE_INSIDE = re.compile(
    r"\s(?:" + alternation(types=_ICD_TYPES) + r")\S*?\s*:?\s*[A-Z]\d{2}(?:\.\d{1,2})?(?=\s)"
    r"|\s(?-i:" + label_words(_ICD_TYPES, acronyms=True) + ")"
    r"(?=\s+(?!(?:" + label_words(_ICD_TYPES) + r")(?![^\W\d_]))[a-zà-ỹđ])",
    re.IGNORECASE,
)


#: a box, ticked or empty, as options.json lists them
_BOXES = re.compile(
    "[" + re.escape("".join(_OPTIONS["tick_marks"] + _OPTIONS["empty_boxes"])) + "]"
)


def _diagnosis_text(text: str) -> str:
    """The diagnosis's line without a code after it or inside it, leaders, a tick box or
    specks at its end, up to a prescription's first line that it ran on into."""
    words = nfc(text).split()
    text = " ".join(words[: prescription_starts(words)])
    cleaned = _CODE_TAIL.sub("", _CODE_INSIDE.sub(" ", text))
    cleaned = " ".join(_without_garbled_codes(without_codes(cleaned.split())))
    cleaned = _BOXES.sub(" ", cleaned)  # a tick box the text runs over
    cleaned = re.sub(r"[(\[]\s*[A-Z]\d{2}(?:\.\d{1,2})?\s*[)\]]", " ", cleaned)
    cleaned = re.sub(r"\s[-–]?\s*[A-Z]\d{2}(?:\.\d{1,2})?\s*$", " ", cleaned)
    words = cleaned.split()
    while words and _DIAGNOSIS_TAIL.fullmatch(words[-1]):
        words.pop()  # the next field's number, a speck or a stray mark: "… venom 19", "… delta Ũ"
    return _wall_bracket_off(single_spaces(" ".join(words).strip(" .,:;-_/|‹›„“”\"'`~¡!¿?«»")))


def _wall_bracket_off(text: str) -> str:
    """A cell's wall read as a bracket glued to the value's edge, with no bracket to match it:
    "[Đẻ mổ lấy thai, không đặc hiệu"."""
    if text.startswith("[") and "]" not in text:
        return text[1:].lstrip()
    if text.endswith("]") and "[" not in text:
        return text[:-1].rstrip()
    return text


#: a qualifier the ICD-10 titles print after a comma ("…, không đặc hiệu",
#: ``after_comma`` in vocabularies/diagnoses_vi.json), read after a word with no comma or
#: with a stop for it; and a leader's stop after a comma (",.")
_QUALIFIER = re.compile(
    r"([^\W\d_]+)\.?\s+("
    + "|".join(re.escape(q) for q in _data("diagnoses_vi")["after_comma"])
    + r")(?![^\W\d_])",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _title_beginnings() -> frozenset[str]:
    """Every ICD-10 English title's beginnings that end before a comma or a word."""
    return frozenset(
        title[:i].rstrip(",")
        for title in _english_titles()
        for i, ch in enumerate(title)
        if ch in ", "
    )


def _title_begins(value: str) -> bool:
    """An English diagnosis that is no title but a title's beginning: its end is missing."""
    return _title_key(value) in _title_beginnings()


def _comma_before(m: re.Match[str]) -> str:
    """Not after a joining word: "một bên hoặc không xác định", "khác và không đặc hiệu"."""
    word, qualifier = m.group(1), m.group(2)
    return m.group(0) if word.lower() in DANGLING else f"{word}, {qualifier}"


def _diagnosis(cleaned: str) -> ParsedValue | None:
    if len(cleaned) < 3 or not re.search(r"[^\W\d_]{2}", cleaned):
        return None
    if mostly_marked(cleaned):  # an English title with a stray mark ("Suspécted") is not
        # specks read between words: "Bệnh.thương hàn", "không đề`cập", "[Dengue,cổ điển]",
        # "Đau. bụng" (no title stops before a small letter)
        cleaned = re.sub(r",\.+\s*", ", ", cleaned)
        specks = re.sub(r"[`´'’]|(?<=[^\W\d_])[.,](?=[^\W\d_])", " ", cleaned)
        specks = re.sub(r"(?<=[^\W\d_]{2})\.(?=\s(\w))", _stop_before_small, specks)
        cleaned = single_spaces(specks)
        if cleaned[:1] in CAPITAL_SHAPED:  # its first capital read small: "xuất huyết …"
            cleaned = cleaned[0].upper() + cleaned[1:]
        parsed = _held_against(correct_vietnamese_diagnosis(cleaned), "known_terms")
        parsed = replace(parsed, value=_QUALIFIER.sub(_comma_before, str(parsed.value)))
        if "known_terms" not in parsed.checks_passed and hook_misread(parsed.value):
            parsed = replace(parsed, checks_failed=parsed.checks_failed + ("diagnosis_marks",))
    else:
        parsed = _held_against(snap_english_title(cleaned), "known_title")
    if cut_short(str(parsed.value)) or (
        "known_title" not in parsed.checks_passed and _title_begins(str(parsed.value))
    ):  # the rest of the title on a line not read with it ("Fever" of "Fever, unspecified")
        return replace(parsed, checks_failed=parsed.checks_failed + ("diagnosis_cut_short",))
    return parsed


def _stop_before_small(m: re.Match[str]) -> str:
    return "" if m.group(1).islower() else m.group(0)


def _held_against(match: VocabularyMatch, check: str, unknown_fails: bool = False) -> ParsedValue:
    """A value held against a vocabulary: ``check`` passed when it is known (as read, or once
    its OCR slips were put right); failed, where ``unknown_fails``, when it is not.

    A correction is not flagged as a failed check: a failed check makes the extractor prefer
    another reading of the field that passes its checks, often a piece of the same text."""
    passed = ("has_text", check) if match.known else ("has_text",)
    failed = (check,) if unknown_fails and not match.known else ()
    return ParsedValue(match.value, passed, failed)
