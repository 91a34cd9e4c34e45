"""Cleanup's pixels stay what they were: each stage on synthetic scans of the three designs.

The checksums (SHA-256 of each stage's output bytes) were taken with the cleanup code before
its speed-ups, on pages this file renders itself from fixed seeds; a faster stage must give
the same bytes. They hold for the OpenCV, Pillow and numpy named in ``TAKEN_WITH`` (the test
skips under others) and Debian's fonts: after an upgrade, take them again with the code
before a change and compare after it.
"""

from __future__ import annotations

import hashlib
import random

import cv2
import numpy as np
import pytest

from pipeline.ocr.boxes import unbox_cells
from pipeline.ocr.cleanup import (
    clean_page,
    estimate_skew,
    normalise_background,
    rotate,
    undot_zeros,
    upscale,
    whiten_paper,
)
from pipeline.ocr.furniture import remove_furniture
from pipeline.ocr.ticks import ticked_boxes
from pipeline.synthetic.content import make_content
from pipeline.synthetic.degrade import degrade_page, draw_degradation
from pipeline.synthetic.foreign import render_foreign
from pipeline.synthetic.grid import render_grid
from pipeline.synthetic.render import render_chart

#: (design, chart seed, scan dpi): a degraded first page of each
PAGES = [("form", 31, 200), ("grid", 32, 200), ("foreign", 33, 300)]

#: per page, per stage: the SHA-256 of what the code before the speed-ups gave
EXPECTED: dict[str, dict[str, str]] = {
    "form": {
        "estimate_skew": "f52ec4247e60133c7c5457a2018163e9996b6808a7ddf5d3a75479936474f011",
        "rotate": "25fc4ff960034b80a64d16690a64ba065133e69628a557cd2741c7870a5c6815",
        "normalise_background": "13408c5b7ed7224fe84e50613f2da4fd901938f9370a222fcb1c99f251054a36",
        "remove_furniture": "f30a42aa2ac7dbf8baef1643688562f527916b30bc070789afe38833d6072544",
        "undot_zeros": "778f2e2efa82e9feee9171c569bb1850b0e63d02ad705009ac25d81208e58a15",
        "whiten_paper": "bb8cd6fb1fdee858615684549e721c77b32dbbf81030f557c3de0dad51854783",
        "clean_page": "bb8cd6fb1fdee858615684549e721c77b32dbbf81030f557c3de0dad51854783",
        "ticked_boxes": "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
        "unbox_cells": "99aa960c29ca108cf6468fcf6e3b4db822e375b913cf3f6ba8f0b6b197a91b0e",
    },
    "grid": {
        "estimate_skew": "7296495fb31e7feb6d9a1f2796bb5c6a2522b53cf8b7311ea516dcdf66b6b48b",
        "rotate": "60e60122be62baf6c57c4caded84f8d3271b22006c2400d5e3f2dc51f598f714",
        "normalise_background": "ab2d2751d198dc19946fd848770abbbb8aadfb3831bf7770f10bdc586ef52482",
        "remove_furniture": "96b98cbe85ec5a31d46cadfbd60a1e98a7f5741327e60a94b31948875d2fe34c",
        "undot_zeros": "96b98cbe85ec5a31d46cadfbd60a1e98a7f5741327e60a94b31948875d2fe34c",
        "whiten_paper": "8d745a1fc48ddfccab013808a021f0e77fd514d504a0688081930296585bca24",
        "clean_page": "8d745a1fc48ddfccab013808a021f0e77fd514d504a0688081930296585bca24",
        "ticked_boxes": "04b685d889b98622907e2b9b40326e3d111c6a92ce6b88b8edbc00ed304bd520",
        "unbox_cells": "15e6cd171c77f4ac2f095afe0aa3ee8692c4b1b02e5aee343c7a161a0e3f8b2e",
    },
    "foreign": {
        "estimate_skew": "0bf56cc40e84014dc3401457a1bcb79a256e56c97cbf693f155b78bf815fd106",
        "rotate": "e05e79d767a7947e2d7d3027b5cc2377885f5873efb88d59235efb6e583d14a2",
        "normalise_background": "0af9c9156726495a9963c66e9504cf30aabbbfe1e729a33b30033af23149ed7f",
        "remove_furniture": "3a2390dbf741b21973a9b7422cb3d3e36cdaa95f50c4f894838b1ac65813d597",
        "undot_zeros": "af82cc4b9b500bbad4fb6952fc9439304ee9709cb09dd9686c284420f257382c",
        "whiten_paper": "73aacdc40912b56588d69f1dab194053734cae24a45b1c6ff2a479a1341b1e16",
        "clean_page": "73aacdc40912b56588d69f1dab194053734cae24a45b1c6ff2a479a1341b1e16",
        "ticked_boxes": "ccc3a7784726a13ae881406c6420a7070c99a341332a279a62922d8883e7fa1f",
        "unbox_cells": "d3c1ced3008ba1af9567e9a8a318a3a54f544064c1cc02d798736b7a32264770",
    },
}


