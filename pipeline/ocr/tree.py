"""The OCR result tree kept per page, so extraction can be replayed without the engine (pure).

``DocumentTree → PageTree → Block → Line → Word``, after docTR. Geometry: every ``bbox`` is
``(x0, y0, x1, y1)`` in pixels of the cleaned page image the engine read (``width`` x
``height`` at ``dpi``), origin top-left, x1/y1 exclusive (``BBOX_CONVENTION``). Confidences
are 0..1. Each page names the engine, model and settings that made it.

Besides the page reading, a page keeps every field box extraction had read again from the
image (``BoxReading``, keyed by box and settings) and every box whose print was looked at for
marks (``BoxMarks``): with them a replay asks no engine and gives what the live run gave.
Words carry their place in the page's reading order (``order``): words added after the page
reading (missed print read again, ticked boxes) join lines out of order, and extraction reads
them in that order.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.models import BBox, LineReading, OcrPage, OcrWord, PageImage, union_bbox

TREE_VERSION = 1
BBOX_CONVENTION = "x0,y0,x1,y1 px of the cleaned page image; origin top-left; x1,y1 exclusive"
#: the block of words added after the page reading (``recover.py``, ``ticks.py``)
ADDED_BLOCK = -1


def _bbox(value: Sequence[Any]) -> BBox:
    x0, y0, x1, y1 = (int(v) for v in value)
    return (x0, y0, x1, y1)


def _settings(value: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


@dataclass(frozen=True)
class Engine:
    """What read a page: engine and version, model (Tesseract language data) and settings."""

    name: str
    version: str
    model: str
    settings: tuple[tuple[str, str], ...] = ()

    def setting(self, name: str, default: str = "") -> str:
        return dict(self.settings).get(name, default)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "model": self.model,
                "settings": dict(self.settings)}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Engine:
        return cls(str(d["name"]), str(d["version"]), str(d["model"]), _settings(d["settings"]))


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0..1
    bbox: BBox
    order: int  # place in the page's reading order

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "conf": self.confidence, "bbox": list(self.bbox),
                "order": self.order}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Word:
        return cls(str(d["text"]), float(d["conf"]), _bbox(d["bbox"]), int(d["order"]))


@dataclass(frozen=True)
class Line:
    id: int  # unique within the page
    bbox: BBox
    words: tuple[Word, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "bbox": list(self.bbox), "words": [w.to_dict() for w in self.words]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Line:
        words = tuple(Word.from_dict(w) for w in d["words"])
        return cls(int(d["id"]), _bbox(d["bbox"]), words)


@dataclass(frozen=True)
class Block:
    number: int  # the engine's block number; ``ADDED_BLOCK`` for words added afterwards
    bbox: BBox
    lines: tuple[Line, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "bbox": list(self.bbox),
                "lines": [line.to_dict() for line in self.lines]}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Block:
        lines = tuple(Line.from_dict(line) for line in d["lines"])
        return cls(int(d["number"]), _bbox(d["bbox"]), lines)


@dataclass(frozen=True)
class BoxReading:
    """One field box read again from the page image: the box and settings are its key."""

    bbox: BBox
    model: str
    whitelist: str
    extend: bool  # widened over ink that continues it, characters taken out of their cells
    binarize: bool
    text: str
    confidences: tuple[float, ...]

    @property
    def key(self) -> tuple[BBox, str, str, bool, bool]:
        return (self.bbox, self.model, self.whitelist, self.extend, self.binarize)

    @property
    def reading(self) -> LineReading:
        return LineReading(self.text, self.confidences)

    def to_dict(self) -> dict[str, Any]:
        return {"bbox": list(self.bbox), "model": self.model, "whitelist": self.whitelist,
                "extend": self.extend, "binarize": self.binarize, "text": self.text,
                "confidences": list(self.confidences)}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BoxReading:
        return cls(_bbox(d["bbox"]), str(d["model"]), str(d["whitelist"]), bool(d["extend"]),
                   bool(d["binarize"]), str(d["text"]),
                   tuple(float(c) for c in d["confidences"]))  # fmt: skip


@dataclass(frozen=True)
class BoxMarks:
    """Whether print in a box shows ink above or below its letters (tone marks)."""

    bbox: BBox
    printed: bool

    def to_dict(self) -> dict[str, Any]:
        return {"bbox": list(self.bbox), "printed": self.printed}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BoxMarks:
        return cls(_bbox(d["bbox"]), bool(d["printed"]))


@dataclass(frozen=True)
class PageTree:
    number: int  # 1-based
    width: int
    height: int
    dpi: int
    language: str  # the chart language the page was read in ("vi", "en")
    engine: Engine
    blocks: tuple[Block, ...]
    warnings: tuple[str, ...] = ()
    rotated_180: bool = False
    skew_degrees: float = 0.0
    box_readings: tuple[BoxReading, ...] = ()
    box_marks: tuple[BoxMarks, ...] = ()

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for b in self.blocks for line in b.lines for w in line.words)

    def ocr_page(self) -> OcrPage:
        """The page as extraction reads it: its words in reading order."""
        placed = sorted(
            ((w.order, OcrWord(w.text, w.confidence, w.bbox, line.id, b.number))
             for b in self.blocks for line in b.lines for w in line.words),
            key=lambda ow: ow[0],
        )  # fmt: skip
        words = tuple(w for _, w in placed)
        return OcrPage(self.number, self.width, self.height, words, self.language, self.warnings)

    @classmethod
    def of(
        cls,
        page: OcrPage,
        image: PageImage | None,
        engine: Engine,
        box_readings: Iterable[BoxReading] = (),
        box_marks: Iterable[BoxMarks] = (),
    ) -> PageTree:
        """The tree of a page as read: words grouped by their line, lines by their block (a
        line's block is that of its first word the engine read)."""
        lines: dict[int, list[tuple[int, OcrWord]]] = {}
        for order, w in enumerate(page.words):
            lines.setdefault(w.line_id, []).append((order, w))
        blocks: dict[int, list[Line]] = {}
        for line_id, placed in lines.items():
            read = [w.block for _, w in placed if w.block != ADDED_BLOCK]
            words = tuple(Word(w.text, w.confidence, w.bbox, order) for order, w in placed)
            line = Line(line_id, union_bbox([w.bbox for w in words]), words)
            blocks.setdefault(read[0] if read else ADDED_BLOCK, []).append(line)
        tree_blocks = tuple(
            Block(number, union_bbox([line.bbox for line in block]), tuple(block))
            for number, block in blocks.items()
        )
        return cls(
            number=page.number,
            width=page.width,
            height=page.height,
            dpi=image.dpi if image else 300,
            language=page.language,
            engine=engine,
            blocks=tree_blocks,
            warnings=page.warnings,
            rotated_180=bool(image and image.rotated_180),
            skew_degrees=image.skew_degrees if image else 0.0,
            box_readings=tuple(box_readings),
            box_marks=tuple(box_marks),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "width": self.width,
            "height": self.height,
            "dpi": self.dpi,
            "bbox_convention": BBOX_CONVENTION,
            "language": self.language,
            "engine": self.engine.to_dict(),
            "warnings": list(self.warnings),
            "rotated_180": self.rotated_180,
            "skew_degrees": self.skew_degrees,
            "blocks": [b.to_dict() for b in self.blocks],
            "box_readings": [r.to_dict() for r in self.box_readings],
            "box_marks": [m.to_dict() for m in self.box_marks],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PageTree:
        if d.get("bbox_convention", BBOX_CONVENTION) != BBOX_CONVENTION:
            raise ValueError(f"page {d.get('number')}: boxes in another convention")
        return cls(
            number=int(d["number"]),
            width=int(d["width"]),
            height=int(d["height"]),
            dpi=int(d["dpi"]),
            language=str(d["language"]),
            engine=Engine.from_dict(d["engine"]),
            blocks=tuple(Block.from_dict(b) for b in d["blocks"]),
            warnings=tuple(str(w) for w in d.get("warnings", ())),
            rotated_180=bool(d.get("rotated_180", False)),
            skew_degrees=float(d.get("skew_degrees", 0.0)),
            box_readings=tuple(BoxReading.from_dict(r) for r in d.get("box_readings", ())),
            box_marks=tuple(BoxMarks.from_dict(m) for m in d.get("box_marks", ())),
        )


@dataclass(frozen=True)
class DocumentTree:
    sha256: str
    language: str
    pages: tuple[PageTree, ...] = field(default=())

    @property
    def rereads_boxes(self) -> bool:
        """Whether the live run read field boxes again (settings ``reread``)."""
        return any(p.engine.setting("reread") == "True" for p in self.pages)

    def ocr_pages(self) -> list[OcrPage]:
        return [p.ocr_page() for p in self.pages]

    def to_dict(self) -> dict[str, Any]:
        return {"version": TREE_VERSION, "sha256": self.sha256, "language": self.language,
                "pages": [p.to_dict() for p in self.pages]}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DocumentTree:
        if int(d.get("version", 0)) != TREE_VERSION:
            raise ValueError(f"OCR tree version {d.get('version')!r}: this build reads "
                             f"{TREE_VERSION}")  # fmt: skip
        pages = tuple(PageTree.from_dict(p) for p in d["pages"])
        return cls(str(d["sha256"]), str(d["language"]), pages)


def write_gzip_json(path: Path, data: Mapping[str, Any]) -> None:
    """Compact, byte-stable gzip JSON (no timestamp in the gzip header)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))


def read_gzip_json(path: Path) -> dict[str, Any]:
    data = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: not a JSON object")
    return data
