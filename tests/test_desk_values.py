"""The review desk takes back every value the export can hold, saves what was typed or says
why not (in Vietnamese or English), reviews medications part by part, and keeps its queue
fair: skipped charts go behind, escalated charts go to a lead, logging out frees claims."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from pipeline.load.export import document_record
from pipeline.review.reasons import why_in_review
from pipeline.synthetic.desk import seed_full_chart
from schemas.catalogue import field_keys, field_spec, split_list_key
from schemas.database import open_database
from schemas.tables import AuditEvent, Document, ExtractedField, ReviewItem
from tests.desk import Desk, seed_desk
from tests.test_review import Person

#: numeric fields are posted as JSON numbers, as the export's readers have them
_INTEGERS = {"pulse", "respiratory_rate"}
_DECIMALS = {"temperature", "weight"}


def _as_exported(key: str, value: str) -> Any:
    kind = field_spec(key).type
    if kind in _INTEGERS:
        return int(value)
    if kind in _DECIMALS:
        return float(value)
    return value


def _stored(desk: Desk, doc_id: int) -> dict[str, str | None]:
    with desk.sessions() as s:
        rows = s.scalars(select(ExtractedField).where(ExtractedField.document_id == doc_id))
        return {f.key: f.value for f in rows}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_exported_value_is_taken_back_as_a_correction(
    database_url: str, language: str
) -> None:
    sessions = open_database(database_url)
    desk = seed_desk(sessions, charts=0)
    rita = Person(desk, "rita")
    for seed in (3, 11):
        doc_id, truth, meds, codes = seed_full_chart(sessions, seed, language)
        items = rita.get("/api/review/next").json()["items"]
        by_field = {i["field"]: i for i in items}
        assert field_keys() <= set(by_field)  # every catalogue field waits on this chart
        typed: dict[str, Any] = {}
        for key, item in by_field.items():
            listed = split_list_key(key)
            if listed and listed[0] == "medications":
                value: Any = meds[listed[1] - 1]
            elif listed:
                value = codes[listed[1] - 1]
            else:
                value = _as_exported(key, truth[key])
            typed[key] = value
            live = rita.post("/api/review/validate", {"field": key, "value": value}).json()
            assert live["ok"], (key, live)
            r = rita.post(f"/api/review/items/{item['id']}", {"action": "correct", "value": value})
            assert r.status_code == 200, (key, value, r.text)
        stored = _stored(desk, doc_id)
        for key, value in typed.items():
            if isinstance(value, dict):
                assert json.loads(stored[key] or "") == value
            elif isinstance(value, (int, float)):
                assert float(stored[key] or "") == value
                assert stored[key] == truth[key]  # "76", "37.1": numbers as the export has them
            else:
                assert stored[key] == value, key
        with desk.sessions() as s:
            doc = s.get_one(Document, doc_id)
            record = document_record(doc)
        assert record["status"] == "loaded"
        assert [{k: m[k] for k in ("name", "strength", "route", "frequency")}
                for m in record["medications"]] == meds  # fmt: skip
        assert record["secondary_icd10"] == codes


def test_what_is_typed_is_saved_or_refused_with_the_reason(tmp_path: Any) -> None:
    desk = seed_desk(open_database(f"sqlite:///{tmp_path / 'desk.db'}"), charts=0)
    doc_id, truth, _, _ = seed_full_chart(desk.sessions, 5, "vi")
    rita = Person(desk, "rita")
    items = {i["field"]: i for i in rita.get("/api/review/next").json()["items"]}

    def correct(key: str, value: Any, lang: str = "en") -> tuple[int, str]:
        r = rita.http.post(
            f"/api/review/items/{items[key]['id']}",
            json={"action": "correct", "value": value},
            headers={"X-CSRF-Token": rita.csrf, "Accept-Language": lang},
        )
        return r.status_code, r.json().get("error") or r.json().get("value")

    icd = "encounter.discharge_icd10"
    assert correct(icd, "X99.99Q") == (422, correct(icd, "X99.99Q")[1])
    assert "ICD-10 code" in correct(icd, "X99.99Q")[1]
    assert "not in the WHO ICD-10 list" in correct(icd, "K29.77")[1]
    assert "mã ICD-10 có thật" in correct(icd, "K29.77", "vi")[1]
    status, why = correct("patient.birth_date", "2099-03-12")
    assert status == 422 and "in the future" in why
    assert "tương lai" in correct("patient.birth_date", "12/03/2099", "vi")[1]
    assert "decimal point" in correct("vitals.temperature", "374")[1]  # not 37.4 silently
    assert "time is missing" in correct("encounter.admission_time", "2019-04-17")[1]
    assert "12 digits" in correct("patient.national_id", "O79180O23406")[1]  # no O for 0
    assert "would be saved as" in correct("encounter.record_number", "-BA12-80318")[1]
    assert "one word" in correct("encounter.record_number", "BA12-80318 (cũ)")[1]
    assert correct("vitals.pulse", True)[0] == 422  # a JSON true is no pulse
    # nothing refused was saved: the values are still as read
    stored = _stored(desk, doc_id)
    for key in (icd, "patient.birth_date", "vitals.temperature", "patient.national_id"):
        assert stored[key] == truth[key]
    # harmless normalisation only: NFC and outer spaces; a name in mixed case is kept
    decomposed = "  Nguye\u0302\u0303n Thi\u0323 Ta\u0302m "
    assert correct("patient.full_name", decomposed) == (200, "Nguyễn Thị Tâm")
    assert correct(icd, " k29.7 ") == (200, "K29.7")
    assert correct("vitals.weight", 55.5) == (200, "55.5")
    assert correct("encounter.admission_time", "2019-04-17T16:20") == (200, "2019-04-17T16:20")


def test_medications_are_reviewed_part_by_part_in_field_mode(tmp_path: Any) -> None:
    desk = seed_desk(open_database(f"sqlite:///{tmp_path / 'desk.db'}"), charts=0)
    for seed in (1, 2):
        seed_full_chart(desk.sessions, seed, "vi")
    rita = Person(desk, "rita")
    r = rita.get("/api/review/next", params={"mode": "field", "field": "medications"})
    items = r.json()["items"]
    assert items and all(i["field"].startswith("medications.") for i in items)
    assert {i["kind"] for i in items} == {"medication"}
    assert len({i["document"] for i in items}) == 2  # one field across charts
    check = rita.post(
        "/api/review/validate",
        {"field": items[0]["field"],
         "value": {"name": "Paracetamol", "strength": "500mg", "route": "uống",
                   "frequency": "3 lần/ngày"}},
    ).json()  # fmt: skip
    assert check["ok"] and {k: p["value"] for k, p in check["parts"].items()} == {
        "name": "Paracetamol", "strength": "500 mg", "route": "oral",
        "frequency": "3 times daily",
    }  # fmt: skip
    bad = rita.post(
        "/api/review/validate",
        {"field": "medications.1", "value": {"name": "Paracetamol", "strength": "500",
                                             "route": "by magic", "frequency": ""}},
    ).json()  # fmt: skip
    assert not bad["ok"]
    assert "unit" in bad["parts"]["strength"]["reason"]
    assert "route" in bad["parts"]["route"]["reason"].lower()
    assert bad["parts"]["frequency"]["ok"] and bad["parts"]["name"]["ok"]
    no_route = {"name": "Salbutamol", "strength": "2.5 mg", "route": "", "frequency": ""}
    saved = rita.post(f"/api/review/items/{items[0]['id']}", {"action": "correct",
                                                                "value": no_route})  # fmt: skip
    assert saved.status_code == 200
    assert json.loads(saved.json()["value"]) == {
        "name": "Salbutamol", "strength": "2.5 mg", "route": None, "frequency": None}  # fmt: skip
    codes = rita.get("/api/review/next", params={"mode": "field", "field": "secondary_icd10"})
    assert all(i["field"].startswith("secondary_icd10.") for i in codes.json()["items"])


def test_reasons_are_sentences_in_the_reviewers_language(tmp_path: Any) -> None:
    desk = seed_desk(open_database(f"sqlite:///{tmp_path / 'desk.db'}"), charts=1)
    rita = Person(desk, "rita")
    for lang, words in (("vi", "OCR không chắc chắn"), ("en", "OCR was unsure")):
        r = rita.http.get("/api/review/next", headers={"Accept-Language": lang})
        reasons = [why for item in r.json()["items"] for why in item["reasons"]]
        assert any(words in why for why in reasons)
        assert not any("_" in why or "failed check" in why for why in reasons)
    # a value sent for a failed check at a high confidence is not said to be read badly
    doubted = ExtractedField(key="patient.birth_date", value="1961-03-12", confidence=1.0,
                             threshold=0.85, ocr_confidence=0.5, label_score=1.0, bbox=[1, 2, 3, 4],
                             checks_failed=["digits_repaired"])  # fmt: skip
    assert why_in_review(doubted, "en") == [
        "A digit that OCR misread was put back: check the digits."
    ]
    doubted.confidence = 0.4
    assert any("30 %" not in w and "50 %" in w for w in why_in_review(doubted, "en"))


def test_skip_sends_the_chart_behind_the_others(tmp_path: Any) -> None:
    desk = seed_desk(open_database(f"sqlite:///{tmp_path / 'desk.db'}"), charts=3)
    rita = Person(desk, "rita")
    seen = []
    for _ in range(30):  # F4 thirty times: the charts take turns
        items = rita.get("/api/review/next").json()["items"]
        seen.append(items[0]["document"])
        for item in items:
            assert (
                rita.post(f"/api/review/items/{item['id']}", {"action": "skip"}).status_code == 200
            )
    assert all(a != b for a, b in zip(seen, seen[1:], strict=False))
    assert len(set(seen)) == 3 and seen[:6] == seen[:3] * 2  # least recently skipped first
    rob = Person(desk, "rob")  # another reviewer's queue is his own
    assert rob.get("/api/review/next").json()["items"][0]["document"] == seen[0]


def test_a_reviewer_escalates_a_chart_to_a_lead(tmp_path: Any) -> None:
    desk = seed_desk(open_database(f"sqlite:///{tmp_path / 'desk.db'}"), charts=2)
    rita, rob, lena = Person(desk, "rita"), Person(desk, "rob"), Person(desk, "lena")
    first = rita.get("/api/review/next").json()["items"]
    chart = first[0]["document"]
    assert rob.post(f"/api/review/items/{first[0]['id']}/escalate", {}).status_code == 409
    r = rita.post(f"/api/review/items/{first[0]['id']}/escalate", {"note": "hard to read"})
    assert r.status_code == 200
    assert (
        rita.post(f"/api/review/items/{first[0]['id']}", {"action": "confirm"}).status_code == 409
    )
    for reviewer in (rita, rob):  # out of the reviewers' queue at once
        r = reviewer.get("/api/review/next")
        assert r.status_code == 204 or chart not in {i["document"] for i in r.json()["items"]}
    assert rita.get("/api/review/escalations").status_code == 403
    listed = lena.get("/api/review/escalations").json()["escalations"]
    assert [(e["document"], e["raised_by"], e["open_items"]) for e in listed] == [
        (chart, "rita", 3)
    ]
    mine = lena.get("/api/review/next").json()["items"]  # first in the lead's queue
    assert {i["document"] for i in mine} == {chart}
    for item in mine:
        assert (
            lena.post(f"/api/review/items/{item['id']}", {"action": "missing"}).status_code == 200
        )
    assert lena.get("/api/review/escalations").json()["escalations"] == []  # loaded: closed
    with desk.sessions() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "escalate" in actions and "resolve_escalation" in actions
    # sent back by a lead: the chart is the reviewers' again
    rita.http.delete("/api/session", headers={"X-CSRF-Token": rita.csrf})
    other = rob.get("/api/review/next").json()["items"]
    rob.post(f"/api/review/items/{other[0]['id']}/escalate", {})
    (open_one,) = lena.get("/api/review/escalations").json()["escalations"]
    assert lena.post(f"/api/review/escalations/{open_one['id']}/resolve", {}).status_code == 200
    assert rob.get("/api/review/next").json()["items"][0]["document"] == other[0]["document"]


def test_logging_out_releases_the_claims(tmp_path: Any) -> None:
    desk = seed_desk(open_database(f"sqlite:///{tmp_path / 'desk.db'}"), charts=1)
    rita, rob = Person(desk, "rita"), Person(desk, "rob")
    claimed = rita.get("/api/review/next").json()["items"]
    assert rob.get("/api/review/next").status_code == 204  # all hers while she is here
    out = rita.http.delete("/api/session", headers={"X-CSRF-Token": rita.csrf})
    assert out.status_code == 204
    with desk.sessions() as s:
        assert s.scalars(select(ReviewItem).where(ReviewItem.claimed_by.is_not(None))).all() == []
    assert [i["id"] for i in rob.get("/api/review/next").json()["items"]] == [
        i["id"] for i in claimed
    ]


def test_same_patient_reasons_are_sentences_too() -> None:
    from datetime import date

    from pipeline.load.patients import compare
    from pipeline.review.reasons import comparison_sentences
    from schemas.tables import Patient

    a = Patient(full_name="NGUYỄN VĂN AN", birth_date=date(1960, 3, 12), sex="male",
                address="Thôn Trung, Ninh Bình", phone="0912345678")  # fmt: skip
    b = Patient(full_name="NGUYỄN VĂN ẤN", birth_date=date(1960, 12, 3), sex="female",
                address="Thôn Trung, Ninh Bình", phone="0912345678")  # fmt: skip
    reasons = list(compare(a, b).reasons)
    assert any(r.startswith("patient.") for r in reasons)  # as the matcher keeps them
    for lang, words in (("en", "Sex: differs"), ("vi", "Giới tính: khác nhau")):
        said = comparison_sentences(reasons, lang)
        assert len(said) == len(reasons) and any(words in s for s in said)
        assert not any("patient." in s or "_" in s for s in said)
    assert "% alike" in " ".join(comparison_sentences(["patient.full_name 0.87"], "en"))
