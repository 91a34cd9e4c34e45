"""The immutable records that stages hand each other, from a scan's address to a routed field.

Geometry convention: a bbox is ``(x0, y0, x1, y1)`` in pixels of the page image at the
resolution the pipeline used, origin top-left, x1/y1 exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pipeline.ocr.tree import DocumentTree

BBox = tuple[int, int, int, int]


def union_bbox(boxes: list[BBox] | tuple[BBox, ...]) -> BBox:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def overlaps(a: BBox, b: BBox) -> bool:
    """Whether two boxes share any pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class Decision(StrEnum):
    AUTO_ACCEPTED = "auto_accepted"
    NEEDS_REVIEW = "needs_review"
    CONFIRMED = "confirmed"
    CORRECTED = "corrected"
    MISSING = "missing"


@dataclass(frozen=True)
class ScanRef:
    """Where a scan lives: ``source`` is ``s3://bucket/prefix`` or a directory; ``key`` is the
    object key (or path) relative to the bucket (or directory)."""

    source: str
    key: str
    size: int


@dataclass(frozen=True)
class RawScan:
    """A scan's bytes copied to scratch space (the original is never touched)."""

    ref: ScanRef
    sha256: str
    media_type: str  # "pdf" | "tiff" | "jpeg" | "png"
    path: Path


@dataclass(frozen=True)
class PageImage:
    """One cleaned page, written to scratch space as a grey image Tesseract reads directly."""

    number: int  # 1-based
    path: Path
    width: int
    height: int
    dpi: int
    rotated_180: bool = False
    skew_degrees: float = 0.0


@dataclass(frozen=True)
class OcrWord:
    text: str
    confidence: float  # 0..1
    bbox: BBox
    line_id: int  # unique within the page; words of one text line share it
    block: int = -1  # the engine's text block; -1 for words added after the page reading


@dataclass(frozen=True)
class OcrPage:
    number: int
    width: int
    height: int
    words: tuple[OcrWord, ...]
    language: str
    warnings: tuple[str, ...] = ()

    @property
    def mean_confidence(self) -> float:
        if not self.words:
            return 0.0
        return sum(w.confidence for w in self.words) / len(self.words)

    @property
    def text(self) -> str:
        lines: dict[int, list[str]] = {}
        for w in self.words:
            lines.setdefault(w.line_id, []).append(w.text)
        return "\n".join(" ".join(ws) for ws in lines.values())


@dataclass(frozen=True)
class LineReading:
    """A box of a page read again: its text and each word's confidence."""

    text: str  # NFC, single spaces; "" when nothing was read
    confidences: tuple[float, ...]  # per word, 0..1

    @property
    def confidence(self) -> float:
        """A reading is as doubtful as its most doubtful word (as for page words)."""
        return min(self.confidences, default=0.0)


class BoxReader(Protocol):
    """Reads a field's box of a page again, as OCR's job handed to extraction: from the page
    image (``pipeline.ocr.boxes``) or from the readings stored with the page (a replay)."""

    def read(
        self,
        page: int | None,
        bbox: BBox | None,
        model: str,
        *,
        whitelist: str = "",
        extend: bool = False,
        binarize: bool = False,
    ) -> LineReading | None:
        """The box read by ``model`` (None: the page is not at hand). ``extend``: widened over
        ink that continues it, characters taken out of their cells; ``binarize``: made black on
        white first."""
        ...

    def marks_printed(self, page: int | None, bbox: BBox | None) -> bool:
        """Whether print in the box shows ink above or below its letters' band."""
        ...


@dataclass(frozen=True)
class Alternative:
    """Another value the page offered for a field, kept for the reviewer."""

    value: str
    page: int | None
    bbox: BBox | None
    strength: float  # label match x OCR confidence (halved for a failed check), 0..1
    label_score: float
    rule: str
    clean: bool  # it passed its checks under a label matched as a label
    checks_passed: tuple[str, ...] = ()
    checks_failed: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldCandidate:
    """What extraction found for one field key, with its provenance."""

    key: str
    value: str | None  # normalised as docs/fields.md says; None when not found
    raw_text: str  # the OCR text the value was read from (never logged)
    page: int | None
    bbox: BBox | None
    ocr_confidence: float  # mean of the words under the value, 0..1
    label_score: float  # how well the label matched, 0..1
    rule: str  # which rule found it, e.g. "label:vi:ho va ten"
    checks_passed: tuple[str, ...] = ()
    checks_failed: tuple[str, ...] = ()
    #: the other values the page offered for the field, strongest first (the runner-up first)
    alternatives: tuple[Alternative, ...] = ()


@dataclass(frozen=True)
class RoutedField:
    candidate: FieldCandidate
    confidence: float  # 0..1, the probability that the value is right
    threshold: float
    decision: Decision
    reasons: tuple[str, ...] = ()  # why it was sent to review
    #: the score routing compared with ``threshold`` (None: routed before scores were kept)
    score: float | None = None

    @property
    def key(self) -> str:
        return self.candidate.key


@dataclass(frozen=True)
class ChartReading:
    """Everything the pipeline read from one document, before it is stored."""

    sha256: str
    language: str
    pages: tuple[OcrPage, ...]
    fields: tuple[RoutedField, ...]
    #: list entries, routed like fields: ``medications.N`` (value: the JSON object of name,
    #: strength, route, frequency) and ``secondary_icd10.N`` (value: one code)
    medications: tuple[RoutedField, ...] = ()
    secondary_icd10: tuple[RoutedField, ...] = ()
    page_images: tuple[PageImage, ...] = field(default=(), compare=False)
    #: the OCR result tree the fields were read from (stored per page, replayable)
    ocr: DocumentTree | None = field(default=None, compare=False)

    @property
    def routed(self) -> tuple[RoutedField, ...]:
        """Every field and list entry: what is stored, one row each."""
        return self.fields + self.medications + self.secondary_icd10

    @property
    def needs_review(self) -> bool:
        return any(f.decision is Decision.NEEDS_REVIEW for f in self.routed)
