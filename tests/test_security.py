"""The review desk's defences: who may call what (every route x every role, from one table),
no framing by other sites, CSRF on every state change, cookie flags, login rate limits, crops
only for a live claim, an audit trail the database keeps append-only, and schemathesis finding
no 500s."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from pipeline.review import auth
from pipeline.review.app import COOKIE, create_app
from pipeline.review.audit import record
from schemas.database import MIGRATIONS, make_engine, open_database
from schemas.tables import AuditEvent, ReviewItem, utcnow
from tests.desk import PASSWORDS, Desk, seed_desk

ROLES = ("anonymous", "reviewer", "lead", "admin")
PERSON = {"reviewer": "rita", "lead": "lena", "admin": "adam"}


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    # four charts: rita, rob, lena and adam each claim one
    return seed_desk(open_database(f"sqlite:///{tmp_path / 'emr.db'}"), charts=4)


class Browser:
    """A browser of one person (or nobody): keeps the cookie, sends the CSRF header."""

    def __init__(self, app: FastAPI, name: str | None = None, **client: Any) -> None:
        self.http = TestClient(app, follow_redirects=False, **client)
        self.csrf = ""
        if name:
            r = self.http.post("/api/session", json={"username": name, "password": PASSWORDS[name]})
            assert r.status_code == 200, r.text
            self.csrf = r.json()["csrf_token"]

    def send(
        self, method: str, url: str, body: Any = None, csrf: str | None = None
    ) -> httpx.Response:
        token = self.csrf if csrf is None else csrf
        headers = {"X-CSRF-Token": token} if token else {}
        return self.http.request(method, url, json=body, headers=headers)


# --- the authorisation matrix -------------------------------------------------------------------
#
# One row per (method, route) of the app; each case is a request and the status every role
# must get. {mine}: an item the caller holds (the first of its claim), {spare}: another of its
# items (decided by the case), {theirs}: an item held by another reviewer (rob), {doc}: a chart.


def expect(anonymous: int, reviewer: int, lead: int, admin: int) -> dict[str, int]:
    return dict(zip(ROLES, (anonymous, reviewer, lead, admin), strict=True))


EVERYONE_200 = expect(200, 200, 200, 200)
SIGNED_IN = expect(401, 200, 200, 200)
LEADS = expect(401, 403, 200, 200)
ADMINS = expect(401, 403, 403, 200)


@dataclass(frozen=True)
class Case:
    url: str
    expected: dict[str, int]
    body: Any = None
    #: the request logs in or out: it is sent from a browser of its own (same role)
    own_browser: bool = False


MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", "/"): [Case("/", expect(303, 303, 303, 303))],
    ("GET", "/login"): [Case("/login", EVERYONE_200)],
    ("GET", "/review"): [Case("/review", expect(303, 200, 200, 200))],
    ("GET", "/patients"): [Case("/patients", expect(303, 200, 200, 200))],
    ("GET", "/dashboard"): [Case("/dashboard", expect(303, 303, 200, 200))],
    ("GET", "/openapi.json"): [Case("/openapi.json", EVERYONE_200)],
    ("GET", "/static"): [Case("/static/review.js", EVERYONE_200)],
    ("POST", "/api/session"): [  # fmt: skip
        Case(
            "/api/session",
            EVERYONE_200,
            {"username": "rob", "password": PASSWORDS["rob"]},
            own_browser=True,
        ),
        Case(
            "/api/session",
            expect(401, 401, 401, 401),
            {"username": "rob", "password": "x"},
            own_browser=True,
        ),
    ],
    ("DELETE", "/api/session"): [
        Case("/api/session", expect(401, 204, 204, 204), own_browser=True)
    ],
    ("GET", "/api/me"): [Case("/api/me", SIGNED_IN)],
    ("GET", "/api/review/next"): [Case("/api/review/next", SIGNED_IN)],
    ("POST", "/api/review/items/{item_id}"): [
        Case("/api/review/items/{spare}", SIGNED_IN, {"action": "skip"}),
        Case("/api/review/items/{theirs}", expect(401, 409, 409, 409), {"action": "confirm"}),
    ],
    ("POST", "/api/review/validate"): [
        Case("/api/review/validate", SIGNED_IN, {"field": "patient.sex", "value": "Nam"})
    ],
    ("GET", "/api/review/items/{item_id}/crop"): [
        Case("/api/review/items/{mine}/crop", SIGNED_IN),
        Case("/api/review/items/{theirs}/crop", LEADS),
        Case("/api/review/items/999999/crop", expect(401, 404, 404, 404)),
    ],
    ("GET", "/api/review/items/{item_id}/page"): [
        Case("/api/review/items/{mine}/page", SIGNED_IN),
        Case("/api/review/items/{theirs}/page", LEADS),
        Case("/api/review/items/999999/page", expect(401, 404, 404, 404)),
    ],
    ("GET", "/api/review/fields"): [Case("/api/review/fields", SIGNED_IN)],
    ("GET", "/api/patients/questions/next"): [
        Case("/api/patients/questions/next", expect(401, 204, 204, 204))
    ],
    ("POST", "/api/patients/questions/{question_id}"): [
        Case("/api/patients/questions/999", expect(401, 409, 409, 409), {"same": True})
    ],
    ("POST", "/api/patients/merges/{merge_id}/undo"): [
        Case("/api/patients/merges/999/undo", expect(401, 403, 404, 404), {})
    ],
    ("GET", "/api/status"): [Case("/api/status", LEADS)],
    ("GET", "/api/reviewers"): [Case("/api/reviewers", LEADS)],
    ("GET", "/api/documents/{document_id}/audit"): [Case("/api/documents/{doc}/audit", LEADS)],
    ("GET", "/api/users"): [Case("/api/users", ADMINS)],
    ("GET", "/admin/users"): [Case("/admin/users", expect(303, 303, 303, 200))],
    ("GET", "/dashboard/documents"): [Case("/dashboard/documents", expect(303, 303, 200, 200))],
    ("GET", "/dashboard/documents/{document_id}"): [
        Case("/dashboard/documents/{doc}", expect(303, 303, 200, 200))
    ],
    ("POST", "/api/review/items/{item_id}/escalate"): [
        Case("/api/review/items/999999/escalate", expect(401, 409, 409, 409), {})
    ],
    ("GET", "/api/review/escalations"): [Case("/api/review/escalations", LEADS)],
    ("POST", "/api/review/escalations/{escalation_id}/resolve"): [
        Case("/api/review/escalations/999/resolve", expect(401, 403, 404, 404), {})
    ],
    ("GET", "/api/dashboard/batches"): [Case("/api/dashboard/batches", LEADS)],
    ("GET", "/api/dashboard/figures"): [Case("/api/dashboard/figures", LEADS)],
    ("GET", "/api/dashboard/charts/{name}.svg"): [
        Case("/api/dashboard/charts/documents.svg", LEADS)
    ],
    ("GET", "/api/dashboard/tables/{name}.{fmt}"): [
        Case("/api/dashboard/tables/documents.csv", LEADS)
    ],
    ("POST", "/api/retry"): [
        Case("/api/retry", expect(401, 403, 404, 404), {"batch": "no-such-batch"})
    ],
    ("POST", "/api/users/{username}/active"): [
        Case("/api/users/no.such.user/active", expect(401, 403, 403, 404), {"active": False})
    ],
    ("POST", "/api/users/{username}/password"): [
        Case(
            "/api/users/no.such.user/password",
            expect(401, 403, 403, 404),
            {"password": "long-enough-9"},
        )
    ],
    ("POST", "/api/users"): [
        Case(
            "/api/users",
            expect(401, 403, 403, 201),
            {"username": "matrix.user", "password": "long-enough-9", "role": "reviewer"},
        )
    ],
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: state changes allowed without a session's CSRF token, and why
NO_CSRF = {("POST", "/api/session"): "there is no session yet (see the login test below)"}


def _flat(routes: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Routes with their full paths, those of included routers (FastAPI keeps them apart)."""
    out: list[tuple[str, Any]] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            extra = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            out += _flat(included.routes, prefix + extra)
        else:
            out.append((prefix, route))
    return out


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app answers; HEAD goes with GET."""
    found = set()
    for prefix, route in _flat(list(app.routes)):
        if prefix:
            raise AssertionError(f"a router included with a prefix: {prefix!r}")
        if isinstance(route, Mount):
            found.add(("GET", route.path))
        elif isinstance(route, APIRoute | Route):
            found |= {(m, route.path) for m in (route.methods or set()) if m != "HEAD"}
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")
    return found


def test_every_route_has_a_declared_policy(desk: Desk) -> None:
    routes = app_routes(create_app(desk.sessions))
    assert routes - set(MATRIX) == set(), "declare who may call the new routes in MATRIX"
    assert set(MATRIX) - routes == set(), "MATRIX names routes the app no longer has"


def _claims(app: FastAPI) -> tuple[dict[str, Browser], dict[str, list[int]]]:
    people = {"anonymous": Browser(app)} | {r: Browser(app, n) for r, n in PERSON.items()}
    rob = Browser(app, "rob")
    held = {}
    for role, who in [*people.items(), ("rob", rob)]:
        if role != "anonymous":
            held[role] = [i["id"] for i in who.send("GET", "/api/review/next").json()["items"]]
    held["anonymous"] = held["reviewer"]
    assert all(len(ids) == 3 for ids in held.values())
    return people, held


def test_authorisation_matrix(desk: Desk) -> None:
    app = create_app(desk.sessions)
    people, held = _claims(app)
    checked = 0
    for (method, _), cases in MATRIX.items():
        for case in cases:
            for role in ROLES:
                url = case.url.format(
                    mine=held[role][0], spare=held[role][-1], theirs=held["rob"][0],
                    doc=desk.doc_ids[0],
                )  # fmt: skip
                who = people[role]
                if case.own_browser:
                    who = Browser(app, PERSON.get(role))
                r = who.send(method, url, case.body)
                assert r.status_code == case.expected[role], (method, url, role, r.text)
                assert r.headers["x-frame-options"] == "DENY", (method, url)
                assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
                if r.status_code >= 400:
                    assert set(r.json()) == {"error"}, (method, url, role, r.text)
                if r.status_code == 303 and role == "anonymous":
                    assert r.headers["location"] == "/login"
                checked += 1
    print(f"\nauthorisation matrix: {len(MATRIX)} routes x {len(ROLES)} roles, {checked} requests")


def test_crops_only_while_the_claim_is_live(desk: Desk) -> None:
    app = create_app(desk.sessions)
    rita, lena = Browser(app, "rita"), Browser(app, "lena")
    first, second = rita.send("GET", "/api/review/next").json()["items"][:2]
    assert rita.send("GET", first["crop_url"]).status_code == 200
    assert rita.send("POST", f"/api/review/items/{first['id']}", {"action": "confirm"}).is_success
    assert rita.send("GET", first["crop_url"]).status_code == 403  # decided: no longer hers
    assert rita.send("GET", first["page_url"]).status_code == 403
    assert lena.send("GET", first["crop_url"]).status_code == 200  # a lead audits it
    with desk.sessions.begin() as s:  # the lease runs out
        s.get_one(ReviewItem, second["id"]).lease_expires_at = utcnow() - timedelta(seconds=1)
    assert rita.send("GET", second["crop_url"]).status_code == 403
    assert rita.send("GET", second["page_url"]).status_code == 403


# --- CSRF ---------------------------------------------------------------------------------------


def test_every_state_change_needs_the_csrf_token(desk: Desk) -> None:
    app = create_app(desk.sessions)
    adam = Browser(app, "adam")  # may do everything: only the token is missing
    _, held = _claims(app)
    unsafe = {(m, p) for m, p in app_routes(app) if m in UNSAFE}
    assert unsafe, "no state-changing routes found"
    for method, path in sorted(unsafe - set(NO_CSRF)):
        case = MATRIX[(method, path)][0]
        url = case.url.format(mine=held["admin"][0], spare=held["admin"][-1], theirs=0, doc=0)
        for token in ("", "not-the-token"):
            r = adam.send(method, url, case.body, csrf=token)
            assert r.status_code == 403 and "CSRF" in r.json()["error"], (method, path, r.text)
    assert adam.send("GET", "/api/users").json()["users"] == [
        {"username": n, "role": r, "active": True}
        for n, r in sorted({"adam": "admin", "lena": "lead", "rita": "reviewer", "rob": "reviewer"}
                           .items())
    ]  # fmt: skip  # nothing was created without the token


def test_login_cannot_be_forged_by_another_site(desk: Desk) -> None:
    """The one state change without a token: a cross-site page can only send a form or
    text/plain (JSON needs a CORS preflight this app never grants), and those are refused."""
    http = TestClient(create_app(desk.sessions))
    creds = {"username": "rob", "password": PASSWORDS["rob"]}
    as_form = http.post("/api/session", data=creds)
    as_text = http.post(
        "/api/session",
        content=f'{{"username": "rob", "password": "{PASSWORDS["rob"]}"}}',
        headers={"Content-Type": "text/plain"},
    )
    assert as_form.status_code == as_text.status_code == 422
    assert COOKIE not in http.cookies
    preflight = http.options(
        "/api/session",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


# --- cookies and logins -------------------------------------------------------------------------


def _session_cookie(response: httpx.Response) -> Any:
    jar: SimpleCookie = SimpleCookie()
    jar.load(response.headers["set-cookie"])
    return jar[COOKIE]


def test_session_cookie_flags(desk: Desk) -> None:
    creds = {"username": "rita", "password": PASSWORDS["rita"]}
    plain = TestClient(create_app(desk.sessions)).post("/api/session", json=creds)
    cookie = _session_cookie(plain)
    assert cookie["httponly"] and cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/" and int(cookie["max-age"]) == auth.SESSION_HOURS * 3600
    assert not cookie["secure"]  # plain http on loopback: a Secure cookie would never return
    tls = TestClient(create_app(desk.sessions), base_url="https://desk.example")
    assert _session_cookie(tls.post("/api/session", json=creds))["secure"]
    forced = TestClient(create_app(desk.sessions, secure_cookies=True))
    assert _session_cookie(forced.post("/api/session", json=creds))["secure"]
    logout = tls.delete("/api/session", headers={"X-CSRF-Token": tls.get("/api/me").json()[
        "csrf_token"]})  # fmt: skip
    gone = _session_cookie(logout)
    assert gone["httponly"] and gone["secure"] and gone["path"] == "/" and not gone.value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(desk: Desk) -> Iterator[str]:
    """The desk on a real uvicorn server on loopback, configured as `review serve` runs it."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(desk.sessions), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_cookie_is_secure_behind_a_tls_proxy(served: str) -> None:
    creds = {"username": "rita", "password": PASSWORDS["rita"]}
    direct = httpx.post(f"{served}/api/session", json=creds)
    assert not _session_cookie(direct)["secure"]
    proxied = httpx.post(
        f"{served}/api/session", json=creds, headers={"X-Forwarded-Proto": "https"}
    )  # as nginx on the same machine forwards it
    assert proxied.status_code == 200 and _session_cookie(proxied)["secure"]


