"""Benchmarks that print numbers, never assertions: `python -m pipeline.bench WHAT`.

throughput: pages per minute of the real `run` (local S3 endpoint, Prefect, database) on
synthetic charts, against bare Tesseract on the same pages with the same parallelism
(``bench_throughput.py``). profile: where a page's time goes, stage by stage
(``bench_profile.py``). models: the Vietnamese models and cleanup on real scans
(``bench_models.py``).
accuracy: per-field accuracy, automation and auto-accepted precision against ground truth.
load: EMR load throughput (charts per second, one transaction per chart) into SQLite and
PostgreSQL, and patient matching precision and recall, on a synthetic archive (no OCR).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.synthetic.generate import DESIGNS

if TYPE_CHECKING:
    from pipeline.evaluation import Scorecard
    from pipeline.replay import Replayed
    from pipeline.synthetic.archive import ArchiveChart

CLI = [sys.executable, "-m", "pipeline.cli"]


def _run_pipeline(
    scans: Path, work: Path, batch: str, extra_env: dict[str, str] | None = None
) -> tuple[float, dict[str, str]]:
    from pipeline.ingest.local_s3 import LocalS3Server, upload_folder

    s3 = LocalS3Server().start()
    try:
        upload_folder(s3.settings, scans, "bench", batch)
        env = {
            **os.environ,
            **(extra_env or {}),
            **s3.env(),
            "EMR_DATABASE_URL": f"sqlite:///{work / 'emr.db'}",
            "EMR_WORKDIR": str(work / "scratch"),
        }
        started = time.monotonic()
        subprocess.run(
            [*CLI, "run", f"s3://bench/{batch}", "--batch", batch],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.monotonic() - started, env
    finally:
        s3.stop()


def _score_run(
    scans: Path, truth: Path, work: Path, batch: str, extra_env: dict[str, str] | None = None
) -> tuple[float, Scorecard]:
    from pipeline.evaluation import read_jsonl, score

    work.mkdir(parents=True)
    elapsed, env = _run_pipeline(scans, work, batch, extra_env)
    out = work / "export.jsonl"
    subprocess.run(
        [*CLI, "export", "--batch", batch, "--output", str(out)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return elapsed, score(read_jsonl(out), truth)


#: the stages the baseline switches off, from Tesseract alone to the full pipeline
_STAGES = (
    ("Tesseract on the scans as they are (no cleanup, no re-reading)", "baseline",
     {"EMR_CLEANUP": "off", "EMR_REREAD": "off"}),
    ("+ page cleanup (no re-reading)", "cleanup", {"EMR_REREAD": "off"}),
)  # fmt: skip


def accuracy(
    charts: int,
    seed: int,
    show_errors: bool = False,
    baseline: bool = False,
    design: str = "form",
) -> None:
    """The real pipeline against the truth; with ``baseline``, first the same charts read with
    stages switched off (Tesseract alone, then with page cleanup) so that each stage's gain
    shows. Extraction, vocabularies and calibration are the same in every run. ``design``
    picks the chart generator (``generate.DESIGNS``)."""
    from pipeline.synthetic import generate_charts

    stages: list[tuple[str, Scorecard]] = []
    with tempfile.TemporaryDirectory(prefix="emr-bench-") as tmp:
        scans, truth = Path(tmp) / "scans", Path(tmp) / "truth"
        generate_charts(scans, truth, count=charts, seed=seed, design=design)
        for title, batch, env in _STAGES if baseline else ():
            took, stage = _score_run(scans, truth, Path(tmp) / batch, batch, env)
            if not stages:
                print(f"BASELINE, {title}: {took:.1f} s")
                print(stage.table())
                print()
            stages.append((title, stage))
        elapsed, card = _score_run(scans, truth, Path(tmp) / "full", "accuracy")
    print(f"charts: {charts} (seed {seed}, {design} design), run took {elapsed:.1f} s")
    print(card.table())
    stages.append(("full pipeline", card))
    if baseline:
        print("stage by stage (all fields): accuracy, auto-accepted, auto precision")
        for title, stage in stages:
            o = stage.overall
            precision = f"{o.auto_precision:.2%}" if o.auto_precision is not None else "-"
            print(f"  {title:64} {o.accuracy:6.1%} {o.automation:6.1%} {precision:>7}")
    if card.wrong_auto:
        print(f"auto-accepted but wrong: {len(card.wrong_auto)}")
        for document, key in card.wrong_auto:
            print(f"  {document}: {key}")
    if show_errors:  # synthetic charts only: these values are made up
        for document, key, got, expected, decision in card.errors:
            print(f"  {document} {key}: read {got!r}, truth {expected!r} ({decision})")


def _without_ambiguity(run: Replayed) -> Replayed:
    """The reading as routed before ambiguity counted: the same choice, no blocking check."""
    from pipeline.extract.candidates import AMBIGUOUS

    fields = tuple(
        replace(f, candidate=replace(f.candidate, checks_failed=tuple(
            n for n in f.candidate.checks_failed if n != AMBIGUOUS)))
        for f in run.reading.fields
    )  # fmt: skip
    return replace(run, reading=replace(run.reading, fields=fields))


def _within_reach(runs: list[Replayed], card: Scorecard) -> int:
    """Wrong auto-accepted values that had a runner-up within reach on the page."""
    from pipeline.extract.candidates import is_ambiguous
    from pipeline.extract.fields import cross_check

    wrong = set(card.wrong_auto)
    count = 0
    for r in runs:
        candidates = [f.candidate for f in r.reading.fields]
        for i, c in enumerate(candidates):
            if (r.chart.document, c.key) in wrong and is_ambiguous(candidates, i, cross_check):
                count += 1
    return count


def replayed_accuracy(folders: list[Path], target: float) -> None:
    """Cross-design figures from stored OCR (``pipeline.replay``): each design's routing
    calibrated on the other design's charts (pooled over every folder), reported per folder
    (a folder: charts of fresh seeds, both designs), before and after ambiguity counts."""
    import statistics

    from pipeline.replay import calibrate_on, load_stored, replay, scorecard
    from pipeline.review.calibration import load_calibration

    started = time.monotonic()
    runs = {folder: [replay(c) for c in load_stored(folder)] for folder in folders}
    took = time.monotonic() - started
    charts = sum(len(r) for r in runs.values())
    misses = sum(x.misses for r in runs.values() for x in r)
    print(f"replayed {charts} stored charts from {len(folders)} folders in {took:.1f} s "
          f"(box readings not stored: {misses}); target precision {target:.1%}")  # fmt: skip
    header = f"{'calibrated on -> reported on':34} {'folder':24} {'fields':>6} {'right':>7} "
    print(header + f"{'auto':>7} {'auto prec':>9} {'wrong auto':>10} {'in reach':>8}")
    for mode in ("before", "after"):
        every = {f: [x if mode == "after" else _without_ambiguity(x) for x in r]
                 for f, r in runs.items()}  # fmt: skip
        shipped = load_calibration(None)
        for source, report in (("form", "grid"), ("grid", "form"), ("shipped", "both")):
            if source == "shipped":
                calibration = shipped
            else:
                pool = [x for r in every.values() for x in r if x.chart.design == source]
                calibration = calibrate_on(pool, target, f"{len(pool)} {source} charts")
            spread = []
            for folder, rs in every.items():
                chosen = [x for x in rs if report in ("both", x.chart.design)]
                if not chosen:
                    continue
                card = scorecard(chosen, calibration)
                o = card.overall
                precision = o.auto_precision if o.auto_precision is not None else 1.0
                spread.append((o.accuracy, o.automation, precision))
                print(f"{mode + ': ' + source + ' -> ' + report:34} {folder.name:24} "
                      f"{o.total:6} {o.accuracy:7.1%} {o.automation:7.1%} {precision:9.2%} "
                      f"{len(card.wrong_auto):10} {_within_reach(chosen, card):8}")  # fmt: skip
            if len(spread) > 1:
                cols = list(zip(*spread, strict=True))
                ranges = [f"{statistics.mean(c):.1%} ({min(c):.1%}-{max(c):.1%})" for c in cols]
                print(f"{'':34} {'mean (min-max)':24} {'':6} " + "  ".join(ranges))


def _load_archive(url: str, charts: list[ArchiveChart]) -> tuple[float, tuple[int, int, int], int]:
    from sqlalchemy import func, select

    from pipeline.load.emr import load_document
    from pipeline.synthetic.archive import merge_counts, store_charts
    from schemas.database import open_database
    from schemas.tables import Document, Encounter, PatientMatchQuestion

    sessions = open_database(url)
    with sessions.begin() as session:
        ids = [d.id for d in store_charts(session, "bench", charts)]
    started = time.monotonic()
    for doc_id in ids:
        load_document(sessions, doc_id)
    elapsed = time.monotonic() - started
    with sessions() as session:
        rows = session.execute(select(Document.key, Encounter.patient_id).join(Encounter)).all()
        questions = session.scalar(select(func.count()).select_from(PatientMatchQuestion)) or 0
    sessions.kw["bind"].dispose()
    return elapsed, merge_counts(charts, {k: p for k, p in rows}), questions


def load(people: int, seed: int, pg_admin_url: str) -> None:
    import psycopg

    from pipeline.scratchdb import scratch_postgres
    from pipeline.synthetic.archive import make_archive

    charts = make_archive(seed, people=people)
    print(f"archive: {len(charts)} charts of {people}+ people (seed {seed})")
    with tempfile.TemporaryDirectory(prefix="emr-bench-") as tmp, ExitStack() as stack:
        targets = [("sqlite", f"sqlite:///{tmp}/emr.db")]
        try:
            targets.append(("postgresql", stack.enter_context(scratch_postgres(pg_admin_url))))
        except psycopg.OperationalError:
            print("PostgreSQL not reachable: SQLite only")
        for label, url in targets:
            elapsed, (tp, fp, fn), questions = _load_archive(url, charts)
            print(f"{label:10s} load: {len(charts) / elapsed:7.1f} charts/s "
                  f"({elapsed:.1f} s, one transaction per chart)")  # fmt: skip
        precision = tp / (tp + fp) if tp + fp else 1.0
        print(f"automatic merges: precision {precision:.3f}, recall {tp / max(tp + fn, 1):.3f} "
              f"({tp} of {tp + fn} same-patient chart pairs, {fp} wrong; "
              f"{questions} same-patient? questions)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.bench")
    parser.add_argument(
        "what", choices=["throughput", "accuracy", "review", "load", "profile", "models"]
    )
    parser.add_argument("--people", type=int, default=300, help="load: people in the archive")
    parser.add_argument(
        "--pg",
        default=os.environ.get("EMR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
        help="load: PostgreSQL admin URL (a scratch database is created and dropped)",
    )
    parser.add_argument("--charts", type=int, default=30)
    parser.add_argument("--seed", type=int, default=9001)
    parser.add_argument("--reviewers", type=int, default=20, help="review: how many at once")
    parser.add_argument(
        "--database-url", help="review: database (default a scratch PostgreSQL database, --pg)"
    )
    parser.add_argument("--seconds", type=float, default=120.0, help="review: how long")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="accuracy: also read the charts without cleanup, to compare",
    )
    parser.add_argument("--show-errors", action="store_true", help="accuracy: list wrong values")
    parser.add_argument(
        "--design",
        choices=DESIGNS,
        default="form",
        help="accuracy: chart design (form: the one extraction was developed on; grid: a "
        "ruled one-page summary with other wordings, to check the figures hold; foreign: a "
        "layout, wordings, fonts and marks of its own per chart, never used for calibration)",
    )
    parser.add_argument(
        "--accuracy-charts", type=int, default=6, help="throughput: charts of each design scored"
    )
    parser.add_argument("--images", type=int, default=59, help="models: real pages to read")
    parser.add_argument("--npm-model", help="models: the npm package's vie.traineddata(.gz)")
    parser.add_argument(
        "--replay",
        type=Path,
        nargs="+",
        metavar="DIR",
        help="accuracy: from stored OCR (folders written by `python -m pipeline.replay build`, "
        "each of fresh seeds), each design calibrated on the other's charts, before and after "
        "ambiguity counts; no OCR is run",
    )
    parser.add_argument("--target", type=float, default=0.995, help="accuracy --replay")
    args = parser.parse_args()
    if args.what == "accuracy" and args.replay:
        replayed_accuracy(args.replay, args.target)
        return
    if args.what == "review":
        from pipeline.bench_review import main as review_load

        charts = args.charts if args.charts != 30 else 1500
        review_load(charts, args.reviewers, args.database_url, args.pg, args.seconds)
        return
    if args.what == "profile":
        from pipeline.bench_profile import profile

        profile(args.charts if args.charts != 30 else 6, args.seed, args.design)
    elif args.what == "models":
        from pipeline.bench_models import REAL_DIR, models

        npm = Path(args.npm_model) if args.npm_model else None
        models(args.charts if args.charts != 30 else 4, args.seed, args.images, npm, REAL_DIR)
    elif args.what == "throughput":
        from pipeline.bench_throughput import throughput

        throughput(args.charts, args.seed, args.accuracy_charts)
    elif args.what == "load":
        load(args.people, args.seed, args.pg)
    else:
        accuracy(args.charts, args.seed, args.show_errors, args.baseline, args.design)


if __name__ == "__main__":
    main()
