"""What the first sheet of an XLSX or ODS file would make a reader build — how far it reaches,
and how much text it holds — found before any reader builds it.

calamine builds a sheet as one dense block of rows × columns before we see a cell. One value at
XFD200000 asks it for 100 GB, and Rust aborts the whole process when an allocation fails: no
exception to catch. So the sheet's XML is scanned first, streamed from the archive in slices,
for the last row and column that hold a cell the reader would place.

XLSX: a cell's place is its `r` reference, else the next column of the current row (rows alike);
self-closing cells hold nothing and are skipped, as calamine does. ODS: rows and cells repeat
(`number-rows-repeated`, `number-columns-repeated`); empty repeats at the end of a row or sheet,
which LibreOffice writes in every file, reach nothing.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import defusedxml.ElementTree as SafeTree

SLICE = 1 << 20
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


class ExtentUnknown(Exception):
    """The archive does not have the parts a sheet is read from."""


@dataclass(frozen=True)
class Extent:
    rows: int  # the last row holding a cell, counted from 1 (0: none)
    columns: int  # the last column holding a cell, counted from 1
    last_row_cell: str  # a cell in the last row, e.g. "A200000", to say where it is
    last_column_cell: str  # a cell in the last column, e.g. "XFD2"

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def column_letters(number: int) -> str:
    """1 → A, 26 → Z, 27 → AA, 16384 → XFD."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


# --- XLSX -----------------------------------------------------------------------------------

# The fast path's shape: `<c r="B12"` first thing in every cell tag, as Excel, LibreOffice and
# the libraries we know write it. A cell tag of any other shape, or a prefixed one, sends the
# file to the walk.
_OTHER_CELL_RE = re.compile(rb'<c(?! r="[A-Z]{1,3}[1-9][0-9]{0,6}")[\s/>]')
_PREFIXED_RE = re.compile(rb":(?:c|row)[\s/>]")
_LETTERS_RE = re.compile(rb'<c r="([A-Z]{1,3})[1-9]')
_ROW_DIGITS_RE = [re.compile(rb'<c r="[A-Z]{1,3}([1-9][0-9]{%d})"' % k) for k in range(7)]
_REF_AT_RE = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
# Searches for a reference beyond the farthest seen, before counting the slice's every cell.
_BEYOND_TRIES = 8
# The walk: every row and cell tag, prefixed or not, references in either quote style.
_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_R_ATTR_RE = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]*)([0-9]*)["']""")


def xlsx_extent(archive: zipfile.ZipFile, *, exact: bool = False) -> Extent:
    """How far the workbook's first sheet reaches. By default an upper bound, found fast;
    `exact` places every cell as calamine does (use it before refusing a file)."""
    part = _first_sheet_part(archive)
    if not exact:
        with archive.open(part) as stream:
            bound = _xlsx_referenced_extent(_slices(stream))
        if bound is not None:
            return bound
    with archive.open(part) as stream:
        return _xlsx_walked_extent(_slices(stream))


