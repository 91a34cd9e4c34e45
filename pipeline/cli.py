"""`emr-migrate`: one sub-command per public operation; the one place errors become exit codes."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pipeline import __version__, timing
from pipeline.config import Settings, settings_from_env
from pipeline.errors import BadArguments, ExitCode, MigrateError, frames_only

log = logging.getLogger("pipeline")


def _quiet_prefect(verbose: bool) -> None:
    """Prefect reads these when first imported: set them before that, at the entry point."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "CRITICAL")
    # No anonymous usage reporting from hospital networks: the server's, and the client's
    # (Prefect's SDK reads the DO_NOT_TRACK convention).
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    # The temporary server's first start creates its database: on a busy two-core machine that
    # took longer than Prefect's 20 s and the run failed before reading a page.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


# --- run ---------------------------------------------------------------------------------------


class Progress:
    """Polls the batch's document states (the same rows `status` reads) and shows them: a bar on
    a terminal, a plain line every few seconds otherwise."""

    def __init__(self, settings: Settings, batch: str) -> None:
        self.settings, self.batch = settings, batch
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _counts(self) -> tuple[int, int]:
        from sqlalchemy import func, select

        from schemas.database import sessions_for
        from schemas.tables import Batch, DocState, Document

        with sessions_for(self.settings.database_url)() as s:
            rows = dict(
                s.execute(
                    select(Document.state, func.count())
                    .join(Batch)
                    .where(Batch.name == self.batch)
                    .group_by(Document.state)
                ).all()
            )
        total = sum(rows.values())
        return total - rows.get(DocState.QUEUED, 0), total

    def _loop(self) -> None:
        from tqdm import tqdm

        bar = None
        last_plain = -1
        while not self._stop.wait(0.5 if sys.stderr.isatty() else 5.0):
            try:
                done, total = self._counts()
            except Exception:  # the batch row may not exist yet
                continue
            if not total:
                continue
            if sys.stderr.isatty():
                if bar is None:
                    bar = tqdm(total=total, unit="doc", desc=self.batch, file=sys.stderr)
                bar.total = total
                bar.n = done
                bar.refresh()
            elif done != last_plain:
                print(f"progress: {done}/{total} documents", file=sys.stderr, flush=True)
                last_plain = done
        if bar is not None:
            done, total = self._counts()
            bar.total, bar.n = total, done
            bar.close()

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def run_batch(settings: Settings, source: str, batch: str) -> dict[str, Any]:
    """Run the migration flow over ``source`` with a progress display; return its result.
    A bad source, a missing engine or database are told before Prefect starts (seconds)."""
    from pipeline.ingest.sources import check_source, open_source

    check_source(open_source(source, settings))  # a wrong path fails at once, before Prefect
    from flows.server import temporary_api

    with temporary_api() as api_ready:  # Prefect's server starts while the rest is checked
        from pipeline.chart import check_scratch_space
        from pipeline.ocr.engine import check_tesseract
        from schemas.database import open_database

        check_tesseract()  # fail before the first page, not halfway through
        check_scratch_space(settings)
        open_database(settings.database_url)

        from prefect.task_runners import ThreadPoolTaskRunner

        from flows.migrate import migrate_batch

        runner: ThreadPoolTaskRunner[Any] = ThreadPoolTaskRunner(max_workers=settings.workers)
        flow = migrate_batch.with_options(task_runner=runner)  # type: ignore[arg-type]
        api_ready()
        with Progress(settings, batch):
            result: dict[str, Any] = flow(source, batch, settings.language)
    return result


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    result = run_batch(settings, args.source, args.batch)
    from pipeline.report import status_text

    print(status_text(result["status"]))
    print(timing.peak_line(result["peak_memory_mib"]))
    if result["unfinished"]:
        raise MigrateError(
            f"{result['unfinished']} documents could not be fetched from the source "
            "(network or object store): run the same command again to resume them"
        )
    docs = result["status"]["documents"]
    # a duplicate was processed once, under its first key: the batch did not fail on it
    if not docs["in_review"] + docs["loaded"] + docs.get("duplicate", 0):
        raise MigrateError(
            f"no document of batch {args.batch} could be processed ({docs['total']} listed): "
            "see the reasons above, fix the scans and run again (or `emr-migrate retry`)"
            if docs["total"]
            else f"there are no scans under {args.source}: check the path or prefix"
        )
    return ExitCode.OK


