"""Label patterns found on a page from an index of their first words.

A label variant is a run of words, any punctuation allowed between two of them ("Ra viện -
Bệnh chính"); each word is matched exactly or with OCR slips (``fuzzy_compare``, the spaCy
Matcher's FUZZY semantics). The matches are those of ``spacy.matcher.Matcher`` with the same
patterns (``{"NORM": …}`` words, ``{"IS_PUNCT": True, "OP": "*"}`` between them), without a
predicate called per word of the page and per pattern: the words a page's word could be come
from one edit-distance scan (rapidfuzz), kept per folded form, and only the patterns that
start with one of them are followed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from spacy.tokens import Doc

#: a pattern's word: the folded word, and its fuzziness (None: exact; else ``fuzzy_compare``'s)
Step = tuple[str, int | None]
#: the most edits any fuzzy comparison allows (``fuzzy_compare`` says which it accepts)
MAX_EDITS = 2
_CACHE_SIZE = 100_000


class LabelIndex:
    def __init__(
        self,
        labels: Sequence[tuple[str, Sequence[Sequence[Step]]]],
        fuzzy_compare: Callable[[str, str, int], bool],
    ) -> None:
        """``labels``: each key with its patterns, in the order a Matcher would be given them."""
        self.keys = [key for key, _ in labels]
        self._compare = fuzzy_compare
        steps: dict[Step, int] = {}
        #: per pattern: its key's index and its words' step ids
        self._patterns: list[tuple[int, tuple[int, ...]]] = []
        for k, (_, patterns) in enumerate(labels):
            for pattern in patterns:
                ids = tuple(steps.setdefault(step, len(steps)) for step in pattern)
                self._patterns.append((k, ids))
        self._steps = list(steps)
        self._words = sorted({word for word, _ in steps})
        self._steps_of: dict[str, list[int]] = {}
        for i, (word, _) in enumerate(self._steps):
            self._steps_of.setdefault(word, []).append(i)
        self._by_first: dict[int, list[int]] = {}
        for p, (_, ids) in enumerate(self._patterns):
            self._by_first.setdefault(ids[0], []).append(p)
        self._cache: dict[str, frozenset[int]] = {}

    def _matching(self, norm: str) -> frozenset[int]:
        """The steps a word of the page, folded, matches."""
        found = self._cache.get(norm)
        if found is None:
            near = process.extract(
                norm, self._words, scorer=Levenshtein.distance, score_cutoff=MAX_EDITS, limit=None
            )
            found = frozenset(
                i
                for word, _, _ in near
                for i in self._steps_of[word]
                if norm == word
                or ((fuzzy := self._steps[i][1]) is not None and self._compare(norm, word, fuzzy))
            )
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[norm] = found
        return found

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        """Every (key, start, end) some pattern of the key matches, each once; by end, then
        start, then the keys' order."""
        matched = [self._matching(t.norm_) for t in doc]
        punct = [t.is_punct for t in doc]
        n = len(doc)
        found: set[tuple[int, int, int]] = set()
        for start in range(n):
            for first in matched[start]:
                for p in self._by_first.get(first, ()):
                    key, ids = self._patterns[p]
                    stack = [(start + 1, 1)]  # the next word of the page, of the pattern
                    while stack:
                        t, w = stack.pop()
                        if w == len(ids):
                            found.add((t, start, key))
                            continue
                        if t >= n:
                            continue
                        if ids[w] in matched[t]:
                            stack.append((t + 1, w + 1))
                        if punct[t]:  # punctuation between two words
                            stack.append((t + 1, w))
        return [(self.keys[key], start, end) for end, start, key in sorted(found)]
