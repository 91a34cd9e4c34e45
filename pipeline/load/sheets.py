"""CSV and Excel exports for records staff: one row per chart, each field's value beside its
decision and confidence, so that a value nobody has checked never looks final."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from schemas.catalogue import load_catalogue, split_list_key
from schemas.tables import Document

#: the decisions a records clerk may take as final; any other value waits for a person
_UNCHECKED = "needs_review"
_HEADER_FILL, _HEADER_FONT, _UNCHECKED_FILL = "1F4E78", "FFFFFF", "FFF2CC"


def _list_columns(doc: Document, record: dict[str, Any]) -> dict[str, str]:
    codes = sorted(
        (listed[1], f.decision)
        for f in doc.fields
        if (listed := split_list_key(f.key)) is not None
        and listed[0] == "secondary_icd10"
        and f.value is not None
    )
    return {
        "medications": "; ".join(
            ", ".join(str(m.get(x) or "") for x in ("name", "strength", "route", "frequency"))
            for m in record["medications"]
        ),
        "medications.decision": "; ".join(str(m["decision"]) for m in record["medications"]),
        "secondary_icd10": ";".join(record["secondary_icd10"]),
        "secondary_icd10.decision": ";".join(decision for _, decision in codes),
    }


def table_rows(documents: Iterable[tuple[Document, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per chart: the document's columns, then per catalogue field its value,
    ``KEY.decision`` and ``KEY.confidence`` (empty when absent), then the lists."""
    keys = [spec.key for spec in load_catalogue()]
    rows = []
    for doc, r in documents:
        row: dict[str, Any] = {k: r[k] for k in ("document", "sha256", "status", "error")}
        for k in keys:
            f = r["fields"].get(k) or {}
            confidence = f.get("confidence")
            row[k] = f.get("value")
            row[f"{k}.decision"] = f.get("decision")
            row[f"{k}.confidence"] = None if confidence is None else round(confidence, 3)
        row.update(_list_columns(doc, r))
        rows.append(row)
    return rows


def write_csv(rows: list[dict[str, Any]], output: Path) -> None:
    import pandas as pd

    # UTF-8 with a byte order mark: without it Excel reads the file as ANSI and Vietnamese
    # letters come out garbled.
    pd.DataFrame(rows).to_csv(output, index=False, encoding="utf-8-sig")


def sheet_title(batch: str) -> str:
    """Excel forbids []:*?/\\ in a sheet's name and more than 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", "-", batch)[:31].strip("'") or "export"


def write_xlsx(rows: list[dict[str, Any]], output: Path, batch: str) -> None:
    """A header row that is styled, frozen and filtered; values waiting for review shaded."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title(batch)
    columns = list(rows[0]) if rows else ["document", "sha256", "status", "error"]
    sheet.append(columns)
    unchecked = PatternFill("solid", fgColor=_UNCHECKED_FILL)
    for r, row in enumerate(rows, start=2):
        sheet.append([row[c] for c in columns])
        for c, column in enumerate(columns, start=1):
            if row.get(f"{column}.decision") == _UNCHECKED:
                sheet.cell(row=r, column=c).fill = unchecked
    header_font = Font(bold=True, color=_HEADER_FONT)
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    for c, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=c)
        cell.font, cell.fill = header_font, header_fill
        sheet.column_dimensions[get_column_letter(c)].width = min(40, max(12, len(column) + 2))
    sheet.freeze_panes = "B2"  # the header row and the document column stay in view
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    book.save(output)
