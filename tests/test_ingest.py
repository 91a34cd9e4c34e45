"""Ingest: sources (folder and the real local S3 endpoint over HTTP) and what a scan really is."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.config import Settings
from pipeline.errors import (
    BadArguments,
    EmptyFile,
    EncryptedPdf,
    SourceUnavailable,
    UnreadableScan,
    UnsupportedFileType,
)
from pipeline.ingest.local_s3 import LocalS3Server, upload_folder
from pipeline.ingest.pages import detect_media_type, iter_pages
from pipeline.ingest.sources import open_source


def _page_image(text_rows: int = 3) -> Image.Image:
    pixels = np.full((600, 400), 255, np.uint8)
    for i in range(text_rows):
        pixels[100 + 80 * i : 120 + 80 * i, 50:350] = 0
    return Image.fromarray(pixels)


def _pdf_bytes(pages: int = 2, password: str | None = None) -> bytes:
    buf = io.BytesIO()
    images = [_page_image() for _ in range(pages)]
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=100)
    if password is None:
        return buf.getvalue()
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def scans(tmp_path: Path) -> Path:
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "good.pdf").write_bytes(_pdf_bytes(2))
    frames = [_page_image(), _page_image(2), _page_image(1)]
    frames[0].save(folder / "three.tif", save_all=True, append_images=frames[1:], dpi=(200, 200))
    _page_image().save(folder / "one.jpg", quality=80, dpi=(240, 240))
    _page_image().save(folder / "one.png")
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "notes.pdf").write_text("Danh sách bệnh nhân chuyển khoa\n", encoding="utf-8")
    (folder / "truncated.pdf").write_bytes(_pdf_bytes(2)[:-400])
    (folder / "locked.pdf").write_bytes(_pdf_bytes(1, password="secret"))
    (folder / "letter.docx").write_bytes(b"PK\x03\x04 not a scan")
    (folder / "cut.jpg").write_bytes((folder / "one.jpg").read_bytes()[:300])
    return folder


def _read(folder: Path, name: str) -> list[int]:
    kind = detect_media_type(folder / name, name)
    return [p.number for p in iter_pages(folder / name, kind, 100, 10**8)]


def test_every_scan_type_is_split_into_pages(scans: Path) -> None:
    assert _read(scans, "good.pdf") == [1, 2]
    assert _read(scans, "three.tif") == [1, 2, 3]
    assert _read(scans, "one.jpg") == [1]
    assert _read(scans, "one.png") == [1]
    tif = next(iter_pages(scans / "three.tif", "tiff", 100, 10**8))
    assert tif.dpi == 200 and tif.pixels.shape == (600, 400)


@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("empty.pdf", EmptyFile, "empty"),
        ("notes.pdf", UnsupportedFileType, "plain text, not a PDF"),
        ("truncated.pdf", UnreadableScan, "incomplete"),
        ("locked.pdf", EncryptedPdf, "password"),
        ("letter.docx", UnsupportedFileType, "only PDF, TIFF, JPEG and PNG"),
        ("cut.jpg", UnreadableScan, "damaged or incomplete"),
    ],
)
def test_bad_inputs_get_a_reason_a_clerk_understands(
    scans: Path, name: str, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        _read(scans, name)


def test_a_mislabelled_but_real_scan_is_read_by_its_content(scans: Path) -> None:
    (scans / "three.tif").rename(scans / "actually-tiff.pdf")
    assert detect_media_type(scans / "actually-tiff.pdf", "actually-tiff.pdf") == "tiff"


def test_directory_source_lists_and_hashes(scans: Path, tmp_path: Path) -> None:
    source = open_source(str(scans), Settings())
    refs = list(source.list_scans())
    assert [r.key for r in refs] == sorted(p.name for p in scans.iterdir())
    good = next(r for r in refs if r.key == "good.pdf")
    import hashlib

    digest = source.fetch(good, tmp_path / "copy")
    assert digest == hashlib.sha256((scans / "good.pdf").read_bytes()).hexdigest()


def test_s3_source_over_http(s3_server: LocalS3Server, scans: Path, tmp_path: Path) -> None:
    upload_folder(s3_server.settings, scans, "ingest-test", "ward-a/2012")
    settings = replace(Settings(), s3=s3_server.settings)
    source = open_source("s3://ingest-test/ward-a", settings)
    refs = list(source.list_scans())
    assert {r.key for r in refs} == {f"ward-a/2012/{p.name}" for p in scans.iterdir()}
    ref = next(r for r in refs if r.key.endswith("good.pdf"))
    import hashlib

    assert (
        source.fetch(ref, tmp_path / "c")
        == hashlib.sha256((scans / "good.pdf").read_bytes()).hexdigest()
    )


def test_s3_errors_are_clear(s3_server: LocalS3Server) -> None:
    settings = replace(Settings(), s3=s3_server.settings)
    with pytest.raises(SourceUnavailable, match="does not exist"):
        list(open_source("s3://no-such-bucket/x", settings).list_scans())
    with pytest.raises(BadArguments, match="MINIO_ENDPOINT"):
        open_source("s3://charts/x", Settings())
    with pytest.raises(BadArguments, match="not a valid bucket name"):
        list(open_source("s3://b/x", settings).list_scans())
    dead = LocalS3Server()  # never started: nothing listens on its port
    with pytest.raises(SourceUnavailable, match="cannot reach"):
        list(open_source("s3://charts/x", replace(Settings(), s3=dead.settings)).list_scans())


def test_folder_keys_with_spaces_unicode_and_long_paths(tmp_path: Path) -> None:
    import hashlib

    root = tmp_path / "kho lưu trữ"
    deep = root.joinpath(*(f"khoa nội {i} " + "x" * 200 for i in range(3)))
    deep.mkdir(parents=True)
    names = {deep / "hồ sơ bệnh án 0001.pdf": b"%PDF-1.4 a", root / "x..y.pdf": b"%PDF-1.4 b"}
    for path, data in names.items():
        path.write_bytes(data)
    source = open_source(str(root), Settings())
    refs = {r.key: r for r in source.list_scans()}
    assert set(refs) == {p.relative_to(root).as_posix() for p in names}
    for path, data in names.items():
        ref = refs[path.relative_to(root).as_posix()]
        assert source.fetch(ref, tmp_path / "copy") == hashlib.sha256(data).hexdigest()


def test_page_limits_come_from_the_environment() -> None:
    from pipeline.config import settings_from_env

    assert settings_from_env({}).max_pages == 500
    assert settings_from_env({"EMR_MAX_PAGES": "40", "EMR_OCR_TIMEOUT": "7.5"}).max_pages == 40
    assert settings_from_env({"EMR_OCR_TIMEOUT": "7.5"}).ocr_timeout == 7.5
    with pytest.raises(BadArguments, match="EMR_MAX_PAGES must be a number"):
        settings_from_env({"EMR_MAX_PAGES": "many"})
    with pytest.raises(BadArguments, match="greater than 0"):
        settings_from_env({"EMR_OCR_TIMEOUT": "0"})


def test_page_count_and_page_size_are_checked_before_drawing(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    from pipeline.errors import TooLarge, TooManyPages

    def pdf(name: str, pages: int, width: float, height: float) -> Path:
        writer = PdfWriter()
        for _ in range(pages):
            writer.add_blank_page(width=width, height=height)
        path = tmp_path / name
        with path.open("wb") as fh:
            writer.write(fh)
        return path

    many = pdf("many.pdf", 12, 595, 842)
    with pytest.raises(TooManyPages, match="the PDF has 12 pages, more than the 10"):
        list(iter_pages(many, "pdf", 100, 10**8, max_pages=10))
    assert len(list(iter_pages(many, "pdf", 30, 10**8, max_pages=12))) == 12
    poster = pdf("poster.pdf", 1, 14400, 14400)  # 5 x 5 metres: 60,000 px a side at 300 dpi
    with pytest.raises(TooLarge, match="page 1 of the PDF claims 60000 x 60000 pixels"):
        list(iter_pages(poster, "pdf", 300, 120_000_000))
    frames = [_page_image() for _ in range(4)]
    frames[0].save(tmp_path / "four.tif", save_all=True, append_images=frames[1:])
    with pytest.raises(TooManyPages, match="the TIFF has 4 pages, more than the 3"):
        list(iter_pages(tmp_path / "four.tif", "tiff", 100, 10**8, max_pages=3))


def test_a_pdf_with_only_an_owner_password_is_read(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf_bytes(2))))
    writer.encrypt(user_password="", owner_password="no-printing")  # opens without a password
    with (tmp_path / "restricted.pdf").open("wb") as fh:
        writer.write(fh)
    assert _read(tmp_path, "restricted.pdf") == [1, 2]


def test_a_tiff_frame_claiming_a_huge_page_is_refused_unopened(tmp_path: Path) -> None:
    import struct

    from pipeline.errors import TooLarge

    frames = [_page_image(), _page_image()]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    data = bytearray(buf.getvalue())
    (ifd,) = struct.unpack_from("<I", data, 4)
    # the second frame's directory: follow the first one's "next" pointer
    (entries,) = struct.unpack_from("<H", data, ifd)
    (second,) = struct.unpack_from("<I", data, ifd + 2 + 12 * entries)
    (entries,) = struct.unpack_from("<H", data, second)
    for i in range(entries):
        at = second + 2 + 12 * i
        tag, kind = struct.unpack_from("<HH", data, at)
        if tag in (256, 257):  # ImageWidth, ImageLength
            fmt = "<H" if kind == 3 else "<I"
            struct.pack_into(fmt, data, at + 8, 50_000)
    (tmp_path / "huge.tif").write_bytes(bytes(data))
    pages = iter_pages(tmp_path / "huge.tif", "tiff", 100, 120_000_000)
    assert next(pages).number == 1
    with pytest.raises(TooLarge, match="page 2 of the TIFF claims"):
        next(pages)
