"""A real headless Chromium on the review desk: a medication reviewed part by part from the
keyboard in field mode, each part checked as it is typed, and reasons in the chosen language."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from pipeline.synthetic.desk import seed_full_chart
from schemas.database import open_database
from schemas.tables import ExtractedField
from tests.desk import PASSWORDS, seed_desk
from tests.test_review_live import OUTPUT, LiveDesk, browser

__all__ = ["browser"]  # the fixture


def test_a_medication_is_reviewed_part_by_part_from_the_keyboard(
    tmp_path: Path, browser: object
) -> None:
    desk = seed_desk(open_database(f"sqlite:///{tmp_path / 'desk.db'}"), charts=0)
    _, _, meds, _ = seed_full_chart(desk.sessions, 0, "vi")
    assert len(meds) >= 2
    OUTPUT.mkdir(exist_ok=True)
    with LiveDesk(desk) as live:
        page = browser.new_page(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
        page.goto(f"{live.url}/login")
        page.fill("input[name=username]", "rita")
        page.fill("input[name=password]", PASSWORDS["rita"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/review")
        page.locator("#value").wait_for()
        # the field mode offers the lists by name, not by key
        options = page.locator("#field-choice option").all_inner_texts()
        assert "Thuốc · Medications" in options and not any(o == "medications" for o in options)
        page.select_option("#field-choice", "medications")
        page.locator("#medication").wait_for(state="visible")
        assert page.locator("#field-label").inner_text() == "Thuốc 1 · Medication 1"
        assert page.locator("#single").is_hidden()
        assert page.input_value("#med-name") == meds[0]["name"]
        assert page.evaluate("document.activeElement.id") == "med-name"
        reasons = page.locator("#reasons").inner_text()
        assert "OCR was unsure" in reasons and "_" not in reasons
        page.keyboard.press("Tab")  # to the strength, selected: typing replaces it
        assert page.evaluate("document.activeElement.id") == "med-strength"
        page.keyboard.type("500")
        page.locator("#med-strength-check.bad").wait_for()
        assert "unit" in page.locator("#med-strength-check").inner_text()
        page.keyboard.type("mg")
        page.wait_for_function(
            "document.querySelector('#med-strength-check').textContent === '✓ 500 mg'"
        )
        page.keyboard.press("Tab")
        page.keyboard.type("tiêm bắp")
        page.wait_for_function(
            "document.querySelector('#med-route-check').textContent === '✓ intramuscular'"
        )
        page.keyboard.press("Tab")
        page.keyboard.type("2 lần/ngày")
        page.wait_for_function(
            "document.querySelector('#med-frequency-check').textContent === '✓ twice daily'"
        )
        page.screenshot(path=str(OUTPUT / "review-desk-medication.png"))
        page.keyboard.press("Enter")  # saved; on to the next medication
        page.wait_for_function("document.querySelectorAll('#items li.done').length === 1")
        assert page.locator("#field-label").inner_text() == "Thuốc 2 · Medication 2"
        assert page.evaluate("document.activeElement.id") == "med-name"
        # the reasons in Vietnamese, when the reviewer chooses it
        page.select_option("#language", "vi")
        page.wait_for_function(
            "document.querySelector('#reasons').textContent.includes('OCR không chắc chắn')"
        )
        page.locator("#med-name").focus()
        page.keyboard.press("Enter")  # one keystroke: confirm the medication as read
        page.locator("#empty").wait_for(state="visible")
    with desk.sessions() as s:
        rows = {
            f.key: (f.decision, json.loads(f.value or "null"))
            for f in s.scalars(
                select(ExtractedField).where(ExtractedField.key.like("medications.%"))
            )
        }
    assert rows["medications.1"] == (
        "corrected",
        {"name": meds[0]["name"], "strength": "500 mg", "route": "intramuscular",
         "frequency": "twice daily"},
    )  # fmt: skip
    assert rows["medications.2"] == ("confirmed", meds[1])


def test_f4_moves_on_to_another_chart_and_f8_hands_one_to_a_lead(
    tmp_path: Path, browser: object
) -> None:
    desk = seed_desk(open_database(f"sqlite:///{tmp_path / 'desk.db'}"), charts=3)
    with LiveDesk(desk) as live:
        page = browser.new_page(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
        page.goto(f"{live.url}/login")
        page.fill("input[name=username]", "rita")
        page.fill("input[name=password]", PASSWORDS["rita"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/review")
        page.locator("#work").wait_for(state="visible")
        page.wait_for_function("document.querySelector('#document').textContent !== ''")
        assert page.locator("#medication").is_hidden()  # a plain field: one input
        seen = []
        for _ in range(4):  # F4 on every field of a chart: the next chart, never the same
            chart = page.locator("#document").inner_text()
            seen.append(chart)
            for done in (1, 2):
                page.keyboard.press("F4")
                page.wait_for_function(
                    f"document.querySelectorAll('#items li.done').length === {done}"
                )
            page.keyboard.press("F4")
            page.wait_for_function(f"document.querySelector('#document').textContent !== {chart!r}")
        assert all(a != b for a, b in zip(seen, seen[1:], strict=False))
        assert len(set(seen)) == 3
        flagged = page.locator("#document").inner_text()
        page.keyboard.press("F8")  # escalate: the chart goes to a lead at once
        page.wait_for_function(f"document.querySelector('#document').textContent !== {flagged!r}")
        lead = browser.new_page(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
        lead.goto(f"{live.url}/login")
        lead.fill("input[name=username]", "lena")
        lead.fill("input[name=password]", PASSWORDS["lena"])
        lead.keyboard.press("Enter")
        lead.wait_for_url("**/dashboard")
        lead.goto(f"{live.url}/review")
        lead.locator("#escalated").wait_for(state="visible")
        assert flagged in lead.locator("#escalated tbody").inner_text()
        assert lead.locator("#document").inner_text() == flagged  # first in the lead's queue
