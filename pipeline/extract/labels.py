"""Find the printed labels on a page (fuzzy on folded words, labelindex); tell headings apart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import Levenshtein
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from pipeline.extract.confusions import confusions, read_for
from pipeline.extract.labelindex import LabelIndex, Step
from pipeline.extract.labelpieces import IN_PIECES, pieces_labels
from pipeline.extract.layout import height, label_gap_before, wide_gap
from pipeline.extract.layout import is_wall as _wall
from pipeline.extract.layout import line_end as _line_end
from pipeline.extract.layout import words_under as _words_under
from pipeline.extract.lexicon import load_lexicon
from pipeline.extract.parsing import parse_value
from pipeline.extract.text import fold, nfc

_LOOKALIKES = confusions().label_letter_groups


#: what OCR reads for the letter I (the confusions table: where a code starts, and anywhere)
_READ_FOR_I = re.escape(
    read_for(confusions().code_letter_at_start, "I") + read_for(confusions().code_letter_for, "I")
)
#: a section's Roman numeral, as printed or misread ("Il.")
_SECTION = re.compile(f"^[IVX][IVX{_READ_FOR_I}]{{0,3}}\\.")


def _is_heading(tokens: Span) -> bool:
    """A section heading ("II. QUẢN LÝ NGƯỜI BỆNH"): capitals only, or a Roman numeral first."""
    letters = [t.text for t in tokens if any(ch.isalpha() for ch in t.text)]
    return bool(letters) and (
        all(w.isupper() for w in letters) or bool(_SECTION.match(tokens[0].text))
    )


def _fuzzy_word(input_text: str, pattern_text: str, fuzzy: int = -1) -> bool:
    """Tolerate OCR slips in label words: one or two in longer ones; in a short word where
    the pattern allows it (``fuzzy`` 1), one letter read as its lookalike ("lộc" for "tộc")."""
    if fuzzy == 1:
        if len(input_text) != len(pattern_text):
            return False
        slips = [(a, b) for a, b in zip(input_text, pattern_text, strict=True) if a != b]
        return len(slips) <= 1 and all(
            any(a in group and b in group for group in _LOOKALIKES) for a, b in slips
        )
    n = len(pattern_text)
    allowed = 0 if n <= 5 else 1 if n <= 8 else 2
    return Levenshtein.distance(input_text, pattern_text, score_cutoff=allowed) <= allowed


def _word_pattern(word: str, label: tuple[str, ...]) -> Step:
    """A label word as the matcher takes it: a long word with a slip or two; a short word of
    three letters or more, in a label of several words, with one letter read as its
    lookalike ("Dân lộc" for "Dân tộc"; ``_one_slip`` keeps it to one word a label); two
    letters exactly."""
    if len(word) > 5:
        return (word, -1)
    if len(word) >= 3 and len(label) > 1:
        return (word, 1)
    return (word, None)


@lru_cache(maxsize=256)
def _variants(language: str, key: str) -> tuple[tuple[str, ...], ...]:
    """A field's label variants (folded words), each also as OCR reads it when it loses
    spaces between some of its words ("Số thẻBHYT", "HIcard", "Bácsĩphụ trách", "ThẻBHsố"),
    or reads one as a hyphen ("BS-phụ trách")."""
    variants = load_lexicon(language).labels[key]
    glued = [
        (*words[:i], joint.join(words[i:j]), *words[j:])
        for words in variants
        for i in range(len(words) - 1)
        for j in range(i + 2, len(words) + 1)
        for joint in (("", "-") if j == i + 2 else ("",))  # a hyphen joins two words only
    ]
    return tuple(dict.fromkeys((*variants, *glued)))


@lru_cache(maxsize=4)
def label_matcher(language: str) -> LabelIndex:
    """Every label variant of the language, each word as ``_word_pattern`` takes it, any
    punctuation between two words ("Ra viện - Bệnh chính", "Họ tên (In hoa)")."""
    return LabelIndex(
        [
            (
                key,
                [
                    [_word_pattern(w, variant) for w in variant]
                    for variant in _variants(language, key)
                ],
            )
            for key in load_lexicon(language).labels
        ],
        _fuzzy_word,
    )


@dataclass(frozen=True)
class LabelHit:
    key: str
    span: Span
    score: float  # 1.0 for an exact match of the folded label, less for fuzzy ones


def _label_score(span: Span, language: str, key: str) -> float:
    return _score_of(" ".join(t.norm_ for t in span if not t.is_punct), language, key)


@lru_cache(maxsize=20000)
def _score_of(found: str, language: str, key: str) -> float:
    """How close the words read (folded, joined by spaces) are to the key's closest label."""
    best = 0.0
    for variant in _variants(language, key):
        target = " ".join(variant)
        if len(variant) == len(found.split()):
            best = max(best, 1.0 - Levenshtein.normalized_distance(found, target))
    return round(best, 3)


