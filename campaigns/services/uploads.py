"""An upload as it waits for its mapping: read in the cage (campaigns/intake/cage.py) under the
intake limits, its rows packed in compressed blocks (UploadBlock) and read back from them."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice, zip_longest
from typing import TypedDict

from django.conf import settings

from campaigns.collector import cycle_collector_paused
from campaigns.exceptions import FileProblem
from campaigns.intake.cage import CageBroken, CageLimits, run_caged
from campaigns.intake.file_limits import IntakeLimits, cage_message
from campaigns.intake.spreadsheets import Table, read_table
from campaigns.models import Grid

# An upload's rows wait for their mapping in blocks of this many (see UploadBlock).
BLOCK_ROWS = 5000
# Rows whose cells are read to recognise a column by its values.
SAMPLE_ROWS = 50
# Filled cells of each column shown on the mapping page.
FIRST_VALUES = 3


def intake_limits() -> IntakeLimits:
    return IntakeLimits(
        max_rows=settings.INTAKE_MAX_ROWS,
        max_bytes=settings.INTAKE_MAX_BYTES,
        max_unpacked_bytes=settings.INTAKE_MAX_UNPACKED_BYTES,
        max_columns=settings.INTAKE_MAX_COLUMNS,
        max_cells=settings.INTAKE_MAX_CELLS,
        max_chars=settings.INTAKE_MAX_CHARS,
    )


class ColumnFill(TypedDict):
    """How many rows fill a column, and where its first filled cells are: [position in the
    file's rows (from 0), row number] each. Positions, not values: the values are personal
    data, and stay only where erasure and retention find them (the blocks, then the rows)."""

    filled: int
    first: list[list[int]]


@dataclass(frozen=True)
class Upload:
    """A file as read in the cage: its Table with only the first rows (for the mapping page),
    how many rows it has, all of them packed as the blocks they wait in (UploadBlock), and
    how each column is filled."""

    table: Table
    rows: int
    blocks: list[bytes]
    columns: list[ColumnFill]


def read_upload(
    data: bytes, filename: str, *, delimiter: str | None = None, encoding: str | None = None
) -> Upload:
    """Read an uploaded file in the cage (campaigns/intake/cage.py), or raise FileProblem, also
    when the reading needs more memory or time than an upload may use. The rows come back packed:
    passing 100,000 rows out of the cage one string at a time cost more than reading them."""
    cage = CageLimits(
        memory_bytes=int(settings.INTAKE_MAX_MEMORY_MB * 1_000_000),
        seconds=settings.INTAKE_MAX_SECONDS,
    )
    try:
        return run_caged(
            _read_and_pack,
            data,
            filename,
            cage=cage,
            limits=intake_limits(),
            delimiter=delimiter,
            encoding=encoding,
        )
    except CageBroken as broken:
        raise FileProblem(cage_message(broken.reason, filename)) from None


@cycle_collector_paused()
def _read_and_pack(
    data: bytes,
    filename: str,
    *,
    limits: IntakeLimits,
    delimiter: str | None,
    encoding: str | None,
) -> Upload:
    table = read_table(data, filename, limits=limits, delimiter=delimiter, encoding=encoding)
    blocks = _upload_blocks(table.row_numbers, table.rows)
    columns = column_fill(table.row_numbers, table.rows, width=len(table.headers))
    rows = len(table.rows)
    table.rows, table.row_numbers = table.rows[:SAMPLE_ROWS], table.row_numbers[:SAMPLE_ROWS]
    return Upload(table=table, rows=rows, blocks=blocks, columns=columns)


def column_fill(
    numbers: Sequence[int], rows: Sequence[Sequence[str]], *, width: int
) -> list[ColumnFill]:
    """Each column's filled rows and its first filled cells, in one pass over the rows (the
    cells come stripped, so a filled cell is a non-empty one)."""
    if not rows:
        return [ColumnFill(filled=0, first=[]) for _ in range(width)]
    fill = []
    # Short rows lack their trailing empty cells; a row longer than the header has no column.
    for cells in islice(zip_longest(*rows, fillvalue=""), width):
        first = [
            [position, numbers[position]]
            for position in islice((p for p, cell in enumerate(cells) if cell), FIRST_VALUES)
        ]
        fill.append(ColumnFill(filled=sum(map(bool, cells)), first=first))
    fill += [ColumnFill(filled=0, first=[]) for _ in range(width - len(fill))]
    return fill


def _upload_blocks(numbers: Sequence[int], rows: Sequence[list[str]]) -> list[bytes]:
    """The file's rows as they wait for the mapping, a few thousand to a compressed block: one
    write each, where storing them as rows cost an insert and a delete each."""
    blocks = []
    for start in range(0, len(rows), BLOCK_ROWS):
        pairs = list(
            zip(numbers[start : start + BLOCK_ROWS], rows[start : start + BLOCK_ROWS], strict=True)
        )
        # ASCII escapes: a cell holding a lone surrogate still encodes (UTF-8 would refuse it).
        data = json.dumps(pairs, separators=(",", ":")).encode("ascii")
        blocks.append(zlib.compress(data, 1))
    return blocks


def upload_rows_at(grid: Grid, positions: set[int]) -> dict[int, list[str]]:
    """The cells of the upload's rows at these positions (from 0, in file order), reading only
    the blocks that hold them."""
    found = {}
    wanted = {position // BLOCK_ROWS for position in positions}
    blocks = grid.upload_blocks.filter(index__in=wanted).values_list("index", "rows")
    for index, data in blocks:
        for offset, (_number, cells) in enumerate(json.loads(zlib.decompress(data))):
            if index * BLOCK_ROWS + offset in positions:
                found[index * BLOCK_ROWS + offset] = cells
    return found


def upload_rows(grid: Grid, *, limit: int | None = None) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of an upload whose mapping is not confirmed yet, in file order."""
    shown = 0
    for data in grid.upload_blocks.order_by("index").values_list("rows", flat=True).iterator():
        for number, cells in json.loads(zlib.decompress(data)):
            if limit is not None and shown >= limit:
                return
            shown += 1
            yield number, cells
