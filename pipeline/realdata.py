"""Scores the pipeline on real scans it was never tuned on: the VAIPE prescriptions.

``python -m pipeline.realdata [--root ../shared/realdata/vaipe]`` reads every prescription
image through the whole reading path (cleanup, OCR, extraction, routing) and holds what it
found against the boxes the publishers labelled: drug names (``drugname``) and diagnoses
(``diagnose``, with the ICD-10 codes they quote). The labels' text came from an OCR engine and
has errors, so names and diagnoses are matched tolerantly (a fuzzy ratio), codes exactly after
the label's own lookalikes are read as a code would be. Nothing of the documents is written
anywhere but the scratch folder; the printed table holds counts only.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from pipeline.models import RoutedField

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "vaipe"
#: a found drug name is the labelled one when they are this alike (0-100, case and marks folded)
NAME_MATCH = 80.0


def fold(text: str) -> str:
    """Lower case without marks or punctuation: how tolerant matching compares texts."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in bare.lower()).split())


@dataclass(frozen=True)
class Labels:
    drug_names: tuple[str, ...]
    diagnosis: str
    codes: tuple[str, ...]


def _drug_name(label: str) -> str:
    """A labelled drug line ("2) NOVOXIM-500 0,5g") without its number: the name and strength."""
    words = label.split()
    if words and words[0].rstrip(").").isdigit():
        words = words[1:]
    return " ".join(words)


#: an ICD-10 code as a label's text quotes it; an O among its digits is the zero
_LABELLED_CODE = re.compile(r"\b([A-Z])([0-9O]{2}(?:\.[0-9O]{1,2})?)\b")


def codes_in_text(text: str) -> list[str]:
    """The codes a labelled diagnosis quotes (the labels' own misreadings, "T10", stay)."""
    return [m.group(1) + m.group(2).replace("O", "0") for m in _LABELLED_CODE.finditer(text)]


def read_labels(csv_path: Path) -> Labels:
    with csv_path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    drugs = tuple(_drug_name(r["Object"]) for r in rows if r["label"] == "drugname")
    diagnosis = " ".join(r["Object"] for r in rows if r["label"] == "diagnose")
    return Labels(drugs, diagnosis, tuple(codes_in_text(diagnosis)))


def name_matches(found: str, labelled: str) -> bool:
    """The found drug name is the labelled line's name (the label also holds the strength)."""
    a, b = fold(found), fold(labelled)
    return bool(a) and fuzz.partial_ratio(a, b) >= NAME_MATCH and len(a) >= 3


