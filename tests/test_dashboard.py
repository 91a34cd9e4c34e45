"""The leads' dashboard on SQLite and PostgreSQL: who may see it, its figures computed on
history inserted at known times, its charts, downloads, documents list, audit page and the
admins' users page."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.review import metrics, svg
from pipeline.review.app import create_app
from pipeline.review.dashboard import CHARTS, TABLES
from schemas.database import open_database
from schemas.tables import AuditEvent, ReviewItem, User, utcnow
from tests.dashboard_data import add_chart, batch_named, decide_at, open_items
from tests.desk import PASSWORDS, seed_desk

# Yesterday, so that the HTTP figures (taken at the real time) have the history in their week
DAY = (utcnow() - timedelta(days=1)).date()
NOW = datetime.combine(DAY, time(12, 30))
EMPTY = "the file is empty (0 bytes): copy the scan again from the scanner's folder"


def at(hh_mm: str, days_before: int = 0) -> datetime:
    h, m = map(int, hh_mm.split(":"))
    return datetime.combine(DAY - timedelta(days=days_before), time(h, m))


def history(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Batch ward-a: one chart loaded, one in review (3 of its 4 doubtful fields decided by
    rita), one failed, one queued. Batch ward-b, the day before: one loaded after rob's
    decision."""
    auto, doubt = "auto_accepted", "needs_review"
    with sessions.begin() as s:
        a = batch_named(s, "ward-a", at("08:00"))
        b = batch_named(s, "ward-b", at("08:00", 1))
        d1 = add_chart(s, a, "ward-a/BA-001.pdf", "loaded", at("09:15"), 3,
                       {"patient.full_name": auto, "patient.birth_date": auto,
                        "encounter.record_number": auto}, record_number="BA-77")  # fmt: skip
        d2 = add_chart(s, a, "ward-a/Bệnh án 002.pdf", "in_review", at("08:40"), 2,
                       {"patient.full_name": auto, "patient.birth_date": doubt,
                        "patient.national_id": doubt, "encounter.admission_time": doubt,
                        "encounter.discharge_time": doubt})  # fmt: skip
        doubtful = open_items(s, d2, at("08:40"))  # in field order: discharge_time last
        for item, when in zip(doubtful[:3], ("09:05", "09:50", "11:30"), strict=True):
            decide_at(s, item, "rita", at(when))
        # rita looks at the last field at 10:20 without deciding: an hour worked all the same
        s.add(AuditEvent(username="rita", action="view_crop", document_id=d2.id, at=at("10:20")))
        d3 = add_chart(s, a, "ward-a/BA-003.pdf", "failed", at("10:10"), error=EMPTY)
        add_chart(s, a, "ward-a/BA-004.pdf", "queued", None)
        d5 = add_chart(s, b, "ward-b/BA-101.pdf", "in_review", at("10:30", 1), 4,
                       {"medications.0": auto, "medications.1": doubt})  # fmt: skip
        (item5,) = open_items(s, d5, at("10:30", 1))
        decide_at(s, item5, "rob", at("11:20", 1))
        d5.state = "loaded"
        return {"loaded": d1.id, "in_review": d2.id, "failed": d3.id}


@pytest.fixture
def sessions(database_url: str) -> sessionmaker[Session]:
    return open_database(database_url)


def test_done_counts_loaded_and_failed_not_charts_in_review(
    sessions: sessionmaker[Session],
) -> None:
    history(sessions)
    with sessions() as s:
        a = metrics.overview(s, "ward-a")
        everything = metrics.overview(s)
    assert a["documents"] == {"total": 4, "done": 2, "loaded": 1, "in_review": 1,
                              "failed": 1, "queued": 1, "gone": 0, "duplicate": 0}  # fmt: skip
    assert a["pages"] == {"total": 5, "loaded": 3, "in_review": 2, "failed": 0, "queued": 0,
                          "gone": 0, "duplicate": 0}  # fmt: skip
    assert a["fields"] == {"total": 8, "auto_accepted": 4, "decided_by_reviewers": 3,
                           "waiting_for_review": 1, "automation_rate": 0.5}  # fmt: skip
    assert everything["documents"]["total"] == 5 and everything["documents"]["done"] == 3


