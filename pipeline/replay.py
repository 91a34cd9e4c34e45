"""Charts read once and kept as OCR trees with their truth, replayed through extraction and
routing in seconds: the regression corpus (``tests/corpus/``) and the accuracy benchmark's
stored runs.

One file per chart, ``NAME.json.gz``: ``{"document", "design", "seed", "truth", "ocr"}``
(``ocr``: ``DocumentTree.to_dict()``; ``truth``: the synthetic chart's field values).
``python -m pipeline.replay build OUT --charts N --seed S`` reads N synthetic charts of each
design with the real engine and writes them; ``python -m pipeline.replay score DIR`` replays
them and prints the scorecard.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pipeline.chart import extract_chart, identify, read_chart
from pipeline.config import Settings
from pipeline.evaluation import Scorecard, score_truths
from pipeline.models import ChartReading, ScanRef
from pipeline.ocr.boxes import StoredBoxReader
from pipeline.ocr.tree import DocumentTree, PageTree, read_gzip_json, write_gzip_json
from pipeline.review.calibration import Calibration, Reading, Sample, fit, group
from pipeline.review.routing import route_fields

SUFFIX = ".json.gz"


@dataclass(frozen=True)
class StoredChart:
    """A chart's OCR tree and its truth."""

    document: str
    design: str
    seed: int
    truth: dict[str, str]
    ocr: DocumentTree

    @property
    def name(self) -> str:
        return Path(self.document).stem

    def to_dict(self) -> dict[str, Any]:
        return {"document": self.document, "design": self.design, "seed": self.seed,
                "truth": self.truth, "ocr": self.ocr.to_dict()}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StoredChart:
        truth = {str(k): v for k, v in d["truth"].items()}
        return cls(str(d["document"]), str(d["design"]), int(d["seed"]), truth,
                   DocumentTree.from_dict(d["ocr"]))  # fmt: skip


def load_stored(folder: Path, design: str | None = None) -> list[StoredChart]:
    """Every stored chart in a folder (and its subfolders), optionally of one design."""
    charts = [StoredChart.from_dict(read_gzip_json(p)) for p in sorted(folder.rglob("*" + SUFFIX))]
    return [c for c in charts if design is None or c.design == design]


@dataclass(frozen=True)
class Replayed:
    chart: StoredChart
    reading: ChartReading  # routed without calibration: re-route with ``routed_with``
    misses: int  # box readings extraction asked for that the live run had not made


def replay(chart: StoredChart) -> Replayed:
    """Extraction over the stored OCR, box re-readings answered from the tree."""
    tree = chart.ocr
    boxes = StoredBoxReader(tree) if tree.rereads_boxes else None
    reading = extract_chart(tree.sha256, tree.language, tree.ocr_pages(), boxes, None)
    return Replayed(chart, replace(reading, ocr=tree), boxes.misses if boxes else 0)


def routed_with(reading: ChartReading, calibration: Calibration | None) -> ChartReading:
    """The same reading routed with another calibration (routing reads only the candidates)."""
    return replace(reading, fields=route_fields([f.candidate for f in reading.fields], calibration))


def record(document: str, reading: ChartReading) -> dict[str, Any]:
    """The export record's fields, as ``evaluation`` scores them."""
    fields = {
        f.key: {"value": f.candidate.value, "decision": f.decision.value} for f in reading.fields
    }
    return {"document": document, "fields": fields}


def scorecard(replayed: Iterable[Replayed], calibration: Calibration | None) -> Scorecard:
    runs = list(replayed)
    records = [record(r.chart.document, routed_with(r.reading, calibration)) for r in runs]
    return score_truths(records, {r.chart.name: r.chart.truth for r in runs})


def samples(replayed: Iterable[Replayed]) -> dict[str, list[Sample]]:
    """Labelled readings (every field that read a value) for calibration."""
    rows: list[tuple[str, Reading | float, bool]] = []
    for r in replayed:
        for f in r.reading.fields:
            c = f.candidate
            if c.value is not None and c.key in r.chart.truth:
                rows.append((c.key, Reading.of(c), c.value == r.chart.truth[c.key]))
    return group(rows)


def calibrate_on(replayed: Sequence[Replayed], target: float, source: str) -> Calibration:
    return fit(samples(replayed), target, source, min_samples=min(30, max(10, len(replayed))))