def _login(http: TestClient, name: str, password: str) -> int:
    return http.post("/api/session", json={"username": name, "password": password}).status_code


def test_logins_are_rate_limited_per_client_and_the_window_passes(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(desk.sessions)
    spraying = TestClient(app, client=("10.0.0.66", 5000))
    limit = auth.MAX_FAILED_LOGINS_PER_CLIENT
    # a few guesses each at many user names: under the per-name limit, not the per-client one
    codes = [_login(spraying, f"user{i // 2}", "guess-guess") for i in range(limit)]
    assert codes == [401] * limit
    assert _login(spraying, "rita", PASSWORDS["rita"]) == 429  # even the right password
    assert _login(TestClient(app, client=("10.0.0.7", 5000)), "rita", PASSWORDS["rita"]) == 200
    monkeypatch.setattr(auth, "LOGIN_WINDOW", auth.timedelta(seconds=1))
    time.sleep(1.2)  # the window passes for real
    assert _login(spraying, "rita", PASSWORDS["rita"]) == 200


# --- the audit trail is append-only in the database ---------------------------------------------


def test_audit_rows_cannot_be_changed_or_deleted(database_url: str) -> None:
    sessions = open_database(database_url)
    with sessions.begin() as s:
        record(s, "rita", "decide", field_key="patient.sex", before="male", after="female")
    engine = sessions.kw["bind"]
    statements = [
        "UPDATE audit_events SET after = 'male'",
        "UPDATE audit_events SET username = 'someone' WHERE id = 1",
        "DELETE FROM audit_events",
        "DELETE FROM audit_events WHERE id = 1",
    ]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_events")
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    with sessions.begin() as s:  # inserting goes on
        record(s, "lena", "undo_merge", item_id=3)
    with sessions() as s:
        rows = s.execute(sa.select(AuditEvent.username, AuditEvent.after)).all()
    assert sorted(rows) == [("lena", None), ("rita", "female")]


def test_the_append_only_migration_downgrades(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = make_engine(database_url)
    open_database(database_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006_badinput")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO audit_events (at, username, action) VALUES "
                             "(CURRENT_TIMESTAMP, 'x', 'login')"))  # fmt: skip
        conn.execute(sa.text("DELETE FROM audit_events"))  # no trigger any more
    open_database(database_url)  # and back
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO audit_events (at, username, action) VALUES "
                             "(CURRENT_TIMESTAMP, 'x', 'login')"))  # fmt: skip
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events"))
    engine.dispose()