def test_pages_decisions_and_backlog_per_hour(sessions: sessionmaker[Session]) -> None:
    history(sessions)
    with sessions() as s:
        a = metrics.activity(s, "ward-a", NOW).set_index("hour")
        both = metrics.activity(s, None, NOW).set_index("hour")
    assert len(a) == 7 * 24 and a.index[-1] == pd.Timestamp(at("12:00"))
    hours = [pd.Timestamp(at(f"{h}:00")) for h in range(7, 13)]
    assert list(a.loc[hours, "pages"]) == [0, 2, 3, 0, 0, 0]
    assert list(a.loc[hours, "documents"]) == [0, 1, 1, 1, 0, 0]  # the failure is read too
    assert list(a.loc[hours, "decisions"]) == [0, 0, 2, 0, 1, 0]
    # open at each hour's end: 4 arrive at 08:40; 2 decided in the 9 o'clock hour, 1 at 11:30
    assert list(a.loc[hours, "backlog"]) == [0, 4, 2, 2, 1, 1]
    day_before = pd.Timestamp(at("10:00", 1))
    assert a.loc[day_before, "pages"] == 0 and both.loc[day_before, "pages"] == 4
    assert both.loc[day_before, "backlog"] == 1 and both.loc[day_before, "decisions"] == 0
    assert both["decisions"].sum() == 4 and a["pages"].sum() == 5


def test_reviewer_throughput_is_per_hour_worked(sessions: sessionmaker[Session]) -> None:
    history(sessions)
    with sessions() as s:
        a = metrics.reviewers(s, "ward-a", NOW)
        both = metrics.reviewers(s, None, NOW)
        a_week_later = metrics.reviewers(s, None, NOW + timedelta(days=8))
    # 3 decisions in the hours 9, 10 (a crop looked at) and 11: 1 per hour worked
    assert a[["reviewer", "decisions", "hours_worked", "decisions_per_hour"]].to_dict(
        "records"
    ) == [{"reviewer": "rita", "decisions": 3, "hours_worked": 3, "decisions_per_hour": 1.0}]
    assert list(both["reviewer"]) == ["rita", "rob"]
    assert a_week_later.empty


def test_automation_rate_per_field_groups_numbered_entries(
    sessions: sessionmaker[Session],
) -> None:
    history(sessions)
    with sessions() as s:
        a = metrics.automation_by_field(s, "ward-a").set_index("field")
        everything = metrics.automation_by_field(s).set_index("field")
    assert a.loc["patient.birth_date"].to_dict() == {
        "fields": 2, "auto_accepted": 1, "reviewed": 1, "waiting": 0, "automation_rate": 0.5,
    }  # fmt: skip
    assert a.loc["encounter.discharge_time", "waiting"] == 1
    assert a.loc["patient.full_name", "automation_rate"] == 1.0
    assert "medications.N" not in a.index
    assert everything.loc["medications.N"].to_dict()["fields"] == 2
    assert list(a["automation_rate"]) == sorted(a["automation_rate"])  # worst first


def test_eta_uses_the_working_hours_rate_with_a_range(sessions: sessionmaker[Session]) -> None:
    history(sessions)
    with sessions() as s:
        a = metrics.eta(s, "ward-a", NOW)
    # one document read in each of the hours 8, 9, 10: 1 an hour, one left
    assert a["processing"]["remaining"] == 1 and a["processing"]["hours"] == 1.0
    assert a["processing"]["rate"]["window_hours"] == 3
    # decisions: 2 in the 9 o'clock hour, 1 in the 11: 1.5 an hour, the middle half 1.25-1.75
    review = a["review"]
    assert review["rate"]["per_hour"] == 1.5
    assert (review["rate"]["per_hour_low"], review["rate"]["per_hour_high"]) == (1.25, 1.75)
    assert (review["hours_low"], review["hours"], review["hours_high"]) == (0.6, 0.7, 0.8)


