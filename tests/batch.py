"""A synthetic batch migrated for real (local S3 endpoint, `emr-migrate run`), shared by the
end-to-end and review desk tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.evaluation import read_jsonl
from pipeline.ingest.local_s3 import LocalS3Server, upload_folder
from pipeline.synthetic import generate_charts

CLI = [sys.executable, "-m", "pipeline.cli"]
#: the CLI with every logger at DEBUG (main keeps a logging set-up made before it)
CLI_DEBUG = [
    sys.executable,
    "-c",
    "import logging, sys; logging.basicConfig(level=logging.DEBUG, "
    "format='%(levelname)s %(name)s: %(message)s'); "
    "from pipeline.cli import main; sys.exit(main())",
]
BUCKET, PREFIX = "archive", "ward-a/2012"
CHARTS, SEED = 8, 7
BAD_INPUTS = {
    "empty.pdf": "empty",
    "notes.pdf": "not a PDF",
    "truncated.pdf": "incomplete",
    "letter.docx": "not scans",
}


@dataclass
class Batch:
    env: dict[str, str]
    scans: Path
    truth: Path
    records: list[dict[str, Any]]
    tmp: Path
    #: every CLI call's output, for the privacy test to search
    outputs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    def cli(
        self, *args: str, check: bool = True, debug: bool = False
    ) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "PREFECT_LOGGING_LEVEL": "DEBUG"} if debug else self.env
        done = subprocess.run(
            [*(CLI_DEBUG if debug else CLI), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            cwd=self.tmp,
        )
        self.outputs.append(done)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def export(self, name: str, batch: str = "e2e") -> list[dict[str, Any]]:
        out = self.tmp / name
        self.cli("export", "--batch", batch, "--output", str(out))
        return read_jsonl(out)


def migrate_synthetic_batch(tmp: Path, s3_server: LocalS3Server, prefect_api: str) -> Batch:
    scans, truth = tmp / "scans", tmp / "truth"
    generate_charts(scans, truth, count=CHARTS, seed=SEED)
    a_pdf = next(scans.glob("*.pdf")).read_bytes()
    (scans / "empty.pdf").write_bytes(b"")
    (scans / "notes.pdf").write_text("Sổ giao nhận hồ sơ\n", encoding="utf-8")
    (scans / "truncated.pdf").write_bytes(a_pdf[: len(a_pdf) // 2])
    (scans / "letter.docx").write_bytes(b"PK\x03\x04" + b"\0" * 64)
    upload_folder(s3_server.settings, scans, BUCKET, PREFIX)
    env = {
        **os.environ,
        **s3_server.env(),
        "EMR_DATABASE_URL": f"sqlite:///{tmp / 'emr.db'}",
        "EMR_WORKDIR": str(tmp / "work"),
        "PREFECT_API_URL": prefect_api,
    }
    b = Batch(env, scans, truth, [], tmp)
    b.cli("run", f"s3://{BUCKET}/{PREFIX}", "--batch", "e2e", debug=True)  # logs kept, searched
    b.records = b.export("first.jsonl")
    return b
