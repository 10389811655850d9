"""File intake: formats, encodings, delimiters, the header row, header names, and cell → text.

Every cell leaves here as text, the way the supervisor saw it: a phone Excel stored as a number
keeps its digits, a date cell becomes `YYYY-MM-DD hh:mm`, a formula gives its result. Whatever is
wrong with a file is a `FileProblem` with a message code; nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from campaigns.safe_files import restore
from campaigns.targets import KEY_RE, RECORD_TARGETS

CSV_DELIMITERS = (",", ";", "\t", "|")
CSV_ENCODINGS = ("utf-8", "cp1250", "iso-8859-2")
TEXT_EXTENSIONS = {"csv", "txt", "tsv"}
SPREADSHEET_EXTENSIONS = {"xlsx", "xlsm", "ods"}
HEADER_SEARCH_ROWS = 20
# Beyond this a float has lost digits: Excel keeps 15 significant ones.
EXACT_FLOAT_LIMIT = 10**15

POLISH_LETTERS = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
SCIENTIFIC_RE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")


class FileProblem(Exception):
    """A file we cannot read. `message` tells the user what is wrong and how to fix it."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class IntakeLimits:
    max_rows: int
    max_bytes: int
    max_unpacked_bytes: int


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


def read_table(
    data: bytes,
    filename: str,
    *,
    limits: IntakeLimits,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Table:
    """Read an uploaded CSV, XLSX or ODS file into a Table, or raise FileProblem."""
    if len(data) > limits.max_bytes:
        raise FileProblem(
            _(
                "The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files "
                "or remove columns you do not need."
            )
            % {"size": _megabytes(len(data)), "limit": _megabytes(limits.max_bytes)}
        )
    if not data.strip():
        raise FileProblem(_("The file is empty. Choose the file with your records and try again."))
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    kind = _sniff(data)
    if extension in SPREADSHEET_EXTENSIONS or (not extension and kind in {"xlsx", "ods"}):
        expected = "ods" if extension == "ods" else "xlsx"
        if kind != expected:
            raise FileProblem(_wrong_content(filename, expected, kind))
        cells = _spreadsheet_cells(data, kind, limits)
        table = _table_from_cells(cells, kind, limits)
    elif extension in TEXT_EXTENSIONS or not extension:
        if kind != "text":
            raise FileProblem(_wrong_content(filename, "csv", kind))
        text, used_encoding = _decode(data, encoding)
        used_delimiter = delimiter or _detect_delimiter(text)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=used_delimiter)
        try:
            cells = [[restore(cell.strip()) for cell in row] for row in reader]
        except csv.Error as error:
            raise FileProblem(
                _("The CSV file is broken (%(error)s). Open it in Excel and save it again as CSV.")
                % {"error": error}
            ) from None
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


# --- header names ---------------------------------------------------------------------------

# What each Thulium target is called in the files supervisors bring, compared after
# `normalise_header` (lower case, no diacritics, single spaces).
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "phone_number": (
        "phone_number",
        "phone",
        "phone number",
        "telephone",
        "mobile",
        "number",
        "telefon",
        "nr telefonu",
        "numer telefonu",
        "numer",
        "tel",
        "tel.",
        "komorka",
        "telefon komorkowy",
    ),
    "status": ("status", "status_id", "status id", "status rekordu", "id statusu", "stan"),
    "dictionary_status_id": (
        "dictionary_status_id",
        "dictionary status",
        "dictionary status id",
        "status slownikowy",
        "id statusu slownikowego",
    ),
    "agent_login": (
        "agent_login",
        "agent",
        "agent login",
        "login agenta",
        "konsultant",
        "login konsultanta",
        "doradca",
        "opiekun",
    ),
    "next_call_date": (
        "next_call_date",
        "next call date",
        "next call",
        "call date",
        "nastepny kontakt",
        "data nastepnego kontaktu",
        "data kontaktu",
        "termin kontaktu",
        "data nastepnego polaczenia",
        "oddzwonic",
    ),
    "identifier": ("identifier", "id", "record id", "identyfikator", "id rekordu", "external id"),
    "order": ("order", "kolejnosc", "priority", "priorytet"),
}


def normalise_header(text: str) -> str:
    """Header text compared insensitive to case, spacing, punctuation and Polish diacritics."""
    text = text.replace("ł", "l").replace("Ł", "L")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-.:]+", "", text.lower())


_SYNONYM_TARGETS = {
    normalise_header(name): target for target, names in HEADER_SYNONYMS.items() for name in names
}


def target_for_header(header: str) -> str | None:
    keyed = KEY_RE.match(header.strip())
    if keyed and keyed["key"] in RECORD_TARGETS:
        return keyed["key"]
    return _SYNONYM_TARGETS.get(normalise_header(header))


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
    return str(value).replace("\u00a0", " ").strip()


def looks_scientific(text: str) -> bool:
    """A number Excel already turned into scientific notation (e.g. 6,001E+08): digits are lost."""
    return bool(SCIENTIFIC_RE.match(text.strip()))


# --- internals ------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}".rstrip("0").rstrip(".")