def read_synthetic(
    out: Path, charts: int, seed: int, design: str, settings: Settings | None = None
) -> list[StoredChart]:
    """``charts`` synthetic charts of a design read by the real pipeline, stored in ``out``."""
    from pipeline.synthetic import generate_charts

    # every value read by the second model: the trees are replayed with other calibrations
    settings = replace(settings or Settings(), second_opinions="all")
    stored = []
    with tempfile.TemporaryDirectory(prefix="emr-replay-") as tmp:
        scans, truth_dir = Path(tmp) / "scans", Path(tmp) / "truth"
        truths = generate_charts(scans, truth_dir, charts, seed, design=design)
        for t in truths:
            path = scans / t.document
            raw = identify(ScanRef(str(scans), t.document, path.stat().st_size), path, t.document)
            reading = read_chart(raw, settings, Path(tmp) / "pages" / t.document)
            assert reading.ocr is not None
            chart = StoredChart(t.document, design, seed, dict(t.fields), reading.ocr)
            write_gzip_json(out / f"{chart.name}{SUFFIX}", chart.to_dict())
            stored.append(chart)
    return stored


def stored_trees(session: Session, batch: str) -> list[tuple[str, DocumentTree]]:
    """The OCR trees stored with a batch's documents (those read since trees are kept)."""
    from sqlalchemy import select

    from schemas.tables import Batch, Document

    docs = session.scalars(
        select(Document).join(Batch).where(Batch.name == batch).order_by(Document.id)
    ).all()
    out = []
    for doc in docs:
        pages = [p.ocr_tree for p in doc.pages]
        if doc.sha256 and pages and all(pages):
            trees = tuple(PageTree.from_dict(p) for p in pages if p)
            out.append((doc.key, DocumentTree(doc.sha256, doc.language or "vi", trees)))
    return out


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    """``emr-migrate replay --batch B``: extraction and routing again over the batch's stored
    OCR, compared with what was stored (counts only: no values are printed)."""
    import time

    from sqlalchemy import select

    from pipeline.errors import MigrateError
    from pipeline.review.calibration import load_calibration
    from schemas.database import open_database
    from schemas.tables import Batch, Document, ExtractedField

    calibration = load_calibration(settings.calibration)
    started = time.monotonic()
    with open_database(settings.database_url)() as session:
        trees = stored_trees(session, args.batch)
        rows = session.execute(
            select(Document.key, ExtractedField)
            .join(ExtractedField, ExtractedField.document_id == Document.id)
            .join(Batch)
            .where(Batch.name == args.batch)
        ).all()
        # a decision a person made is not the pipeline's to repeat: its value is compared
        stored = {(k, f.key): (f.read_value, None if f.decided_by else f.decision) for k, f in rows}
    if not trees:
        raise MigrateError(f"batch {args.batch!r} has no stored OCR to replay: run it first")
    same_value = same_decision = total = misses = 0
    for key, tree in trees:
        boxes = StoredBoxReader(tree) if tree.rereads_boxes else None
        reading = extract_chart(tree.sha256, tree.language, tree.ocr_pages(), boxes, calibration)
        misses += boxes.misses if boxes else 0
        for f in reading.routed:
            was = stored.get((key, f.key))
            if was is None:
                continue
            total += 1
            same_value += was[0] == f.candidate.value
            same_decision += was[1] is None or was[1] == f.decision.value
    took = time.monotonic() - started
    print(f"replayed {len(trees)} documents of batch {args.batch} in {took:.1f} s "
          f"(box readings not stored: {misses})")  # fmt: skip
    print(f"fields: {total}, same value as stored: {same_value}, same decision: {same_decision}")
    return 0


def main() -> None:
    from pipeline.synthetic.generate import CALIBRATION_DESIGNS, DESIGNS

    parser = argparse.ArgumentParser(prog="python -m pipeline.replay")
    sub = parser.add_subparsers(dest="what", required=True)
    build = sub.add_parser("build", help="read synthetic charts and store their OCR trees")
    build.add_argument("out", type=Path)
    build.add_argument("--charts", type=int, default=16, help="per design")
    build.add_argument("--seed", type=int, default=7100, help="the first design's; +1 the next")
    build.add_argument(
        "--design",
        choices=(*DESIGNS, "both"),
        default="both",
        help="both: the designs calibration is fitted on (form, grid); foreign only when named",
    )
    show = sub.add_parser("score", help="replay stored charts and print the scorecard")
    show.add_argument("folder", type=Path)
    args = parser.parse_args()
    if args.what == "build":
        designs = CALIBRATION_DESIGNS if args.design == "both" else (args.design,)
        for i, design in enumerate(designs):
            done = read_synthetic(args.out / design, args.charts, args.seed + i, design)
            print(f"{design}: {len(done)} charts (seed {args.seed + i}) -> {args.out / design}")
        return
    from pipeline.review.calibration import load_calibration

    runs = [replay(c) for c in load_stored(args.folder)]
    card = scorecard(runs, load_calibration(None))
    print(f"{len(runs)} stored charts, box readings missing: {sum(r.misses for r in runs)}")
    print(card.table())


if __name__ == "__main__":
    main()
