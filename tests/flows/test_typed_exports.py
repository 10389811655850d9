"""A spreadsheet's numbers and dates leave the grid's XLSX export as numbers and dates (issue 28,
item 8); phones stay text, and the CSV stays text."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import pytest
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P
from openpyxl import Workbook, load_workbook

from campaigns import thulium
from campaigns.intake.spreadsheets import DATE, DATETIME, NUMBER, TEXT
from campaigns.models import Grid
from campaigns.services.editing import row_set_cells
from campaigns.services.exports import grid_export
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.rows import RowFilter

pytestmark = pytest.mark.django_db

HEADERS = ["Telefon", "Kwota", "Data", "Kiedy", "Kod", "Tel kom"]
MAPPING = ["phone_number", "field:pole1", "field:pole2", "next_call_date", "field:miasto", ""]
# Phones as Excel stores them when typed in: numbers. "Kod" mixes a number and a word; "Kiedy"
# has a time, once at midnight (which the reader gives as a bare date).
ROWS: list[list[Any]] = [
    [509708024, 5561.06, date(2026, 1, 5), datetime(2026, 12, 24, 14, 30), 5, 48600100200],
    [601234567, 12, date(2026, 2, 28), datetime(2026, 12, 28, 0, 0), "abc", 600100201],
    [753304737, -0.5, None, datetime(2026, 12, 29, 9, 5), 7, None],
]


def xlsx_file() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ods_file() -> bytes:
    """The same sheet as LibreOffice writes it: typed cells with office:value-type."""
    document = OpenDocumentSpreadsheet()
    table = Table(name="Rekordy")
    for cells in [HEADERS, *ROWS]:
        row = TableRow()
        for value in cells:
            row.addElement(ods_cell(value))
        table.addElement(row)
    document.spreadsheet.addElement(table)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def ods_cell(value: Any) -> TableCell:
    if value is None:
        return TableCell()
    if isinstance(value, date):  # and datetime
        cell = TableCell(valuetype="date", datevalue=value.isoformat())
    elif isinstance(value, int | float):
        cell = TableCell(valuetype="float", value=value)
    else:
        cell = TableCell(valuetype="string")
    cell.addElement(P(text=str(value)))
    return cell


def upload(campaign: Any, api: thulium.ThuliumClient, data: bytes, name: str) -> Grid:
    grid = grid_create_from_file(campaign=campaign, author=None, data=data, filename=name)
    return grid_confirm_mapping(grid=grid, mapping=MAPPING, client=api)


def exported_sheet(grid: Grid) -> dict[str, list[Any]]:
    """The XLSX export's input columns by header (without the key), one openpyxl cell a row."""
    data = grid_export(grid=grid, filters=RowFilter(), fmt="xlsx", actor=None)
    sheet = load_workbook(io.BytesIO(data)).active
    headers = [str(cell.value).split(" [")[0] for cell in sheet[1]]
    columns: dict[str, list[Any]] = {}
    for position, header in enumerate(headers):
        columns.setdefault(header, [row[position] for row in sheet.iter_rows(min_row=2)])
    return columns


@pytest.mark.parametrize("name", ["records.xlsx", "records.ods"])
def test_numbers_and_dates_leave_the_xlsx_export_typed_and_phones_as_text(
    campaign: Any, api: thulium.ThuliumClient, name: str
) -> None:
    data = xlsx_file() if name.endswith("xlsx") else ods_file()
    grid = upload(campaign, api, data, name)

    assert grid.column_types == [NUMBER, NUMBER, DATE, DATETIME, TEXT, NUMBER]
    columns = exported_sheet(grid)

    amounts = columns["Kwota"]
    assert [c.value for c in amounts] == [5561.06, 12, -0.5]
    assert all(c.data_type == "n" and isinstance(c.value, int | float) for c in amounts)
    days = columns["Data"]
    assert [c.value for c in days[:2]] == [datetime(2026, 1, 5), datetime(2026, 2, 28)]
    assert days[0].is_date
    assert days[0].number_format == "yyyy-mm-dd"
    assert days[2].value is None  # an empty cell stays empty
    moments = columns["Kiedy"]
    assert [c.value for c in moments] == [
        datetime(2026, 12, 24, 14, 30),
        datetime(2026, 12, 28, 0, 0),
        datetime(2026, 12, 29, 9, 5),
    ]
    assert all(c.is_date and c.number_format == "yyyy-mm-dd hh:mm" for c in moments)
    # A column mixing numbers and text is text, every cell of it.
    assert [(c.value, c.data_type) for c in columns["Kod"]] == [
        ("5", "s"),
        ("abc", "s"),
        ("7", "s"),
    ]
    # The mapped phone column, and one whose header names a phone though it feeds nothing.
    assert [c.value for c in columns["Telefon"]] == ["509708024", "601234567", "753304737"]
    assert [c.value for c in columns["Tel kom"]] == ["48600100200", "600100201", None]
    assert all(isinstance(c.value, str) for c in columns["Telefon"])


