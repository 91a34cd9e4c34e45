"""Is a word a possible Vietnamese syllable? A check on names, places and diagnoses.

Tesseract's ``vie`` model reads stacked marks wrongly with some fonts ("Chấn" -> "Châñ",
"nguồn" -> "nguôà") at high confidence. Vietnamese syllables have a fixed shape — initial
consonant, rhyme (vần), one tone mark on a vowel, and stop finals (c, ch, p, t) only with the
sắc or nặng tone — so such readings can be caught without a dictionary. Words without any
Vietnamese mark are left alone: they may be English, or Vietnamese printed without marks.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pipeline.extract.text import fold, has_marks, strip_diacritics

# Combining tone marks: huyền, sắc, ngã, hỏi, nặng.
TONE_MARKS = {
    "\u0300": "grave",
    "\u0301": "acute",
    "\u0303": "tilde",
    "\u0309": "hook",
    "\u0323": "dot",
}
_VOWELS = set("aăâeêioôơuưy")
# longest first; "qu" is q and a rhyme in u
_INITIALS_TEXT = "ngh ng gh gi kh nh ph th tr ch b c d đ g h k l m n p q r s t v x"
_RHYMES_TEXT = """
    a ac ach ai am an ang anh ao ap at au ay
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et
    ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
    o oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt
    oc oe oen oeo oet oi om on ong ooc oong op ot
    ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u ua uân uâng uât uây uc uê uêch uênh uơ ui um un ung uôc uôi uôm uôn uông uôt up ut
    uy uya uych uyên uyêt uynh uyt uyu uê uy ue ueo uen uet uach uang uanh uan uat uai uay
    ư ưa ưc ưi ưm ưn ưng ươc ươi ươm ươn ương ươp ươt ươu ưt ưu
    y yêm yên yêng yêt yêu
    ak ăk âk ek êk ok ôk ơk uk ưk
"""  # the last row: place names of the Central Highlands ("Đắk Lắk")
_INITIALS = _INITIALS_TEXT.split()
_RHYMES = set(_RHYMES_TEXT.split())
_STOP_FINALS = ("c", "ch", "p", "t", "k")


#: a vowel's own marks (circumflex, breve, horn): a vowel that has one takes the tone
_VOWEL_MARKS = {"\u0302", "\u0306", "\u031b"}


def _split_tone(word: str) -> tuple[str, list[str]] | None:
    """The word without its tone marks, and the tones; None if a tone sits on a consonant, or
    on a bare vowel beside one with its own mark ("Câù": the tone belongs on the "â")."""
    base: list[str] = []
    tones: list[str] = []
    toned: list[int] = []  # which letter each tone sits on
    for ch in unicodedata.normalize("NFD", word):
        if ch in TONE_MARKS:
            letters = [b for b in base if not unicodedata.combining(b)]
            if not letters or letters[-1] not in "aeiouy":
                return None
            tones.append(TONE_MARKS[ch])
            toned.append(len(letters) - 1)
        else:
            base.append(ch)  # letters, and a vowel's own mark (circumflex, breve, horn)
    marked, letter = set(), -1
    for ch in base:
        if not unicodedata.combining(ch):
            letter += 1
        elif ch in _VOWEL_MARKS:
            marked.add(letter)
    if marked and any(i not in marked for i in toned):
        return None
    text = unicodedata.normalize("NFC", "".join(base))
    return text, tones


@lru_cache(maxsize=20000)
def is_syllable(word: str) -> bool:
    """``True`` for a possible Vietnamese syllable (case ignored), e.g. "Nguyễn", "phổi"."""
    split = _split_tone(word.lower())
    if split is None:
        return False
    text, tones = split
    if len(tones) > 1 or not text.isalpha():
        return False
    rest = text
    for initial in _INITIALS:
        if text.startswith(initial) and len(text) > len(initial):
            rest = text[len(initial) :]
            if initial == "gi" and rest[0] not in _VOWELS:
                rest = "i" + rest  # "gìn": g + in
            break
    if rest not in _RHYMES and not (text.startswith("gi") and "i" + rest in _RHYMES):
        return False
    if rest.endswith(_STOP_FINALS):
        return bool(tones) and tones[0] in ("acute", "dot")
    return True


@lru_cache(maxsize=1)
def _bare_rhymes() -> frozenset[str]:
    return frozenset(strip_diacritics(r) for r in _RHYMES)


def could_be_syllable(word: str) -> bool:
    """A word as printed or read without its marks ("NGUYEN", "QUYEN") that some marks would
    make a syllable; a marked word must be one as it is."""
    if has_marks(word):
        return is_syllable(word)
    bare = fold(word)
    if not bare.isalpha() or not bare.isascii():
        return False
    for initial in (*(fold(i) for i in _INITIALS), ""):
        if bare.startswith(initial) and len(bare) > len(initial):
            rest = bare[len(initial) :]
            if rest in _bare_rhymes() or (initial == "g" and "i" + rest in _bare_rhymes()):
                return True
    return False


#: vowels that carry their own mark (circumflex, breve, horn) and so take the tone mark
_MODIFIED_VOWELS = set("âăêôơưÂĂÊÔƠƯ")


def restack_marks(word: str) -> str | None:
    """A syllable whose stacked marks the ``vie`` model pulled apart: the tone mark of "ầ",
    "ễ", "ấ" put on the next letter ("Câù" for "Cầu", "Nguyêñ" for "Nguyễn"), or that letter,
    an "n", read as the vowel carrying it ("Trâà" for "Trần", "Thăúg" for "Thắng"). The tone
    goes back on the marked vowel; None when that makes no syllable. ("Châñ" becomes
    "Chẫn", where "Chấn" was printed: the mark itself may be wrong, so a person checks.)"""
    nfc_chars = list(unicodedata.normalize("NFC", word))
    for i, ch in enumerate(nfc_chars[:-1]):
        if ch not in _MODIFIED_VOWELS:
            continue
        nxt = unicodedata.normalize("NFD", nfc_chars[i + 1])
        tones = [m for m in nxt if m in TONE_MARKS]
        if len(tones) != 1:
            return None
        base = "".join(m for m in nxt if m not in TONE_MARKS)
        toned = unicodedata.normalize("NFC", unicodedata.normalize("NFD", ch) + tones[0])
        for letter in (base, "N" if base.isupper() else "n"):
            fixed = "".join(nfc_chars[:i]) + toned + letter + "".join(nfc_chars[i + 2 :])
            fixed = unicodedata.normalize("NFC", fixed)
            if is_syllable(fixed):
                return fixed
        return None
    return None


def misspelt_words(text: str) -> list[str]:
    """Words carrying Vietnamese marks that no Vietnamese syllable has (a stray mark alone,
    "ˆ", is not a word)."""
    out = []
    for word in re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text)):
        if has_marks(word) and re.search(r"[a-z]", fold(word)) and not is_syllable(word):
            out.append(word)
    return out
