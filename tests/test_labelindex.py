"""The label index finds what spaCy's Matcher finds with the same patterns: the same matches,
and of two labels on the same words the same one first (the closer match wins a tie by it)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from spacy.matcher import Matcher
from spacy.tokens import Doc

from pipeline.extract.doc import blank_nlp
from pipeline.extract.labelindex import LabelIndex, Step
from pipeline.extract.labels import _fuzzy_word, _variants, _word_pattern, label_matcher
from pipeline.extract.lexicon import load_lexicon
from pipeline.extract.text import fold

_PUNCT = ["-", ":", "(", ")", ",", ".", "/", "|"]


def _spacy_matcher(patterns: list[tuple[str, list[list[Step]]]]) -> Matcher:
    matcher = Matcher(blank_nlp().vocab, fuzzy_compare=_fuzzy_word)
    for key, variants in patterns:
        specs = []
        for variant in variants:
            spec: list[dict[str, Any]] = []
            for i, (word, fuzzy) in enumerate(variant):
                if i:
                    spec.append({"IS_PUNCT": True, "OP": "*"})
                op = {None: None, -1: "FUZZY", 1: "FUZZY1"}[fuzzy]
                spec.append({"NORM": word if op is None else {op: word}})
            specs.append(spec)
        matcher.add(key, specs)
    return matcher


def _misread(word: str, rng: random.Random) -> str:
    """A word as OCR might read it: as printed, a letter changed, dropped or doubled, or one
    of a lookalike pair swapped."""
    i = rng.randrange(len(word))
    return rng.choice(
        [
            word,
            word,
            word[:i] + rng.choice("abcdehilnortu") + word[i + 1 :],
            word[:i] + word[i + 1 :] or word,
            word[:i] + word[i] + word[i:],
            word.replace("t", "l", 1),
            word.replace("e", "c", 1),
            word.replace("n", "u", 1),
        ]
    )


def _page(language: str, rng: random.Random, length: int = 300) -> Doc:
    """Labels of the language misread, glued, with punctuation between their words, among
    other words."""
    labels = [v for vs in load_lexicon(language).labels.values() for v in vs]
    words: list[str] = []
    while len(words) < length:
        label = list(rng.choice(labels))
        for j, word in enumerate(label):
            if j and rng.random() < 0.2:
                words.append(rng.choice(_PUNCT))
            words.append(_misread(word, rng))
        if rng.random() < 0.3:
            words.append(rng.choice(["Nguyen", "12", "03/2024", "Kinh", "x", "..."]))
    doc = Doc(blank_nlp().vocab, words=words)
    for token in doc:
        token.norm_ = fold(token.text)
    return doc


@pytest.mark.parametrize("language", ["vi", "en"])
def test_same_matches_as_spacy_matcher(language: str) -> None:
    index = label_matcher(language)
    patterns = [
        (key, [[_word_pattern(w, v) for w in v] for v in _variants(language, key)])
        for key in load_lexicon(language).labels
    ]
    matcher = _spacy_matcher(patterns)
    strings = blank_nlp().vocab.strings
    rng = random.Random(5)
    seen = misread = 0
    for _ in range(8):
        doc = _page(language, rng)
        expected = [(strings[k], s, e) for k, s, e in matcher(doc)]
        found = index(doc)
        assert sorted(found) == sorted(expected)
        # on the same words, the labels in the Matcher's order
        for _, start, end in expected:
            assert [k for k, s, e in found if (s, e) == (start, end)] == [
                k for k, s, e in expected if (s, e) == (start, end)
            ]
        seen += len(found)
        misread += sum(
            tuple(t.norm_ for t in doc[s:e] if not t.is_punct) not in _variants(language, k)
            for k, s, e in found
        )
    assert seen > 200 and misread > 20  # the pages held labels, misread ones among them


def test_labels_on_the_same_words_keep_the_keys_order() -> None:
    """Two keys that print the same words: the one given first comes first, as in the Matcher
    (the first of two equally close labels wins their overlap)."""
    patterns: list[tuple[str, list[list[Step]]]] = [
        ("second.key", [[("ho", None), ("ten", None)]]),
        ("first.key", [[("hoten", -1)], [("ho", None), ("ten", None)]]),
    ]
    index = LabelIndex(patterns, _fuzzy_word)
    doc = Doc(blank_nlp().vocab, words=["Họ", "-", "tên", ":", "Nguyen"])
    for token in doc:
        token.norm_ = fold(token.text)
    strings = blank_nlp().vocab.strings
    expected = [(strings[k], s, e) for k, s, e in _spacy_matcher(patterns)(doc)]
    assert index(doc) == expected == [("second.key", 0, 3), ("first.key", 0, 3)]
