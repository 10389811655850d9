"""File intake: formats, encodings, delimiters, the header row, header names, and cell → text.

Every cell leaves here as text, the way the supervisor saw it: a phone Excel stored as a number
keeps its digits, a date cell becomes `YYYY-MM-DD hh:mm`, a formula gives its result. What a
spreadsheet's column held is kept beside the text, one word a column (`Table.column_types`), so
that an export can give numbers and dates back as numbers and dates. Whatever is wrong with a
file is a `FileProblem` with a message code; nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice, zip_longest
from typing import Any

from django.utils.translation import gettext_lazy as _

from campaigns.exceptions import FileProblem
from campaigns.intake.encodings import BOMS, decode, utf16_without_bom
from campaigns.intake.file_limits import (
    CELL_MAX_CHARS,
    CSV_FIELD_LIMIT,
    IntakeLimits,
    megabytes,
    text_over,
    thousands,
    too_long_cell,
    too_many_cells,
    too_many_columns,
    too_many_rows,
    too_wide_row,
)
from campaigns.intake.headers import (
    HEADER_SEARCH_ROWS,
    header_row_index,
    unique_headers,
)
from campaigns.intake.safe_files import ESCAPE, restore
from campaigns.intake.sheet_extent import (
    Extent,
    ExtentUnknown,
    TextOver,
    column_letters,
    ods_extent,
    ods_text_over,
    xlsx_extent,
    xlsx_text_over,
)
from campaigns.intake.text import without_nul

logger = logging.getLogger(__name__)

CSV_DELIMITERS = (",", ";", "\t", "|")
CSV_ENCODINGS = ("utf-8", "cp1250", "iso-8859-2")
TEXT_EXTENSIONS = {"csv", "txt", "tsv"}
SPREADSHEET_EXTENSIONS = {"xlsx", "xlsm", "ods"}
# Beyond this a float has lost digits: Excel keeps 15 significant ones.
EXACT_FLOAT_LIMIT = 10**15


# What a spreadsheet column held, when every filled cell of it arrived typed alike; TEXT for
# anything else (text, a mix, true/false, times of day) and for every column of a CSV.
TEXT, NUMBER, DATE, DATETIME = "", "number", "date", "datetime"


@dataclass
class Table:
    """The rows of a file below its header, every cell as text."""

    format: str  # "csv", "xlsx" or "ods"
    headers: list[str]
    rows: list[list[str]]
    row_numbers: list[int]  # the source row number of each row, as a spreadsheet numbers it
    header_row_number: int
    encoding: str = ""
    delimiter: str = ""
    notes: list[Any] = field(default_factory=list)
    # Aligned with `headers`: NUMBER, DATE, DATETIME or TEXT (see column_type); [] for a CSV.
    column_types: list[str] = field(default_factory=list)


def read_table(
    data: bytes,
    filename: str,
    *,
    limits: IntakeLimits,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Table:
    """Read an uploaded CSV, XLSX or ODS file into a Table, or raise FileProblem.

    Whatever the bytes are, the outcome is a Table or a FileProblem: a reader failing in a way
    we did not foresee is logged and told to the user as a file that cannot be read.
    """
    try:
        return _read_table(data, filename, limits, delimiter, encoding)
    except (FileProblem, MemoryError):
        raise  # MemoryError: the cage (campaigns/intake/cage.py) says so in its own words
    except Exception:
        logger.exception("could not read an uploaded %s file", _extension(filename) or "unnamed")
        raise FileProblem(
            _(
                "This file cannot be read. Open it in Excel or LibreOffice, save it again as .xlsx "
                "or .csv and upload the new file."
            )
        ) from None


def _read_table(
    data: bytes,
    filename: str,
    limits: IntakeLimits,
    delimiter: str | None,
    encoding: str | None,
) -> Table:
    if len(data) > limits.max_bytes:
        raise FileProblem(
            _(
                "The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files "
                "or remove columns you do not need."
            )
            % {"size": megabytes(len(data)), "limit": megabytes(limits.max_bytes)}
        )
    if not data.strip():
        raise FileProblem(_("The file is empty. Choose the file with your records and try again."))
    extension = _extension(filename)
    kind = _sniff(data)
    if kind in {"encrypted", "encrypted-ods"}:
        raise FileProblem(
            _(
                "%(name)s is protected with a password, so it cannot be read. Open it in Excel or "
                "LibreOffice with the password, save a copy without one (File › Save as, then "
                "clear the password) and upload that copy."
            )
            % {"name": filename}
        )
    if extension in SPREADSHEET_EXTENSIONS or (not extension and kind in {"xlsx", "ods"}):
        expected = "ods" if extension == "ods" else "xlsx"
        if kind != expected:
            raise FileProblem(_wrong_content(filename, expected, kind))
        cells, types = _spreadsheet_cells(data, kind, limits)
        table = _table_from_cells(cells, kind, limits)
        table.column_types = (types + [TEXT] * len(table.headers))[: len(table.headers)]
    elif extension in TEXT_EXTENSIONS or not extension:
        if kind not in {"text", "utf-16"}:
            raise FileProblem(_wrong_content(filename, "csv", kind))
        text, used_encoding = decode(data, encoding)
        # A BOM can stand anywhere (files glued together, a header below title lines): it is
        # never part of a value, and before a header it would hide the column.
        text = without_nul(text).replace("\ufeff", "")
        used_delimiter = delimiter or _detect_delimiter(text)
        cells = _csv_cells(text, used_delimiter, limits)
        table = _table_from_cells(cells, "csv", limits)
        table.encoding, table.delimiter = used_encoding, used_delimiter
    else:
        raise FileProblem(
            _(
                "We read CSV, XLSX and ODS files; %(name)s is none of them. Save it from Excel or "
                "LibreOffice as .xlsx or .csv and upload that."
            )
            % {"name": filename}
        )
    return table


# --- cells ----------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text the supervisor saw (dates in Thulium's format)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < EXACT_FLOAT_LIMIT:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return without_nul(str(value)).replace("\u00a0", " ").replace("\ufeff", "").strip()


def column_type(values: Sequence[Any]) -> str:
    """What a column's cells (as the reader gave them) all are: NUMBER when every filled one
    is a number, DATE when every one is a date, DATETIME when they are dates with a time (and
    some at midnight, which the reader gives as dates); TEXT otherwise."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return TEXT  # the common case, decided without looking at a value
    if str in kinds and any(v and cell_text(v) for v in values if type(v) is str):
        return TEXT
    kinds.discard(str)
    kinds.discard(type(None))
    if kinds and kinds <= {int, float}:  # bool is its own type here: TRUE/FALSE stay text
        return NUMBER
    if kinds == {date}:
        return DATE
    if kinds and kinds <= {date, datetime}:
        return DATETIME
    return TEXT


