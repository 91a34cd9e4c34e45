"""Bad scans made in code for the bad-input tests: each as a scanner, a copy or a person makes
it (nothing committed as a binary fixture)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` grey pixels, its data a few bytes: a
    decoder that trusted the header would allocate width * height bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (width + 1) * 4)  # the first rows only
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def blank_page() -> bytes:
    """A white A4 sheet at 300 dpi, with the faint grey a scanner gives paper."""
    rng = np.random.default_rng(3)
    return png(rng.integers(244, 256, (3508, 2480), dtype=np.uint8))


def text_page(lines: list[str], size: int = 44) -> bytes:
    """A page of print in DejaVu Sans, which has Cyrillic, Greek and Vietnamese letters."""
    img = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, size)
    for i, line in enumerate(lines):
        draw.text((200, 300 + i * (size * 2)), line, font=font, fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(300, 300))
    return buf.getvalue()


def russian_chart() -> bytes:
    return text_page(
        [
            "ГОРОДСКАЯ КЛИНИЧЕСКАЯ БОЛЬНИЦА № 1",
            "МЕДИЦИНСКАЯ КАРТА СТАЦИОНАРНОГО БОЛЬНОГО",
            "Фамилия, имя, отчество: Иванов Пётр Сергеевич",
            "Дата рождения: 12.03.1961      Пол: мужской",
            "Дата поступления: 04.11.2019   Отделение: терапия",
            "Диагноз при поступлении: гипертоническая болезнь",
            "Лечащий врач: Смирнова Е. А.",
        ]
    )


def dense_page() -> bytes:
    """A page packed with tiny print (a photocopied index, a page of a phone book): Tesseract
    needs minutes for it."""
    rng = np.random.default_rng(5)
    img = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 12)
    letters = list("abcdefghijklmnopqrstuvwxyz")
    for y in range(10, 3490, 14):
        words = ("".join(rng.choice(letters, int(rng.integers(2, 8)))) for _ in range(400))
        draw.text((5, y), " ".join(words), font=font, fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(300, 300))
    return buf.getvalue()


def pdf_of_blank_pages(count: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted(pdf: bytes, password: str = "khoa-noi-2013") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tiff_with_broken_frame(broken: int = 2, frames: int = 3) -> bytes:
    """A multi-page TIFF whose frame ``broken`` (1-based) has its compressed data overwritten,
    as a failing disk or a cut copy leaves it; the other frames are intact."""
    pages = [Image.fromarray(np.full((1200, 900), 250 - 30 * i, np.uint8)) for i in range(frames)]
    buf = io.BytesIO()
    pages[0].save(buf, format="TIFF", save_all=True, append_images=pages[1:],
                  compression="tiff_adobe_deflate")  # fmt: skip
    data = bytearray(buf.getvalue())
    with Image.open(io.BytesIO(bytes(data))) as img:
        img.seek(broken - 1)
        offsets, counts = img.tag_v2[273], img.tag_v2[279]
    for offset, count in zip(offsets, counts, strict=True):
        data[offset : offset + count] = (np.arange(count) * 37 % 251).astype(np.uint8).tobytes()
    return bytes(data)
