"""The same CSV through django-import-export into the same table (Row), plain and tuned: the
anchor the intake is compared with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tablib
from import_export import fields, instance_loaders, resources

from bench.stage_common import campaign, timed
from campaigns.models import Grid, Row


def _import_export(args: Any, workdir: Path, *, tuned: bool) -> dict[str, Any]:
    """As its users would write it: one Field per column, import_id_fields to match existing
    rows; tuned, with bulk writes, no diff and a cached instance loader."""
    grid = Grid.objects.create(campaign=campaign(), source=Grid.Source.FILE)

    class Meta:
        model = Row
        fields = ("grid", "number", "phone", "status_id", "agent_login")
        import_id_fields = ("grid", "number")
        if tuned:
            use_bulk = True
            batch_size = 1000
            skip_diff = True
            instance_loader_class = instance_loaders.CachedInstanceLoader

    attributes = {
        "Meta": Meta,
        "grid": fields.Field(attribute="grid_id", column_name="grid"),
        "number": fields.Field(attribute="number", column_name="number"),
        "phone": fields.Field(attribute="phone", column_name="Telefon"),
        "status_id": fields.Field(attribute="status_id", column_name="Status"),
        "agent_login": fields.Field(attribute="agent_login", column_name="Konsultant"),
    }
    RowResource = type("RowResource", (resources.ModelResource,), attributes)

    def work() -> Any:
        text = (workdir / "records.csv").read_text(encoding="utf-8")
        dataset = tablib.Dataset().load(text, format="csv", delimiter=";")
        dataset.append_col([grid.pk] * dataset.height, header="grid")
        dataset.append_col(list(range(2, dataset.height + 2)), header="number")
        return RowResource().import_data(dataset, raise_errors=True)

    seconds, outcome = timed(work)
    return {"seconds": seconds, "rows": outcome.totals.get("new", 0)}


def stage_iex_plain(args: Any, workdir: Path) -> dict[str, Any]:
    return _import_export(args, workdir, tuned=False)


def stage_iex_tuned(args: Any, workdir: Path) -> dict[str, Any]:
    return _import_export(args, workdir, tuned=True)