def _first_sheet_part(archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
    try:
        workbook = SafeTree.fromstring(archive.read("xl/workbook.xml"))
        rels = SafeTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, SafeTree.ParseError) as error:
        raise ExtentUnknown(str(error)) from None
    sheet = workbook.find(f"{{{MAIN_NS}}}sheets/{{{MAIN_NS}}}sheet")
    if sheet is None:
        raise ExtentUnknown("no sheet")
    rel_id = sheet.get(f"{{{REL_NS}}}id")
    for rel in rels.iter(f"{{{PACKAGE_REL_NS}}}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            path = posixpath.normpath(path)
            if path in names:
                return path
    raise ExtentUnknown("the first sheet's part is missing")


def _slices(stream: IO[bytes]) -> Iterator[bytes]:
    """The member in slices that end after a '>', so no tag is cut in two."""
    tail = b""
    while chunk := stream.read(SLICE):
        data = tail + chunk
        cut = data.rfind(b">") + 1
        if cut == 0:
            tail = data
            continue
        tail = data[cut:]
        yield data[:cut]
    if tail:
        yield tail


class _Reach:
    """The farthest row and column seen so far, with a cell in each to name."""

    def __init__(self) -> None:
        self.row, self.column = 0, 0
        self.row_cell, self.column_cell = "", ""

    def cell(self, row: int, column: int, rows: int = 1, columns: int = 1) -> None:
        last_row, last_column = row + rows - 1, column + columns - 1
        if last_row > self.row:
            self.row, self.row_cell = last_row, f"{column_letters(column)}{last_row}"
        if last_column > self.column:
            self.column, self.column_cell = last_column, f"{column_letters(last_column)}{row}"

    def extent(self) -> Extent:
        return Extent(self.row, self.column, self.row_cell, self.column_cell)


def _xlsx_referenced_extent(slices: Iterator[bytes]) -> Extent | None:
    """Fast path, by whole-slice searches instead of a look at each cell; None when a cell tag
    is not of the usual shape. Self-closing cells count here (the walk skips them), so this
    may reach further than the reader: never less far."""
    reach = _Reach()
    for data in slices:
        if _PREFIXED_RE.search(data):
            return None
        last = data.rfind(b'<c r="')
        if last < 0:
            if _OTHER_CELL_RE.search(data):
                return None
            continue
        # Cells come in order, so the slice's last cell is usually the farthest: one search
        # for a cell beyond it (or of another shape) proves it, or finds the next candidate.
        found = _REF_AT_RE.match(data, last)
        if found is None:
            return None
        letters, digits = found[1], found[2]
        for _try in range(_BEYOND_TRIES):
            reach.cell(int(digits), column_number(letters.decode()))
            found = _beyond(reach.column, reach.row).search(data)
            if found is None:
                break
            if not (found[1] or found[3]):
                return None  # a cell tag of another shape
            letters, digits = found[1] or found[3], found[2] or found[4]
        else:
            if _OTHER_CELL_RE.search(data):
                return None
            _count_slice(data, reach)
    return reach.extent()


def _count_slice(data: bytes, reach: _Reach) -> None:
    """The farthest column and row of a slice, from all its references."""
    widest = max(set(_LETTERS_RE.findall(data)), key=lambda c: (len(c), c))
    first = re.search(rb'<c r="' + widest + rb'([0-9]+)"', data)
    assert first is not None, "the letters were found in a cell reference"
    reach.cell(int(first[1]), column_number(widest.decode()))
    # The largest row number has the most digits: look for the longest first.
    for pattern in reversed(_ROW_DIGITS_RE):
        if found := pattern.findall(data):
            top = max(found)
            where = re.search(rb'<c r="([A-Z]+)' + top + rb'"', data)
            assert where is not None, "the digits were found in a cell reference"
            reach.cell(int(top), column_number(where[1].decode()))
            return


def _beyond(column: int, row: int) -> re.Pattern[bytes]:
    """A search for a cell reference past `column` or past `row`, or a cell tag that is not of
    the fast path's shape (its groups are then empty)."""
    letters = column_letters(column).encode()
    past_column = _greater(letters, b"A", b"Z", 3)
    past_row = _greater(str(row).encode(), b"0", b"9", 7)
    return re.compile(
        rb'<c(?: r="(?:(' + past_column + rb")([1-9][0-9]{0,6})|([A-Z]{1,3})(" + past_row + rb'))"'
        rb'|(?! r="[A-Z]{1,3}[1-9][0-9]{0,6}")[\s/>])'
    )


def _greater(text: bytes, low: bytes, high: bytes, most: int) -> bytes:
    """A pattern for the strings of `low`–`high` characters (at most `most` long, the first not
    `0`) that sort after `text` as numbers do: longer, or as long and larger."""
    first = b"A" if low == b"A" else b"1"
    options = []
    if len(text) < most:
        options.append(b"[%s-%s][%s-%s]{%d,%d}" % (first, high, low, high, len(text), most - 1))
    for i, ch in enumerate(text):
        if ch < high[0]:
            rest = len(text) - i - 1
            options.append(
                re.escape(text[:i])
                + b"[%c-%s]" % (ch + 1, high)
                + b"[%s-%s]{%d}" % (low, high, rest)
            )
    return b"|".join(options) or b"(?!)"


def _xlsx_walked_extent(slices: Iterator[bytes]) -> Extent:
    """Every row and cell tag in order, placing unreferenced ones as the reader does."""
    row, column = 0, 0
    reach = _Reach()
    for data in slices:
        for tag, attributes in _TAG_RE.findall(data):
            reference = _R_ATTR_RE.search(attributes)
            if tag == b"row":
                row = int(reference[2]) if reference and reference[2] else row + 1
                column = 0
                continue
            if reference and reference[1]:
                column = column_number(reference[1].decode())
            else:
                column += 1
            cell_row = int(reference[2]) if reference and reference[2] else row
            if not attributes.endswith(b"/"):
                reach.cell(cell_row, column)
    return reach.extent()


# --- ODS ------------------------------------------------------------------------------------

_ODS_TAG_RE = re.compile(
    rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])([^>]*)>"
)
_ROWS_REPEATED_RE = re.compile(rb"table:number-rows-repeated\s*=\s*[\"']([0-9]+)")
_COLUMNS_REPEATED_RE = re.compile(rb"table:number-columns-repeated\s*=\s*[\"']([0-9]+)")
_VALUE_TYPE = b"office:value-type"


