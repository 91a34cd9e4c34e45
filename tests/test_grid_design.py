"""Charts of the second design (a ruled one-page table, other label wordings) read by the
real pipeline: a guard that extraction does not hold only on the form it was developed on.
The benchmark (``make bench-accuracy-grid``) reports the figures; this floor is well below."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.chart import identify, read_chart
from pipeline.config import Settings
from pipeline.models import ScanRef
from pipeline.synthetic import generate_charts

pytestmark = [pytest.mark.tesseract]


def test_charts_in_a_ruled_table_are_read(tmp_path: Path) -> None:
    truths = generate_charts(
        tmp_path / "scans", tmp_path / "truth", 4, 31, formats=("png", "jpeg"), design="grid"
    )
    right = total = 0
    for t in truths:
        path = tmp_path / "scans" / t.document
        raw = identify(ScanRef(str(path.parent), t.document, path.stat().st_size), path, "x")
        reading = read_chart(raw, Settings(), tmp_path / "pages" / t.document)
        for f in reading.fields:
            total += 1
            right += f.candidate.value == t.fields[f.key]
    assert total == 4 * 23
    assert right / total >= 0.8, (right, total)
