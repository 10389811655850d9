"""Helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.problems import grid_problem_groups

MESSY = (
    "Nr tel.;Status;Konsultant;Następny kontakt\n"
    "509708024;Mój rekord;;\n"
    "845400588;Mój rekord;;\n"
    "111222333;Oddzwonić;;\n"
    "555123321;ODDZWONIĆ;;\n"
    "600100200;NOWY!!;;\n"
    "700100200;Nowy;Anna Nowak;\n"
    "700100201;Nowy;Anna Nowak;31.02.2027 10:00\n"
)


def grid_of(campaign: Any, api: thulium.ThuliumClient, text: str = MESSY) -> Grid:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=text.encode(), filename="eksport.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def groups_by_code(grid: Grid, rules: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for group in grid_problem_groups(grid, rules):
        found.setdefault(group.code, []).append(group)
    return found
