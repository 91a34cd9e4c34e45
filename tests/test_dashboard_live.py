"""The dashboard in a real headless Chromium over a real server: a lead opens it on five
days of migration history, finds every chart drawn, filters a batch and presses Retry."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from schemas.database import open_database
from schemas.tables import User, utcnow
from tests.dashboard_data import seed_history
from tests.desk import PASSWORDS, seed_desk
from tests.test_review_live import OUTPUT, LiveDesk, browser  # noqa: F401 (the fixture)

CHARTS = {
    "documents": "rect.part",
    "pages": "rect.part",
    "pages_per_hour": "rect.bar",
    "decisions_per_hour": "rect.bar",
    "backlog": "polyline.line",
    "reviewers": "rect.bar",
    "automation": "rect.bar",
}


def test_a_lead_finds_the_dashboard_drawn_and_retries_a_failure(
    tmp_path: Path,
    browser: object,  # noqa: F811
) -> None:
    desk = seed_desk(open_database(f"sqlite:///{tmp_path / 'desk.db'}"), charts=1)
    seed_history(desk.sessions, utcnow())
    OUTPUT.mkdir(exist_ok=True)
    with LiveDesk(desk) as live:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})  # type: ignore[attr-defined]
        page.goto(f"{live.url}/dashboard")
        assert page.url.endswith("/login")
        page.fill("input[name=username]", "lena")
        page.fill("input[name=password]", PASSWORDS["lena"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/dashboard")
        page.wait_for_selector("body[data-loaded=yes]")
        for name, mark in CHARTS.items():
            drawn = page.locator(f'[data-chart="{name}"] svg {mark}')
            assert drawn.count() > 0, name
            box = page.locator(f'[data-chart="{name}"] svg').bounding_box()
            assert box and box["width"] > 300 and box["height"] > 40, name
        assert page.locator("#precision-panel").is_hidden()  # no QA sample yet
        cards = page.locator("#cards").inner_text()
        assert "Documents done" in cards and "ETA review" in cards and "range" in cards
        failures = page.locator("#failures tbody tr")
        assert failures.count() > 0
        page.screenshot(path=str(OUTPUT / "dashboard.png"), full_page=True)

        # One batch: the figures follow the filter, the URL keeps it.
        page.select_option("#batch", "icu/2014")
        page.wait_for_function("location.search.includes('icu')")
        page.wait_for_function(
            "[...document.querySelectorAll('#failures tbody tr td:nth-child(2)')]"
            ".every((td) => td.textContent === 'icu/2014')"
        )
        assert page.locator("#retry-batch").is_visible()

        # Retry: the body and header the retry endpoint takes, and its answer shown.
        first = failures.first
        key = first.locator("td").first.inner_text()
        csrf = page.evaluate("window.CSRF")
        with page.expect_request("**/api/retry") as sent:
            first.locator("button.retry").click()
        request = sent.value
        assert request.method == "POST"
        assert request.post_data_json == {"batch": "icu/2014", "document": key}
        assert request.headers["x-csrf-token"] == csrf
        page.wait_for_function(
            "!['', 'Retrying…'].includes(document.querySelector('#retry-result').textContent)"
        )
        with page.expect_request("**/api/retry") as sent_all:
            page.click("#retry-batch")
        assert sent_all.value.post_data_json == {"batch": "icu/2014", "document": None}

        page.goto(f"{live.url}/dashboard/documents?q=icu")
        assert page.locator("#documents tbody tr").count() > 10
        page.screenshot(path=str(OUTPUT / "dashboard-documents.png"))
        page.locator("#documents a", has_text="audit trail").first.click()
        page.wait_for_url("**/dashboard/documents/*")
        assert "Audit trail of" in page.locator("h1").inner_text()


def test_an_admin_disables_a_reviewer_on_the_users_page(
    tmp_path: Path,
    browser: object,  # noqa: F811
) -> None:
    desk = seed_desk(open_database(f"sqlite:///{tmp_path / 'desk.db'}"), charts=1)
    with LiveDesk(desk) as live:
        page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
        page.goto(f"{live.url}/admin/users")
        page.fill("input[name=username]", "adam")
        page.fill("input[name=password]", PASSWORDS["adam"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/dashboard")
        page.goto(f"{live.url}/admin/users")
        rob = page.locator('tr[data-user="rob"]')
        rob.locator("button.toggle").click()
        page.locator("#users-result.good").wait_for()
        page.wait_for_function(
            "document.querySelector('tr[data-user=rob] td:nth-child(3)').textContent === 'disabled'"
        )
        page.fill("#add-user input[name=username]", "thu.ha")
        page.select_option("#add-user select[name=role]", "lead")
        page.fill("#add-user input[name=password]", "a-long-password")
        page.click("#add-user button[type=submit]")
        page.locator('tr[data-user="thu.ha"]').wait_for()
        page.screenshot(path=str(OUTPUT / "dashboard-users.png"))
    with desk.sessions() as s:
        active = dict(s.execute(select(User.username, User.active)).all())
    assert active["rob"] is False and active["thu.ha"] is True


def test_the_precision_panel_appears_once_a_qa_sample_is_measured(
    tmp_path: Path,
    browser: object,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pipeline.report

    # QA sampling adds this key to the status figures; here it is put in as it will come.
    one = {"sampled": 60, "wrong": 2, "precision": 0.967, "ci_low": 0.885, "ci_high": 0.991}
    real = pipeline.report.batch_status
    monkeypatch.setattr(
        pipeline.report,
        "batch_status",
        lambda sessions, batch=None, **kw: (
            real(sessions, batch, **kw)
            | {"measured_precision": {"fields": {"patient.birth_date": one}, "overall": one}}
        ),
    )
    desk = seed_desk(open_database(f"sqlite:///{tmp_path / 'desk.db'}"), charts=1)
    with LiveDesk(desk) as live:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})  # type: ignore[attr-defined]
        page.goto(f"{live.url}/login")
        page.fill("input[name=username]", "lena")
        page.fill("input[name=password]", PASSWORDS["lena"])
        page.keyboard.press("Enter")
        page.wait_for_selector("body[data-loaded=yes]")
        assert page.locator("#precision-panel").is_visible()
        assert page.locator('[data-chart="precision"] svg circle.estimate').count() == 2
        page.locator("#precision-panel").screenshot(path=str(OUTPUT / "dashboard-precision.png"))
