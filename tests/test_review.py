"""The review desk's JSON API on SQLite and PostgreSQL: sessions, roles, CSRF, the queue with
leases, decisions with validators, audit, and the chart loaded when its last field is decided."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from pipeline.review.app import create_app
from schemas.database import open_database
from schemas.tables import AuditEvent, Document, Encounter, Patient, ReviewItem, utcnow
from tests.desk import DOUBTFUL, PASSWORDS, Desk, chart_values, seed_desk


@pytest.fixture
def desk(database_url: str) -> Desk:
    return seed_desk(open_database(database_url))


class Person:
    """A logged-in browser: keeps the session cookie and sends the CSRF header."""

    def __init__(self, desk: Desk, name: str | None = None) -> None:
        self.http = TestClient(create_app(desk.sessions))
        self.csrf = ""
        if name:
            r = self.http.post("/api/session", json={"username": name, "password": PASSWORDS[name]})
            assert r.status_code == 200, r.text
            self.csrf = r.json()["csrf_token"]

    def get(self, url: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.http.get(url, **kw)  # type: ignore[arg-type]

    def post(self, url: str, body: dict[str, object]):  # type: ignore[no-untyped-def]
        return self.http.post(url, json=body, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture
def rita(desk: Desk) -> Iterator[Person]:
    yield Person(desk, "rita")


def test_everything_but_login_needs_a_session(desk: Desk) -> None:
    anonymous = Person(desk)
    for url in ("/api/review/next", "/api/status", "/api/users", "/api/review/items/1/crop"):
        r = anonymous.get(url)
        assert r.status_code == 401 and r.json() == {"error": "log in first"}
    assert anonymous.post("/api/review/items/1", {"action": "confirm"}).status_code == 401
    assert anonymous.get("/review", follow_redirects=False).headers["location"] == "/login"


def test_login_logout_and_bad_passwords(desk: Desk) -> None:
    http = TestClient(create_app(desk.sessions))
    bad = http.post("/api/session", json={"username": "rita", "password": "nope-nope"})
    assert bad.status_code == 401 and "error" in bad.json()
    good = http.post("/api/session", json={"username": "rita", "password": PASSWORDS["rita"]})
    assert good.status_code == 200
    cookie = good.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age" in cookie
    csrf = good.json()["csrf_token"]
    assert http.delete("/api/session").status_code == 403  # no CSRF header
    assert http.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert http.get("/api/review/next").status_code == 401


def test_logins_are_rate_limited(desk: Desk) -> None:
    http = TestClient(create_app(desk.sessions))
    codes = [
        http.post("/api/session", json={"username": "rob", "password": "guess-guess"}).status_code
        for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]
    right = http.post("/api/session", json={"username": "rob", "password": PASSWORDS["rob"]})
    assert right.status_code == 429  # even the right password waits out the window


def test_roles(desk: Desk, rita: Person) -> None:
    assert rita.get("/api/status").status_code == 403
    assert rita.get("/api/reviewers").status_code == 403
    assert rita.get(f"/api/documents/{desk.doc_ids[0]}/audit").status_code == 403
    lena = Person(desk, "lena")
    status = lena.get("/api/status")
    assert status.status_code == 200 and status.json()["documents"]["in_review"] == 3
    assert lena.get("/api/users").status_code == 403
    adam = Person(desk, "adam")
    made = adam.post(
        "/api/users", {"username": "new.reviewer", "password": "long-enough-1", "role": "reviewer"}
    )
    assert made.status_code == 201
    assert {u["username"] for u in adam.get("/api/users").json()["users"]} >= {"new.reviewer"}
    weak = adam.post("/api/users", {"username": "x", "password": "short", "role": "reviewer"})
    assert weak.status_code == 422 and "8 characters" in weak.json()["error"]


def test_state_changes_need_the_csrf_token(desk: Desk, rita: Person) -> None:
    item = rita.get("/api/review/next").json()["items"][0]
    r = rita.http.post(f"/api/review/items/{item['id']}", json={"action": "confirm"})
    assert r.status_code == 403 and "CSRF" in r.json()["error"]


def test_document_mode_claims_one_chart_for_one_reviewer(desk: Desk, rita: Person) -> None:
    mine = rita.get("/api/review/next")
    assert mine.status_code == 200
    items = mine.json()["items"]
    assert {i["field"] for i in items} == set(DOUBTFUL)
    assert len({i["document"] for i in items}) == 1
    first = items[0]
    assert set(first) >= {
        "id",
        "document",
        "field",
        "value",
        "confidence",
        "page",
        "bbox",
        "crop_url",
    }
    assert rita.get("/api/review/next").json()["items"] == items  # a reload gives the same
    rob = Person(desk, "rob")
    theirs = rob.get("/api/review/next").json()["items"]
    assert not {i["id"] for i in items} & {i["id"] for i in theirs}
    taken = rob.post(f"/api/review/items/{first['id']}", {"action": "confirm"})
    assert taken.status_code == 409 and "not claimed by you" in taken.json()["error"]


def test_field_mode_gives_one_field_across_charts(desk: Desk, rita: Person) -> None:
    items = rita.get("/api/review/next?mode=field&field=patient.birth_date").json()["items"]
    assert len(items) == 3 and {i["field"] for i in items} == {"patient.birth_date"}
    assert len({i["document"] for i in items}) == 3
    assert rita.get("/api/review/next?mode=field&field=nope").status_code == 422


def test_decisions_validators_audit_and_the_load(desk: Desk, rita: Person) -> None:
    items = {i["field"]: i for i in rita.get("/api/review/next").json()["items"]}
    doc_name = items["patient.birth_date"]["document"]
    truth = chart_values(int(doc_name[6:9]))

    def decide(field: str, action: str, value: str | None = None):  # type: ignore[no-untyped-def]
        return rita.post(
            f"/api/review/items/{items[field]['id']}", {"action": action, "value": value}
        )

    bad = decide("patient.birth_date", "correct", "31/02/1961")
    assert bad.status_code == 422 and "real date" in bad.json()["error"]
    bad_id = decide("patient.national_id", "correct", "999123456789")
    assert bad_id.status_code == 422 and "province" in bad_id.json()["error"]
    fixed = decide("patient.birth_date", "correct", "12/03/1961")
    assert fixed.status_code == 200
    assert fixed.json()["decision"] == "corrected" and fixed.json()["value"] == "1961-03-12"
    assert decide("patient.birth_date", "confirm").status_code == 409  # decided once
    assert decide("patient.national_id", "confirm").json()["decision"] == "confirmed"
    last = decide("encounter.discharge_time", "missing")
    assert last.json() == {
        "id": items["encounter.discharge_time"]["id"],
        "field": "encounter.discharge_time",
        "decision": "missing",
        "value": None,
        "document_status": "loaded",
    }
    with desk.sessions() as s:
        doc = s.scalars(select(Document).where(Document.key == doc_name)).one()
        assert doc.state == "loaded"
        encounter = s.scalars(select(Encounter).where(Encounter.document_id == doc.id)).one()
        patient = s.get_one(Patient, encounter.patient_id)
        assert patient.birth_date is not None and patient.birth_date.isoformat() == "1961-03-12"
        assert patient.national_id == truth["patient.national_id"]
        assert encounter.discharge_time is None
        decided = s.scalars(select(AuditEvent).where(AuditEvent.action == "decide")).all()
        assert [(e.field_key, e.before, e.after) for e in decided][0] == (
            "patient.birth_date",
            truth["patient.birth_date"],
            "1961-03-12",
        )
    lena = Person(desk, "lena")
    trail = lena.get(f"/api/documents/{doc.id}/audit").json()["events"]
    assert [e["action"] for e in trail].count("decide") == 3
    status = lena.get("/api/status").json()
    assert status["documents"]["loaded"] == 1 and status["fields"]["decided_by_reviewers"] == 3


def test_an_expired_lease_returns_the_item_to_the_queue(desk: Desk, rita: Person) -> None:
    items = rita.get("/api/review/next").json()["items"]
    with desk.sessions.begin() as s:
        s.execute(update(ReviewItem).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    rob = Person(desk, "rob")
    again = rob.get("/api/review/next").json()["items"]
    assert [i["id"] for i in again] == [i["id"] for i in items]  # oldest chart first, again
    late = rita.post(f"/api/review/items/{items[0]['id']}", {"action": "confirm"})
    assert late.status_code == 409


def test_skip_puts_the_item_back(desk: Desk, rita: Person) -> None:
    items = rita.get("/api/review/next").json()["items"]
    skipped = rita.post(f"/api/review/items/{items[0]['id']}", {"action": "skip"})
    assert skipped.status_code == 200 and skipped.json()["document_status"] == "in_review"
    rob = Person(desk, "rob")
    assert items[0]["id"] in [i["id"] for i in rob.get("/api/review/next").json()["items"]]


def test_crops_are_images_for_the_claimer_only_and_audited(desk: Desk, rita: Person) -> None:
    item = rita.get("/api/review/next").json()["items"][0]
    crop = rita.get(item["crop_url"])
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/jpeg"
    assert crop.content[:2] == b"\xff\xd8"
    wide = rita.get(item["crop_url"] + "?zoom=0.5")
    assert len(wide.content) > len(crop.content)  # zoomed out: more of the page
    assert rita.get(f"/api/review/items/{item['id']}/page").status_code == 200
    rob = Person(desk, "rob")
    assert rob.get(item["crop_url"]).status_code == 403
    with desk.sessions() as s:
        views = s.scalars(select(AuditEvent).where(AuditEvent.action == "view_crop")).all()
        assert len(views) == 2 and views[0].username == "rita"


def test_nothing_open_answers_204(desk: Desk, rita: Person) -> None:
    while (r := rita.get("/api/review/next")).status_code == 200:
        for item in r.json()["items"]:
            assert (
                rita.post(f"/api/review/items/{item['id']}", {"action": "confirm"}).status_code
                == 200
            )
    assert r.status_code == 204
    with desk.sessions() as s:
        assert {d.state for d in s.scalars(select(Document))} == {"loaded"}


def test_openapi_and_json_errors(desk: Desk, rita: Person) -> None:
    paths = rita.get("/openapi.json").json()["paths"]
    for path in ("/api/session", "/api/review/next", "/api/review/items/{item_id}", "/api/status"):
        assert path in paths
    malformed = rita.post("/api/review/items/1", {"value": 3})
    assert malformed.status_code == 422 and "error" in malformed.json()
    assert "Traceback" not in malformed.text


def test_same_patient_questions_are_answered_at_the_desk(database_url: str) -> None:
    from pipeline.load.emr import load_document
    from pipeline.synthetic.archive import make_archive, store_charts
    from schemas.tables import PatientMatchQuestion, PatientMerge

    desk = seed_desk(open_database(database_url), charts=0)
    with desk.sessions.begin() as s:
        ids = [d.id for d in store_charts(s, "archive", make_archive(seed=11, people=50))]
    for doc_id in ids:
        load_document(desk.sessions, doc_id)
    rita = Person(desk, "rita")
    question = rita.get("/api/patients/questions/next").json()
    assert question["new_chart"]["full_name"] and question["existing_patient"]["full_name"]
    yes = rita.post(f"/api/patients/questions/{question['id']}", {"same": True})
    assert yes.status_code == 200 and yes.json()["answer"] == "same"
    again = rita.post(f"/api/patients/questions/{question['id']}", {"same": False})
    assert again.status_code == 409
    with desk.sessions() as s:
        merge = s.scalars(select(PatientMerge).where(PatientMerge.merged_by == "rita")).one()
        answered = s.get_one(PatientMatchQuestion, question["id"])
        assert answered.decided_by == "rita"
    assert rita.post(f"/api/patients/merges/{merge.id}/undo", {}).status_code == 403
    lena = Person(desk, "lena")
    undone = lena.post(f"/api/patients/merges/{merge.id}/undo", {})
    assert undone.status_code == 200 and undone.json()["undone_by"] == "lena"