def test_work_rate_is_the_last_working_hours_not_the_last_hour() -> None:
    start = datetime(2026, 12, 1, 0, 0)
    # 16 busy hours (10 an hour), then 24 slow ones (2 an hour) over nights and days
    times = [start + timedelta(hours=h, minutes=m) for h in range(16) for m in range(0, 60, 6)]
    times += [start + timedelta(hours=40 + 2 * h, minutes=m) for h in range(24) for m in (5, 35)]
    rate = metrics.work_rate(times, start + timedelta(hours=90))
    assert rate is not None
    assert rate["per_hour"] == 2.0 and rate["window_hours"] == 24
    assert rate["hours_per_day"] == 8.0  # 24 worked hours on three calendar days (2nd-4th)
    assert metrics.work_rate(times, start + timedelta(days=30)) is None  # too old to say


def test_failures_and_documents_search(sessions: sessionmaker[Session]) -> None:
    ids = history(sessions)
    with sessions() as s:
        failed = metrics.failures(s, "ward-a")
        found, total = metrics.documents(s, None, "BA-77")
        by_batch, n_b = metrics.documents(s, None, "ward-b")
        _, n_all = metrics.documents(s)
        nothing, none = metrics.documents(s, None, "100%_")
    assert failed[["id", "document", "batch", "reason"]].to_dict("records") == [
        {"id": ids["failed"], "document": "ward-a/BA-003.pdf", "batch": "ward-a", "reason": EMPTY}
    ]
    assert total == 1 and found.iloc[0]["id"] == ids["loaded"]
    assert n_b == 1 and by_batch.iloc[0]["pages"] == 4
    assert n_all == 5 and none == 0 and nothing.empty
    with sessions() as s:
        row = metrics.documents(s, "ward-a", "002")[0].iloc[0]
    assert (row["state"], row["open_items"], row["record_number"]) == ("in_review", 1, None)


# --- over HTTP ----------------------------------------------------------------------------


