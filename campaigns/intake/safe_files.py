"""Files the dashboard produces, safe to open in a spreadsheet — the one escaper.

A cell whose text begins with `=`, `+`, `-`, `@`, tab, CR or NUL may be read as a formula by
Excel or LibreOffice (spreadsheet injection). Nothing is removed to prevent that:

- CSV is plain text, so such a cell gets one leading apostrophe (`'=1+2`, `'+48 600 100 200`),
  which spreadsheets show as text; our intake takes it off again (`restore`), so an export
  uploaded back gives exactly the values that went out. (Text that itself begins with
  apostrophes before such a character gets one more, so it too comes back exactly.)
- Every CSV field is quoted, whatever it holds. Excel splits a CSV on its locale's list
  separator (";" in Polish, "," in English), not on ours: `x,=1+1` unquoted in a ";" file is
  one cell to us and two to an English Excel, the second a formula. Quoted, the other
  separator is inside quotes wherever it appears, so no locale splits a value.
- XLSX marks cells as text, so the value is written unchanged as a string cell with the
  "quote prefix" style: no spreadsheet evaluates it, and `+48 600 100 200` reads as written.
  Numbers and dates given as such (not as text) are written as numbers and dates.
  Characters XML cannot hold (NUL and other C0 controls) are written as OOXML `_xHHHH_` escapes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
ESCAPE = "'"
# C0 controls XML 1.0 forbids, and CR (XML reads it back as LF); also the "_" of a text that
# looks like an escape itself, so that it survives.
XML_ILLEGAL_RE = re.compile(r"[\x00-\x08\x0b-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")


def neutralise(value: Any) -> Any:
    """The text a CSV cell should carry; non-text values are returned as they are."""
    if isinstance(value, str) and _escapable(value):
        return ESCAPE + value
    return value


def restore(text: str) -> str:
    """Undo `neutralise` on a cell read from a file (a no-op on anything else)."""
    if text.startswith(ESCAPE) and _escapable(text):
        return text[1:]
    return text


def _escapable(text: str) -> bool:
    # Text that already begins with apostrophes before a formula character gets one more, so
    # that `restore` gives back exactly what was there.
    return text.lstrip(ESCAPE).startswith(DANGEROUS_STARTS)


def csv_bytes(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, delimiter: str = ","
) -> bytes:
    """UTF-8 with a BOM (so Excel reads Polish letters right), every cell neutralised and
    quoted. Excel in a Polish locale splits on ";", in an English one on ","."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Sheet"
) -> bytes:
    """One sheet, a bold header row that stays in view and filters, columns as wide as their
    headers ask (within reason), every text cell a string (never a formula)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        width = min(max(len(str(header)) + 2, 10), 40)
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    sheet.append([xlsx_cell(sheet, h, font=bold) for h in headers])
    count = 0
    for row in rows:
        sheet.append([xlsx_cell(sheet, v) for v in row])
        count += 1
    if headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_cell(sheet: Any, value: Any, *, font: Font | None = None) -> Cell:
    """A cell for a write-only openpyxl sheet: text is always text."""
    cell = WriteOnlyCell(sheet)
    set_value(cell, value)
    if font is not None:
        cell.font = font
    return cell


def set_value(cell: Any, value: Any) -> None:
    """Put a value in an openpyxl cell; text stays text, whatever it begins with. A date shows
    as `YYYY-MM-DD`, a date with a time as Thulium writes it, `YYYY-MM-DD hh:mm`."""
    if not isinstance(value, str):
        cell.value = value
        if isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
        return
    if value.startswith(ESCAPE) and _escapable(value):
        value = ESCAPE + value  # read back through `restore`, like CSV
    if value.isspace():
        # openpyxl writes whitespace-only text without xml:space="preserve", and readers drop it.
        cell.value = "".join(f"_x{ord(ch):04X}_" for ch in value)
    else:
        cell.value = XML_ILLEGAL_RE.sub(_xml_escape, value)
    cell.data_type = "s"  # openpyxl reads a leading "=" as a formula
    if value.startswith(DANGEROUS_STARTS):
        cell.quotePrefix = True


def dataset_bytes(dataset: Any, fmt: str, *, delimiter: str = ",") -> bytes:
    """A tablib Dataset as CSV or XLSX, through the escaper above."""
    rows = (dataset[i] for i in range(dataset.height))
    if fmt == "xlsx":
        return xlsx_bytes(dataset.headers or [], rows, title=dataset.title or "Sheet")
    return csv_bytes(dataset.headers or [], rows, delimiter=delimiter)


def _xml_escape(match: re.Match[str]) -> str:
    return f"_x{ord(match.group()):04X}_"
