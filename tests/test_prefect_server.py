"""`emr-migrate run` without PREFECT_API_URL: it starts Prefect's temporary server itself,
migrates through it, and leaves no server behind, whether it ends or is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pipeline.synthetic import generate_charts
from tests.batch import CLI


def _server_of(pid: int) -> int | None:
    """The Prefect server process started by process ``pid``, if it has one."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == pid and b"prefect.server.api.server:create_app" in command:
            return int(stat.parent.name)
    return None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's reaping is left


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return False


def _start(scans: Path, tmp: Path) -> tuple[subprocess.Popen[str], int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {
        "PREFECT_HOME": str(tmp / "prefect"),  # its own database, not the user's
        "EMR_DATABASE_URL": f"sqlite:///{tmp / 'emr.db'}",
        "EMR_WORKDIR": str(tmp / "work"),
        "EMR_REREAD": "off",  # the engine is not what this test is about
    }
    run = subprocess.Popen(
        [*CLI, "run", str(scans), "--batch", "own-server"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while (server := _server_of(run.pid)) is None:
        assert run.poll() is None and time.monotonic() < deadline, "no server was started"
        time.sleep(0.1)
    return run, server


@pytest.mark.tesseract
@pytest.mark.slow
def test_a_run_brings_its_own_prefect_server_and_leaves_none_behind(tmp_path: Path) -> None:
    scans = tmp_path / "scans"
    generate_charts(scans, tmp_path / "truth", 1, seed=91, formats=("png",), design="grid")

    run, server = _start(scans, tmp_path)
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err
    assert "documents: 1 total" in out
    assert _gone_within(server, 15), "the run ended and left its Prefect server running"

    run, server = _start(scans, tmp_path)  # killed as a power cut would
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=60)
    assert _gone_within(server, 15), "a killed run left its Prefect server running"
