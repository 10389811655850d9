"""No CSV we write becomes a formula in any locale: every field is quoted, so a value holding
the other locale's separator before a formula character stays one cell wherever it is opened,
and our own intake reads it back exactly."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
import python_calamine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from campaigns import thulium
from campaigns.intake.file_limits import IntakeLimits
from campaigns.intake.safe_files import DANGEROUS_STARTS, csv_bytes, neutralise, restore
from campaigns.intake.spreadsheets import read_table
from campaigns.models import Grid
from campaigns.services.campaigns import campaign_fields_add
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file

pytestmark = pytest.mark.django_db
LIMITS = IntakeLimits(max_rows=1000, max_bytes=10_000_000, max_unpacked_bytes=50_000_000)
OTHER = {";": ",", ",": ";"}
# What a cell holding the other locale's separator before each formula character looks like.
TRICKY = [f"x{sep}{start}1+1" for sep in OTHER for start in DANGEROUS_STARTS]
# PostgreSQL refuses NUL in text and our intake takes a file with NULs for a binary one, so
# nothing read from the database or uploaded holds one; the writer itself is tried with it.
STORED = [value for value in TRICKY if "\0" not in value]


def spreadsheet_rows(text: str, separator: str) -> list[list[str]]:
    """How Excel or LibreOffice splits a CSV on its locale's separator: a quote opens and closes
    a quoted stretch anywhere in a cell (a doubled quote inside is one quote), and only a
    separator or line end outside quotes ends a cell."""
    rows: list[list[str]] = []
    row: list[str] = []
    cell: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"' and text[i + 1 : i + 2] == '"':
                cell.append('"')
                i += 1
            elif ch == '"':
                quoted = False
            else:
                cell.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == separator:
            row.append("".join(cell))
            cell = []
        elif ch in "\r\n":
            if ch == "\r" and text[i + 1 : i + 2] == "\n":
                i += 1
            row.append("".join(cell))
            rows.append(row)
            row, cell = [], []
        else:
            cell.append(ch)
        i += 1
    if cell or row:
        row.append("".join(cell))
        rows.append(row)
    return rows


def assert_one_quoted_field_in_any_locale(data: bytes, delimiter: str, values: list[str]) -> None:
    text = data.decode("utf-8-sig")
    for value in values:
        assert '"' + neutralise(value).replace('"', '""') + '"' in text
    ours = spreadsheet_rows(text, delimiter)
    assert all(len(row) == len(ours[0]) for row in ours)  # no value split a line
    other = spreadsheet_rows(text, OTHER[delimiter])
    assert [len(row) for row in other] == [1] * len(ours)  # every separator is inside quotes
    cells = [cell for row in ours + other for cell in row]
    assert not [cell for cell in cells if cell.startswith(DANGEROUS_STARTS)]


@pytest.mark.parametrize("delimiter", [";", ","])
@pytest.mark.parametrize("value", TRICKY, ids=repr)
def test_a_value_with_the_other_separator_before_a_formula_stays_one_quoted_cell(
    delimiter: str, value: str
) -> None:
    data = csv_bytes(["Telefon", "Uwagi"], [["600100200", value], [7, None]], delimiter=delimiter)

    assert data.decode("utf-8-sig").endswith(f'"7"{delimiter}""\r\n')  # numbers and blanks too
    assert_one_quoted_field_in_any_locale(data, delimiter, [value])
    read = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))
    assert read == [["Telefon", "Uwagi"], ["600100200", neutralise(value)], ["7", ""]]


@pytest.mark.parametrize("delimiter", [";", ","])
def test_our_intake_reads_a_quoted_export_back_exactly(delimiter: str) -> None:
    rows = [[f"60010{i:04}", value] for i, value in enumerate(STORED)]

    table = read_table(
        csv_bytes(["Telefon", "Uwagi"], rows, delimiter=delimiter), "back.csv", limits=LIMITS
    )

    assert table.delimiter == delimiter
    assert table.rows == rows


@pytest.fixture
def tricky_grid(campaign: Any, api: thulium.ThuliumClient) -> Grid:
    """A grid whose ignored column holds every tricky value."""
    source = io.StringIO()
    writer = csv.writer(source, delimiter=";", quoting=csv.QUOTE_ALL)
    writer.writerow(["Telefon", "Uwagi"])
    writer.writerows([f"60010{i:04}", value] for i, value in enumerate(STORED))
    made = grid_create_from_file(
        campaign=campaign, author=None, data=source.getvalue().encode(), filename="tricky.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=["phone_number", ""], client=api)


@pytest.mark.parametrize(("choice", "delimiter"), [("semicolon", ";"), ("comma", ",")])
def test_a_grid_export_keeps_each_tricky_value_one_cell_and_reads_back(
    client: Client, supervisor: Any, tricky_grid: Grid, choice: str, delimiter: str
) -> None:
    client.force_login(supervisor)
    url = reverse("campaigns:grid_export", args=[tricky_grid.pk])

    data = client.get(url, {"format": "csv", "delimiter": choice}).content

    assert_one_quoted_field_in_any_locale(data, delimiter, STORED)
    again = read_table(data, "back.csv", limits=LIMITS)
    column = again.headers.index("Uwagi")
    assert [row[column] for row in again.rows] == STORED


def test_a_grid_export_as_xlsx_keeps_each_tricky_value_a_text_cell(
    client: Client, supervisor: Any, tricky_grid: Grid
) -> None:
    client.force_login(supervisor)
    url = reverse("campaigns:grid_export", args=[tricky_grid.pk])

    data = client.get(url, {"format": "xlsx"}).content

    sheet = load_workbook(io.BytesIO(data)).active
    header = [cell.value for cell in sheet[1]]
    column = sheet[get_column_letter(header.index("Uwagi") + 1)][1:]
    assert [cell.data_type for cell in column] == ["s"] * len(STORED)
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = book.get_sheet_by_index(0).to_python()
    assert [restore(row[header.index("Uwagi")]) for row in rows[1:]] == STORED


def test_a_push_records_report_keeps_each_tricky_value_one_cell(
    campaign: Any, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL)
        writer.writerow(["Telefon", "Uwagi"])
        writer.writerows([f"60010{i:04}", value] for i, value in enumerate(STORED))
    report = tmp_path / "report.csv"

    with pytest.raises(SystemExit):
        call_command("push_records", "00001", str(source), "--dry-run", "--report", str(report))

    assert_one_quoted_field_in_any_locale(report.read_bytes(), ",", STORED)


def test_a_history_export_keeps_each_tricky_user_name_one_cell(
    client: Client, campaign: Any, supervisor: Any, django_user_model: Any
) -> None:
    for i, value in enumerate(STORED):
        user = django_user_model.objects.create(username=value)
        campaign_fields_add(campaign=campaign, names=[f"Uwagi {i}"], actor=user)
    client.force_login(supervisor)

    data = client.get(reverse("campaigns:history"), {"export": "csv"}).content

    assert_one_quoted_field_in_any_locale(data, ",", STORED)
