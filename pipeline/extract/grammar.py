"""Pieces every value grammar shares: the parsed value and its checks, wording alternations."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ParsedValue:
    value: str
    checks_passed: tuple[str, ...] = ()
    checks_failed: tuple[str, ...] = ()


def wording_pattern(groups: Mapping[str, Iterable[str]], joiner: str) -> re.Pattern[str]:
    """One alternation over folded wordings, each a named group ``<value>_<n>``; longest first,
    whole words only, spaces (and for outcomes commas) between words optional."""
    parts = []
    for value, wordings in groups.items():
        for i, wording in enumerate(sorted(wordings, key=len, reverse=True)):
            body = joiner.join(re.escape(w) for w in wording.replace(",", "").split())
            # a tick may be read glued to its option ("XKhỏi", "[XlKhông")
            before = r"(?:(?<![a-z])|(?<=x)|(?<=xl)|(?<=xi))"
            parts.append(f"(?P<{value}_{i}>{before}{body}(?![a-z]))")
    return re.compile("|".join(parts))
