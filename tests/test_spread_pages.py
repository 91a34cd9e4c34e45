"""The pages of one long chart spread over the process's engine slots: read at once where
slots are free, kept in page order, the same words as read one after another, and never more
pages read at once than there are slots, however many charts are in progress."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline import timing
from pipeline.config import settings_from_env
from pipeline.models import OcrPage, PageImage, RawScan
from pipeline.ocr import engine, reader
from pipeline.ocr.engine import EngineSlots, engine_slot, holds_slot
from pipeline.ocr.reader import read_scan, spread_in_order
from tests.test_throughput import VI_LINES, in_new_thread, page, pdf


@pytest.fixture
def slots(monkeypatch: pytest.MonkeyPatch) -> EngineSlots:
    """A fresh pool of two slots, no model loaded in either (others' tests used the process's)."""
    fresh = EngineSlots(2)
    monkeypatch.setattr(engine, "_SLOTS", fresh)
    return fresh


def test_slots_bound_readers_process_wide_and_keep_their_engines(slots: EngineSlots) -> None:
    at_once, most, lock = [0], [0], threading.Lock()
    engines: list[int] = []

    def reader_thread() -> None:
        with engine_slot():
            with engine_slot():  # held already: the same slot, not a second one
                assert slots.busy <= 2
            held = engine._local.slot
            held.setdefault("model", object())  # what engine() keeps in a slot
            engines.append(id(held["model"]))
            with lock:
                at_once[0] += 1
                most[0] = max(most[0], at_once[0])
            time.sleep(0.05)
            with lock:
                at_once[0] -= 1
        assert not holds_slot()

    threads = [threading.Thread(target=reader_thread) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 2 and slots.busy == 0
    assert len(set(engines)) == 2  # eight readers, two slots' engines made, then kept


def test_spread_in_order_keeps_the_order_and_a_bounded_number_in_flight(
    slots: EngineSlots,
) -> None:
    taken, done, lock = [0], [0], threading.Lock()
    ahead: list[int] = []

    def items() -> Any:
        for i in range(30):
            with lock:
                taken[0] += 1
                ahead.append(taken[0] - done[0])  # taken but not finished yet
            yield i

    def job(i: int) -> tuple[int, str]:
        assert holds_slot()
        time.sleep(0.01 * (i % 3))  # later items finish first now and then
        with lock:
            done[0] += 1
        return i, threading.current_thread().name

    out = spread_in_order(items(), job, 2)
    assert [i for i, _ in out] == list(range(30))
    assert len({name for _, name in out}) == 2
    assert max(ahead) <= 2 * 2 + 1  # a 500-page PDF is not rasterised ahead of its reading
    with engine_slot():  # a thread holding a slot does it all itself (it would wait on itself)
        assert {name for _, name in spread_in_order(range(4), job, 2)} == {"MainThread"}


def _chart(folder: Path) -> RawScan:
    """Five pages, each printing a different part of the form, the second upside down."""
    pages = [page(VI_LINES[i:] + VI_LINES[:i], top=150 + 200 * i) for i in range(5)]
    pages[1] = pages[1].rotate(180)
    folder.mkdir(exist_ok=True)
    return pdf(folder / "chart.pdf", pages)


def _reads(monkeypatch: pytest.MonkeyPatch, during: Callable[[int], None]) -> list[tuple]:
    """Every read of the reader recorded (the first page's in parts): (page, thread, slot held,
    reads at once)."""
    seen: list[tuple] = []
    at_once, lock = [0], threading.Lock()

    def counting(original: Callable[..., Any], number_at: int) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            number = args[number_at] if len(args) > number_at else kwargs.get("page_number", 1)
            with lock:
                at_once[0] += 1
                seen.append((number, threading.get_ident(), holds_slot(), at_once[0]))
            try:
                during(number)
                return original(*args, **kwargs)
            finally:
                with lock:
                    at_once[0] -= 1

        return counted

    monkeypatch.setattr(reader, "ocr_page", counting(reader.ocr_page, 1))
    monkeypatch.setattr(reader, "read_image", counting(reader.read_image, 4))  # the first page
    return seen


def _as_read(result: tuple[str, list[PageImage], list[OcrPage]]) -> tuple:
    language, images, pages = result
    return (
        language,
        [(i.number, i.width, i.height, i.rotated_180, i.path.name) for i in images],
        [(p.number, p.language, p.words, p.warnings) for p in pages],
    )


@pytest.mark.tesseract
def test_a_charts_pages_are_read_at_once_in_page_order_as_one_after_another(
    tmp_path: Path, slots: EngineSlots, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = _chart(tmp_path)
    env = {"EMR_WORKDIR": str(tmp_path / "w")}
    alone = settings_from_env(env, pdf_dpi=200, workers=1)
    one_by_one = in_new_thread(lambda: read_scan(raw, alone, tmp_path / "a"))
    together = threading.Barrier(2, timeout=60)

    def meet(number: int) -> None:
        if number in (3, 4):  # pages 3 and 4 are both being read before either goes on
            together.wait()

    seen = _reads(monkeypatch, meet)
    timing.reset()
    two = settings_from_env(env, pdf_dpi=200, workers=2)
    spread = in_new_thread(lambda: read_scan(raw, two, tmp_path / "b"))
    assert timing.calls("page reads") == 5  # each page read once
    assert all(held for _, _, held, _ in seen)  # every page read in an engine slot
    assert len({thread for number, thread, _, _ in seen if number > 1}) == 2
    assert max(n for *_, n in seen) == 2
    assert [p.number for p in spread[2]] == [1, 2, 3, 4, 5]
    assert _as_read(spread)[2] == _as_read(one_by_one)[2]  # the same words, page by page
    assert [i.rotated_180 for i in spread[1]] == [False, True, False, False, False]
    assert [i.rotated_180 for i in one_by_one[1]] == [False, True, False, False, False]
    assert "BÌNH" in [w.text for w in spread[2][4].words]


@pytest.mark.tesseract
def test_two_charts_at_once_read_no_more_pages_at_once_than_there_are_slots(
    tmp_path: Path, slots: EngineSlots, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flow's one chart per core and each chart's pages share the slots: two charts of
    five pages each, each spreading its pages, never read more than two pages at once."""
    raws = {d: _chart(tmp_path / d) for d in ("a", "b")}  # each its own copy, as in a run
    seen = _reads(monkeypatch, lambda number: time.sleep(0.2))  # reads overlap if they can
    settings = settings_from_env({"EMR_WORKDIR": str(tmp_path / "w")}, pdf_dpi=200, workers=2)
    results: list[Any] = []

    def one_chart(d: str) -> None:
        results.append(read_scan(raws[d], settings, tmp_path / d / "p"))

    charts = [threading.Thread(target=one_chart, args=(d,)) for d in raws]
    for chart in charts:
        chart.start()
    for chart in charts:
        chart.join()
    assert len(results) == 2 and len({(n, t) for n, t, _, _ in seen}) >= 2 * 5
    assert all(held for _, _, held, _ in seen)
    assert max(n for *_, n in seen) <= 2
    assert _as_read(results[0])[2] == _as_read(results[1])[2]