@dataclass
class Score:
    images: int = 0
    drugs_labelled: int = 0
    drugs_found: int = 0  # labelled drugs the pipeline found a medication entry for
    entries: int = 0  # medication entries the pipeline produced
    entries_right: int = 0  # entries whose name is one of the labelled drugs
    entries_auto: int = 0
    entries_auto_wrong: int = 0
    diagnoses_labelled: int = 0
    diagnoses_found: int = 0  # a diagnosis field read, alike the labelled text
    diagnoses_auto: int = 0
    diagnoses_auto_wrong: int = 0
    codes_labelled: int = 0
    codes_found: int = 0
    seconds: float = 0.0

    def add(
        self,
        labels: Labels,
        medications: list[dict[str, object]],
        diagnosis: str,
        codes: set[str],
        diagnosis_auto: bool = False,
    ) -> None:
        self.images += 1
        names = [str(m.get("name") or "") for m in medications]
        self.drugs_labelled += len(labels.drug_names)
        self.drugs_found += sum(any(name_matches(n, d) for n in names) for d in labels.drug_names)
        for entry, name in zip(medications, names, strict=True):
            right = any(name_matches(name, d) for d in labels.drug_names)
            self.entries += 1
            self.entries_right += right
            if entry.get("decision") == "auto_accepted":
                self.entries_auto += 1
                self.entries_auto_wrong += not right
        if labels.diagnosis:
            self.diagnoses_labelled += 1
            alike = fuzz.token_set_ratio(fold(diagnosis), fold(labels.diagnosis))
            right = bool(diagnosis) and alike >= NAME_MATCH
            self.diagnoses_found += right
            self.diagnoses_auto += diagnosis_auto
            self.diagnoses_auto_wrong += diagnosis_auto and not right
        self.codes_labelled += len(labels.codes)
        self.codes_found += sum(c in codes for c in labels.codes)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def score_table(score: Score) -> str:
    rows = [
        ("prescriptions read", f"{score.images}", ""),
        ("drug names found (recall)", f"{score.drugs_found}/{score.drugs_labelled}",
         _pct(score.drugs_found, score.drugs_labelled)),
        ("medication entries right (precision)", f"{score.entries_right}/{score.entries}",
         _pct(score.entries_right, score.entries)),
        ("entries auto-accepted", f"{score.entries_auto}/{score.entries}",
         _pct(score.entries_auto, score.entries)),
        ("wrong among auto-accepted", f"{score.entries_auto_wrong}/{score.entries_auto}",
         _pct(score.entries_auto_wrong, score.entries_auto)),
        ("diagnoses found and alike", f"{score.diagnoses_found}/{score.diagnoses_labelled}",
         _pct(score.diagnoses_found, score.diagnoses_labelled)),
        ("diagnoses auto-accepted", f"{score.diagnoses_auto}/{score.diagnoses_labelled}",
         _pct(score.diagnoses_auto, score.diagnoses_labelled)),
        ("wrong among auto-accepted diagnoses",
         f"{score.diagnoses_auto_wrong}/{score.diagnoses_auto}",
         _pct(score.diagnoses_auto_wrong, score.diagnoses_auto)),
        ("ICD-10 codes of the diagnoses read", f"{score.codes_found}/{score.codes_labelled}",
         _pct(score.codes_found, score.codes_labelled)),
        ("seconds per prescription", f"{score.seconds / max(score.images, 1):.2f}", ""),
    ]  # fmt: skip
    return "\n".join(f"{name:<40} {count:>10} {share}" for name, count, share in rows)


def _values(fields: Iterable[RoutedField], wanted: Callable[[str], bool]) -> list[str]:
    return [str(r.candidate.value) for r in fields if wanted(r.candidate.key) and r.candidate.value]


def evaluate(root: Path, limit: int | None = None) -> Score:
    """Read every labelled image under ``root`` through the pipeline and score it."""
    from pipeline.chart import identify, read_chart
    from pipeline.config import settings_from_env
    from pipeline.ingest.sources import copy_local
    from pipeline.models import ScanRef

    settings = settings_from_env()
    score = Score()
    images = sorted((root / "images").glob("*.png"))[:limit]
    for image in images:
        labels = read_labels(root / "labels" / (image.stem + ".csv"))
        with tempfile.TemporaryDirectory(prefix="emr-real-") as tmp:
            local = Path(tmp) / image.name
            sha = copy_local(image, local, settings.max_scan_bytes)
            started = time.monotonic()
            reading = read_chart(
                identify(ScanRef(str(root), image.name, local.stat().st_size), local, sha),
                settings,
                Path(tmp) / "pages",
            )
            score.seconds += time.monotonic() - started
        medications = [
            {**json.loads(str(r.candidate.value)), "decision": str(r.decision)}
            for r in reading.medications
            if r.candidate.value
        ]
        diagnosis = " ".join(_values(reading.fields, lambda k: k.endswith("_diagnosis")))
        codes = _values(
            reading.fields + reading.secondary_icd10,
            lambda k: k == "encounter.discharge_icd10" or k.startswith("secondary_icd10"),
        )
        auto = any(
            r.key.endswith("_diagnosis") and r.decision == "auto_accepted" for r in reading.fields
        )
        score.add(labels, medications, diagnosis, set(codes), auto)
    return score


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.realdata", description=__doc__)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the vaipe folder")
    parser.add_argument("--limit", type=int, default=None, help="read only the first N images")
    args = parser.parse_args()
    if not (args.root / "images").is_dir():
        raise SystemExit(f"no real prescriptions at {args.root}: pass --root")
    print(score_table(evaluate(args.root, args.limit)))


if __name__ == "__main__":
    main()