def _sniff(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return "broken-zip"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "mimetype" in names and "content.xml" in names:
            return "ods"
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if data.startswith(b"%PDF"):
        return "pdf"
    if b"\x00" in data[:4096]:
        return "binary"
    return "text"


def _wrong_content(filename: str, expected: str, found: str) -> Any:
    names = {
        "xlsx": _("an Excel workbook (.xlsx)"),
        "ods": _("an OpenDocument spreadsheet (.ods)"),
        "csv": _("a CSV text file"),
        "text": _("a text (CSV) file"),
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


def _decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return data.decode(encoding).removeprefix("\ufeff"), encoding
        except (UnicodeDecodeError, LookupError):
            raise FileProblem(
                _(
                    "The file cannot be read as %(encoding)s. Choose another encoding, or let us "
                    "detect it."
                )
                % {"encoding": encoding}
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Windows-1250 or ISO-8859-2. Bytes 0x80–0x9F are control codes in ISO-8859-2 but letters
    # (ś, Ś, ź, Ź, …) in Windows-1250; otherwise the one giving more Polish letters wins.
    if any(0x80 <= byte <= 0x9F for byte in data):
        return data.decode("cp1250", errors="replace"), "cp1250"
    cp1250 = data.decode("cp1250", errors="replace")
    iso = data.decode("iso-8859-2", errors="replace")
    if _polish_score(iso) > _polish_score(cp1250):
        return iso, "iso-8859-2"
    return cp1250, "cp1250"


def _polish_score(text: str) -> int:
    return sum(1 for ch in text if ch in POLISH_LETTERS)


def _detect_delimiter(text: str) -> str:
    sample = [line for line in text.splitlines()[:60] if line.strip()]
    best, best_score = ",", (0.0, 0)
    for candidate in CSV_DELIMITERS:
        counts = [len(row) for row in csv.reader(sample, delimiter=candidate)]
        widths = Counter(c for c in counts if c > 1)
        if not widths:
            continue
        width, hits = widths.most_common(1)[0]
        score = (hits / len(counts), width)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _spreadsheet_cells(data: bytes, kind: str, limits: IntakeLimits) -> list[list[str]]:
    from python_calamine import CalamineError, CalamineWorkbook

    _refuse_zip_bomb(data, limits)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        if sheet.height > limits.max_rows + HEADER_SEARCH_ROWS + 1:
            raise FileProblem(_too_many_rows(limits))
        rows = sheet.to_python(skip_empty_area=False)
    except FileProblem:
        raise
    except (CalamineError, ValueError, OSError) as error:
        raise FileProblem(
            _(
                "The spreadsheet cannot be read (%(error)s). Open it in Excel or LibreOffice, "
                "save it again and upload the new file."
            )
            % {"error": type(error).__name__}
        ) from None
    return [[restore(cell_text(value)) for value in row] for row in rows]


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
            % {"size": _megabytes(unpacked)}
        )


def _too_many_rows(limits: IntakeLimits) -> Any:
    return _(
        "The file has more than %(limit)s rows, the most one upload takes. Split it into several "
        "files."
    ) % {"limit": f"{limits.max_rows:,}".replace(",", " ")}


def _table_from_cells(cells: list[list[str]], kind: str, limits: IntakeLimits) -> Table:
    numbered = [(n, row) for n, row in enumerate(cells, start=1) if any(c for c in row)]
    if not numbered:
        raise FileProblem(_("The file has no rows. Choose the file with your records."))
    header_index = _header_index([row for _n, row in numbered[: HEADER_SEARCH_ROWS + 40]])
    header_number, header_row = numbered[header_index]
    width = max(len(row) for _n, row in numbered)
    headers = _unique_headers(header_row, width)
    body = numbered[header_index + 1 :]
    if not body:
        raise FileProblem(
            _(
                "The file has a header row but no records below it. Add the records under the "
                "header and upload it again."
            )
        )
    if len(body) > limits.max_rows:
        raise FileProblem(_too_many_rows(limits))
    return Table(
        format=kind,
        headers=headers,
        rows=[row + [""] * (len(headers) - len(row)) for _n, row in body],
        row_numbers=[n for n, _row in body],
        header_row_number=header_number,
    )


def _header_index(rows: Sequence[Sequence[str]]) -> int:
    """Which of the first rows is the header: title lines above it are skipped."""
    candidates = rows[:HEADER_SEARCH_ROWS]
    for index, row in enumerate(candidates):
        if any(target_for_header(cell) == "phone_number" for cell in row if cell):
            return index
    filled = [sum(1 for c in row if c) for row in rows]
    widths = Counter(f for f in filled if f > 1)
    if not widths:
        return 0
    width = widths.most_common(1)[0][0]
    for index, count in enumerate(filled[: len(candidates)]):
        if count >= max(2, round(width * 0.6)):
            return index
    return 0


def _unique_headers(row: Iterable[str], width: int) -> list[str]:
    headers: list[str] = []
    seen: Counter[str] = Counter()
    cells = list(row) + [""] * width
    for position in range(width):
        name = cells[position].strip() or str(
            _("Column %(letter)s") % {"letter": _column_letter(position)}
        )
        seen[name] += 1
        headers.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return headers


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
