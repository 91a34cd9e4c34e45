"""Person and physician name parsers."""

from __future__ import annotations

import re

from pipeline.extract.grammar import ParsedValue
from pipeline.extract.places import marked_only_name
from pipeline.extract.spelling import could_be_syllable
from pipeline.extract.text import fold, has_marks, nfc, single_spaces
from pipeline.extract.vocabulary import (
    bare_given_name,
    doubtful_given_name,
    given_name,
)

# --- names and free text --------------------------------------------------------------------
_NAME_TOKEN = re.compile(r"^[^\W\d_]+$", re.UNICODE)
#: a marked letter the English model read as a digit: "Ng6" (Ngô), "T6" (Tô), "V6" (Võ)
_DIGIT_FOR_LETTER = re.compile(r"^[^\W\d_]+\d[^\W\d_]*$", re.UNICODE)
# folded -> as written: OCR often drops or changes a capital's tone mark (NGUYỄN -> NGUYÊN);
# a surname is snapped back to its one real spelling.
COMMON_SURNAMES = {
    fold(s): s
    for s in [
        "Nguyễn",
        "Trần",
        "Lê",
        "Phạm",
        "Hoàng",
        "Huỳnh",
        "Phan",
        "Vũ",
        "Võ",
        "Đặng",
        "Bùi",
        "Đỗ",
        "Hồ",
        "Ngô",
        "Dương",
        "Lý",
        "Đinh",
        "Đào",
        "Lương",
        "Trịnh",
        "Mai",
        "Trương",
        "Cao",
        "Lâm",
        "Tô",
        "Hà",
        "Tạ",
        "Châu",
        "Quách",
        "Kiều",
        "Thái",
        "Chu",
        "Đoàn",
        "La",
        "Vương",
        "Tăng",
        "Lưu",
    ]
}


def _upper_run(tokens: list[str]) -> list[str]:
    """Forms ask for the name in capitals ("In hoa"): when the words hold a run of two or more
    capitalised words, that run is the name and the rest is label residue ("người bệnh")."""
    best: list[str] = []
    run: list[str] = []
    at = 0  # where the best run starts
    for i, token in enumerate(tokens):
        if token.isupper():
            run.append(token)
            if len(run) > len(best):
                best, at = list(run), i + 1 - len(run)
        else:
            run = []
    if len(best) < 2:
        return tokens
    # a surname read in small letters before the capitals ("Võ THỊ VÂN", "vO CAM TAM") is
    # the name's, when the run does not start with one (and fails ``in_capitals``)
    before = tokens[at - 1] if at else ""
    if fold(before) in COMMON_SURNAMES and fold(best[0]) not in COMMON_SURNAMES:
        return [before, *best]
    return best


#: a tone mark OCR read apart from its vowel, as a spacing accent: "HÔ`GIA" for "HỒ GIA"
_SPACING_TONES = {"`": "\u0300", "´": "\u0301"}


def _name_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    text = re.sub(r"(?<=[^\W\d_])([`´])", lambda m: _SPACING_TONES[m.group(1)] + " ", nfc(text))
    for raw in nfc(text).split():
        token = raw.strip(".,:;!?()[]{}|\"'`-_*ˆ˜¨“”„‘’")  # and a box's wall: "PHƯƠNG|", "ˆNGUYỄN"
        if not token:
            continue
        if not (_NAME_TOKEN.match(token) or _DIGIT_FOR_LETTER.match(token) and not tokens):
            break  # names end where digits or symbols begin (a surname may hold one: "Ng6")
        tokens.extend(_unglued(token))
    return tokens


def _unglued(token: str) -> list[str]:
    """A word that is no syllable, split where it is two: at a capital inside a mixed-case
    word ("NguyenThi"), or after a surname or middle name whose rest is a syllable
    ("THỊLAN")."""
    if could_be_syllable(token):
        return [token]
    camel = [i for i in range(1, len(token)) if token[i - 1].islower() and token[i].isupper()]
    if len(camel) == 1:
        return [token[: camel[0]], token[camel[0] :]]
    for cut in range(len(token) - 2, 1, -1):  # the longest head first: "VĂN|HÙNG", not "VĂ|NHÙNG"
        head, rest = token[:cut], token[cut:]
        if fold(head) in _MARKED_NAME_WORDS and could_be_syllable(head):
            pieces = _unglued(rest)  # "NGUYỄNTHỊVÂN": three words
            if all(could_be_syllable(p) for p in pieces):
                return [head, *pieces]
    return [token]


#: name words (folded) whose one spelling has marks: common surnames, and the middle names of
#: most Vietnamese names (Văn, Thị)
_MARKED_NAME_WORDS = {key for key, word in COMMON_SURNAMES.items() if has_marks(word)} | {
    "van",
    "thi",
}


