"""Seconds and calls per pipeline stage, summed process-wide: cheap enough to stay in the code.

``with stage("page read"):`` costs two clock reads and a lock; ``stage_table()`` is what
``python -m pipeline.bench profile`` prints. Stages nest (a re-read inside "recover missed
print" counts in both), so the table's rows do not add up to the total by design.
"""

from __future__ import annotations

import re
import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_LOCK = threading.Lock()
_SECONDS: dict[str, float] = {}
_CPU: dict[str, float] = {}
_CALLS: dict[str, int] = {}


def peak_memory_mib() -> float:
    """This process's own peak resident memory. Not ``ru_maxrss``: Linux carries that over
    ``exec`` from the parent that started the process, so a small child of a big test
    runner or shell reports the parent's peak; ``VmHWM`` belongs to this process alone."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_line(mib: float) -> str:
    """What `emr-migrate run` prints last of its summary; ``peak_in`` reads it back."""
    return f"peak memory of this run: {round(mib)} MiB"


def peak_in(output: str) -> float:
    """The peak a run printed (benchmarks and tests read a run's own figure this way)."""
    found = re.search(r"peak memory of this run: (\d+) MiB", output)
    if found is None:
        raise ValueError("the run printed no peak memory line")
    return float(found[1])


def cpu_seconds() -> float:
    """This thread's CPU seconds and those of finished child processes (a ``tesseract``
    command): on a shared machine, what a stage costs, where the clock also counts waiting."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.thread_time() + children.ru_utime + children.ru_stime


@contextmanager
def stage(name: str) -> Iterator[None]:
    started, cpu = time.perf_counter(), cpu_seconds()
    try:
        yield
    finally:
        took, used = time.perf_counter() - started, cpu_seconds() - cpu
        with _LOCK:
            _SECONDS[name] = _SECONDS.get(name, 0.0) + took
            _CPU[name] = _CPU.get(name, 0.0) + used
            _CALLS[name] = _CALLS.get(name, 0) + 1


def count(name: str, n: int = 1) -> None:
    """Events without a duration (a model loaded, a page read, rows of pixels read)."""
    with _LOCK:
        _CALLS[name] = _CALLS.get(name, 0) + n


def calls(name: str) -> int:
    with _LOCK:
        return _CALLS.get(name, 0)


def reset() -> None:
    with _LOCK:
        _SECONDS.clear()
        _CPU.clear()
        _CALLS.clear()


def stage_table(pages: int, wall: float, cpu: float) -> str:
    """Each stage's CPU and clock seconds, calls, CPU seconds per page and share of all CPU,
    the costliest first (CPU: a fair measure on a shared machine, in one thread)."""
    with _LOCK:
        rows = sorted(_CPU.items(), key=lambda kv: -kv[1])
        calls_of, clock = dict(_CALLS), dict(_SECONDS)
    lines = [f"{'stage':32} {'cpu s':>8} {'clock s':>8} {'calls':>7} {'cpu/page':>8} {'share':>6}"]
    for name, used in rows:
        lines.append(
            f"{name:32} {used:8.2f} {clock[name]:8.2f} {calls_of.get(name, 0):7d} "
            f"{used / max(pages, 1):8.3f} {used / max(cpu, 1e-9):6.1%}"
        )
    for name in sorted(k for k in calls_of if k not in _CPU):
        lines.append(f"{name:32} {'':8} {'':8} {calls_of[name]:7d}")
    lines.append(
        f"{'all (one thread)':32} {cpu:8.2f} {wall:8.2f} {'':7} {cpu / max(pages, 1):8.3f}"
    )
    return "\n".join(lines)
