"""Settings, built once at the entry point from the environment and passed down."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import BadArguments

DEFAULT_DATABASE_URL = "sqlite:///./var/emr.db"


@dataclass(frozen=True)
class S3Settings:
    endpoint: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    secure: bool = True


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    s3: S3Settings | None = None
    workdir: Path | None = None
    #: dpi at which PDFs are rasterised; bounding boxes are in pixels of this resolution
    pdf_dpi: int = 300
    #: chart language: "vi", "en" or "auto" (detected per chart)
    language: str = "auto"
    #: parallel documents; one single-threaded Tesseract per core
    workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    #: seconds before a page's OCR is abandoned (the page is kept, empty, with a warning)
    ocr_timeout: float = 120.0
    #: largest scan accepted, in bytes
    max_scan_bytes: int = 500 * 1024 * 1024
    #: largest page accepted, in pixels (a guard against decompression bombs)
    max_page_pixels: int = 120_000_000
    #: most pages one scan may have (EMR_MAX_PAGES): more is several charts in one file
    max_pages: int = 500
    #: the calibration file (EMR_CALIBRATION); None: the one shipped in schemas/, if any
    calibration: Path | None = None
    #: page cleanup before OCR; off (EMR_CLEANUP=off) only to measure what cleanup gains
    cleanup: bool = True
    #: targeted re-reading of doubtful values; off (EMR_REREAD=off) only to measure its gain
    reread: bool = True
    #: fields the second model reads (EMR_SECOND_OPINIONS): "deciding", those whose routing
    #: its agreement could change; "all", every value (to gather evidence for calibrating)
    second_opinions: str = "deciding"
    #: free space the scratch folder must have before a run starts (EMR_MIN_SCRATCH_MIB)
    min_scratch_mib: int = 256
    #: share of auto-accepted fields sampled, blind, into review to measure precision
    #: (EMR_QA_SHARE, a fraction or a percentage: "0.02", "2%"; 0 turns QA sampling off)
    qa_share: float = 0.02
    #: seconds a worker's claim on a document lasts unless renewed (EMR_LEASE_SECONDS); a
    #: dead worker's documents go to the others this long after its last renewal
    lease_seconds: float = 300.0

    def scratch_dir(self) -> Path:
        if self.workdir is not None:
            self.workdir.mkdir(parents=True, exist_ok=True)
            return self.workdir
        return Path(tempfile.gettempdir())

    def database_display(self) -> str:
        """The database URL without its password, for messages."""
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).render_as_string(hide_password=True)


def _flag(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off"}:
        return False
    raise BadArguments(f"{name} must be true or false, not {value!r}")


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    v = value.strip().lower()
    if v not in allowed:
        raise BadArguments(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return v


def _whole_number(value: str, name: str) -> int:
    if not value.strip().isdigit():
        raise BadArguments(f"{name} must be a whole number, not {value!r}")
    return int(value)


def _share(value: str, name: str) -> float:
    text = value.strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise BadArguments(
            f"{name} must be a share between 0 and 1 (or 0% and 100%), not {value!r}"
        )
    return share


def _seconds(value: str, name: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds < 1:
        raise BadArguments(f"{name} must be a number of seconds (at least 1), not {value!r}")
    return seconds


def _number(env: Mapping[str, str], name: str, default: float, kind: type = float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        raise BadArguments(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise BadArguments(f"{name} must be greater than 0, not {raw!r}")
    return value


def settings_from_env(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    env = os.environ if env is None else env
    s3 = None
    if env.get("MINIO_ENDPOINT"):
        s3 = S3Settings(
            endpoint=env["MINIO_ENDPOINT"],
            access_key=env.get("MINIO_ACCESS_KEY", ""),
            secret_key=env.get("MINIO_SECRET_KEY", ""),
            secure=_flag(env.get("MINIO_SECURE", "true"), "MINIO_SECURE"),
        )
    workdir = Path(env["EMR_WORKDIR"]) if env.get("EMR_WORKDIR") else None
    base = Settings(
        database_url=env.get("EMR_DATABASE_URL", DEFAULT_DATABASE_URL),
        s3=s3,
        workdir=workdir,
        calibration=Path(env["EMR_CALIBRATION"]) if env.get("EMR_CALIBRATION") else None,
        cleanup=_flag(env.get("EMR_CLEANUP", "on"), "EMR_CLEANUP"),
        reread=_flag(env.get("EMR_REREAD", "on"), "EMR_REREAD"),
        second_opinions=_choice(
            env.get("EMR_SECOND_OPINIONS", "deciding"), "EMR_SECOND_OPINIONS", ("deciding", "all")
        ),
        min_scratch_mib=_whole_number(env.get("EMR_MIN_SCRATCH_MIB", "256"), "EMR_MIN_SCRATCH_MIB"),
        qa_share=_share(env.get("EMR_QA_SHARE", "0.02"), "EMR_QA_SHARE"),
        lease_seconds=_seconds(env.get("EMR_LEASE_SECONDS", "300"), "EMR_LEASE_SECONDS"),
        max_pages=int(_number(env, "EMR_MAX_PAGES", Settings.max_pages, int)),
        ocr_timeout=_number(env, "EMR_OCR_TIMEOUT", Settings.ocr_timeout),
    )
    clean = {k: v for k, v in overrides.items() if v is not None}
    if clean:
        from dataclasses import replace

        base = replace(base, **clean)  # type: ignore[arg-type]
    return base
