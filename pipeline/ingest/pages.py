"""Split a scan into grey page images: PDF pages through pdf2image, TIFF frames, JPEG/PNG.

The file's type is decided by its bytes, not its name, so a mislabelled file gets a clear
reason instead of a crash deep inside a decoder.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from pipeline.errors import (
    EmptyFile,
    EncryptedPdf,
    TooLarge,
    UnreadableScan,
    UnsupportedFileType,
)
from pipeline.timing import stage

SUPPORTED_SUFFIXES = {
    ".pdf": "pdf",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".png": "png",
}
_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)
_NAMES = {"pdf": "PDF", "tiff": "TIFF", "jpeg": "JPEG", "png": "PNG"}


@dataclass(frozen=True)
class RasterPage:
    number: int
    pixels: np.ndarray  # uint8, grey, height x width
    dpi: int


def _sniff(head: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    # PDFs may carry a little junk before the header (the spec tolerates 1 KiB)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    return None


def _describe(head: bytes) -> str:
    if not head.strip():
        return "blank"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP or Office document"
    try:
        head.decode("utf-8")
        return "plain text"
    except UnicodeDecodeError:
        return "an unknown binary format"


def detect_media_type(path: Path, key: str) -> str:
    """Return ``pdf``/``tiff``/``jpeg``/``png`` or raise a rejection a records clerk understands."""
    suffix = Path(key).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "(no extension)"
        raise UnsupportedFileType(
            f"files of type {shown} are not scans: only PDF, TIFF, JPEG and PNG are "
            "migrated; convert it or remove it from the batch"
        )
    size = path.stat().st_size
    if size == 0:
        raise EmptyFile("the file is empty (0 bytes): scan the chart again or copy it again")
    with path.open("rb") as fh:
        head = fh.read(2048)
    kind = _sniff(head)
    expected = SUPPORTED_SUFFIXES[suffix]
    if kind is None:
        raise UnsupportedFileType(
            f"the file is named {suffix} but its content is {_describe(head)}, not a "
            f"{_NAMES[expected]}: find the real scan and replace it"
        )
    # A well-formed scan with the wrong extension (a TIFF named .pdf) is still a scan: it is
    # read by its content.
    return kind


def iter_pages(path: Path, media_type: str, pdf_dpi: int, max_pixels: int) -> Iterator[RasterPage]:
    """The scan's pages one at a time (a long PDF is never held whole), each decoding timed."""
    if media_type == "pdf":
        pages = _pdf_pages(path, pdf_dpi, max_pixels)
    elif media_type == "tiff":
        pages = _tiff_pages(path, max_pixels)
    else:
        pages = (_single_image(path, max_pixels) for _ in range(1))
    while True:
        with stage("rasterise"):
            page = next(pages, None)
        if page is None:
            return
        yield page


def _check_pdf(path: Path) -> int:
    from pdf2image import pdfinfo_from_path
    from pdf2image.exceptions import PDFPageCountError

    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 2048))
        tail = fh.read()
    if b"%%EOF" not in tail:
        raise UnreadableScan(
            "the PDF is incomplete (it stops before its end, as when a copy or upload was cut "
            "off): copy it again from the scanner or the archive"
        )
    try:
        info = pdfinfo_from_path(str(path))
    except PDFPageCountError as exc:
        text = str(exc).lower()
        if "password" in text or "encrypt" in text:
            raise EncryptedPdf(
                "the PDF is password-protected: save an unprotected copy and run again"
            ) from None
        raise UnreadableScan(
            "the PDF is damaged and cannot be opened: copy it again from the scanner"
        ) from None
    if str(info.get("Encrypted", "no")).startswith("yes"):
        raise EncryptedPdf("the PDF is password-protected: save an unprotected copy and run again")
    pages = int(info.get("Pages", 0))
    if pages < 1:
        raise UnreadableScan("the PDF has no pages: scan the chart again")
    return pages


def _pdf_pages(path: Path, dpi: int, max_pixels: int) -> Iterator[RasterPage]:
    import cv2
    from pdf2image import convert_from_path
    from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError

    count = _check_pdf(path)
    out_dir = path.parent / (path.name + ".pages")
    out_dir.mkdir(exist_ok=True)
    for number in range(1, count + 1):
        try:
            # Default PPM output: asking pdftoppm for PNG costs seconds a page on noisy scans.
            files = convert_from_path(
                str(path),
                dpi=dpi,
                first_page=number,
                last_page=number,
                grayscale=True,
                output_folder=str(out_dir),
                paths_only=True,
                thread_count=1,
            )
        except (PDFPageCountError, PDFSyntaxError):
            raise UnreadableScan(
                f"page {number} of the PDF is damaged and cannot be read: copy it again"
            ) from None
        if not files:
            raise UnreadableScan(f"page {number} of the PDF could not be rendered")
        page_file = str(files[0])
        pixels = cv2.imread(page_file, cv2.IMREAD_GRAYSCALE)
        Path(page_file).unlink(missing_ok=True)
        if pixels is None:
            raise UnreadableScan(f"page {number} of the PDF could not be rendered")
        _check_size(pixels.shape[0] * pixels.shape[1], max_pixels)
        yield RasterPage(number, pixels, dpi)
    out_dir.rmdir()


def _pil_dpi(info: Mapping[Any, Any], default: int = 300) -> int:
    dpi = info.get("dpi")
    if isinstance(dpi, tuple) and dpi and dpi[0]:
        value = round(float(dpi[0]))
        if 72 <= value <= 1200:
            return value
    return default


def _check_size(pixels: int, max_pixels: int) -> None:
    if pixels > max_pixels:
        raise TooLarge(
            f"a page has {pixels / 1e6:.0f} million pixels, more than the limit of "
            f"{max_pixels / 1e6:.0f} million: scan at 300 dpi"
        )


def _to_grey(image: Image.Image) -> np.ndarray:
    if image.mode not in ("L", "1", "I;16", "RGB", "RGBA", "P", "CMYK", "LA"):
        image = image.convert("RGB")
    return np.asarray(image.convert("L"), dtype=np.uint8)


def _tiff_pages(path: Path, max_pixels: int) -> Iterator[RasterPage]:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            for number, frame in enumerate(ImageSequence.Iterator(img), start=1):
                _check_size(frame.width * frame.height, max_pixels)
                yield RasterPage(number, _to_grey(frame), _pil_dpi(frame.info))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UnreadableScan(
            "the TIFF is damaged or incomplete and cannot be read: copy it again from the scanner"
        ) from None


def _single_image(path: Path, max_pixels: int) -> RasterPage:
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(path) as img:
            _check_size(img.width * img.height, max_pixels)
            img.load()
            return RasterPage(1, _to_grey(img), _pil_dpi(img.info))
    except Image.DecompressionBombError:
        raise TooLarge("the image is too large to be a scanned page: scan at 300 dpi") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UnreadableScan(
            "the image is damaged or incomplete and cannot be read: copy it again"
        ) from None
