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

from pipeline.models import ChartReading, RoutedField

_REPO = Path(__file__).resolve().parents[1]
#: ``../shared/realdata/vaipe`` beside the repository (or beside the folder of worktrees)
DEFAULT_ROOT = (
    next(
        (p for p in (_REPO.parent / "shared", _REPO.parent.parent / "shared") if p.is_dir()),
        _REPO.parent / "shared",
    )
    / "realdata"
    / "vaipe"
)
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


#: an ICD-10 code as a label's text quotes it; an O among its digits is the zero. Not the ends
#: of a range inside a title ("Hội chứng mạch máu não (I60-I67)"), which codes no diagnosis
_LABELLED_CODE = re.compile(
    r"(?<![-\w])([A-Z])([0-9O]{2}(?:\.[0-9O]{1,2})?)\b(?!\s?-\s?[A-Z]?[0-9])"
)
#: the labels' own misreading of a code's letter ("T10" for I10, as the README warns): a code
#: read with the one letter where the label has the other is counted as the labelled code
_LABEL_LETTER_SLIPS = ({"I", "T"},)
#: the labels' other lookalikes, read only where a code is printed (the diagnosis's start
#: before its dash, or a whole bracket): "110 - Tăng huyết áp", "[10 - …", "(125)", "Ell - …",
#: "Tio - …"
_SLOT_LETTER = str.maketrans({"1": "I", "[": "I", "|": "I"})
_SLOT_DIGITS = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "i": "1"})
_SLOT_CODE = re.compile(
    r"(?:^|(?<=[:;(]))\s*\(?([A-Z1\[|])([0-9OoliI]{2}(?:\.[0-9OoliI]{1,2})?)"
    r"(?:\s*\)|\s+[-–:](?=\s))"
)


def codes_in_text(text: str) -> list[str]:
    """The codes a labelled diagnosis quotes (the labels' own misreadings, "T10", stay; a
    digit or bracket read for a code's letter, or a small l for its one, where a code is
    printed, is read as the code)."""
    found = {
        m.start(1): m.group(1) + m.group(2).replace("O", "0") for m in _LABELLED_CODE.finditer(text)
    }
    for m in _SLOT_CODE.finditer(text):
        code = m.group(1).translate(_SLOT_LETTER) + m.group(2).translate(_SLOT_DIGITS)
        if re.fullmatch(r"[A-Z]\d{2}(?:\.\d{1,2})?", code):
            found.setdefault(m.start(1), code)
    return [found[k] for k in sorted(found)]


def code_matches(read: str, labelled: str) -> bool:
    """The read code is the labelled one, or differs only by the labels' letter slip."""
    if read == labelled:
        return True
    return read[1:] == labelled[1:] and any(
        {read[0], labelled[0]} == g for g in _LABEL_LETTER_SLIPS
    )


#: a read diagnosis is the labelled one whole (no more, no less) when they are this alike
WHOLE_MATCH = 85.0


def diagnosis_text(labelled: str) -> str:
    """A labelled diagnosis's own words, folded: without its label ("Chẩn đoán:", as the
    label's OCR read it), the codes it quotes and their dashes."""
    words = labelled.split()
    label_end = next((i + 1 for i, w in enumerate(words[:3]) if fold(w) == "doan"), 0)
    kept = []
    for word in words[label_end:]:
        bare = word.strip(":;,.*?%†").lstrip("(").rstrip(")]")  # "[10" is I10
        if word in ("-", "–", ":") or (bare and _code_of(bare)):
            continue
        kept.append(word)
    return fold(" ".join(kept))


