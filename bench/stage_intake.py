"""The intake's stages: a CSV or an XLSX taken in to a validated, stored grid (read, map,
validate against the sandbox campaign, store)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.stage_common import campaign, system, timed
from campaigns.services.connection import thulium_client
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file


def _intake(workdir: Path, name: str) -> dict[str, Any]:
    into = campaign()
    data = (workdir / name).read_bytes()
    upload, grid = timed(
        lambda: grid_create_from_file(campaign=into, author=None, data=data, filename=name)
    )
    with thulium_client(system=system()) as client:
        confirm, grid = timed(
            lambda: grid_confirm_mapping(grid=grid, mapping=grid.mapping, client=client)
        )
    return {
        "seconds": upload + confirm,
        "upload_s": upload,
        "confirm_s": confirm,
        "valid": grid.rows_valid + grid.rows_warning,
        "errors": grid.rows_error,
    }


def stage_intake_csv(args: Any, workdir: Path) -> dict[str, Any]:
    return _intake(workdir, "records.csv")


def stage_intake_xlsx(args: Any, workdir: Path) -> dict[str, Any]:
    return _intake(workdir, "records.xlsx")