def _one_slip(span: Span, language: str) -> bool:
    """At most one of the label's short words misread, and another read right: "Dân lộc",
    not "Dân lộn" nor "Sân lộc"."""
    return _one_slip_in(tuple(t.norm_ for t in span if not t.is_punct), language, span.label_)


@lru_cache(maxsize=20000)
def _one_slip_in(words: tuple[str, ...], language: str, key: str) -> bool:
    for variant in _variants(language, key):
        if len(variant) == len(words):
            slips = [w != v for w, v in zip(words, variant, strict=True)]
            short = sum(s for s, v in zip(slips, variant, strict=True) if len(v) <= 5)
            if short == 0 or (short == 1 and not all(slips)):
                return True
    return False


def find_labels(doc: Doc, language: str) -> list[LabelHit]:
    matcher = label_matcher(language)
    spans = []
    for key, start, end in matcher(doc):
        span = Span(doc, start, end, label=key)
        # a label never runs over two lines, nor across a gap into the next cell ("Thẻ BH
        # số | Căn cước công dân" holds no "Số căn cước công dân"; a dash bridges one: "Ra
        # viện  -  Bệnh chính")
        if (
            span[0]._.line == span[-1]._.line
            and not any(
                label_gap_before(doc, span[i : i + 1])
                for i in range(1, len(span))
                if not (span[i].is_punct or span[i - 1].is_punct)
            )
            and _one_slip(span, language)
        ):
            spans.append(span)
    wrapped = _wrapped_labels(doc, language)
    scores = {
        (s.start, s.end, s.label): 1.0 if s in wrapped else _label_score(s, language, s.label_)
        for s in spans + list(wrapped)
    }
    # a label read in pieces only on words no label was found on: it never beats a read one
    taken = {i for s in spans + list(wrapped) for i in range(s.start, s.end)}
    for span, score in pieces_labels(doc, language, _line_starts(doc), taken):
        scores[(span.start, span.end, span.label)] = score
        doc.user_data.setdefault(IN_PIECES, set()).add((span.start, span.end))
    # the longest label wins an overlap, and of two on the same words the closer match
    # ("Nhậpviện" is "Nhập viện", not "Số nhập viện" missing a word); a label wrapped in its
    # cell counts as read whole
    closest_first = sorted(scores, key=lambda k: -scores[k])
    kept = sorted(
        filter_spans([Span(doc, a, b, label=label) for a, b, label in closest_first]),
        key=lambda s: s.start,
    )
    hits = [LabelHit(s.label_, s, scores[(s.start, s.end, s.label)]) for s in kept]
    # a bare abbreviation right after another label on its line is that label's value: a
    # card of group CN after "Mã thẻ BHYT:" is no weight (but "HA" in a row of column heads,
    # between "Nhiệt" and "NT", is a head)
    ends = {
        i
        for h in hits
        if (i := _after_punct(doc, h.span.end)) < len(doc) and doc[i]._.line == h.span[-1]._.line
    }
    starts = {h.span.start for h in hits}
    hits = [
        h
        for h in hits
        if not (_bare_abbreviation(h) and h.span.start in ends and not _heads(doc, h, starts))
    ]
    # A label of two or three letters ("HA", "CN", "RR") is also a word or code inside values
    # (the name "Hà", the BHYT group "CN"): it counts only where a field starts.
    # A one-word label in capitals that starts no field is a word of a heading ("BỆNH VIỆN ĐA
    # KHOA TỈNH …"), not the label "Khoa".
    return [
        h
        for h in hits
        if (
            starts_field(doc, h)
            or (
                len(_letters(h.span)) > 3
                and not _in_heading(doc, h.span)
                and not _other_marks(h, language)
            )
            or _code_follows(doc, h)
        )
        and not _section_title(doc, h)
        and not _lone_letter(doc, h)
        and not _small_word(doc, h, starts, language)
        and not _starts_card(doc, h)
    ]