def ods_extent(archive: zipfile.ZipFile) -> Extent:
    """The extent of the first table in content.xml, repeats counted."""
    reach = _Reach()
    with _ods_content(archive) as stream:
        for cell in _ods_cells(_slices(stream), text=False):
            reach.cell(cell.row + 1, cell.column + 1, cell.rows, cell.columns)
    return reach.extent()


def _ods_content(archive: zipfile.ZipFile) -> IO[bytes]:
    try:
        return archive.open("content.xml")
    except KeyError:
        raise ExtentUnknown("content.xml is missing") from None


@dataclass(frozen=True)
class _OdsCell:
    """A cell of the first table that a reader places: where it starts (from 0), how often it
    repeats across and down, and — when counted — the characters a reader makes of it."""

    row: int
    column: int
    rows: int
    columns: int
    chars: int


def _ods_cells(slices: Iterator[bytes], *, text: bool) -> Iterator[_OdsCell]:
    """The placed cells of the first table in order: a cell with tags of its own (text or a
    value), or an empty one that declares a value type. `text` counts their characters."""
    depth = 0  # tables opened; only the first table is read
    row = 0  # rows before the current one
    row_repeat = 1
    column = 0  # cells before the current one in its row
    cell: tuple[int, int] | None = None  # (first column, repeat) of an open cell
    chars, start = 0, 0  # the open cell's characters so far, and where its text resumes
    for data in slices:
        for found in _ODS_TAG_RE.finditer(data):
            closing, tag, attributes = found.groups()
            if tag == b"table":
                if closing:
                    return
                depth += 1
                continue
            if depth != 1:
                continue
            if tag == b"table-row":
                if closing:
                    row += row_repeat
                    continue
                repeated = _ROWS_REPEATED_RE.search(attributes)
                row_repeat = int(repeated[1]) if repeated else 1
                column = 0
                if attributes.endswith(b"/"):
                    row += row_repeat
                continue
            if closing:
                if cell is not None:
                    if text:
                        chars += _text_chars(data[start : found.start()])
                    yield _OdsCell(row, cell[0], row_repeat, cell[1], chars)
                    cell = None
                continue
            repeated = _COLUMNS_REPEATED_RE.search(attributes)
            repeat = int(repeated[1]) if repeated else 1
            if not attributes.endswith(b"/"):
                cell, chars, start = (column, repeat), 0, found.end()
            elif _VALUE_TYPE in attributes:
                yield _OdsCell(row, column, row_repeat, repeat, 0)
            column += repeat
        if text and cell is not None:  # the cell goes on in the next slice
            chars += _text_chars(data[start:])
            start = 0


# --- text -----------------------------------------------------------------------------------
# A reader builds each cell's text, so a few bytes can ask for gigabytes: one ODS
# `<text:s text:c="1000000000"/>` is a billion spaces, a cell repeated over rows and columns is
# its text as many times, and an XLSX shared string is copied into every cell that uses it.
# These count what the reader would build, before it builds anything.


@dataclass(frozen=True)
class TextOver:
    """A cell whose text is over the one-cell limit (`total` False), or the cell at which the
    sheet's text passed the total limit (`total` True); `chars` is that cell's or the total."""

    cell: str
    chars: int
    total: bool


_TEXT_S_RE = re.compile(rb"<text:s(?=[\s/>])([^>]*)>")
_TEXT_C_RE = re.compile(rb"text:c\s*=\s*[\"']([0-9]+)")
_ANY_TAG_RE = re.compile(rb"<[^>]*>")


def _text_chars(piece: bytes) -> int:
    """The characters a reader makes of a piece of cell XML: its text, and ODS's runs of
    spaces (`text:s`) as long as they say."""
    spaces = 0
    if b"<text:s" in piece:
        for attributes in _TEXT_S_RE.findall(piece):
            count = _TEXT_C_RE.search(attributes)
            spaces += int(count[1]) if count else 1
    return len(_ANY_TAG_RE.sub(b"", piece).decode("utf-8", "ignore")) + spaces