# --- status, export, inspect ------------------------------------------------------------------


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.report import batch_status, status_text
    from pipeline.retry import find_batch
    from pipeline.review.qa import qa_settings
    from schemas.database import open_database

    sessions = open_database(settings.database_url)
    if args.batch:
        with sessions() as session:
            find_batch(session, args.batch)  # an unknown batch: a clear error, exit 2
    status = batch_status(
        sessions,
        args.batch,
        settings.workers,
        qa_settings(settings).target,
    )
    if args.format == "json":
        print(json.dumps(status, ensure_ascii=False, indent=1))
    else:
        print(status_text(status))
    return ExitCode.OK


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.load.export import export_batch
    from schemas.database import open_database

    count = export_batch(
        open_database(settings.database_url), args.batch, Path(args.output), args.format
    )
    what = "loaded charts" if args.format in ("fhir", "xml130") else "documents"
    print(f"exported {count} {what} to {args.output}")
    return ExitCode.OK


def cmd_inspect(args: argparse.Namespace, settings: Settings) -> int:
    import cv2
    import numpy as np

    from pipeline.chart import Scratch, identify, read_chart
    from pipeline.ingest.sources import copy_local
    from pipeline.models import ScanRef
    from pipeline.ocr.engine import check_tesseract

    path = Path(args.file)
    if not path.is_file():
        raise MigrateError(f"{path} is not a file")
    check_tesseract()
    with Scratch(settings) as scratch:
        local = scratch / "scan"
        sha = copy_local(path, local, settings.max_scan_bytes)
        ref = ScanRef(str(path.parent), path.name, path.stat().st_size)
        reading = read_chart(identify(ref, local, sha), settings, scratch / "pages")
        if args.save_images:
            out = Path(args.save_images)
            out.mkdir(parents=True, exist_ok=True)
            for image in reading.page_images:
                pixels = np.asarray(cv2.imread(str(image.path), cv2.IMREAD_GRAYSCALE))
                cv2.imwrite(str(out / f"{path.stem}-page-{image.number:03d}.png"), pixels)
    fields: dict[str, dict[str, Any]] = {
        f.key: {
            "value": f.candidate.value,
            "confidence": f.confidence,
            "decision": f.decision.value,
            "page": f.candidate.page,
            "bbox": f.candidate.bbox,
            "reasons": list(f.reasons),
            "checks_failed": list(f.candidate.checks_failed),
        }
        for f in reading.fields
    }
    if args.format == "json":
        print(
            json.dumps(
                {
                    "document": path.name,
                    "sha256": sha,
                    "language": reading.language,
                    "pages": [
                        {
                            "number": p.number,
                            "mean_confidence": round(p.mean_confidence, 4),
                            "words": len(p.words),
                        }
                        for p in reading.pages
                    ],
                    "fields": fields,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return ExitCode.OK
    print(f"{path.name}: {len(reading.pages)} pages, language {reading.language}")
    for page in reading.pages:
        print(
            f"  page {page.number}: {len(page.words)} words, mean confidence "
            f"{page.mean_confidence:.2f}"
        )
    for key, f in fields.items():
        why = f" ({'; '.join(f['reasons'])})" if f["reasons"] else ""
        print(f"  {key:32} {str(f['value']):40} {f['confidence']:.2f} {f['decision']}{why}")
    return ExitCode.OK


# --- calibration ------------------------------------------------------------------------------


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile
    from dataclasses import replace

    from pipeline.review.calibration import fit, samples_from_reviews, samples_from_truth
    from schemas.database import open_database

    if args.synthetic:
        from pipeline.synthetic import generate_charts
        from pipeline.synthetic.generate import CALIBRATION_DESIGNS

        # with both designs, half the charts each, the second design on the next seed; never
        # the held-out "foreign" design (its figures must be of charts calibration never saw)
        designs = CALIBRATION_DESIGNS if args.design == "both" else (args.design,)
        if set(designs) - set(CALIBRATION_DESIGNS):
            raise MigrateError(f"calibration is fitted on {CALIBRATION_DESIGNS} only")
        with tempfile.TemporaryDirectory(prefix="emr-calibrate-") as tmp:
            scans, truth = Path(tmp) / "scans", Path(tmp) / "truth"
            for i, design in enumerate(designs):
                count = args.synthetic // len(designs) + (i < args.synthetic % len(designs))
                generate_charts(scans, truth, count=count, seed=args.seed + i, design=design)
            local = replace(settings, database_url=f"sqlite:///{Path(tmp) / 'calibrate.db'}",
                            second_opinions="all")  # fmt: skip
            os.environ["EMR_DATABASE_URL"] = local.database_url  # the flow's tasks read it
            os.environ["EMR_SECOND_OPINIONS"] = "all"  # every piece of evidence, to fit on
            run_batch(local, str(scans), "calibration")
            with open_database(local.database_url)() as session:
                samples = samples_from_truth(session, "calibration", truth)
        kinds = " and ".join(designs)
        source = f"{args.synthetic} synthetic charts, {kinds} designs, from seed {args.seed}"
    elif args.truth:
        if not args.batch:
            raise MigrateError("--truth needs --batch: the batch those charts were migrated in")
        with open_database(settings.database_url)() as session:
            samples = samples_from_truth(session, args.batch, Path(args.truth))
        source = f"batch {args.batch} against {args.truth}"
    else:
        with open_database(settings.database_url)() as session:
            samples = samples_from_reviews(session, args.batch)
        source = f"reviewers' decisions{f' in batch {args.batch}' if args.batch else ''}"
    calibration = fit(samples, args.target, source, args.min_samples)
    if not calibration.fields:
        raise MigrateError("too few labelled readings to calibrate any field: label more charts")
    calibration.save(Path(args.output))
    print(
        f"calibrated {len(calibration.fields)} fields on {source}, target precision "
        f"{args.target:.1%} -> {args.output}"
    )
    print(f"{'field':34} {'n':>5} {'threshold':>9} {'auto':>7} {'precision':>9}")
    for key, f in sorted(calibration.fields.items()):
        if f.threshold is None:
            print(f"{key:34} {f.samples:5} {'never':>9} {'-':>7} {'-':>9}")
        else:
            print(
                f"{key:34} {f.samples:5} {f.threshold:9.3f} {f.automation:7.1%} {f.precision:9.2%}"
            )
    print(f"use it with EMR_CALIBRATION={args.output}")
    return ExitCode.OK


# --- review desk and people ------------------------------------------------------------------


def serve_review_desk(settings: Settings, host: str, port: int, workers: int | None = None) -> None:
    from pipeline.review.serve import serve

    serve(settings.database_url, host, port, workers)


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    if args.server_workers is not None and args.server_workers < 1:
        raise BadArguments("--workers must be at least 1")
    serve_review_desk(settings, args.host, args.port, args.server_workers)
    return ExitCode.OK


def read_password() -> str:
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise MigrateError("the two passwords differ: nothing was changed")
    return first


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.review.auth import add_user
    from schemas.database import open_database

    password = read_password()
    with open_database(settings.database_url).begin() as session:
        add_user(session, args.name, password, args.role)
    print(f"user {args.name} added as {args.role}")
    return ExitCode.OK


def ensure_demo_users(settings: Settings) -> dict[str, str]:
    """The demo's accounts (made up, printed on screen): a reviewer and a lead."""
    from sqlalchemy import select

    from pipeline.review.auth import add_user
    from schemas.database import open_database
    from schemas.tables import User

    accounts = {
        "reviewer": ("demo-reviewer", "review-demo-2026"),
        "lead": ("demo-lead", "lead-demo-2026"),
    }
    with open_database(settings.database_url).begin() as session:
        for role, (name, password) in accounts.items():
            if not session.scalars(select(User).where(User.username == name)).first():
                add_user(session, name, password, role)
    return {name: password for name, password in accounts.values()}


# --- demo --------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile
    from dataclasses import replace

    from pipeline.ingest.local_s3 import LocalS3Server, upload_folder
    from pipeline.report import status_text
    from pipeline.synthetic import generate_charts

    with tempfile.TemporaryDirectory(prefix="emr-demo-") as tmp:
        scans, truth = Path(tmp) / "scans", Path(tmp) / "truth"
        print(f"generating {args.charts} synthetic charts (seed {args.seed}) ...", flush=True)
        generate_charts(scans, truth, count=args.charts, seed=args.seed)
        with LocalS3Server() as s3:
            uploaded = upload_folder(s3.settings, scans, "charts", f"demo-{args.seed}")
            print(
                f"local S3 endpoint on {s3.endpoint}: uploaded {uploaded} scans to "
                f"s3://charts/demo-{args.seed}/",
                flush=True,
            )
            os.environ.update(s3.env())  # the flow's tasks build their settings from these
            demo_settings = replace(settings, s3=s3.settings)
            result = run_batch(demo_settings, f"s3://charts/demo-{args.seed}", args.batch)
    print()
    print(status_text(result["status"]))
    print(f"\nexport it: .venv/bin/emr-migrate export --batch {args.batch} --output demo.jsonl")
    if not args.no_serve:
        accounts = ensure_demo_users(settings)
        print("\ndemo accounts (user / password):")
        for name, password in accounts.items():
            print(f"  {name} / {password}")
        serve_review_desk(settings, args.host, args.port)
    return ExitCode.OK


def _cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.replay import cmd_replay

    return cmd_replay(args, settings)


# --- wiring ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from pipeline.load.export import FORMATS as EXPORT_FORMATS

    parser = argparse.ArgumentParser(
        prog="emr-migrate",
        description="Migrate scanned paper inpatient charts into electronic medical records.",
    )
    parser.add_argument("--version", action="version", version=f"emr-migrate {__version__}")
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="show progress logs and tracebacks"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        p.add_argument(
            "--verbose",
            "-v",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show progress logs and tracebacks",
        )
        return p

    p = add("run", cmd_run, "Migrate every scan under SOURCE (s3://bucket/prefix or a folder).")
    p.add_argument("source", help="s3://bucket/prefix (MinIO, MINIO_ENDPOINT) or a local folder")
    p.add_argument("--batch", required=True, help="batch name (re-use it to resume)")
    p.add_argument(
        "--language",
        choices=["auto", "vi", "en"],
        default="auto",
        help="chart language (default: detected per chart)",
    )
    p.add_argument("--workers", type=int, help="documents in parallel (default: cores)")

    p = add("status", cmd_status, "Progress of a batch (or of all batches).")
    p.add_argument("--batch", help="the batch to report on (default: all batches)")
    p.add_argument(
        "--format", choices=["text", "json"], default="text", help="text (default) or json"
    )

    p = add("export", cmd_export, "Export a batch, one record per document.")
    p.add_argument("--batch", required=True, help="the batch to export (see `status`)")
    p.add_argument(
        "--output",
        required=True,
        metavar="FILE",
        help="the file to write, in an existing folder (replaced only once complete)",
    )
    p.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="jsonl",
        help="jsonl (default), csv and xlsx (with each value's decision and confidence), "
        "fhir (FHIR R4 bundles, NDJSON) or xml130 (table 1)",
    )

    p = add("inspect", cmd_inspect, "Clean, OCR and extract one local scan; print what was found.")
    p.add_argument("file", help="a local scan: PDF, TIFF, JPEG or PNG")
    p.add_argument("--save-images", metavar="DIR", help="keep the cleaned pages in DIR")
    p.add_argument(
        "--language",
        choices=["auto", "vi", "en"],
        default="auto",
        help="chart language (default: detected)",
    )
    p.add_argument(
        "--format", choices=["text", "json"], default="text", help="text (default) or json"
    )

    p = add("demo", cmd_demo, "Migrate synthetic charts through a local S3 endpoint.")
    p.add_argument("--no-serve", action="store_true", help="stop after the summary")
    p.add_argument("--charts", type=int, default=30, help="how many charts (default 30)")
    p.add_argument("--seed", type=int, default=11, help="seed of the synthetic charts (default 11)")
    p.add_argument("--batch", default="demo", help="batch name (default demo)")
    p.add_argument("--host", default="127.0.0.1", help="address of the review desk")
    p.add_argument("--port", type=int, default=8000, help="port of the review desk (default 8000)")

    p = add(
        "calibrate",
        cmd_calibrate,
        "Fit confidence calibration and routing thresholds on labelled charts.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--truth", metavar="DIR", help="truth files of synthetic charts in --batch")
    source.add_argument(
        "--from-reviews",
        action="store_true",
        help="label with reviewers' decisions (confirmed right, corrected wrong)",
    )
    source.add_argument(
        "--synthetic",
        type=int,
        metavar="N",
        help="generate N synthetic charts, migrate them, label with their truth",
    )
    p.add_argument("--batch", help="the batch to learn from")
    p.add_argument("--seed", type=int, default=500, help="with --synthetic (default 500)")
    p.add_argument(
        "--design",
        choices=("form", "grid", "both"),
        default="form",
        help="with --synthetic: the chart generator, or half the charts from each (default form)",
    )
    p.add_argument(
        "--target",
        type=float,
        default=0.995,
        help="precision wanted of auto-accepted values (default 0.995)",
    )
    p.add_argument("--output", default="var/calibration.json", help="where to write it")
    p.add_argument(
        "--min-samples",
        type=int,
        default=30,
        help="fewer labelled readings and a field keeps its catalogue threshold",
    )

    p = add("replay", _cmd_replay, "Extract and route a batch again from its stored OCR.")
    p.add_argument("--batch", required=True, help="the batch to replay (counts only are printed)")

    review = sub.add_parser("review", help="The review desk.", description="The review desk.")
    review_sub = review.add_subparsers(dest="review_command", required=True, metavar="COMMAND")
    p = review_sub.add_parser(
        "serve",
        help="Serve the reviewer UI, dashboard and JSON API.",
        description="Serve the reviewer UI, dashboard and JSON API.",
    )
    p.set_defaults(handler=cmd_review)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument(
        "--workers",
        type=int,
        dest="server_workers",
        metavar="N",
        help="server processes (default: one per core, at most 4, on PostgreSQL; 1 on SQLite)",
    )

    users = sub.add_parser(
        "users",
        help="People who may use the review desk.",
        description="People who may use the review desk.",
    )
    users_sub = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    p = users_sub.add_parser(
        "add",
        help="Create a user (password from stdin or prompted).",
        description="Create a user (password from stdin or prompted).",
    )
    p.set_defaults(handler=cmd_users_add)
    p.add_argument("name", help="the user name to log in with")
    p.add_argument(
        "--role",
        required=True,
        choices=["reviewer", "lead", "admin"],
        help="reviewer (review items), lead (also dashboard and audit) or admin (also users)",
    )
    from pipeline.operations import add_commands

    add_commands(add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _quiet_prefect(verbose or bool(getattr(args, "prefect_logs", False)))
    if not verbose:  # OpenCV prints its own errors (a file it could not read) on stderr
        os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    if not verbose:
        logging.getLogger("urllib3").setLevel(logging.ERROR)  # retries are reported once, by us
    try:
        overrides: dict[str, Any] = {}
        if getattr(args, "language", None):
            overrides["language"] = args.language
        if getattr(args, "workers", None):
            overrides["workers"] = args.workers
        settings = settings_from_env(**overrides)
        code = int(args.handler(args, settings))
    except MigrateError as exc:
        if verbose:
            traceback.print_exc()
        print(f"emr-migrate {args.command}: error: {exc}", file=sys.stderr)
        code = int(exc.exit_code)
    except KeyboardInterrupt:
        print(f"emr-migrate {args.command}: interrupted: run it again to resume", file=sys.stderr)
        code = int(ExitCode.INTERRUPTED)
    except Exception as exc:
        # Unexpected errors may carry page text in their message: show only the type (and
        # with --verbose where it was raised, frames without the message).
        if verbose:
            print(frames_only(exc), file=sys.stderr)
        print(
            f"emr-migrate {args.command}: error: unexpected {type(exc).__name__}: run again "
            "with --verbose for details and report it",
            file=sys.stderr,
        )
        code = int(ExitCode.FAILED)
    return code


if __name__ == "__main__":
    sys.exit(main())
