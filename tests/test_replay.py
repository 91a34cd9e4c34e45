"""Stored OCR trees: they read back as written, a replay gives what the live run gave, and the
regression corpus (tests/corpus/, synthetic charts of both designs) holds its numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.chart import identify, read_chart
from pipeline.config import Settings
from pipeline.models import OcrPage, OcrWord, PageImage, ScanRef
from pipeline.ocr.tree import (
    ADDED_BLOCK,
    BoxMarks,
    BoxReading,
    DocumentTree,
    Engine,
    PageTree,
    read_gzip_json,
    write_gzip_json,
)
from pipeline.ocr.tsv import parse_tsv
from pipeline.replay import StoredChart, load_stored, replay, scorecard
from pipeline.review.calibration import load_calibration

CORPUS = Path(__file__).parent / "corpus"

TSV = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    "5\t1\t1\t1\t1\t1\t100\t50\t80\t30\t96.5\tHọ\n"
    "5\t1\t1\t1\t1\t2\t190\t50\t60\t30\t91\ttên:\n"
    "5\t1\t2\t1\t1\t1\t400\t50\t200\t30\t88\tNGUYỄN\n"
    "5\t1\t3\t1\t1\t1\t100\t120\t90\t30\t70.25\t12/03/1980\n"
)


def _page() -> OcrPage:
    words = parse_tsv(TSV)
    # a word added after the page reading joins a line out of order (a ticked box)
    added = OcrWord("☒", 0.9, (60, 52, 90, 80), words[0].line_id)
    recovered = OcrWord("An", 0.8, (620, 50, 680, 80), 99)
    return OcrPage(1, 1654, 2339, (*words, added, recovered), "vi", ("a warning",))


def _tree() -> DocumentTree:
    engine = Engine("tesseract", "5.3.0", "vie", (("psm", "3"), ("reread", "True")))
    image = PageImage(1, Path("page.pgm"), 1654, 2339, 300, True, -0.4)
    readings = [BoxReading((400, 50, 600, 80), "vie", "", False, False, "NGUYỄN AN", (0.9, 0.8))]
    marks = [BoxMarks((400, 50, 600, 80), True)]
    return DocumentTree("abc", "vi", (PageTree.of(_page(), image, engine, readings, marks),))


def test_the_tree_is_built_from_tesseract_tsv_by_block_and_line() -> None:
    page = _tree().pages[0]
    assert [b.number for b in page.blocks] == [1, 2, 3, ADDED_BLOCK]
    first = page.blocks[0].lines[0]
    assert [w.text for w in first.words] == ["Họ", "tên:", "☒"]
    assert first.bbox == (60, 50, 250, 80)
    assert page.blocks[0].lines[0].words[0].confidence == pytest.approx(0.965)
    assert all(0 <= w.confidence <= 1 for w in page.words)
    assert page.dpi == 300 and page.rotated_180 and page.skew_degrees == -0.4


def test_a_tree_reads_back_as_written_and_gives_the_same_page() -> None:
    tree = _tree()
    again = DocumentTree.from_dict(json.loads(json.dumps(tree.to_dict())))
    assert again == tree
    # extraction reads the words in the order the page gave them, added ones included
    read = again.ocr_pages()[0]
    assert [(w.text, w.confidence, w.bbox, w.line_id) for w in read.words] == [
        (w.text, w.confidence, w.bbox, w.line_id) for w in _page().words
    ]
    # a word added to a line the engine read is in that line's block
    assert [w.block for w in read.words] == [1, 1, 2, 3, 1, ADDED_BLOCK]
    assert (read.width, read.height, read.language, read.warnings) == (
        1654,
        2339,
        "vi",
        ("a warning",),
    )
    assert again.rereads_boxes


def test_gzip_json_is_byte_stable(tmp_path: Path) -> None:
    data = _tree().to_dict()
    write_gzip_json(tmp_path / "a.json.gz", data)
    write_gzip_json(tmp_path / "b.json.gz", data)
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()
    assert read_gzip_json(tmp_path / "a.json.gz") == json.loads(json.dumps(data))


def test_a_tree_in_another_convention_or_version_is_refused() -> None:
    data = _tree().to_dict()
    with pytest.raises(ValueError, match="version"):
        DocumentTree.from_dict({**data, "version": 99})
    page = {**data["pages"][0], "bbox_convention": "x,y,w,h"}
    with pytest.raises(ValueError, match="convention"):
        DocumentTree.from_dict({**data, "pages": [page]})


@pytest.mark.tesseract
@pytest.mark.parametrize("design", ["form", "grid"])
def test_a_replay_gives_what_the_live_run_gave(tmp_path: Path, design: str) -> None:
    from pipeline.synthetic import generate_charts

    (truth,) = generate_charts(
        tmp_path / "scans", tmp_path / "truth", 1, 7300, formats=("png",), design=design
    )
    path = tmp_path / "scans" / truth.document
    raw = identify(ScanRef(str(path.parent), truth.document, path.stat().st_size), path, "x")
    # every value read by the second model, as corpora are built (``read_synthetic``): the
    # replay extracts without a calibration, so it asks the second model about every value
    live = read_chart(raw, Settings(second_opinions="all"), tmp_path / "pages")
    assert live.ocr is not None
    stored = StoredChart(truth.document, design, 7300, dict(truth.fields), live.ocr)
    write_gzip_json(tmp_path / "chart.json.gz", stored.to_dict())
    (again,) = load_stored(tmp_path)
    replayed = replay(again)
    assert replayed.misses == 0
    assert any(p.box_readings for p in again.ocr.pages)  # the live run did re-read boxes
    from pipeline.replay import routed_with

    routed = routed_with(replayed.reading, load_calibration(None))
    assert routed.fields == live.fields
    assert routed.medications == live.medications
    assert routed.secondary_icd10 == live.secondary_icd10


#: what the corpus guards (measured when it was built: 99.0 % right, 92.1 % auto-accepted,
#: no wrong auto-accept); the wrong auto-accepts allowed, of 736 fields
MIN_ACCURACY, MIN_AUTOMATION, WRONG_AUTO_BUDGET = 0.98, 0.88, 1


def test_the_regression_corpus_replays_and_holds_its_numbers() -> None:
    charts = load_stored(CORPUS)
    assert {c.design for c in charts} == {"form", "grid"} and len(charts) >= 30
    runs = [replay(c) for c in charts]
    assert sum(r.misses for r in runs) == 0, (
        "extraction asks for boxes the corpus was not read with: rebuild it "
        "(python -m pipeline.replay build tests/corpus)"
    )
    card = scorecard(runs, load_calibration(None))
    o = card.overall
    assert o.total == 23 * len(charts)
    assert o.accuracy >= MIN_ACCURACY, card.table()
    assert o.automation >= MIN_AUTOMATION, card.table()
    assert len(card.wrong_auto) <= WRONG_AUTO_BUDGET, card.wrong_auto
    for design in ("form", "grid"):
        one = scorecard([r for r in runs if r.chart.design == design], load_calibration(None))
        assert one.overall.accuracy >= MIN_ACCURACY - 0.01, (design, one.table())


def test_trees_are_stored_with_their_pages_and_a_batch_replays_from_them(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import select

    from pipeline.cli import main
    from pipeline.replay import routed_with
    from pipeline.review.queue import claim_next
    from pipeline.state import register_scans, save_reading
    from schemas.database import open_database
    from schemas.tables import ExtractedField, Page

    sessions = open_database(database_url)
    charts = load_stored(CORPUS)[:2]
    refs = [ScanRef("corpus", c.document, 1) for c in charts]
    ids = register_scans(sessions, "replayed", "corpus", refs)
    for doc_id, chart in zip(ids, charts, strict=True):
        reading = routed_with(replay(chart).reading, load_calibration(None))
        save_reading(sessions, doc_id, reading, "png", 1.0)
    with sessions() as session:
        pages = session.scalars(select(Page).order_by(Page.id)).all()
        stored = [PageTree.from_dict(p.ocr_tree) for p in pages if p.ocr_tree]
        kept = session.scalars(select(ExtractedField.alternatives)).all()
    assert stored == [p for c in charts for p in c.ocr.pages]
    assert all(isinstance(a, list) for a in kept) and any(kept)
    # the reviewer is shown the other values the page offered, with where they are
    with sessions() as session:
        items = claim_next(session, "reviewer")
    offered = [i for i in items if i.alternatives]
    assert offered and all(a["value"] and a["bbox"] for i in offered for a in i.alternatives)
    assert offered[0].as_json()["alternatives"] == list(offered[0].alternatives)
    monkeypatch.setenv("EMR_DATABASE_URL", database_url)
    assert main(["replay", "--batch", "replayed"]) == 0
    out = capsys.readouterr().out
    assert "replayed 2 documents" in out and "box readings not stored: 0" in out
    total = int(out.split("fields: ")[1].split(",")[0])
    assert total >= 23 * len(charts)  # the fields, and the list entries
    assert f"same value as stored: {total}, same decision: {total}" in out