def _line_starts(doc: Doc) -> list[int]:
    """Each line's first word, or the word after its field's number ("16.")."""
    starts = []
    for i, token in enumerate(doc):
        if i == 0 or doc[i - 1]._.line != token._.line:
            numbered = i + 1 < len(doc) and doc[i + 1]._.line == token._.line
            starts.append(i + 1 if numbered and _ENUMERATOR.match(token.text) else i)
    return starts


def _other_marks(hit: LabelHit, language: str) -> bool:
    """A one-word label's letters with other marks: another word ("Nghệ" of "Nghệ An" is no
    "Nghề")."""
    word = hit.span.text.strip(".:;,")
    if len(hit.span) != 1 or language != "vi":
        return False
    if (fold(word),) not in load_lexicon(language).labels[hit.key]:
        return False  # a label of several words read glued ("Nghềnghiệp") is not one word
    return _unprinted(word, language)


def _lone_letter(doc: Doc, hit: LabelHit) -> bool:
    """A label of one letter ("M" for mạch, "T°", "P") is any letter of a name, a code or a
    unit: it counts only numbered as a field ("16- M") or with its colon ("M: 86")."""
    if len(_letters(hit.span)) != 1 or hit.span[-1]._.colon:
        return False
    i = hit.span.start - 1
    return not (i >= 0 and doc[i]._.line == hit.span[0]._.line and _ENUMERATOR.match(doc[i].text))


def _unprinted(word: str, language: str) -> bool:
    """A word with marks no label of the language prints it with."""
    return nfc(word.strip(".:;,")).lower() not in load_lexicon(language).printed


def _small_word(doc: Doc, hit: LabelHit, starts: set[int], language: str) -> bool:
    """A label of two or three letters read in small letters with a mark, no colon after it:
    a word, not the label, when its marks are none of the label's ("Hạ kali máu" is no "HA"
    for the blood pressure) or another word of a name follows ("Hà Văn Tuấn", "Mã Văn Lực"
    under "Bác sĩ phụ trách")."""
    text = hit.span.text
    if len(hit.span) != 1 or len(_letters(hit.span)) > 3 or hit.span[-1]._.colon:
        return False
    if text.isupper() or text.isascii():  # "HA", and labels written so: "Sex", "Job"
        return False
    if _unprinted(text, language):
        return True
    after = hit.span.end
    if after >= len(doc) or doc[after]._.line != hit.span[-1]._.line or after in starts:
        return False
    word = doc[after].text
    return len(word) > 1 and word.isalpha() and word[0].isupper() and word[1:].islower()


@lru_cache(maxsize=4)
def _label_beginnings(language: str) -> dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]]:
    """Each label's beginnings of two words or more, or of one long word ("Ngày/tháng/năm"
    over "sinh") -> (field key, the whole label)."""
    beginnings: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = {}
    for key in load_lexicon(language).labels:
        for variant in _variants(language, key):
            for n in range(1 if len(variant[0]) >= 8 else 2, len(variant)):
                beginnings.setdefault(variant[:n], []).append((key, variant))
    return beginnings


