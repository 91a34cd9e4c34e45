"""The temporary Prefect API server of an in-process run, started first and in parallel.

Without ``PREFECT_API_URL`` Prefect starts a temporary server the first time a flow needs its
API: after this process has imported Prefect's whole server application just to launch it
(about 2 CPU seconds of a run's 10 here), and only once everything before the first flow call
is done, so its start (3 CPU seconds of imports in its own process) is waited for on top.
``temporary_api`` starts the same server process (Prefect's own uvicorn command, as its
``SubprocessASGIServer`` runs it) before the run's checks and imports and points this
process at it: the two start side by side, and this one never imports the server. The server
is stopped when the run ends, as Prefect's own would be. With
``PREFECT_API_URL`` set (a lasting server, the test harness) nothing is started: there the
cost is paid once for all runs.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from importlib.util import find_spec
from pathlib import Path

from pipeline.errors import MissingDependency

#: how long the server may take to answer (a first start creates its database; a busy
#: two-core machine took longer than Prefect's default 20 s)
_STARTUP_SECONDS = 120.0
_PR_SET_PDEATHSIG = 1  # prctl(2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prefect_folder() -> Path:
    spec = find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency("Prefect is not installed: run `make demo`")
    return Path(next(iter(spec.submodule_search_locations)))


def _die_with_parent() -> None:
    """In the server's process before it starts: Linux stops it when the run that started it
    dies, however it dies (``kill -9`` included), so no orphaned server outlives its run."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    """Prefect's temporary API server in a process of its own (UI off, ephemeral services
    only), not yet answering: its API address."""
    port = _free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--app-dir", str(_prefect_folder().parent),
        "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "error", "--lifespan", "on",
    ]  # fmt: skip
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
           "PREFECT__SERVER_FINAL": "1"}  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, preexec_fn=_die_with_parent
    )
    return process, f"http://127.0.0.1:{port}/api"


def wait_until_up(process: subprocess.Popen[bytes], api: str, seconds: float) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"Prefect's temporary server exited ({process.returncode})")
            try:
                if client.get(f"{api}/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"Prefect's temporary server did not answer within {seconds:.0f} s")


@contextmanager
def temporary_api() -> Iterator[Callable[[], None]]:
    """A temporary API server for this process's flow runs, started now, unless one is
    configured (or Prefect, already imported, has read its settings). Gives the call that
    waits until the server answers: the caller's checks and imports run before it."""
    if os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules:
        yield lambda: None
        return
    process, api = start_server()
    os.environ["PREFECT_API_URL"] = api  # before Prefect is imported: it reads it then
    seconds = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
    try:
        yield partial(wait_until_up, process, api, float(seconds or _STARTUP_SECONDS))
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
