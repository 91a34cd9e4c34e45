"""Which Vietnamese model reads best per second, and what cleanup does to real phone captures.

``python -m pipeline.bench models [--real DIR] [--npm-model FILE]``: each model that ships in
a package (Debian ``vie``, Debian's script model ``Vietnamese``, the ``vie`` best network of
the npm package ``@tesseract.js-data/vie`` when its file is given) reads

- synthetic charts, whole pages: character error rate of the chart's true field values
  against the best-matching stretch of the page's text, and seconds per page;
- real prescriptions (``../shared/realdata/vaipe``: phone captures with a text box per line,
  whose labels are themselves OCR, so scores are relative): character error rate of each
  box read as a line, word F1 of the whole page's text against the labels' words, and
  seconds per page; then bare against cleaned pages, with the ``vie`` model.

Numbers only: nothing from the real pages is printed or stored.
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipeline.realdata import DEFAULT_ROOT

#: ``../shared/realdata/vaipe`` beside the repository (or beside the folder of worktrees)
REAL_DIR = DEFAULT_ROOT


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _cer(read: str, truth: str) -> float:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(_norm(read), _norm(truth)) / max(1, len(_norm(truth)))


def _word_f1(read: str, truth: str) -> float:
    got, want = Counter(_norm(read).lower().split()), Counter(_norm(truth).lower().split())
    hit = sum((got & want).values())
    if not hit:
        return 0.0
    precision, recall = hit / sum(got.values()), hit / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def _api(folder: str, model: str, psm: int = 3) -> Any:
    from tesserocr import OEM, PyTessBaseAPI

    return PyTessBaseAPI(path=folder, lang=model, oem=OEM.LSTM_ONLY, psm=psm)


def _read(api: Any, pixels: np.ndarray, dpi: int = 300) -> str:
    image = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w = image.shape
    api.SetImageBytes(image.tobytes(), w, h, 1, w)
    api.SetSourceResolution(dpi)
    return str(api.GetUTF8Text() or "")


def _models(npm_model: Path | None, tmp: Path) -> list[tuple[str, str, str]]:
    from pipeline.ocr.engine import tessdata_dir

    models = [
        ("vie (Debian tesseract-ocr-vie)", tessdata_dir(), "vie"),
        ("Vietnamese (Debian script-viet)", tessdata_dir(), "Vietnamese"),
    ]
    if npm_model is not None and npm_model.is_file():
        folder = tmp / "npm-tessdata"
        folder.mkdir()
        opener = gzip.open if npm_model.suffix == ".gz" else open
        with opener(npm_model, "rb") as src, (folder / "vie.traineddata").open("wb") as dst:
            shutil.copyfileobj(src, dst)
        models.append(("vie 4.0.0_best_int (npm)", str(folder) + "/", "vie"))
    return models


def _synthetic_pages(charts: int, seed: int, tmp: Path) -> list[tuple[np.ndarray, list[str]]]:
    """Cleaned pages of synthetic charts and the true values of the fields on each."""
    from pipeline.ingest.pages import detect_media_type, iter_pages
    from pipeline.ocr.cleanup import clean_page
    from pipeline.synthetic import generate_charts

    scans, truth = tmp / "scans", tmp / "truth"
    generate_charts(scans, truth, count=charts, seed=seed, languages=("vi",))
    pages = []
    for scan in sorted(scans.iterdir()):
        facts = json.loads((truth / (scan.stem + ".json")).read_text())
        values = {k: v for k, v in facts.get("fields", {}).items() if isinstance(v, str) and v}
        on_page = facts.get("field_pages", {})
        for raster in iter_pages(scan, detect_media_type(scan, scan.name), 300, 10**9):
            clean = clean_page(raster.pixels, raster.dpi).pixels
            pages.append((clean, [v for k, v in values.items() if on_page.get(k) == raster.number]))
    return pages


def _value_cer(text: str, values: list[str]) -> tuple[int, int]:
    """Edits needed to find each true value in the page text, and the values' characters."""
    from rapidfuzz import fuzz

    edits = chars = 0
    flat = _norm(text)
    for value in values:
        best = fuzz.partial_ratio_alignment(_norm(value), flat)
        found = flat[best.dest_start : best.dest_end] if best else ""
        edits += round(_cer(found, value) * len(_norm(value)))
        chars += len(_norm(value))
    return edits, chars