# --- internals ------------------------------------------------------------------------------


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
# A password-protected XLSX is an OLE2 container (like an .xls) holding this stream.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def _sniff(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            names = set(archive.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names and "content.xml" in names:
                manifest = "META-INF/manifest.xml"
                if manifest in names and b"encryption-data" in archive.read(manifest):
                    return "encrypted-ods"
                return "ods"
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, RuntimeError):
            return "broken-zip"
        return "zip"
    if data.startswith(OLE2_MAGIC):
        return "encrypted" if ENCRYPTED_PACKAGE in data else "xls"
    if data.startswith(b"%PDF"):
        return "pdf"
    if any(data.startswith(bom) for bom, _name in BOMS) or utf16_without_bom(data):
        return "utf-16"
    if b"\x00" in data[:4096]:
        return "binary"
    return "text"


def _wrong_content(filename: str, expected: str, found: str) -> Any:
    names = {
        "xlsx": _("an Excel workbook (.xlsx)"),
        "ods": _("an OpenDocument spreadsheet (.ods)"),
        "csv": _("a CSV text file"),
        "text": _("a text (CSV) file"),
        "utf-16": _("a text (CSV) file"),
        "xls": _("an old Excel 97–2003 workbook (.xls)"),
        "pdf": _("a PDF document"),
        "zip": _("a ZIP archive"),
        "broken-zip": _("a damaged or incomplete archive"),
        "binary": _("a binary file"),
    }
    return _(
        "%(name)s is named like %(expected)s but it is %(found)s. Open it in Excel or LibreOffice, "
        "save it as .xlsx (or .csv) and upload that file."
    ) % {"name": filename, "expected": names[expected], "found": names.get(found, found)}


