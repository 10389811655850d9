"""What a file may hold, and the words when it holds more: the limits intake reads within
(`IntakeLimits`, a cell's most characters), and each refusal's message in the reader's
language, naming the cell or the row and the limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext_lazy as _

from campaigns.intake.sheet_extent import TextOver

# The csv module refuses longer cells; one this long is nearly always a quote never closed.
CSV_FIELD_LIMIT = 131_072
# What one cell of Excel holds; no record field needs more.
CELL_MAX_CHARS = 32_767


@dataclass(frozen=True)
class IntakeLimits:
    max_rows: int
    max_bytes: int
    max_unpacked_bytes: int
    max_columns: int = 200
    max_cells: int = 5_000_000
    max_chars: int = 50_000_000


def too_many_columns(limits: IntakeLimits, column: int, cell: str) -> Any:
    return _(
        "The first sheet has something in column %(column)s (cell %(cell)s), and we read at most "
        "%(limit)s columns. Delete the columns you do not need, or a stray value far to the right "
        "of your records, save the file and upload it again."
    ) % {"column": thousands(column), "cell": cell, "limit": thousands(limits.max_columns)}


def too_wide_row(limits: IntakeLimits, row: int, columns: int) -> Any:
    return _(
        "Row %(row)s of the file has %(columns)s columns; we read at most %(limit)s. Delete the "
        "columns you do not need, save the file and upload it again."
    ) % {"row": row, "columns": thousands(columns), "limit": thousands(limits.max_columns)}


def too_many_cells(limits: IntakeLimits, rows: int, columns: int) -> Any:
    return _(
        "The file spans %(rows)s rows × %(columns)s columns, more than the %(limit)s cells one "
        "upload takes. Delete the columns you do not need, or split the rows into several files."
    ) % {
        "rows": thousands(rows),
        "columns": thousands(columns),
        "limit": thousands(limits.max_cells),
    }


def too_long_cell(cell: str, chars: int) -> Any:
    return _(
        "Cell %(cell)s holds %(chars)s characters; a cell may hold at most %(limit)s (as in "
        "Excel). Shorten it, or delete what does not belong there, save the file and upload it "
        "again."
    ) % {"cell": cell, "chars": thousands(chars), "limit": thousands(CELL_MAX_CHARS)}


def text_over(over: TextOver, limits: IntakeLimits) -> Any:
    if not over.total:
        return too_long_cell(over.cell or "?", over.chars)
    return _(
        "The first sheet holds more than %(limit)s characters of text in all (reached at cell "
        "%(cell)s, where text repeats across many cells or rows). Delete the repeated text or "
        "the rows you do not need, or split the file, and upload it again."
    ) % {"limit": thousands(limits.max_chars), "cell": over.cell or "?"}


def cage_message(reason: str, filename: str) -> Any:
    """What to say when reading a file met the cage's limits (see campaigns/intake/cage.py)."""
    if reason == "time":
        return _(
            "Reading %(name)s took too long, so we stopped. Open it in Excel or LibreOffice, "
            "delete what you do not need to send (other sheets, formatting, empty rows), save "
            "it as .xlsx or .csv and upload it again."
        ) % {"name": filename}
    if reason == "memory":
        return _(
            "%(name)s needs more memory to read than an upload may use, so we stopped. Its "
            "cells may hold far more text than they show. Copy the rows you need into a new "
            "file, save it as .csv and upload that."
        ) % {"name": filename}
    return _(
        "%(name)s could not be read: the reader stopped on it. Open it in Excel or "
        "LibreOffice, save it again as .xlsx or .csv and upload the new file."
    ) % {"name": filename}


def thousands(number: int) -> str:
    return f"{number:,}".replace(",", "\u00a0")


def too_many_rows(limits: IntakeLimits) -> Any:
    return _(
        "The file has more than %(limit)s rows, the most one upload takes. Split it into several "
        "files."
    ) % {"limit": thousands(limits.max_rows)}


def megabytes(size: int) -> str:
    """Bytes as the reader writes megabytes: „52,3” in Polish, „1” rather than „1,0”."""
    value = round(size / 1_000_000, 1)
    shown: int | float = int(value) if value.is_integer() else value
    return formats.number_format(shown, use_l10n=True, force_grouping=True)
