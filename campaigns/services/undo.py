"""Undo and Redo: taking a grid's edits back in reverse order, across page reloads, and making
an undone one again — never past a sending that followed it."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from campaigns.exceptions import EditProblem
from campaigns.models import AuditEntry, Edit, Grid, Row
from campaigns.rules.validation import CampaignRules
from campaigns.services.audit import audit
from campaigns.services.grid_checks import RowBuild, grid_recount, grid_validate, rows_store
from campaigns.services.locking import grid_check_editable, grid_lock

# Redo replays an edit's cells or deletions; edits that added rows or columns are not replayed
# (undo dropped what they added, so there is nothing to put back exactly).
REDOABLE = (Edit.Kind.CELL, Edit.Kind.BULK, Edit.Kind.PASTE, Edit.Kind.REPLACE, Edit.Kind.DELETE)


def grid_redoable_edit(grid: Grid) -> Edit | None:
    """The edit Redo would make again: the earliest of the edits undone since the last edit
    that stands (a new edit ends what can be redone), when it can be replayed."""
    last_standing = grid.edits.filter(undone=False).order_by("-id").values("id")[:1]
    edit = (
        grid.edits.filter(undone=True, id__gt=Coalesce(Subquery(last_standing), 0))
        .order_by("id")
        .first()
    )
    if (
        edit is None
        or edit.kind not in REDOABLE
        or edit.added
        or edit.columns_before is not None
        or grid.submissions.filter(created_at__gt=edit.created_at).exists()
    ):
        return None
    return edit


def grid_redo(*, grid: Grid, rules: CampaignRules, author: User | None = None) -> Edit | None:
    """Make the last undone edit again (see grid_redoable_edit); None when there is none."""
    with transaction.atomic():
        grid = grid_lock(grid)
        edit = grid_redoable_edit(grid)
        if edit is None:
            return None
        grid_check_editable(grid)
        new_raw: dict[int, list[str]] = {}
        for pk, raw in grid.rows.filter(id__in={c[0] for c in edit.changes}).values_list(
            "id", "raw"
        ):
            raw = list(raw) + [""] * (len(grid.mapping) - len(raw))
            for row_id, column, _old, new in edit.changes:
                if row_id == pk and column < len(raw):
                    raw[column] = new
            new_raw[pk] = raw
        touched = set(new_raw)
        if edit.deleted:
            rows = grid.rows.filter(id__in=[r["id"] for r in edit.deleted])
            phones = set(rows.values_list("phone", flat=True)) - {""}
            rows.delete()
            touched |= set(grid.rows.filter(phone__in=phones).values_list("id", flat=True))
        edit.undone = False
        edit.save(update_fields=["undone"])
        audit(
            action=AuditEntry.Action.REDO,
            actor=author,
            campaign=grid.campaign,
            grid_id=grid.pk,
            edit=edit.pk,
            redone=edit.kind,
        )
        if touched:
            grid_validate(grid=grid, rules=rules, row_ids=touched, new_raw=new_raw)
        else:
            grid_recount(grid)
    return edit


def grid_undoable_edit(grid: Grid) -> Edit | None:
    """The edit Undo would take back, when it can: none once a sending followed it."""
    edit = grid.edits.filter(undone=False).order_by("-id").first()
    if edit is None or grid.submissions.filter(created_at__gt=edit.created_at).exists():
        return None
    return edit


def grid_undo(*, grid: Grid, rules: CampaignRules, author: User | None = None) -> Edit | None:
    """Undo the grid's most recent edit that is not undone yet; None when there is none."""
    with transaction.atomic():
        grid = grid_lock(grid)
        edit = grid.edits.filter(undone=False).order_by("-id").first()
        if edit is None:
            return None
        grid_check_editable(grid)
        if grid.submissions.filter(created_at__gt=edit.created_at).exists():
            raise EditProblem(
                _(
                    "This change has been sent to Thulium, so it cannot be undone here. Change "
                    "the cells back and send again."
                )
            )
        touched: set[int] = set()
        if edit.deleted:
            rows_store(
                grid=grid,
                rows=(
                    RowBuild(
                        pk=r["id"],
                        number=r["number"],
                        raw=r["raw"],
                        values={},
                        messages=[],
                        phone="",
                        state=Row.State.VALID,
                    )
                    for r in edit.deleted
                ),
            )
            touched |= {r["id"] for r in edit.deleted}
        by_row: dict[int, list[tuple[int, str]]] = {}
        for pk, column, old, _new in edit.changes:
            by_row.setdefault(pk, []).append((column, old))
        new_raw = {}
        for pk, raw in grid.rows.filter(id__in=list(by_row)).values_list("id", "raw"):
            raw = list(raw)
            for column, old in reversed(by_row[pk]):
                if column < len(raw):
                    raw[column] = old
            new_raw[pk] = raw
        touched |= set(new_raw)
        if edit.added:
            phones = set(grid.rows.filter(id__in=edit.added).values_list("phone", flat=True))
            grid.rows.filter(id__in=edit.added).delete()
            touched |= set(grid.rows.filter(phone__in=phones - {""}).values_list("id", flat=True))
        if edit.columns_before is not None:
            # The columns the edit added held nothing before it: drop them again.
            grid.headers = edit.columns_before["headers"]
            grid.mapping = edit.columns_before["mapping"]
            grid.save(update_fields=["headers", "mapping"])
            width = len(grid.mapping)
            new_raw = {pk: raw[:width] for pk, raw in new_raw.items()}
        edit.undone = True
        edit.save(update_fields=["undone"])
        audit(
            action=AuditEntry.Action.UNDO,
            actor=author,
            campaign=grid.campaign,
            grid_id=grid.pk,
            edit=edit.pk,
            undone=edit.kind,
        )
        if edit.kind == Edit.Kind.MAPPING:
            grid_validate(grid=grid, rules=rules)  # every row reads its cells anew
        else:
            grid_validate(grid=grid, rules=rules, row_ids=touched, new_raw=new_raw)
    return edit