# --- schemathesis against /openapi.json ---------------------------------------------------------

EXAMPLES = 25  # per operation and mode: ~40 s for the whole API on two busy cores


def test_fuzzed_requests_get_no_server_error(desk: Desk) -> None:
    """Schemathesis generates requests from /openapi.json, valid and invalid ones, and sends
    them as an admin (past every role check, with the CSRF token): no 500, errors in JSON."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    app = create_app(desk.sessions)
    adam = Browser(app, "adam")
    headers = {"X-CSRF-Token": adam.csrf, "Cookie": f"{COOKIE}={adam.http.cookies[COOKIE]}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    seen: list[tuple[str, str, int]] = []
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    # the session's own operations last: fuzzed logins trip the rate limit, a logout ends it
    operations.sort(key=lambda op: (op.path == "/api/session", op.method.upper() == "DELETE"))
    assert len(operations) >= 15
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,  # the same requests every run: a failure reproduces
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case: Any) -> None:
                response = case.call(headers=headers)
                where = (case.method, case.formatted_path, response.status_code, response.content)
                seen.append(where[:3])
                assert response.status_code < 500, where
                assert b"Traceback" not in response.content, where
                if response.status_code >= 400:
                    body = response.json()
                    assert set(body) == {"error"} and isinstance(body["error"], str), where

            try:
                fuzz()
            except Unsatisfiable:
                # nothing invalid to make of an operation without parameters or body
                assert mode == GenerationMode.NEGATIVE, operation.path
    codes = sorted({code for *_, code in seen})
    print(f"\nschemathesis: {len(seen)} requests over {len(operations)} operations, codes {codes}")
