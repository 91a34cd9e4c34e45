"""Score exported charts against ground truth: accuracy, automation and precision per field.

Used by the accuracy benchmark and the end-to-end tests; reads only export records and truth
files, so it measures exactly what a hospital would receive.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class FieldScore:
    total: int = 0
    right: int = 0  # value equals the truth, whatever the decision
    auto: int = 0  # auto-accepted
    auto_right: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0

    @property
    def automation(self) -> float:
        return self.auto / self.total if self.total else 0.0

    @property
    def auto_precision(self) -> float | None:
        return self.auto_right / self.auto if self.auto else None


@dataclass
class Scorecard:
    fields: dict[str, FieldScore] = field(default_factory=dict)
    documents: int = 0
    missing_documents: list[str] = field(default_factory=list)
    wrong_auto: list[tuple[str, str]] = field(default_factory=list)  # (document, field key)
    #: every wrong value: (document, key, read, expected, decision); synthetic data only
    errors: list[tuple[str, str, str | None, str | None, str]] = field(default_factory=list)

    @property
    def overall(self) -> FieldScore:
        total = FieldScore()
        for s in self.fields.values():
            total.total += s.total
            total.right += s.right
            total.auto += s.auto
            total.auto_right += s.auto_right
        return total

    def table(self) -> str:
        def pct(v: float | None) -> str:
            return "   -  " if v is None else f"{v:6.1%}"

        rows = [f"{'field':34} {'n':>4} {'accuracy':>9} {'auto':>7} {'auto precision':>15}"]
        for key, s in sorted(self.fields.items()):
            rows.append(
                f"{key:34} {s.total:4} {pct(s.accuracy):>9} {pct(s.automation):>7} "
                f"{pct(s.auto_precision):>15}"
            )
        o = self.overall
        rows.append(
            f"{'ALL':34} {o.total:4} {pct(o.accuracy):>9} {pct(o.automation):>7} "
            f"{pct(o.auto_precision):>15}"
        )
        return "\n".join(rows)


def score(records: Iterable[dict[str, Any]], truth_dir: Path) -> Scorecard:
    truths = {
        p.stem: json.loads(p.read_text(encoding="utf-8"))["fields"]
        for p in sorted(truth_dir.glob("*.json"))
    }
    return score_truths(records, truths)


def score_truths(
    records: Iterable[dict[str, Any]], truths: Mapping[str, Mapping[str, Any]]
) -> Scorecard:
    """Records against truth field values, by document name (the file name's stem)."""
    card = Scorecard()
    by_name = {Path(r["document"]).stem: r for r in records}
    for name, truth in sorted(truths.items()):
        record = by_name.get(name)
        if record is None:
            card.missing_documents.append(name)
            continue
        card.documents += 1
        for key, got in record["fields"].items():
            expected = truth.get(key)
            s = card.fields.setdefault(key, FieldScore())
            s.total += 1
            right = got["value"] is not None and got["value"] == expected
            s.right += right
            if not right:
                card.errors.append(
                    (record["document"], key, got["value"], expected, got["decision"])
                )
            # a QA sample was auto-accepted by routing before it was sent to a person
            if got["decision"] == "auto_accepted" or got.get("qa_sample"):
                s.auto += 1
                s.auto_right += right
                if not right:
                    card.wrong_auto.append((record["document"], key))
    return card


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