def _code_of(word: str) -> str | None:
    found = codes_in_text(f"({word})")
    return found[0] if found else None


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
    diagnoses_whole: int = 0  # read whole: alike the labelled words, no more and no less
    diagnoses_auto_not_whole: int = 0
    codes_labelled: int = 0
    codes_found: int = 0  # labelled codes read exactly
    codes_found_tolerant: int = 0  # and those read where the label slipped a letter ("T10")
    codes_read: int = 0  # codes the pipeline read (principal and secondary)
    codes_read_labelled: int = 0  # of which the label quotes (tolerantly)
    codes_auto: int = 0
    codes_auto_unlabelled: int = 0  # auto-accepted codes the label does not quote
    seconds: float = 0.0

    def add(
        self,
        labels: Labels,
        medications: list[dict[str, object]],
        diagnosis: str,
        codes: set[str],
        diagnosis_auto: bool = False,
        codes_auto: frozenset[str] = frozenset(),
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
            whole = fuzz.ratio(fold(diagnosis), diagnosis_text(labels.diagnosis))
            self.diagnoses_whole += bool(diagnosis) and whole >= WHOLE_MATCH
            self.diagnoses_auto_not_whole += diagnosis_auto and whole < WHOLE_MATCH
        self.codes_labelled += len(labels.codes)
        self.codes_found += sum(c in codes for c in labels.codes)
        self.codes_found_tolerant += sum(
            any(code_matches(r, c) for r in codes) for c in labels.codes
        )
        for code in codes:
            labelled = any(code_matches(code, c) for c in labels.codes)
            self.codes_read += 1
            self.codes_read_labelled += labelled
            self.codes_auto += code in codes_auto
            self.codes_auto_unlabelled += code in codes_auto and not labelled


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def _share(name: str, part: int, whole: int) -> tuple[str, str, str]:
    return name, f"{part}/{whole}", _pct(part, whole)


def _rows(s: Score) -> list[tuple[str, str, str]]:
    return [
        ("prescriptions read", f"{s.images}", ""),
        _share("drug names found (recall)", s.drugs_found, s.drugs_labelled),
        _share("medication entries right (precision)", s.entries_right, s.entries),
        _share("entries auto-accepted", s.entries_auto, s.entries),
        _share("wrong among auto-accepted", s.entries_auto_wrong, s.entries_auto),
        _share("diagnoses found and alike", s.diagnoses_found, s.diagnoses_labelled),
        _share("diagnoses auto-accepted", s.diagnoses_auto, s.diagnoses_labelled),
        _share("wrong among auto-accepted diagnoses", s.diagnoses_auto_wrong, s.diagnoses_auto),
        _share("diagnoses read whole (no more, no less)", s.diagnoses_whole, s.diagnoses_labelled),
        _share("  auto-accepted not read whole", s.diagnoses_auto_not_whole, s.diagnoses_auto),
        _share("ICD-10 codes of the diagnoses read", s.codes_found, s.codes_labelled),
        _share("  the label's letter slip tolerated", s.codes_found_tolerant, s.codes_labelled),
        _share("codes read that the label quotes", s.codes_read_labelled, s.codes_read),
        _share("codes auto-accepted", s.codes_auto, s.codes_read),
        _share("  of which the label does not quote", s.codes_auto_unlabelled, s.codes_auto),
        ("seconds per prescription", f"{s.seconds / max(s.images, 1):.2f}", ""),
    ]


def score_table(score: Score, *others: tuple[str, Score]) -> str:
    """The score's counts; with ``others`` (a heading and a score each), their columns beside
    it (the images developed on, those held out)."""
    columns = [_rows(score)] + [_rows(s) for _, s in others]
    lines = []
    if others:
        heads = ["all", *(h for h, _ in others)]
        lines.append(" " * 40 + "".join(f" {h:>17}" for h in heads))
    for i, (name, _, _) in enumerate(columns[0]):
        cells = "".join(f" {c[i][1]:>10} {c[i][2]:>6}" for c in columns)
        lines.append(f"{name:<40}{cells}".rstrip())
    return "\n".join(lines)


def _values(fields: Iterable[RoutedField], wanted: Callable[[str], bool]) -> list[str]:
    return [str(r.candidate.value) for r in fields if wanted(r.candidate.key) and r.candidate.value]


def _read(image: Path, root: Path, trees: Path | None) -> ChartReading:
    """One image read through the pipeline; with ``trees``, its OCR tree kept there on the
    first read and replayed from there afterwards (extraction and routing run again, the
    engine does not)."""
    from pipeline.chart import identify, read_chart, replay_chart
    from pipeline.config import settings_from_env
    from pipeline.ingest.sources import copy_local
    from pipeline.models import ScanRef
    from pipeline.ocr.tree import DocumentTree, read_gzip_json, write_gzip_json
    from pipeline.review.calibration import load_calibration

    settings = settings_from_env()
    stored = trees / f"{image.stem}.json.gz" if trees else None
    if stored is not None and stored.is_file():
        tree = DocumentTree.from_dict(read_gzip_json(stored))
        return replay_chart(tree, load_calibration(settings.calibration))
    with tempfile.TemporaryDirectory(prefix="emr-real-") as tmp:
        local = Path(tmp) / image.name
        sha = copy_local(image, local, settings.max_scan_bytes)
        raw = identify(ScanRef(str(root), image.name, local.stat().st_size), local, sha)
        reading = read_chart(raw, settings, Path(tmp) / "pages")
    if stored is not None and reading.ocr is not None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        write_gzip_json(stored, reading.ocr.to_dict())
    return reading


def evaluate(
    root: Path,
    limit: int | None = None,
    trees: Path | None = None,
    split: int | None = None,
) -> tuple[Score, Score, Score]:
    """Read every labelled image under ``root`` through the pipeline and score it: all of
    them, the first ``split`` by name (developed on) and the rest (held out)."""
    score, first, rest = Score(), Score(), Score()
    images = sorted((root / "images").glob("*.png"))[:limit]
    for n, image in enumerate(images):
        labels = read_labels(root / "labels" / (image.stem + ".csv"))
        started = time.monotonic()
        reading = _read(image, root, trees)
        medications = [
            {**json.loads(str(r.candidate.value)), "decision": str(r.decision)}
            for r in reading.medications
            if r.candidate.value
        ]
        diagnosis = " ".join(_values(reading.fields, lambda k: k.endswith("_diagnosis")))
        coded = [
            r
            for r in reading.fields + reading.secondary_icd10
            if r.candidate.value
            and (r.key == "encounter.discharge_icd10" or r.key.startswith("secondary_icd10"))
        ]
        auto = any(
            r.key.endswith("_diagnosis") and r.decision == "auto_accepted" for r in reading.fields
        )
        codes_auto = frozenset(
            str(r.candidate.value) for r in coded if r.decision == "auto_accepted"
        )
        codes = {str(r.candidate.value) for r in coded}
        for part in (score, first if split is None or n < split else rest):
            part.add(labels, medications, diagnosis, codes, auto, codes_auto)
            part.seconds += time.monotonic() - started
    return score, first, rest


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.realdata", description=__doc__)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the vaipe folder")
    parser.add_argument("--limit", type=int, default=None, help="read only the first N images")
    parser.add_argument(
        "--trees",
        type=Path,
        default=None,
        help="a scratch folder outside the repository: each image's OCR tree is kept there on "
        "its first read and replayed after (extraction only, seconds)",
    )
    parser.add_argument(
        "--split",
        type=int,
        default=30,
        help="the first N images by name are those developed on: their counts and the rest's "
        "(held out) are printed beside the total (0: the total only)",
    )
    args = parser.parse_args()
    if not (args.root / "images").is_dir():
        raise SystemExit(f"no real prescriptions at {args.root}: pass --root")
    score, first, rest = evaluate(args.root, args.limit, args.trees, args.split or None)
    parts = ((f"first {args.split}", first), ("held out", rest)) if args.split else ()
    print(score_table(score, *parts))


if __name__ == "__main__":
    main()
