"""`review serve --workers 2`: two real server processes share one login, its CSRF token, the
login rate limit and the queue, all held in PostgreSQL.

Which process answers a connection is found from the kernel: the process holding the server
end of the connection's socket (``/proc/net/tcp`` and ``/proc/PID/fd``).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas.database import open_database
from tests.desk import PASSWORDS, seed_desk

CLI = [sys.executable, "-m", "pipeline.cli"]


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except FileNotFoundError:
                continue
            found.update(children)
            todo += children
    return found


def _server_end_inode(port: int, client_port: int) -> str | None:
    """The socket inode of the server end of the loopback connection from ``client_port``."""
    local, remote = f"0100007F:{port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[1] == local and parts[2] == remote:
            return parts[9]
    return None


def _owner(pids: set[int], inode: str) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                if os.readlink(fd) == target:
                    return pid
        except (FileNotFoundError, PermissionError):
            continue
    return None


class Conn:
    """One keep-alive HTTP connection, the cookie and CSRF token sent by hand."""

    def __init__(self, port: int) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.http.connect()
        assert self.http.sock is not None
        self.client_port = self.http.sock.getsockname()[1]

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, http.client.HTTPResponse]:
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Content-Type": "application/json", **(headers or {})}
        self.http.request(method, path, body=data, headers=sent)
        r = self.http.getresponse()
        raw = r.read()
        ctype = r.getheader("content-type") or ""
        return r.status, json.loads(raw) if raw and "json" in ctype else raw, r


@pytest.fixture
def two_workers(pg_url: str) -> Iterator[tuple[int, int]]:
    """A seeded desk served by ``review serve --workers 2``: (port, server pid)."""
    seed_desk(open_database(pg_url), charts=3)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*CLI, "review", "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, "EMR_DATABASE_URL": pg_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield port, server.pid
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
        assert b"Traceback" not in err


def _connections_on_two_processes(port: int, server_pid: int) -> dict[int, Conn]:
    """Open connections until two different server processes hold one each."""
    held: dict[int, Conn] = {}
    spare: list[Conn] = []
    deadline = time.monotonic() + 120
    while len(held) < 2 and time.monotonic() < deadline:
        try:
            conn = Conn(port)
            status, _, _ = conn.call("GET", "/login")
        except OSError:
            time.sleep(0.2)
            continue
        assert status == 200
        inode = _server_end_inode(port, conn.client_port)
        pid = _owner(_descendants(server_pid), inode) if inode else None
        if pid is not None and pid not in held:
            held[pid] = conn
        else:
            spare.append(conn)  # kept open: the next connection is accepted anew
    for c in spare:
        c.http.close()
    assert len(held) == 2, "the second server process never answered"
    return held


def test_a_login_on_one_process_works_on_the_other(two_workers: tuple[int, int]) -> None:
    port, server_pid = two_workers
    one, other = _connections_on_two_processes(port, server_pid).values()

    status, body, r = one.call(
        "POST", "/api/session", {"username": "rita", "password": PASSWORDS["rita"]}
    )
    assert status == 200
    cookie = (r.getheader("set-cookie") or "").split(";")[0]
    assert cookie.startswith("emr_session=")
    auth = {"Cookie": cookie, "X-CSRF-Token": body["csrf_token"]}

    status, me, _ = other.call("GET", "/api/me", headers={"Cookie": cookie})
    assert (status, me["username"]) == (200, "rita")
    status, claimed, _ = other.call("GET", "/api/review/next", headers=auth)
    assert status == 200 and claimed["items"]
    item = claimed["items"][0]["id"]
    # the claim is the person's, whichever process asks: the first process hands the same back
    status, again, _ = one.call("GET", "/api/review/next", headers=auth)
    assert [i["id"] for i in again["items"]] == [i["id"] for i in claimed["items"]]
    # the CSRF token is checked on the other process too
    no_token = {"Cookie": cookie}
    status, _, _ = other.call("POST", f"/api/review/items/{item}", {"action": "confirm"}, no_token)
    assert status == 403
    status, decided, _ = other.call(
        "POST", f"/api/review/items/{item}", {"action": "confirm"}, auth
    )
    assert status == 200 and decided["id"] == item

    # a logout through one process ends the login in the other at once
    status, _, _ = one.call("DELETE", "/api/session", headers=auth)
    assert status == 204
    status, _, _ = other.call("GET", "/api/me", headers={"Cookie": cookie})
    assert status == 401


def test_the_login_rate_limit_counts_failures_on_every_process(
    two_workers: tuple[int, int],
) -> None:
    port, server_pid = two_workers
    one, other = _connections_on_two_processes(port, server_pid).values()
    wrong = {"username": "rita", "password": "not-her-password"}
    for _ in range(5):
        status, _, _ = one.call("POST", "/api/session", wrong)
        assert status == 401
    status, _, _ = other.call(
        "POST", "/api/session", {"username": "rita", "password": PASSWORDS["rita"]}
    )
    assert status == 429


def test_review_serve_refuses_fewer_than_one_worker(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "review", "serve", "--workers", "0"],
        env={**os.environ, "EMR_DATABASE_URL": f"sqlite:///{tmp_path / 'emr.db'}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "--workers must be at least 1" in done.stderr