def _wrapped_labels(doc: Doc, language: str) -> set[Span]:
    """Labels that wrapped in a narrow table cell ("Thành phần dân" over "tộc", "Nghề
    nghiệp hiện" over "tại:"): the first line's words begin a label, and the words right
    under their first word end it. The span is the first line's part, where the value
    stands beside it."""
    beginnings = _label_beginnings(language)
    firsts = {words[0] for words in beginnings}
    found = set()
    every = [fold(t.text) for t in doc]
    present = set(every)  # a label's end under its beginning is a word of the page
    i = 0
    while i < len(doc):
        end = _line_end(doc, i)
        folded = every[i:end]
        # a wrapped label ends anywhere on its line: at the line's end, its cell's, or where
        # its value starts ("Thành phần dân Kinh" over "tộc:")
        for a in range(i, end):
            if next((w for w in folded[a - i :] if w), None) not in firsts:
                continue  # no label begins with the words from here
            for b in range(a + 1, min(end, a + 8) + 1):
                words = tuple(w for w in folded[a - i : b - i] if w)
                under: list[Token] | None = None  # the words under doc[a:b], found once
                for key, variant in beginnings.get(words, ()):
                    if variant[len(words)] not in present:
                        continue
                    if b < end and folded[b - i] == variant[len(words)]:
                        continue  # the label goes on on its line: not wrapped
                    if under is None:
                        under = _words_under(doc, doc[a:b])
                    tail = under[: len(variant) - len(words)]
                    if tuple(fold(t.text) for t in tail) == variant[len(words) :]:
                        found.add(Span(doc, a, b, label=key))
                        # the label's end is no value's wrapped text
                        doc.user_data.setdefault("label_tails", set()).update(t.i for t in tail)
        i = end
    return found


#: an ICD-10 code as printed after its label, its I maybe read as 1 ("Mã 163.9")
_CODE_SHAPE = re.compile(f"^\\(?[A-Z{_READ_FOR_I}][0-9]{{2}}(?:\\.[0-9]{{1,2}})?\\)?[.,;]?$")


def _code_follows(doc: Doc, hit: LabelHit) -> bool:
    """A short code label ("Mã") inside a line counts when a code follows it: "… không đặc
    hiệu Mã 163.9"."""
    after = hit.span.end
    return (
        hit.key == "encounter.discharge_icd10"
        and after < len(doc)
        and doc[after]._.line == hit.span[-1]._.line
        and bool(_CODE_SHAPE.match(doc[after].text))
    )


def _in_heading(doc: Doc, span: Span) -> bool:
    """One capitalised word between capitalised words of its line (words maybe read joined
    by a hyphen: "BỆNH VIỆN-ĐA KHOA THÀNH PHỐ …")."""
    if len(span) != 1 or not span.text.isupper() or span.start == 0 or span.end == len(doc):
        return False
    around = (doc[span.start - 1], doc[span.end])
    return all(
        t._.line == span[0]._.line and t.text.replace("-", "").isalpha() and t.text.isupper()
        for t in around
    )


def _section_title(doc: Doc, hit: LabelHit) -> bool:
    """A label in capitals after a section's Roman numeral ("IV. TÌNH TRẠNG RA VIỆN") titles
    a section of fields, and is none of them."""
    i = hit.span.start - 1
    return (
        i >= 0
        and doc[i]._.line == hit.span[0]._.line
        and bool(_SECTION.match(doc[i].text))
        and all(t.text.isupper() for t in hit.span if t.text.isalpha())
    )


def _letters(span: Span) -> str:
    return "".join(t.norm_ for t in span if not t.is_punct)


_ENUMERATOR = re.compile(r"^\(?\d{1,2}[.)]$|^[IVX]{1,4}\.$")


def _after_punct(doc: Doc, i: int) -> int:
    while i < len(doc) and doc[i].is_punct:
        i += 1
    return i


