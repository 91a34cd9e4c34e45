"""The one confusions table (``confusions.json``): what OCR reads in place of what was printed,
by what the place must hold (a digit, a code's letter, a word's letter, a date separator).

Loaded strictly: an unknown section or an entry that is not one character for one character
is refused at start-up, so a records department's edit cannot be silently ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("confusions.json")
_MAPS = (
    "digit_for",
    "code_letter_for",
    "code_letter_symbols",
    "code_letter_at_start",
    "word_letter_for",
    "separator_for",
    "date_digit_for",
)
#: one character to the several it may stand for
_SLIPS = ("code_letter_slips", "code_digit_slips")
_SETS = ("box_walls", "label_letter_groups", "tick_letters", "wall_letters", "colon_as_letter")


@dataclass(frozen=True)
class Confusions:
    digit_for: dict[int, str]
    code_letter_for: dict[int, str]
    #: symbols read for a code's letter ("€22.0" is C22.0), put right anywhere in a code's text
    code_letter_symbols: dict[int, str]
    #: characters read for a code's letter where a code starts ("]44.1", "l 48.9"), only there
    code_letter_at_start: dict[int, str]
    word_letter_for: dict[int, str]
    separator_for: dict[int, str]
    #: a digit read for a worn 0 or a 1 in a date's number out of range ("18/92/2009")
    date_digit_for: dict[int, str]
    #: what each character of a code may have been printed as (one slip away)
    code_letter_slips: dict[str, str]
    code_digit_slips: dict[str, str]
    #: what OCR reads in place of a digit or a box's wall: a reading made only of these and a
    #: number's characters is a number printed alone
    digit_lookalikes: frozenset[str]
    #: letters a worn or faint print turns into each other, one group a string
    label_letter_groups: tuple[str, ...]
    #: a tick as read glued to the option it marks, and a box's wall read between them
    tick_letters: tuple[str, ...] = ()
    wall_letters: tuple[str, ...] = ()
    #: a colon read as a letter glued to its label ("BHYTị")
    colon_as_letter: tuple[str, ...] = ()


def parse_confusions(data: Any) -> Confusions:
    if not isinstance(data, dict):
        raise ValueError("the confusions table must be a JSON object")
    unknown = set(data) - {"description", *_MAPS, *_SLIPS, *_SETS}
    missing = {*_MAPS, *_SLIPS, *_SETS} - set(data)
    if unknown or missing:
        raise ValueError(
            f"confusions table: unknown sections {sorted(unknown)}, missing {sorted(missing)}"
        )
    maps: dict[str, dict[int, str]] = {}
    for name in _MAPS:
        section = data[name]
        if not isinstance(section, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and len(k) == 1 and len(v) == 1
            for k, v in section.items()
        ):
            raise ValueError(f"confusions table: {name} must map one character to one")
        maps[name] = str.maketrans(section)
    slips: dict[str, dict[str, str]] = {}
    for name in _SLIPS:
        section = data[name]
        if not isinstance(section, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and len(k) == 1 and v
            for k, v in section.items()
        ):
            raise ValueError(f"confusions table: {name} must map one character to some")
        slips[name] = dict(section)
    for name in _SETS:
        if not isinstance(data[name], list) or not all(isinstance(x, str) for x in data[name]):
            raise ValueError(f"confusions table: {name} must be a list of strings")
    walls = data["box_walls"]
    for name in ("box_walls", "tick_letters", "wall_letters", "colon_as_letter"):
        if not all(len(w) == 1 for w in data[name]):
            raise ValueError(f"confusions table: {name} must be single characters")
    return Confusions(
        digit_for=maps["digit_for"],
        code_letter_for=maps["code_letter_for"],
        code_letter_symbols=maps["code_letter_symbols"],
        code_letter_at_start=maps["code_letter_at_start"],
        word_letter_for=maps["word_letter_for"],
        separator_for=maps["separator_for"],
        date_digit_for=maps["date_digit_for"],
        code_letter_slips=slips["code_letter_slips"],
        code_digit_slips=slips["code_digit_slips"],
        digit_lookalikes=frozenset(data["digit_for"]) | frozenset(walls),
        label_letter_groups=tuple(data["label_letter_groups"]),
        tick_letters=tuple(data["tick_letters"]),
        wall_letters=tuple(data["wall_letters"]),
        colon_as_letter=tuple(data["colon_as_letter"]),
    )


def read_for(section: dict[int, str], printed: str, upper: bool = False) -> str:
    """The characters a section reads for any of ``printed`` ("0" in ``digit_for``: "OoDQ"),
    in the table's order; with ``upper``, only its capitals (a text already upper-cased)."""
    return "".join(
        chr(k) for k, v in section.items() if v in printed and (chr(k).isupper() or not upper)
    )


@lru_cache(maxsize=1)
def confusions() -> Confusions:
    return parse_confusions(json.loads(TABLE.read_text(encoding="utf-8")))