def _real(folder: Path, images: int) -> list[tuple[np.ndarray, list[tuple[tuple[int, ...], str]]]]:
    out = []
    for image in sorted((folder / "images").glob("*.png"))[:images]:
        label = folder / "labels" / (image.stem + ".csv")
        if not label.is_file():
            continue
        with label.open(encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh) if r.get("Object", "").strip()]
        boxes = [(tuple(int(float(r[k])) for k in ("xmin", "ymin", "xmax", "ymax")), r["Object"])
                 for r in rows]  # fmt: skip
        grey = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)
        if grey is not None:
            out.append((grey, boxes))
    return out


def models(charts: int, seed: int, images: int, npm_model: Path | None, real_dir: Path) -> None:
    from pipeline.ocr.engine import limit_threads

    limit_threads()
    with tempfile.TemporaryDirectory(prefix="emr-models-") as tmp_name:
        tmp = Path(tmp_name)
        choices = _models(npm_model, tmp)
        synthetic = _synthetic_pages(charts, seed, tmp)
        real = _real(real_dir, images) if (real_dir / "images").is_dir() else []
        print(f"{len(synthetic)} synthetic pages ({charts} charts, seed {seed}); "
              f"{len(real)} real prescriptions; one thread")  # fmt: skip
        print(f"{'model':34} {'synth CER':>9} {'s/page':>7} {'real box CER':>12} "
              f"{'real F1':>7} {'s/page':>7}")  # fmt: skip
        for title, folder, model in choices:
            page_api, line_api = _api(folder, model), _api(folder, model, psm=7)
            edits = chars = 0
            started = time.process_time()
            for pixels, values in synthetic:
                e, c = _value_cer(_read(page_api, pixels), values)
                edits, chars = edits + e, chars + c
            synth_s = (time.process_time() - started) / max(1, len(synthetic))
            box_edits = box_chars = 0
            f1s, real_s = [], 0.0
            for grey, boxes in real:
                started = time.process_time()
                text = _read(page_api, grey)
                real_s += time.process_time() - started
                f1s.append(_word_f1(text, " ".join(t for _, t in boxes)))
                for (x0, y0, x1, y1), truth in boxes:
                    crop = cv2.copyMakeBorder(grey[y0:y1, x0:x1], 8, 8, 8, 8,
                                              cv2.BORDER_CONSTANT, value=255)  # fmt: skip
                    box_edits += round(_cer(_read(line_api, crop), truth) * len(_norm(truth)))
                    box_chars += len(_norm(truth))
            page_api.End()
            line_api.End()
            real_cer = f"{box_edits / box_chars:12.3f}" if box_chars else f"{'-':>12}"
            real_f1 = f"{np.mean(f1s):7.3f}" if f1s else f"{'-':>7}"
            print(f"{title:34} {edits / max(chars, 1):9.3f} {synth_s:7.2f} {real_cer} {real_f1} "
                  f"{real_s / max(1, len(real)):7.2f}")  # fmt: skip
        if real:
            _cleanup_on_real(real_dir, images, tmp)


def _cleanup_on_real(real_dir: Path, images: int, tmp: Path) -> None:
    """Bare against the pipeline's reading of real phone captures (``reader.read_scan``:
    cleanup kept per page only where it read better), and cleanup forced on every page:
    word F1 of the page's words against the labels'."""
    from pipeline.config import settings_from_env
    from pipeline.models import RawScan, ScanRef
    from pipeline.ocr import reader
    from pipeline.timing import calls, reset

    def f1s(settings_env: dict[str, str], force: bool) -> list[float]:
        settings = settings_from_env({"EMR_WORKDIR": str(tmp / "w"), **settings_env},
                                     language="vi")  # fmt: skip
        kept = reader.small_print
        if force:
            reader.small_print = lambda grey, dpi=300: False
        try:
            scores = []
            for image in sorted((real_dir / "images").glob("*.png"))[:images]:
                label = real_dir / "labels" / (image.stem + ".csv")
                with label.open(encoding="utf-8") as fh:
                    truth = " ".join(r["Object"] for r in csv.DictReader(fh) if r.get("Object"))
                raw = RawScan(ScanRef(str(real_dir), image.name, 0), "0" * 64, "png", image)
                _, _, pages = reader.read_scan(raw, settings, tmp / "pages")
                scores.append(_word_f1(" ".join(w.text for w in pages[0].words), truth))
            return scores
        finally:
            reader.small_print = kept

    bare = f1s({"EMR_CLEANUP": "off"}, False)
    forced = f1s({}, True)
    reset()
    chosen = f1s({}, False)
    off = calls("cleanup switched off")
    print(f"real pages, whole pipeline reading (vie), word F1: bare {np.mean(bare):.3f}, "
          f"cleanup on every page {np.mean(forced):.3f}, pipeline (cleanup switched off on "
          f"{off} of {len(chosen)} pages where it read worse) {np.mean(chosen):.3f}")  # fmt: skip