def _checked_name(tokens: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The surname snapped to its one real spelling; which checks the name passed. A name
    printed with marks has them on every word that takes them: "PHẠM VAN PHAT" lost some
    (``marks_mixed``): its surname and middle "Văn"/"Thị" get their one spelling back, and a
    person checks. A surname printed bare (English charts) is not held as known: the
    marks its other words lost cannot be seen. A Vietnamese name's every word is a syllable,
    marked or bare: "BÙI THỊ NHT" lost a letter (``name_syllables``)."""
    surname = COMMON_SURNAMES.get(fold(tokens[0]))
    letters = all(_NAME_TOKEN.match(t) for t in tokens)
    passed, failed = (["letters_only"], list[str]()) if letters else ([], ["letters_only"])
    if any(has_marks(t) for t in tokens) and any(
        not has_marks(t) and (fold(t) in _MARKED_NAME_WORDS or marked_only_name(t))
        for t in _may_lose_marks(tokens)
    ):
        failed.append("marks_mixed")
        tokens = _marks_put_back(tokens)
    if 2 * sum(has_marks(t) for t in tokens) >= len(tokens):  # printed with marks
        respelled = [tokens[0], *(given_name(t) for t in tokens[1:])]
        if respelled != tokens:
            failed.append("name_respelled")
            tokens = respelled
        if any(doubtful_given_name(t) for t in tokens[1:]):
            failed.append("given_name_marks")
    if surname:
        if not tokens[0].isascii():  # printed without marks (English charts) stays so
            tokens[0] = surname.upper() if tokens[0].isupper() else surname
            passed.append("known_surname")
        elif not has_marks(surname):  # "Mai", "Cao": bare as printed and as spelt
            passed.append("known_surname")
    else:
        failed.append("known_surname")
    if surname and not all(could_be_syllable(t) for t in tokens):
        failed.append("name_syllables")
    if len(tokens) >= 2 and nfc(tokens[-1]).lower() in _NEVER_LAST:
        failed.append("name_cut_short")  # "HOÀNG VĂN": a middle name last, the given name lost
    return tokens, passed, failed


_MIDDLE_NAMES = {"van": "Văn", "thi": "Thị"}
#: the middle names that are no given name, spelt with their marks ("Vân" is one: "VAN" may be)
_NEVER_LAST = {m.lower() for m in _MIDDLE_NAMES.values()}


def _may_lose_marks(tokens: list[str]) -> list[str]:
    """The words whose bare spelling shows lost marks: all but a last one that is a given name
    spelt bare ("Trần Kim Trinh": not "Trịnh")."""
    return tokens[:-1] if bare_given_name(tokens[-1]) else tokens


def _marks_put_back(tokens: list[str]) -> list[str]:
    """In a marked name, the words with one marked spelling that lost it: the surname, and
    "Văn"/"Thị" between surname and given name (last, "VAN" may be "Vân")."""
    out = list(tokens)
    for i, t in enumerate(out):
        if has_marks(t):
            continue
        known = (
            COMMON_SURNAMES.get(fold(t)) if i == 0
            else _MIDDLE_NAMES.get(fold(t)) if i < len(out) - 1
            else None
        )  # fmt: skip
        if known:
            out[i] = known.upper() if t.isupper() else known
    return out


def parse_person_name(text: str) -> ParsedValue | None:
    """The patient's name, which forms ask for in capitals ("In hoa"): a name in mixed case is
    more often a clinician's under a signature ("Họ và tên: Nguyễn Thu Nga") read where the
    patient's was lost (``in_capitals`` fails). A stray letter read after it is dropped."""
    tokens = _upper_run(_name_tokens(text))
    if len(tokens) > 2 and len(tokens[-1]) == 1 and not could_be_syllable(tokens[-1]):
        tokens = tokens[:-1]  # "PHAN CÔNG THÁI K"
    if len(tokens) > 2 and len(tokens[0]) == 1:
        tokens = tokens[1:]  # a box's wall before it, read as a letter: "Ì NGUYỄN GIA TRÂM"
    if len(tokens) < 2:
        return None
    capitals = all(t.isupper() for t in tokens)
    tokens, passed, failed = _checked_name(tokens)
    if not capitals:
        failed.append("in_capitals")
    name = single_spaces(" ".join(tokens)).upper()
    return ParsedValue(name, tuple(passed), tuple(failed))


_TITLES = re.compile(
    r"^\s*(?:(?:ThS|TS|BS|BSCK(?:I{1,2}|[12])?|PGS|GS|Dr|Doctor)\b\.?\s*)+", re.IGNORECASE
)


def parse_physician_name(text: str) -> ParsedValue | None:
    """A clinician's name as printed (signatures are written in mixed case), without titles
    ("BS.", "ThS.BS", "Dr")."""
    tokens = _name_tokens(_TITLES.sub("", nfc(text)))
    if len(tokens) < 2 or len(tokens) > 6:
        return None
    tokens, passed, failed = _checked_name(tokens)
    if not all(t[0].isupper() for t in tokens):
        failed.append("capitalised")  # a name's every word starts with a capital
    if any(fold(t) in COMMON_SURNAMES for t in tokens[2:-1]):
        failed.append("one_name")  # two signatures' names read as one line
    return ParsedValue(single_spaces(" ".join(tokens)), tuple(passed), tuple(failed))