def test_an_edited_cell_stays_typed_only_while_it_reads_as_its_columns_type(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    grid = upload(campaign, api, xlsx_file(), "records.xlsx")
    first, second, third = grid.rows.order_by("number")

    row_set_cells(
        grid=grid,
        row=first,
        cells={"field:pole1": "7,25", "field:pole2": "n/a"},
        author=None,
        rules=rules,
    )
    row_set_cells(
        grid=grid,
        row=second,
        cells={"field:pole1": "0123", "field:pole2": "03.03.2026"},
        author=None,
        rules=rules,
    )
    row_set_cells(
        grid=grid,
        row=third,
        cells={"field:pole1": "+48 600", "field:pole2": "2026-03-04 10:00"},
        author=None,
        rules=rules,
    )
    columns = exported_sheet(grid)

    assert [c.value for c in columns["Kwota"]] == [7.25, "0123", "+48 600"]
    assert [c.value for c in columns["Data"]] == ["n/a", datetime(2026, 3, 3), "2026-03-04 10:00"]


def test_the_csv_export_stays_text(campaign: Any, api: thulium.ThuliumClient) -> None:
    grid = upload(campaign, api, xlsx_file(), "records.xlsx")

    data = grid_export(grid=grid, filters=RowFilter(), fmt="csv", actor=None)

    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [r["Kwota [field:pole1]"] for r in rows] == ["5561.06", "12", "'-0.5"]
    assert [r["Data [field:pole2]"] for r in rows] == ["2026-01-05", "2026-02-28", ""]
    assert rows[0]["Kiedy [next_call_date]"] == "2026-12-24 14:30"
    assert rows[0]["Telefon [phone_number]"] == "509708024"


def test_a_csv_upload_records_no_types_and_its_xlsx_export_is_text(
    campaign: Any, api: thulium.ThuliumClient
) -> None:
    text = "Telefon;Kwota;Data\r\n509708024;5561.06;2026-01-05\r\n"
    grid = grid_create_from_file(
        campaign=campaign, author=None, data=text.encode(), filename="records.csv"
    )
    grid = grid_confirm_mapping(
        grid=grid, mapping=["phone_number", "field:pole1", "field:pole2"], client=api
    )

    assert grid.column_types == []
    columns = exported_sheet(grid)
    assert [(c.value, c.data_type) for c in columns["Kwota"]] == [("5561.06", "s")]
    assert [(c.value, c.data_type) for c in columns["Data"]] == [("2026-01-05", "s")]


def test_a_typed_export_uploaded_again_gives_the_same_cells_and_types(
    campaign: Any, api: thulium.ThuliumClient
) -> None:
    grid = upload(campaign, api, xlsx_file(), "records.xlsx")
    data = grid_export(grid=grid, filters=RowFilter(), fmt="xlsx", actor=None)

    again = grid_create_from_file(campaign=campaign, author=None, data=data, filename="back.xlsx")

    inputs = slice(1, 1 + len(HEADERS))  # after "Row in file"
    assert again.column_types[inputs] == [TEXT, NUMBER, DATE, DATETIME, TEXT, TEXT]
    before = [r.raw for r in grid.rows.order_by("number")]
    back = grid_confirm_mapping(grid=again, mapping=again.mapping, client=api)
    assert [r.raw[inputs] for r in back.rows.order_by("number")] == before