def ods_text_over(
    archive: zipfile.ZipFile, *, cell_limit: int, total_limit: int
) -> TextOver | None:
    """The first cell of the first table over `cell_limit` characters, or where the table's
    text (repeats multiplied out) passes `total_limit`; None when neither happens."""
    total = 0
    with _ods_content(archive) as stream:
        for cell in _ods_cells(_slices(stream), text=True):
            name = f"{column_letters(cell.column + 1)}{cell.row + 1}"
            if cell.chars > cell_limit:
                return TextOver(name, cell.chars, total=False)
            total += cell.chars * cell.columns * cell.rows
            if total > total_limit:
                return TextOver(name, total, total=True)
    return None


_SI_RE = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?si(?=[\s/>])[^>]*>")
# A cell of the shared-string type and its index (cells are cut apart at `</c>`).
_SHARED_CELL_RE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s>])[^>]*?\bt\s*=\s*[\"']s[\"'][^>]*>\s*"
    rb"<(?:[A-Za-z_][\w.-]*:)?v>\s*([0-9]+)\s*<"
)


def xlsx_text_over(
    archive: zipfile.ZipFile, *, cells: int, cell_limit: int, total_limit: int
) -> TextOver | None:
    """Shared strings counted once per cell that uses them: the first cell whose shared string
    is over `cell_limit`, or where their total passes `total_limit`. `cells` (the sheet's
    extent) bounds the cells, so a workbook of short strings is not scanned cell by cell."""
    lengths = _shared_lengths(archive)
    if not lengths:
        return None
    longest = max(lengths)
    if longest <= cell_limit and longest * max(cells, 1) <= total_limit:
        return None
    uses: dict[int, int] = {}
    with archive.open(_first_sheet_part(archive)) as stream:
        for data in _cells_slices(stream):
            for index in _SHARED_CELL_RE.findall(data):
                key = int(index)
                uses[key] = uses.get(key, 0) + 1
    over_cell = [i for i in uses if i < len(lengths) and lengths[i] > cell_limit]
    if over_cell:
        index = min(over_cell)
        return TextOver(_cell_using(archive, index), lengths[index], total=False)
    total = sum(lengths[i] * n for i, n in uses.items() if i < len(lengths))
    if total > total_limit:
        # Named by the string that weighs most: the cell that first uses it.
        index = max(uses, key=lambda i: lengths[i] * uses[i] if i < len(lengths) else 0)
        return TextOver(_cell_using(archive, index), total, total=True)
    return None


def _shared_lengths(archive: zipfile.ZipFile) -> list[int]:
    names = [n for n in archive.namelist() if n.lower() == "xl/sharedstrings.xml"]
    if not names:
        return []
    lengths: list[int] = []
    chars, start, inside = 0, 0, False
    with archive.open(names[0]) as stream:
        for data in _slices(stream):
            for found in _SI_RE.finditer(data):
                if found[1]:
                    if inside:
                        lengths.append(chars + _text_chars(data[start : found.start()]))
                    inside = False
                elif found[0].endswith(b"/>"):
                    lengths.append(0)
                else:
                    inside, chars, start = True, 0, found.end()
            if inside:
                chars += _text_chars(data[start:])
                start = 0
    return lengths


_PREFIXED_CELL_END_RE = re.compile(rb"</[A-Za-z_][\w.-]*:c>")


def _cells_slices(stream: IO[bytes]) -> Iterator[bytes]:
    """The member in slices that end after a `</c>` (prefixed or not), so no cell is cut."""
    tail = b""
    while chunk := stream.read(SLICE):
        data = tail + chunk
        cut = data.rfind(b"</c>") + 4
        if cut < 4:
            ends = [found.end() for found in _PREFIXED_CELL_END_RE.finditer(data)]
            if not ends:
                tail = data
                continue
            cut = ends[-1]
        tail = data[cut:]
        yield data[:cut]
    if tail:
        yield tail


def _cell_using(archive: zipfile.ZipFile, index: int) -> str:
    """The reference of the first cell that uses shared string `index` ("" if none says)."""
    wanted = re.compile(
        rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s>])([^>]*?\bt\s*=\s*[\"']s[\"'][^>]*)>\s*"
        rb"<(?:[A-Za-z_][\w.-]*:)?v>\s*" + str(index).encode() + rb"\s*<"
    )
    with archive.open(_first_sheet_part(archive)) as stream:
        for data in _cells_slices(stream):
            found = wanted.search(data)
            if found:
                reference = _R_ATTR_RE.search(found[1])
                return (reference[1] + reference[2]).decode() if reference else ""
    return ""
