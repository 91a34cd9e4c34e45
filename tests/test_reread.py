"""Targeted re-reading on real Tesseract: a field's box read again, the better reading kept."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.ocr import lines
from pipeline.ocr.lines import read_line

pytestmark = pytest.mark.tesseract

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CCCD = "079303004512"  # province 079, born in the 2000s, female


def test_a_small_digit_line_is_read_upscaled_with_a_whitelist() -> None:
    img = Image.new("L", (260, 24), 255)
    ImageDraw.Draw(img).text((4, 4), "079 303 004 512", font=ImageFont.truetype(FONT, 14), fill=0)
    reading = read_line(np.asarray(img), "vi", whitelist="0123456789 ")
    assert reading.text.replace(" ", "") == CCCD
    assert len(reading.confidences) == 4 and 0.5 < reading.confidence <= 1.0


def test_threads_read_with_their_own_engine() -> None:
    img = Image.new("L", (400, 50), 255)
    ImageDraw.Draw(img).text((8, 8), "0912 345 678", font=ImageFont.truetype(FONT, 28), fill=0)
    pixels = np.asarray(img)
    with ThreadPoolExecutor(2) as pool:
        readings = list(pool.map(lambda _: read_line(pixels, "vi", whitelist="0123456789"),
                                 range(4)))  # fmt: skip
    assert [r.text.replace(" ", "") for r in readings] == ["0912345678"] * 4


def test_tessdata_is_found_without_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSDATA_PREFIX", "/nonexistent")
    lines.tessdata_dir.cache_clear()
    try:
        assert Path(lines.tessdata_dir(), "vie.traineddata").is_file()
    finally:
        lines.tessdata_dir.cache_clear()
