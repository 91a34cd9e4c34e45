"""Split a scan into grey page images: PDF pages through pdf2image, TIFF frames, JPEG/PNG.

The file's type is decided by its bytes, not its name, so a mislabelled file gets a clear
reason instead of a crash deep inside a decoder.
"""

from __future__ import annotations

import re
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
    TooManyPages,
    TooSmall,
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
#: the shortest side a scanned page can have: 2 inches at 100 dpi, far below any real chart
MIN_PAGE_SIDE = 200
_PDF_PAGE_SIZE = re.compile(r"Page\s+(\d+) size")
_POINTS = re.compile(r"([\d.]+) x ([\d.]+) pts")


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
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in start[:512]:
        return "a web page (HTML)"
    if start.startswith(b"<?xml"):
        return "an XML file"
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


def iter_pages(
    path: Path, media_type: str, pdf_dpi: int, max_pixels: int, max_pages: int = 500
) -> Iterator[RasterPage]:
    """The scan's pages one at a time (memory holds one page), each decoding timed. Every
    page's size is checked from its header before it is decoded, and the page count before
    the first page."""
    if media_type == "pdf":
        pages = _pdf_pages(path, pdf_dpi, max_pixels, max_pages)
    elif media_type == "tiff":
        pages = _tiff_pages(path, max_pixels, max_pages)
    else:
        pages = (_single_image(path, max_pixels) for _ in range(1))
    while True:
        with stage("rasterise"):
            page = next(pages, None)
        if page is None:
            return
        yield page


def _check_page_count(count: int, max_pages: int, kind: str) -> None:
    if count > max_pages:
        raise TooManyPages(
            f"the {kind} has {count} pages, more than the {max_pages} one chart may have "
            "(EMR_MAX_PAGES): it probably holds several charts; split it into one file per "
            "chart, or raise the limit"
        )


def _check_pdf(path: Path, max_pages: int) -> int:
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
    # "Encrypted: yes" with pdfinfo answering is an owner password only (no printing, no
    # copying): such a PDF opens without a password and poppler draws it.
    pages = int(info.get("Pages", 0))
    if pages < 1:
        raise UnreadableScan("the PDF has no pages: scan the chart again")
    _check_page_count(pages, max_pages, "PDF")
    return pages


def _check_pdf_page_sizes(path: Path, count: int, dpi: int, max_pixels: int) -> None:
    """Each page's size at ``dpi``, from pdfinfo, before pdftoppm is asked to draw it: a page
    of 5 x 5 metres would take gigabytes of memory to render."""
    from pdf2image import pdfinfo_from_path

    info = pdfinfo_from_path(str(path), first_page=1, last_page=count)
    for key, value in info.items():
        page, size = _PDF_PAGE_SIZE.match(str(key)), _POINTS.match(str(value))
        if page and size:
            width, height = (round(float(v) / 72 * dpi) for v in size.groups())
            _check_size(width, height, max_pixels, f"page {page.group(1)} of the PDF")


def _pdf_pages(path: Path, dpi: int, max_pixels: int, max_pages: int) -> Iterator[RasterPage]:
    import cv2
    from pdf2image import convert_from_path
    from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError

    count = _check_pdf(path, max_pages)
    _check_pdf_page_sizes(path, count, dpi, max_pixels)
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
        _check_size(pixels.shape[1], pixels.shape[0], max_pixels, f"page {number} of the PDF")
        yield RasterPage(number, pixels, dpi)
    out_dir.rmdir()


def _pil_dpi(info: Mapping[Any, Any], default: int = 300) -> int:
    dpi = info.get("dpi")
    if isinstance(dpi, tuple) and dpi and dpi[0]:
        value = round(float(dpi[0]))
        if 72 <= value <= 1200:
            return value
    return default


def _check_size(width: int, height: int, max_pixels: int, what: str = "the image") -> None:
    """Refuse a page by the size its header claims, before a decoder allocates it."""
    if width * height > max_pixels:
        raise TooLarge(
            f"{what} claims {width} x {height} pixels ({width * height / 1e6:.0f} million), "
            f"more than the {max_pixels / 1e6:.0f} million a scanned page may have (a damaged "
            "file or a decompression bomb): it was not opened; scan the page again at 300 dpi"
        )
    if min(width, height) < MIN_PAGE_SIDE:
        raise TooSmall(
            f"{what} is {width} x {height} pixels, too small to be a scanned page (at least "
            f"{MIN_PAGE_SIDE} pixels a side): it is a thumbnail or a placeholder; scan the page "
            "again at 300 dpi"
        )


def _bomb(what: str) -> TooLarge:
    return TooLarge(
        f"{what} claims far more pixels than a scanned page can have (a damaged file or a "
        "decompression bomb): it was not opened; scan the page again at 300 dpi"
    )


def _to_grey(image: Image.Image) -> np.ndarray:
    if image.mode not in ("L", "1", "I;16", "RGB", "RGBA", "P", "CMYK", "LA"):
        image = image.convert("RGB")
    return np.asarray(image.convert("L"), dtype=np.uint8)


def _tiff_pages(path: Path, max_pixels: int, max_pages: int) -> Iterator[RasterPage]:
    """A TIFF's frames in order. A frame that cannot be read quarantines the whole chart (with
    its page number): a chart migrated without one of its pages would look complete."""
    from PIL import UnidentifiedImageError

    broken = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)
    try:
        img = Image.open(path)
    except Image.DecompressionBombError:
        raise _bomb("the TIFF's first page") from None
    except broken:
        raise UnreadableScan(
            "the TIFF is damaged or incomplete and cannot be read: copy it again from the scanner"
        ) from None
    with img:
        try:
            count = int(getattr(img, "n_frames", 1))
        except broken:
            count = 0  # a broken chain of frames: the loop below names the page it stops at
        if count:
            _check_page_count(count, max_pages, "TIFF")
        number = 0
        while True:
            number += 1
            if number > max_pages:
                _check_page_count(number, max_pages, "TIFF")
            try:
                img.seek(number - 1)
            except EOFError:
                if count and number <= count:
                    raise _broken_frame(number) from None
                return
            except Image.DecompressionBombError:
                raise _bomb(f"page {number} of the TIFF") from None
            except broken:
                raise _broken_frame(number) from None
            _check_size(img.width, img.height, max_pixels, f"page {number} of the TIFF")
            try:
                pixels = _to_grey(img)
            except broken:
                raise _broken_frame(number) from None
            yield RasterPage(number, pixels, _pil_dpi(img.info))


def _broken_frame(number: int) -> UnreadableScan:
    before = f" (pages 1 to {number - 1} could be)" if number > 2 else (
        " (page 1 could be)" if number == 2 else "")  # fmt: skip
    return UnreadableScan(
        f"page {number} of the TIFF is damaged and cannot be read{before}: the chart is not "
        "migrated in part; copy the file again from the scanner, or scan the chart again"
    )


def _single_image(path: Path, max_pixels: int) -> RasterPage:
    from PIL import UnidentifiedImageError

    try:
        img = Image.open(path)
    except Image.DecompressionBombError:
        raise _bomb("the image") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UnreadableScan(
            "the image is damaged or incomplete and cannot be read: copy it again"
        ) from None
    with img:
        _check_size(img.width, img.height, max_pixels)
        try:
            img.load()
            return RasterPage(1, _to_grey(img), _pil_dpi(img.info))
        except (OSError, SyntaxError, ValueError, EOFError):
            raise UnreadableScan(
                "the image is damaged or incomplete and cannot be read: copy it again"
            ) from None