class Person:
    def __init__(self, sessions: sessionmaker[Session], name: str | None = None) -> None:
        self.http = TestClient(create_app(sessions))
        self.csrf = ""
        if name:
            r = self.http.post("/api/session", json={"username": name, "password": PASSWORDS[name]})
            assert r.status_code == 200, r.text
            self.csrf = r.json()["csrf_token"]

    def get(self, url: str) -> Any:
        return self.http.get(url, follow_redirects=False)

    def post(self, url: str, body: dict[str, Any]) -> Any:
        return self.http.post(url, json=body, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture
def desk(sessions: sessionmaker[Session]) -> dict[str, int]:
    seed_desk(sessions, charts=1)  # the people, and a chart in batch "desk"
    return history(sessions)


def api_urls() -> list[str]:
    charts = [f"/api/dashboard/charts/{c}.svg?batch=ward-a" for c in CHARTS if c != "precision"]
    tables = [
        f"/api/dashboard/tables/{t}.{f}?batch=ward-a" for t in TABLES for f in ("csv", "xlsx")
    ]
    return ["/api/dashboard/batches", "/api/dashboard/figures?batch=ward-a", *charts, *tables]


def test_only_leads_and_admins_see_the_dashboard(
    sessions: sessionmaker[Session], desk: dict[str, int]
) -> None:
    pages = ["/dashboard", "/dashboard/documents?q=BA", f"/dashboard/documents/{desk['in_review']}"]
    anonymous, rita = Person(sessions), Person(sessions, "rita")
    for url in api_urls():
        assert anonymous.get(url).status_code == 401, url
        assert rita.get(url).status_code == 403, url
    for url in [*pages, "/admin/users"]:
        assert anonymous.get(url).headers["location"] == "/login", url
        assert rita.get(url).headers["location"] == "/review", url
    for name in ("lena", "adam"):
        person = Person(sessions, name)
        for url in api_urls() + pages:
            r = person.get(url)
            assert r.status_code == 200, (name, url, r.text[:200])
    lena = Person(sessions, "lena")
    assert lena.get("/admin/users").headers["location"] == "/dashboard"
    assert lena.get("/api/dashboard/figures?batch=nosuch").json() == {
        "error": "there is no batch of that name"
    }


def test_figures_and_charts_over_http(
    sessions: sessionmaker[Session], desk: dict[str, int]
) -> None:
    lena = Person(sessions, "lena")
    figures = lena.get("/api/dashboard/figures?batch=ward-a").json()
    assert figures["documents"]["done"] == 2 and figures["documents"]["in_review"] == 1
    assert [f["document"] for f in figures["failures"]] == ["ward-a/BA-003.pdf"]
    assert "measured_precision" not in figures
    assert {b["name"] for b in lena.get("/api/dashboard/batches").json()["batches"]} == {
        "desk", "ward-a", "ward-b",
    }  # fmt: skip
    states = lena.get("/api/dashboard/charts/documents.svg?batch=ward-a")
    assert states.headers["content-type"].startswith("image/svg+xml")
    assert states.text.count('class="part"') == 4  # loaded, in review, queued, failed
    assert "in review 1 (25%)" in states.text
    fields = lena.get("/api/dashboard/charts/automation.svg?batch=ward-a").text
    assert fields.count('class="bar"') == 6 and "patient.birth_date" in fields
    assert lena.get("/api/dashboard/charts/precision.svg").status_code == 404
    assert lena.get("/api/dashboard/charts/nosuch.svg").status_code == 404


def test_measured_precision_panel_when_the_status_has_it(
    sessions: sessionmaker[Session], desk: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # QA sampling adds this key to the status figures (pipeline.report); until it lands here
    # the figures are put into the status the way it will report them.
    import pipeline.report

    sampled = {
        "fields": {
            "patient.birth_date": {"sampled": 50, "wrong": 1, "precision": 0.98,
                                   "ci_low": 0.894, "ci_high": 0.996},
            "patient.full_name": {"sampled": 40, "wrong": 4, "precision": 0.9,
                                  "ci_low": 0.769, "ci_high": 0.96},
        },
        "overall": {"sampled": 90, "wrong": 5, "precision": 0.944, "ci_low": 0.876,
                    "ci_high": 0.976},
    }  # fmt: skip
    real = pipeline.report.batch_status
    monkeypatch.setattr(
        pipeline.report,
        "batch_status",
        lambda sessions, batch=None, **kw: (
            real(sessions, batch, **kw) | {"measured_precision": sampled}
        ),
    )
    lena = Person(sessions, "lena")
    assert lena.get("/api/dashboard/figures").json()["measured_precision"] == sampled
    drawn = lena.get("/api/dashboard/charts/precision.svg").text
    assert drawn.count('class="estimate"') == 3  # two fields and all fields
    assert drawn.index("patient.full_name") < drawn.index("patient.birth_date")  # worst first
    assert "90.0% (4 wrong of 40)" in drawn


def test_downloads_csv_with_bom_and_excel(
    sessions: sessionmaker[Session], desk: dict[str, int]
) -> None:
    lena = Person(sessions, "lena")
    csv = lena.get("/api/dashboard/tables/documents.csv?batch=ward-a")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="documents-ward-a-' in csv.headers["content-disposition"]
    frame = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
    assert "ward-a/Bệnh án 002.pdf" in set(frame["document"]) and len(frame) == 4
    searched = lena.get("/api/dashboard/tables/documents.xlsx?q=BA-77")
    sheet = pd.read_excel(io.BytesIO(searched.content))
    assert list(sheet["record_number"]) == ["BA-77"]
    failures = pd.read_excel(
        io.BytesIO(lena.get("/api/dashboard/tables/failures.xlsx?batch=ward-a").content)
    )
    assert list(failures["reason"]) == [EMPTY]
    per_hour = pd.read_csv(
        io.BytesIO(lena.get("/api/dashboard/tables/activity.csv?batch=ward-a").content)
    )
    assert per_hour["pages"].sum() == 5
    with sessions() as s:
        taken = s.scalars(select(AuditEvent.after).where(AuditEvent.action == "download")).all()
    assert sorted(taken) == ["activity.csv", "documents.csv", "documents.xlsx", "failures.xlsx"]


def test_a_formula_in_a_file_name_stays_text_in_the_download(
    sessions: sessionmaker[Session], desk: dict[str, int]
) -> None:
    with sessions.begin() as s:
        add_chart(s, batch_named(s, "ward-a", NOW), "=HYPERLINK(1).pdf", "queued", None)
    lena = Person(sessions, "lena")
    text = lena.get("/api/dashboard/tables/documents.csv?q=HYPERLINK").content.decode("utf-8-sig")
    assert "'=HYPERLINK(1).pdf" in text


def test_documents_page_searches_and_links_the_audit_trail(
    sessions: sessionmaker[Session], desk: dict[str, int]
) -> None:
    lena = Person(sessions, "lena")
    page = lena.get("/dashboard/documents?q=%C3%A1n%20002").text  # "án 002"
    assert "1 document" in page and "Bệnh án 002" in page and "BA-001" not in page
    link = f"/dashboard/documents/{desk['in_review']}"
    assert f'href="{link}"' in page
    trail = lena.get(link).text
    assert trail.count(">decide<") == 3 and "rita" in trail and "view crop" in trail
    assert lena.get("/dashboard/documents/999999").status_code == 404
    by_batch = lena.get("/dashboard/documents?batch=ward-b").text
    assert "1 document" in by_batch and "BA-101" in by_batch


def test_admins_disable_enable_and_reset_passwords(
    sessions: sessionmaker[Session], desk: dict[str, int]
) -> None:
    adam, rob = Person(sessions, "adam"), Person(sessions, "rob")
    claimed = rob.get("/api/review/next").json()["items"]
    assert claimed
    assert "rob" in adam.get("/admin/users").text
    lena = Person(sessions, "lena")
    assert lena.post("/api/users/rob/active", {"active": False}).status_code == 403
    assert adam.post("/api/users/adam/active", {"active": False}).status_code == 422
    assert adam.post("/api/users/nobody/active", {"active": False}).status_code == 404
    no_token = adam.http.post("/api/users/rob/active", json={"active": False})
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["error"]
    off = adam.post("/api/users/rob/active", {"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    assert rob.get("/api/review/next").status_code == 401  # logged out at once
    with sessions() as s:  # and their claims are back in the queue
        assert all(s.get_one(ReviewItem, i["id"]).claimed_by is None for i in claimed)
    refused = TestClient(create_app(sessions)).post(
        "/api/session", json={"username": "rob", "password": PASSWORDS["rob"]}
    )
    assert refused.status_code == 401
    assert adam.post("/api/users/rob/active", {"active": True}).status_code == 200
    short = adam.post("/api/users/rob/password", {"password": "short"})
    assert short.status_code == 422 and "8 characters" in short.json()["error"]
    assert adam.post("/api/users/rob/password", {"password": "brand-new-pass"}).status_code == 200
    http = TestClient(create_app(sessions))
    old = http.post("/api/session", json={"username": "rob", "password": PASSWORDS["rob"]})
    new = http.post("/api/session", json={"username": "rob", "password": "brand-new-pass"})
    assert old.status_code == 401 and new.status_code == 200
    with sessions() as s:
        trail = s.execute(
            select(AuditEvent.username, AuditEvent.action, AuditEvent.after).where(
                AuditEvent.action.like("user_%")
            )
        ).all()
        assert s.scalars(select(User.active).where(User.username == "rob")).one() is True
    assert [tuple(t) for t in trail] == [
        ("adam", "user_disable", "rob"),
        ("adam", "user_enable", "rob"),
        ("adam", "user_password", "rob"),
    ]
    assert "brand-new-pass" not in str(trail)


def test_chart_text_is_escaped() -> None:
    drawn = svg.hbars("x", [("<script>alert(1)</script>", 0.5, "a & b")], top=1.0)
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn and "a &amp; b" in drawn
    assert svg.nice_step(87) == 20 and svg.nice_step(4) == 1 and svg.nice_step(0.3) == 0.1
    assert svg.nice_step(0.95, 5) == 0.2 and svg.nice_step(0.2, 5) == 0.05


def test_reviewer_figures_of_the_last_day_are_per_hour_worked(
    sessions: sessionmaker[Session], desk: dict[str, int]
) -> None:
    base = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    with sessions.begin() as s:
        for minutes in (5, 10, 15, 175):  # three in one hour, one near the end of another
            s.add(AuditEvent(username="rob", action="decide", at=base + timedelta(minutes=minutes)))
    lena = Person(sessions, "lena")
    rob = next(r for r in lena.get("/api/reviewers").json()["reviewers"] if r["reviewer"] == "rob")
    # 4 decisions in 2 hours worked; not 4 over the 2 h 50 min from the first to the last
    assert rob == {"reviewer": "rob", "decisions_24h": 4, "hours_worked": 2, "per_hour": 2.0}