def _detect_delimiter(text: str) -> str:
    sample = [line for line in text[:262_144].splitlines()[:60] if line.strip()]
    best, best_score = ",", (0.0, 0)
    for candidate in CSV_DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(sample, delimiter=candidate)]
        except csv.Error:
            continue  # e.g. a cell over the csv module's limit: the full read says which row
        widths = Counter(c for c in counts if c > 1)
        if not widths:
            continue
        width, hits = widths.most_common(1)[0]
        score = (hits / len(counts), width)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _csv_cells(text: str, delimiter: str, limits: IntakeLimits) -> list[tuple[int, list[str]]]:
    """The file's non-blank rows, numbered as a spreadsheet numbers them, read under the row and
    column limits as they come (a 50 MB line of commas is refused at its first row)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    numbered: list[tuple[int, list[str]]] = []
    most_rows = limits.max_rows + HEADER_SEARCH_ROWS + 1
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            while row and not row[-1].strip():
                row.pop()  # Excel ends short rows with empty cells up to the widest
            if not row:
                continue  # blank, or only empty cells
            if len(row) > limits.max_columns:
                raise FileProblem(too_wide_row(limits, number, len(row)))
            if max(map(len, row)) > CELL_MAX_CHARS:
                position, cell = next((p, c) for p, c in enumerate(row) if len(c) > CELL_MAX_CHARS)
                raise FileProblem(
                    too_long_cell(f"{column_letters(position + 1)}{number}", len(cell))
                )
            cells = [cell.strip() for cell in row]
            # Only a cell we neutralised on the way out starts with the escape: few rows have one.
            if any(cell.startswith(ESCAPE) for cell in cells):
                cells = [restore(cell) for cell in cells]
            numbered.append((number, cells))
            if len(numbered) > most_rows:
                raise FileProblem(too_many_rows(limits))
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise FileProblem(
                _(
                    "Row %(row)s has a cell longer than %(limit)s characters. That nearly always "
                    'means a quotation mark (") opens a cell and is never closed, so the rest of '
                    "the file runs into one cell. Check the quotes in that row, or open the file "
                    "in Excel and save it again as CSV."
                )
                % {"row": number + 1, "limit": thousands(CSV_FIELD_LIMIT)}
            ) from None
        raise FileProblem(
            _(
                "The CSV file is broken at row %(row)s (%(error)s). Open it in Excel and save it "
                "again as CSV."
            )
            % {"row": number + 1, "error": error}
        ) from None
    return numbered


def _spreadsheet_cells(
    data: bytes, kind: str, limits: IntakeLimits
) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """The sheet's non-blank rows as text, numbered, and each column's type below the header
    (column_type), decided here while the reader's typed values are at hand."""
    from python_calamine import CalamineError, CalamineWorkbook

    _refuse_zip_bomb(data, limits)
    cannot_read = _(
        "The spreadsheet cannot be read (%(error)s). Open it in Excel or LibreOffice, save it "
        "again and upload the new file."
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        extent = xlsx_extent(archive) if kind == "xlsx" else ods_extent(archive)
    except (ExtentUnknown, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as error:
        raise FileProblem(cannot_read % {"error": type(error).__name__}) from None
    except NotImplementedError:
        raise FileProblem(cannot_read % {"error": "compression"}) from None
    if kind == "xlsx" and _over_limits(extent, limits):
        extent = xlsx_extent(archive, exact=True)  # the fast bound may reach too far
    _check_extent(extent, limits)
    try:
        if kind == "xlsx":
            over = xlsx_text_over(
                archive, cells=extent.cells, cell_limit=CELL_MAX_CHARS, total_limit=limits.max_chars
            )
        else:
            over = ods_text_over(archive, cell_limit=CELL_MAX_CHARS, total_limit=limits.max_chars)
    except (ExtentUnknown, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as error:
        raise FileProblem(cannot_read % {"error": type(error).__name__}) from None
    if over is not None:
        raise FileProblem(text_over(over, limits))
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        if sheet.height > limits.max_rows + HEADER_SEARCH_ROWS + 1:
            raise FileProblem(too_many_rows(limits))
        rows = sheet.to_python(skip_empty_area=False)
    except FileProblem:
        raise
    except (CalamineError, ValueError, OSError) as error:
        raise FileProblem(cannot_read % {"error": type(error).__name__}) from None
    numbered = []
    total = 0
    for number, row in enumerate(rows, start=1):
        cells = [restore(cell_text(value)) for value in row]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            for position, cell in enumerate(cells):
                total += len(cell)
                if len(cell) > CELL_MAX_CHARS:
                    name = f"{column_letters(position + 1)}{number}"
                    raise FileProblem(too_long_cell(name, len(cell)))
            if total > limits.max_chars:
                raise FileProblem(text_over(TextOver(f"A{number}", total, True), limits))
            numbered.append((number, cells))
    if not numbered:
        return numbered, []
    # The same header _table_from_cells finds: only the records below it decide a type.
    header_number = numbered[
        header_row_index([r for _n, r in numbered[: HEADER_SEARCH_ROWS + 40]])
    ][0]
    body = rows[header_number:]
    width = max(len(cells) for _n, cells in numbered)
    return numbered, [column_type(c) for c in islice(zip_longest(*body, fillvalue=""), width)]


def _over_limits(extent: Extent, limits: IntakeLimits) -> bool:
    return (
        extent.columns > limits.max_columns
        or extent.rows > limits.max_rows + HEADER_SEARCH_ROWS + 1
        or extent.cells > limits.max_cells
    )


def _check_extent(extent: Extent, limits: IntakeLimits) -> None:
    """Refuse a sheet whose used area is over a limit, before any reader builds it."""
    if extent.columns > limits.max_columns:
        raise FileProblem(too_many_columns(limits, extent.columns, extent.last_column_cell))
    if extent.rows > limits.max_rows + HEADER_SEARCH_ROWS + 1:
        raise FileProblem(
            _(
                "The first sheet reaches row %(rows)s (cell %(cell)s); one upload takes at most "
                "%(limit)s rows. If your records end sooner, delete what stands below them and "
                "save again; otherwise split the file."
            )
            % {
                "rows": thousands(extent.rows),
                "cell": extent.last_row_cell,
                "limit": thousands(limits.max_rows),
            }
        )
    if extent.cells > limits.max_cells:
        raise FileProblem(too_many_cells(limits, extent.rows, extent.columns))


def _refuse_zip_bomb(data: bytes, limits: IntakeLimits) -> None:
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile:
        raise FileProblem(_wrong_content("", "xlsx", "broken-zip")) from None
    unpacked = sum(m.file_size for m in members)
    worst_ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if unpacked > limits.max_unpacked_bytes or worst_ratio > 1000:
        raise FileProblem(
            _(
                "The spreadsheet unpacks to %(size)s MB, far more than its rows can need, so we do "
                "not open it. Copy the rows you need into a new file and upload that."
            )
            % {"size": megabytes(unpacked)}
        )


def _table_from_cells(
    numbered: list[tuple[int, list[str]]], kind: str, limits: IntakeLimits
) -> Table:
    if not numbered:
        raise FileProblem(_("The file has no rows. Choose the file with your records."))
    header_index = header_row_index([row for _n, row in numbered[: HEADER_SEARCH_ROWS + 40]])
    header_number, header_row = numbered[header_index]
    width = max(len(row) for _n, row in numbered)
    body = numbered[header_index + 1 :]
    if not body:
        raise FileProblem(
            _(
                "The file has a header row but no records below it. Add the records under the "
                "header and upload it again."
            )
        )
    if len(body) > limits.max_rows:
        raise FileProblem(too_many_rows(limits))
    if len(body) * width > limits.max_cells:
        raise FileProblem(too_many_cells(limits, len(body), width))
    headers = unique_headers(header_row, width)
    return Table(
        format=kind,
        headers=headers,
        rows=[row + [""] * (width - len(row)) for _n, row in body],
        row_numbers=[n for n, _row in body],
        header_row_number=header_number,
    )