def _bare_abbreviation(hit: LabelHit) -> bool:
    """A label of two or three capitals and no colon ("CN" for cân nặng): right after another
    label it is that label's value ("Mã thẻ BHYT: CN 3 83 …", a card of group CN)."""
    text = hit.span.text
    return len(hit.span) == 1 and len(text) <= 3 and text.isupper() and not hit.span[-1]._.colon


def _starts_card(doc: Doc, hit: LabelHit) -> bool:
    """A bare abbreviation that begins a whole health-insurance number on its line is the
    card's group, not a label: "DT 2 30 3081644350" under "Số BHYT" ("ĐT" is the phone's)."""
    if not _bare_abbreviation(hit):
        return False
    parsed = parse_value(
        "insurance_number", doc[hit.span.start : _line_end(doc, hit.span.start)].text
    )
    return parsed is not None and not parsed.checks_failed


def _heads(doc: Doc, hit: LabelHit, starts: set[int]) -> bool:
    """Another label, or the line's end, right after the label (past specks: a cell's rule
    read as "l"): it has no value beside it."""
    after = _after_punct(doc, hit.span.end)
    while after < len(doc) and _speck(doc[after]) and doc[after]._.line == hit.span[-1]._.line:
        after = _after_punct(doc, after + 1)
    return after >= len(doc) or after in starts or doc[after]._.line != hit.span[-1]._.line


def _speck(token: Token) -> bool:
    """A stray letter or mark, no digit: a rule or a speck read as "l", "I", "—"."""
    return sum(ch.isalnum() for ch in token.text) <= 1 and not any(
        ch.isdigit() for ch in token.text
    )


def _field_number(doc: Doc, i: int) -> int | None:
    """The number printed before a label ("16." in "16. Mạch"), if token ``i`` is one."""
    m = re.fullmatch(r"\(?(\d{1,2})[.)]?", doc[i].text) if i >= 0 else None
    return int(m.group(1)) if m else None


def _next_number(doc: Doc, i: int, own: int | None) -> bool:
    """Is token ``i``, ending a value, the next field's number rather than the value ("87." in
    "16. Mạch: 87. 17. Nhiệt độ")? A Roman numeral always is (a section's); a number is when
    it is the label's number plus one, or when words follow it on its line (the next label,
    matched or not). A number ending its line is the value, its stop a leader's remnant."""
    text = doc[i].text
    if not _ENUMERATOR.match(text):
        return False
    if not text.lstrip("(")[0].isdigit():
        return True
    if own is not None and _field_number(doc, i) == own + 1:
        return True
    after = doc[i + 1] if i + 1 < len(doc) else None
    return after is not None and after._.line == doc[i]._.line and after.text[0].isalpha()


def starts_field(doc: Doc, hit: LabelHit) -> bool:
    """Is this label really the start of another field, or words inside a value (the BP label
    "huyết áp" inside the diagnosis "Tăng huyết áp")? A field starts after an enumerator
    ("16."), after a wide gap, or ends in a colon."""
    first, last = hit.span[0], hit.span[-1]
    if last._.colon:
        return True
    if first.i == 0 or doc[first.i - 1]._.line != first._.line:
        return True
    i = first.i - 1
    while i > 0 and _wall(doc[i]) and doc[i - 1]._.line == first._.line:
        i -= 1  # punctuation, a cell's wall, a speck ("Ethnic origin ¢ Employment")
    before = doc[i]
    if _ENUMERATOR.match(before.text):
        return True
    if re.fullmatch(r"\d{1,2}", before.text) and (i == 0 or doc[i - 1]._.line != first._.line):
        return True  # the field's number read apart from its dot: "9 . Tel"
    if (before.is_punct or _wall(before)) and (i == 0 or doc[i - 1]._.line != first._.line):
        return True  # only brackets, bullets or a box before it: "(Ký, ghi rõ họ tên)"
    return wide_gap(before, first, height([first]))
