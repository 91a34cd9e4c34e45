"""Parse Tesseract's TSV output into words with boxes, line ids and 0-1 confidences (pure)."""

from __future__ import annotations

import unicodedata

from pipeline.models import OcrWord

_COLUMNS = (
    "level",
    "page_num",
    "block_num",
    "par_num",
    "line_num",
    "word_num",
    "left",
    "top",
    "width",
    "height",
    "conf",
    "text",
)
_WORD_LEVEL = 5
#: Tesseract writes Vietnamese "Đ" as the look-alike Icelandic eth now and then ("SÐT")
_ETH = str.maketrans({"Ð": "Đ", "ð": "đ"})


def ocr_text(raw: str) -> str:
    """Text as Tesseract gave it, in the form the rest of the program reads: NFC, Vietnamese
    "Đ" for the eth."""
    return unicodedata.normalize("NFC", raw).translate(_ETH)


def parse_tsv(tsv: str) -> tuple[OcrWord, ...]:
    """Words of one page, in reading order. Empty and whitespace-only words are dropped;
    confidence (0-100 in Tesseract) is normalised to 0-1 here, where it enters the program;
    text is NFC, as Vietnamese must be compared."""
    words: list[OcrWord] = []
    line_ids: dict[tuple[int, int, int], int] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < len(_COLUMNS) - 1:
            continue
        if len(cells) == len(_COLUMNS) - 1:
            cells.append("")  # Tesseract leaves the text cell off for empty words
        try:
            level = int(cells[0])
            block, par, line = int(cells[2]), int(cells[3]), int(cells[4])
            left, top, width, height = (int(c) for c in cells[6:10])
            conf = float(cells[10])
        except ValueError:
            continue
        text = ocr_text(cells[11].strip())
        if level != _WORD_LEVEL or not text or conf < 0:
            continue
        line_id = line_ids.setdefault((block, par, line), len(line_ids))
        words.append(
            OcrWord(
                text=text,
                confidence=max(0.0, min(1.0, conf / 100.0)),
                bbox=(left, top, left + width, top + height),
                line_id=line_id,
                block=block,
            )
        )
    return tuple(words)
