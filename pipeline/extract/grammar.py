"""Pieces every value grammar shares: the parsed value and its checks, wording alternations."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline.extract.confusions import confusions


@dataclass(frozen=True)
class ParsedValue:
    value: str
    checks_passed: tuple[str, ...] = ()
    checks_failed: tuple[str, ...] = ()


def _after_tick() -> str:
    """Where a wording may start: not after a letter, or after a tick read glued to it, with or
    without a box's wall between (the confusions table's tick and wall letters)."""
    table = confusions()
    glued = [t + w for t in table.tick_letters for w in ("", *table.wall_letters)]
    glued = [g for g in glued if g[-1].isalpha()]  # after a mark, (?<![a-z]) holds already
    return "(?:(?<![a-z])" + "".join(f"|(?<={re.escape(g)})" for g in glued) + ")"


def wording_pattern(groups: Mapping[str, Iterable[str]], joiner: str) -> re.Pattern[str]:
    """One alternation over folded wordings, each a named group ``<value>_<n>``; longest first,
    whole words only, spaces (and for outcomes commas) between words optional."""
    parts = []
    before = _after_tick()
    for value, wordings in groups.items():
        for i, wording in enumerate(sorted(wordings, key=len, reverse=True)):
            body = joiner.join(re.escape(w) for w in wording.replace(",", "").split())
            parts.append(f"(?P<{value}_{i}>{before}{body}(?![a-z]))")
    return re.compile("|".join(parts))
