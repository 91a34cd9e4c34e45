"""Tesseract TSV parsing: a pure function, tested on small inline samples."""

from pipeline.ocr.tsv import parse_tsv

HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)


def tsv(*rows: str) -> str:
    return "\n".join([HEADER, *rows])


def test_words_with_boxes_lines_and_unit_confidence() -> None:
    words = parse_tsv(
        tsv(
            "1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t",
            "4\t1\t1\t1\t1\t0\t200\t300\t900\t50\t-1\t",
            "5\t1\t1\t1\t1\t1\t200\t300\t80\t50\t96.5\tHọ",
            "5\t1\t1\t1\t1\t2\t290\t300\t60\t50\t91\tvà",
            "5\t1\t1\t1\t2\t1\t200\t400\t300\t50\t45.25\t12/03/1965",
        )
    )
    assert [w.text for w in words] == ["Họ", "và", "12/03/1965"]
    assert words[0].bbox == (200, 300, 280, 350)
    assert words[0].confidence == 0.965
    assert words[0].line_id == words[1].line_id != words[2].line_id


def test_empty_and_negative_confidence_words_are_dropped() -> None:
    words = parse_tsv(
        tsv(
            "5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t-1\t ",
            "5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t95\t",
            "5\t1\t1\t1\t1\t3\t0\t0\t10\t10\t95",
            "5\t1\t1\t1\t1\t4\t0\t0\t10\t10\t88\tNam",
        )
    )
    assert [w.text for w in words] == ["Nam"]


def test_text_is_nfc() -> None:
    decomposed = "Nguye\u0302\u0303n"  # NFD as some tools emit it
    words = parse_tsv(tsv(f"5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t90\t{decomposed}"))
    assert words[0].text == "Nguyễn"


def test_garbage_rows_are_ignored() -> None:
    assert parse_tsv(tsv("not\ta\trow", "5\t1\tx\t1\t1\t1\t0\t0\t1\t1\t90\tA")) == ()
    assert parse_tsv("") == ()


def test_the_eth_tesseract_writes_for_vietnamese_d_is_read_as_d() -> None:
    words = parse_tsv(
        tsv("5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t90\tSÐT:", "5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t90\tðỡ")
    )
    assert [w.text for w in words] == ["SĐT:", "đỡ"]
