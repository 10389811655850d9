"""The one escaper: no file we produce lets a spreadsheet evaluate a cell, and nothing is lost."""

from __future__ import annotations

import csv
import io

import python_calamine
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from campaigns.intake.file_limits import IntakeLimits
from campaigns.intake.safe_files import (
    DANGEROUS_STARTS,
    csv_bytes,
    neutralise,
    restore,
    xlsx_bytes,
)
from campaigns.intake.spreadsheets import read_table

LIMITS = IntakeLimits(max_rows=1000, max_bytes=10_000_000, max_unpacked_bytes=50_000_000)
# Any text, with dangerous first characters made likely.
texts = st.one_of(
    st.text(),
    st.builds(lambda start, rest: start + rest, st.sampled_from(DANGEROUS_STARTS), st.text()),
    st.builds(
        lambda quotes, start, rest: "'" * quotes + start + rest,
        st.integers(1, 3),
        st.sampled_from(DANGEROUS_STARTS),
        st.text(),
    ),
)


@given(texts)
def test_a_neutralised_cell_never_starts_like_a_formula_and_restores_exactly(text: str) -> None:
    safe = neutralise(text)

    assert not safe.startswith(DANGEROUS_STARTS)
    assert restore(safe) == text
    assert text in safe  # nothing removed


@given(st.text())
def test_restore_leaves_text_we_did_not_neutralise_alone(text: str) -> None:
    if not text.lstrip("'").startswith(DANGEROUS_STARTS):
        assert restore(text) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, min_size=1, max_size=8))
@example(["\n", "\r", "\x00", '"', "'=x"])
def test_csv_cells_are_safe_and_come_back_exactly(values: list[str]) -> None:
    data = csv_bytes(["value"], [[v] for v in values])

    assert data.startswith("\ufeff".encode())
    read = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert all(not row[0].startswith(DANGEROUS_STARTS) for row in read)
    assert [restore(row[0]) for row in read[1:]] == values


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, min_size=1, max_size=8))
@example(["\n", " ", "\t", "\r\n", " a "])  # whitespace-only text needs escaping in XLSX
@example(["\x00", "_x0041_", "a\rb", "'=x", "''+1"])  # NUL, a literal escape, CR inside text
def test_xlsx_cells_are_text_never_formulas_and_come_back_exactly(values: list[str]) -> None:
    data = xlsx_bytes(["value"], [[v] for v in values])

    cells = [c for c in load_workbook(io.BytesIO(data)).active["A"] if c.value is not None]
    assert all(cell.data_type == "s" for cell in cells)  # an empty text is an empty cell
    assert all(cell.quotePrefix for cell in cells if cell.value[:1] in DANGEROUS_STARTS)
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    got = [row[0] for row in book.get_sheet_by_index(0).to_python(skip_empty_area=False)[1:]]
    assert [restore(v) for v in got] + [""] * (len(values) - len(got)) == values


def test_phone_numbers_stay_readable_as_phones() -> None:
    phone = "+48 600 100 200"

    xlsx = load_workbook(io.BytesIO(xlsx_bytes(["phone"], [[phone]]))).active["A2"]
    assert (xlsx.value, xlsx.data_type, xlsx.quotePrefix) == (phone, "s", True)
    assert neutralise(phone) == "'+48 600 100 200"


def test_our_intake_takes_the_escape_off_again() -> None:
    data = csv_bytes(["Telefon", "Uwagi"], [["+48 600 100 200", "=1+2"], ["600100201", "-"]])

    table = read_table(data, "back.csv", limits=LIMITS)

    assert table.rows == [["+48 600 100 200", "=1+2"], ["600100201", "-"]]
