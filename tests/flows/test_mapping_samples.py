"""The mapping page shows each column's first filled values, wherever they are in the file, and
how many of its rows are filled: a column empty in the first rows is not shown as empty."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import Workbook

from campaigns import thulium
from campaigns.services.grids import (
    ColumnSample,
    grid_column_samples,
    grid_confirm_mapping,
    grid_create_from_file,
)
from campaigns.services.uploads import BLOCK_ROWS

pytestmark = pytest.mark.django_db

HEADERS = ["Telefon", "Imię", "Uwagi"]
# More rows than a block holds, and notes only past the first block: the samples must come
# from a later block, not from the first rows.
ROWS = BLOCK_ROWS + 500
NOTED = {BLOCK_ROWS + 100: "oddzwonić", BLOCK_ROWS + 250: "po 16", BLOCK_ROWS + 400: "VIP"}


def cells(n: int) -> list[str]:
    return [f"{509000000 + n}", "Anna" if n % 2 else "", NOTED.get(n, "")]


def csv_file() -> tuple[bytes, str]:
    lines = [";".join(HEADERS)] + [";".join(cells(n)) for n in range(ROWS)]
    return ("\n".join(lines) + "\n").encode(), "uwagi.csv"


def xlsx_file() -> tuple[bytes, str]:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for n in range(ROWS):
        sheet.append([value or None for value in cells(n)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), "uwagi.xlsx"


@pytest.mark.parametrize("make", [csv_file, xlsx_file])
def test_samples_skip_empty_cells_and_count_filled_rows(campaign: Any, make: Any) -> None:
    data, name = make()
    grid = grid_create_from_file(campaign=campaign, author=None, data=data, filename=name)

    assert grid_column_samples(grid) == [
        ColumnSample(["509000000", "509000001", "509000002"], ROWS),
        ColumnSample(["Anna", "Anna", "Anna"], ROWS // 2),
        ColumnSample(["oddzwonić", "po 16", "VIP"], 3),
    ]


def test_the_mapping_page_shows_a_column_filled_only_further_down(
    client: Any, supervisor: Any, campaign: Any
) -> None:
    data, name = csv_file()
    grid = grid_create_from_file(campaign=campaign, author=supervisor, data=data, filename=name)
    client.force_login(supervisor)

    page = client.get(reverse("campaigns:grid_mapping", args=[grid.pk])).content.decode()

    assert "<span>oddzwonić</span><span>po 16</span><span>VIP</span>" in page
    assert "3 of 5,500 rows filled" in page
    assert "(empty)" not in page


def test_samples_of_a_built_grid_come_from_its_rows(
    campaign: Any, api: thulium.ThuliumClient
) -> None:
    data, name = csv_file()
    grid = grid_create_from_file(campaign=campaign, author=None, data=data, filename=name)
    grid = grid_confirm_mapping(grid=grid, mapping=grid.mapping, client=api)

    assert grid_column_samples(grid)[2] == ColumnSample(["oddzwonić", "po 16", "VIP"], 3)
