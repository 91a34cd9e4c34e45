"""The review desk served for real (uvicorn on loopback): 20 reviewers claiming at once on
PostgreSQL, and a real headless Chromium driving the reviewer's screen."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from pipeline.review.app import create_app
from pipeline.review.auth import add_user
from schemas.database import open_database
from schemas.tables import Document, ExtractedField, ReviewItem
from tests.desk import PASSWORDS, Desk, seed_desk

OUTPUT = Path(__file__).resolve().parent.parent / "test-output"


class LiveDesk:
    def __init__(self, desk: Desk) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(
            create_app(desk.sessions),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveDesk:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def login(url: str, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    r = client.post("/api/session", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


@pytest.mark.postgres
def test_twenty_reviewers_claiming_at_once_never_share_an_item(pg_url: str) -> None:
    desk = seed_desk(open_database(pg_url), charts=30)
    names = [f"reviewer{i:02d}" for i in range(20)]
    with desk.sessions.begin() as s:
        for name in names:
            add_user(s, name, f"{name}-password", "reviewer")
    with LiveDesk(desk) as live:
        clients = [login(live.url, n, f"{n}-password") for n in names]
        start = threading.Barrier(len(clients))

        def claim(client: httpx.Client) -> list[int]:
            start.wait()
            ids: list[int] = []
            for mode in ("document", "field"):
                r = client.get(
                    "/api/review/next", params={"mode": mode, "field": "patient.national_id"}
                )
                if r.status_code == 200:
                    ids += [i["id"] for i in r.json()["items"]]
                if mode == "document" and ids:  # decide them so the next claim is a new one
                    for item_id in ids:
                        assert (
                            client.post(
                                f"/api/review/items/{item_id}", json={"action": "confirm"}
                            ).status_code
                            == 200
                        )
            return ids

        with ThreadPoolExecutor(len(clients)) as pool:
            claimed = list(pool.map(claim, clients))
    everything = [i for ids in claimed for i in ids]
    assert everything and len(everything) == len(set(everything)), "an item went out twice"
    with desk.sessions() as s:
        owners = dict(s.execute(select(ReviewItem.id, ReviewItem.claimed_by)).all())
    for name, ids in zip(names, claimed, strict=True):
        assert all(owners[i] == name for i in ids)


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


def test_a_reviewer_confirms_corrects_and_the_chart_is_loaded(
    tmp_path: Path, browser: object
) -> None:
    desk = seed_desk(open_database(f"sqlite:///{tmp_path / 'desk.db'}"), charts=1)
    OUTPUT.mkdir(exist_ok=True)
    with LiveDesk(desk) as live:
        page = browser.new_page(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
        page.goto(f"{live.url}/review")
        assert page.url.endswith("/login")  # no session: the login page
        page.fill("input[name=username]", "rita")
        page.fill("input[name=password]", PASSWORDS["rita"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/review")
        value = page.locator("#value")
        value.wait_for()
        page.wait_for_function("document.querySelector('#crop').complete")
        page.screenshot(path=str(OUTPUT / "review-desk.png"))
        assert page.locator("#items li").count() == 3
        assert "Ngày sinh" in page.locator("#field-label").inner_text()
        page.keyboard.type("31/02/1999")  # typing replaces the selected value
        page.locator(".check.bad").wait_for()  # refused as you type, with the reason
        assert "real date" in page.locator("#check").inner_text()
        page.keyboard.press("Enter")  # refused by the server too: nothing is stored
        page.wait_for_function("!document.querySelector('#check').textContent.startsWith('✗')")
        page.keyboard.press("Control+A")
        page.keyboard.type("12/03/1960")
        page.locator(".check.good").wait_for()
        page.keyboard.press("Enter")  # saves the correction, moves to the next field
        page.wait_for_function("document.querySelectorAll('#items li.done').length === 1")
        assert "CCCD" in page.locator("#field-label").inner_text()
        page.keyboard.press("Enter")  # one keystroke: confirm the value as read
        page.wait_for_function("document.querySelectorAll('#items li.done').length === 2")
        page.keyboard.press("F2")  # the last one: not on the chart
        page.locator("#empty").wait_for(state="visible")
        page.screenshot(path=str(OUTPUT / "review-desk-done.png"))
    with desk.sessions() as s:
        doc = s.scalars(select(Document)).one()
        assert doc.state == "loaded"
        decided = {
            f.key: (f.decision, f.value)
            for f in s.scalars(select(ExtractedField).where(ExtractedField.decided_by == "rita"))
        }
    assert sorted(d for d, _ in decided.values()) == ["confirmed", "corrected", "missing"]
    assert ("corrected", "1960-03-12") in decided.values()