def _scan(design: str, seed: int, dpi: int) -> np.ndarray:
    rng = random.Random(seed)
    content = make_content(rng, "vi")
    if design == "grid":
        rendered = render_grid(content, rng, dpi)
    elif design == "foreign":
        rendered = render_foreign(content, rng, dpi, 1)
    else:
        rendered = render_chart(content, rng, dpi, 1)
    nrng = np.random.default_rng(seed)
    page = np.asarray(rendered.pages[0], dtype=np.uint8)
    degradation = draw_degradation(nrng)
    return degrade_page(page, degradation, nrng)


def _crops(page: np.ndarray) -> list[np.ndarray]:
    """Strips of a field's height across the page, some over character cells and boxes."""
    h, w = page.shape
    return [
        page[y : y + 70, x : x + 600]
        for y in range(100, h - 100, 211)
        for x in range(80, w - 700, 397)
    ]


def _digest(value: object) -> str:
    if isinstance(value, np.ndarray):
        data = f"{value.dtype}{value.shape}".encode() + value.tobytes()
    elif isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        data = b"".join(_digest(v).encode() for v in value)
    else:
        data = repr(value).encode()
    return hashlib.sha256(data).hexdigest()


def _stages(design: str, seed: int, scan_dpi: int) -> dict[str, object]:
    """Each stage's output, the next stage fed with it, as clean_page chains them."""
    raw = _scan(design, seed, scan_dpi)
    up, dpi = upscale(raw, scan_dpi)
    skew = estimate_skew(up)
    upright = rotate(up, skew)
    flat = normalise_background(upright)
    bare = remove_furniture(flat, dpi)
    plain = undot_zeros(bare)
    white = whiten_paper(plain)
    return {
        "raw": raw,
        "estimate_skew": skew,
        "rotate": upright,
        "normalise_background": flat,
        "remove_furniture": bare,
        "undot_zeros": plain,
        "whiten_paper": white,
        "clean_page": clean_page(raw, scan_dpi).pixels,
        "ticked_boxes": ticked_boxes(white),
        "unbox_cells": [unbox_cells(c) for c in _crops(white)],
    }


@pytest.fixture(scope="module", params=PAGES, ids=[p[0] for p in PAGES])
def stages(request: pytest.FixtureRequest) -> tuple[str, dict[str, object]]:
    design, seed, dpi = request.param
    return design, _stages(design, seed, dpi)


#: the libraries the checksums were taken with: other versions may round otherwise
TAKEN_WITH = {"opencv": "5.1.0", "pillow": "13.0.0", "numpy": "2.4.6"}


def test_each_stage_gives_the_bytes_it_gave_before(stages: tuple[str, dict[str, object]]) -> None:
    import PIL

    found = {"opencv": cv2.__version__, "pillow": PIL.__version__, "numpy": np.__version__}
    if found != TAKEN_WITH:
        pytest.skip(f"checksums taken with {TAKEN_WITH}, these are {found}: take them again")
    design, out = stages
    got = {name: _digest(value) for name, value in out.items() if name != "raw"}
    assert got == EXPECTED[design]


def test_stages_keep_the_page_and_only_lighten_it(stages: tuple[str, dict[str, object]]) -> None:
    _, out = stages
    flat, bare, plain, white = (
        out[k] for k in ("normalise_background", "remove_furniture", "undot_zeros", "whiten_paper")
    )
    assert isinstance(flat, np.ndarray) and flat.dtype == np.uint8
    for later in (bare, plain, white):
        assert isinstance(later, np.ndarray)
        assert later.shape == flat.shape and later.dtype == np.uint8
    assert isinstance(bare, np.ndarray) and isinstance(plain, np.ndarray)
    assert isinstance(white, np.ndarray)
    # furniture removal, undotting and whitening only ever set pixels to paper white
    assert np.all((bare == flat) | (bare == 255))
    assert np.all((plain == bare) | (plain == 255))
    assert np.all(white >= plain)
    assert np.array_equal(out["clean_page"], white)  # clean_page chains the same stages
    # erased furniture: fewer dark pixels after than before, the text still there
    dark_before, dark_after = int((flat < 128).sum()), int((bare < 128).sum())
    assert 0.2 * dark_before < dark_after < dark_before


def test_ticked_boxes_are_square_frames_on_the_page(
    stages: tuple[str, dict[str, object]],
) -> None:
    _, out = stages
    white = out["whiten_paper"]
    assert isinstance(white, np.ndarray)
    boxes = out["ticked_boxes"]
    assert isinstance(boxes, list)
    for x0, y0, x1, y1 in boxes:
        assert 0 <= x0 < x1 <= white.shape[1] and 0 <= y0 < y1 <= white.shape[0]
        assert 22 <= x1 - x0 <= 80 and 22 <= y1 - y0 <= 80
        assert cv2.countNonZero((white[y0:y1, x0:x1] < 128).astype(np.uint8)) > 0
