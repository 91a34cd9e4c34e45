"""A spaCy Doc per page built from Tesseract's words, so every token keeps its box and confidence.

Words are put in visual lines, top to bottom and left to right (``layout.reading_order``):
Tesseract numbers lines within its own text blocks, and on a form it often puts a label and its
value in two blocks (the label's line, then another line, then the value "beside" it).

Form furniture glued to words by OCR ("tên:......NGUYỄN") is split off first, and leaders
("......") are left out. Other punctuation stays as tokens so values read as printed
("Viêm thận kẽ - ống thận cấp"); label patterns step over it. Every token maps to one OCR
word (or a piece of one) through extensions.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Token

from pipeline.extract.codelabels import alternation
from pipeline.extract.confusions import confusions
from pipeline.extract.layout import reading_order
from pipeline.extract.layout import visual_lines as visual_lines  # tests'
from pipeline.extract.text import fold
from pipeline.models import BBox, OcrPage, OcrWord

_LEADER = re.compile(r"^[.·…_\-–—~]{2,}$")
#: (with a dash only before words without a digit: "02-Feb-1997" is a date)
_GLUED_NUMBER = re.compile(r"^(\d{1,2}[.,)])([^\W\d_].*)$|^(\d{1,2}[\-–])([^\W\d_]\D*)$")
#: a field's number printed with a dash ("16- Mạch", "02- Họ tên"), as many forms number
#: their fields: read as the dotted number ("16."), which ends the value before it
_DASHED_NUMBER = re.compile(r"^(\d{1,2})[-–]$")
#: a code's label of one word (codelabels: the lexicons' labels of code fields) glued to what
#: follows it: "MãB08.", "ICD-10082", "MãICD-I0K" (the code's letter, or a digit OCR read for
#: its letter, right after the label). A label in capitals never starts a word; "Mã", "Code"
#: do ("MAI", "CODEIN"): they are split off only before a number
_GLUED_CODE_LABEL = re.compile(
    f"^({alternation(True, acronyms=True)}|(?:{alternation(True, acronyms=False)})(?=.*\\d))"
    "([A-Z0-9].*)$",
    re.IGNORECASE,
)
#: a card's label with its colon read as a marked letter: "BHYTị"
_LABEL_COLON_AS_LETTER = re.compile(
    f"^({alternation(single_words=True)})[{re.escape(''.join(confusions().colon_as_letter))}]$"
)
_FURNITURE = re.compile(r"[.·…_]{2,}|(?<!\d)[:;|]+|[:;|]+(?!\d)|-{2,}")

# colon: a ':' followed the word (a label's end); the rest map the token to its OCR word
for _name, _default in (("conf", 0.0), ("bbox", None), ("line", -1), ("page", 0), ("colon", False)):
    if not Token.has_extension(_name):
        Token.set_extension(_name, default=_default)


@lru_cache(maxsize=1)
def blank_nlp() -> Language:
    import spacy

    # Multi-language blank pipeline: only its vocab is used, the words come from OCR.
    return spacy.blank("xx")


def _split_word(word: OcrWord) -> list[tuple[str, BBox, bool]]:
    """Split a word on glued leaders/colons; boxes are shared out by character count. The flag
    says whether a colon came right after the piece."""
    text = word.text
    x0, y0, x1, y1 = word.bbox
    per_char = (x1 - x0) / max(1, len(text))
    glued = _GLUED_NUMBER.match(text)
    if glued:  # "16.Mã", "9,HIcard", "16-M", "22)T°": the field's number, then its label
        number, after = (glued.group(1), glued.group(2)) if glued.group(1) else glued.group(3, 4)
        cut = round(x0 + len(number) * per_char)
        rest = replace(word, text=after, bbox=(cut, y0, x1, y1))
        return [(number[:-1] + ".", (x0, y0, cut, y1), False), *_split_word(rest)]
    dashed = _DASHED_NUMBER.match(text)
    if dashed:
        return [(dashed.group(1) + ".", word.bbox, False)]
    colon_read = _LABEL_COLON_AS_LETTER.match(text)
    if colon_read:
        return [(colon_read.group(1), word.bbox, True)]
    label = _GLUED_CODE_LABEL.match(text)
    if label:
        cut = round(x0 + len(label.group(1)) * per_char)
        rest = replace(word, text=label.group(2), bbox=(cut, y0, x1, y1))
        return [(label.group(1), (x0, y0, cut, y1), False), *_split_word(rest)]
    if not _FURNITURE.search(text):
        return [(text, word.bbox, False)]
    pieces = []
    pos = 0
    for m in list(_FURNITURE.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        piece = text[pos:end]
        colon = bool(m and ":" in m.group(0))
        if piece.strip():
            left = pos + len(piece) - len(piece.lstrip())
            right = left + len(piece.strip())
            box = (round(x0 + left * per_char), y0, round(x0 + right * per_char), y1)
            pieces.append((piece.strip(), box, colon))
        elif colon and pieces:
            pieces[-1] = (pieces[-1][0], pieces[-1][1], True)
        if m:
            pos = m.end()
    return pieces


def page_doc(page: OcrPage) -> Doc:
    words: list[str] = []
    meta: list[list] = []  # [confidence, bbox, line, colon after]
    for w in reading_order(page.words):
        for text, bbox, colon in _split_word(w):
            if not fold(text) and ":" in text and meta and meta[-1][2] == w.line_id:
                meta[-1][3] = True  # a lone ':' word ends the label before it
            if _LEADER.match(text) or text in {":", ";"}:
                continue
            words.append(text)
            meta.append([w.confidence, bbox, w.line_id, colon or text.endswith(":")])
    doc = Doc(blank_nlp().vocab, words=words, spaces=[True] * len(words))
    for token, (conf, bbox, line, colon) in zip(doc, meta, strict=True):
        token.norm_ = fold(token.text)
        token._.conf = conf
        token._.bbox = bbox
        token._.line = line
        token._.page = page.number
        token._.colon = colon
    return doc
