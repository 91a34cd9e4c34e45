"""`emr-migrate worker` and `deploy` refuse, in one clear line, to start without a server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.batch import CLI


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    return subprocess.run(
        [*CLI, *args],
        env={**base, **env, "EMR_DATABASE_URL": f"sqlite:///{tmp_path / 'emr.db'}"},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def test_worker_and_deploy_need_a_prefect_server(tmp_path: Path) -> None:
    for command in ("worker", "deploy"):
        done = _cli(tmp_path, command)
        assert done.returncode == 2 and "PREFECT_API_URL is not set" in done.stderr
        nobody = _cli(tmp_path, command, PREFECT_API_URL="http://127.0.0.1:9/api")
        assert nobody.returncode == 1
        assert "the Prefect server at http://127.0.0.1:9/api does not answer" in nobody.stderr
        assert "Traceback" not in nobody.stderr
    assert not (tmp_path / "emr.db").exists()  # refused before touching the database


def test_status_of_an_unknown_batch_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipeline.cli import main

    monkeypatch.setenv("EMR_DATABASE_URL", f"sqlite:///{tmp_path / 'emr.db'}")
    assert main(["status", "--batch", "no-such-batch"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no batch named 'no-such-batch'" in err[0]
    assert main(["status", "--format", "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert set(figures["eta_hours"]) == {"processing", "review"}
