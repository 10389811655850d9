"""The one lock every write to a grid takes, and the version a review's token covers.

Order, the same for every write so two never deadlock: the grid's own row first
(`SELECT … FOR UPDATE`; on SQLite the IMMEDIATE transaction already holds the database's write
lock), then its rows, edits and what hangs off them. A write that touches several grids locks
them in ascending id.

Every write bumps `Grid.version` in the transaction that makes it. A review reads the version
before it reads the rows, and `submission_create` compares it under this lock: a write between
the review and the sending, however close, makes the sending refuse.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from campaigns.exceptions import EditProblem
from campaigns.models import Grid, Submission


def grid_lock(grid: Grid | int, *, write: bool = True) -> Grid:
    """Lock the grid for the rest of the current transaction and return it as it is now.
    `write` (the default) bumps its version; only a sending, which checks the version a review
    saw, locks without bumping it."""
    if not connection.in_atomic_block:
        raise RuntimeError("grid_lock() needs a transaction: wrap the write in atomic()")
    pk = grid if isinstance(grid, int) else grid.pk
    locked = Grid.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=pk)
    if write:
        Grid.objects.filter(pk=pk).update(version=F("version") + 1)
        locked.version += 1
    return locked


def grid_removed_message() -> str:
    return _(
        "This grid's personal data was removed after its retention time: it has no rows to edit "
        "or send. Upload a new file or pull the records from Thulium."
    )


def grid_check_editable(grid: Grid) -> None:
    """Refuse a write to a grid whose personal data was removed, or that is being sent. Call
    it under the lock, so a sending queued at the same moment is seen."""
    if Grid.objects.filter(pk=grid.pk, personal_data_removed_at__isnull=False).exists():
        raise EditProblem(grid_removed_message())
    if grid.submissions.filter(state__in=Submission.ACTIVE_STATES).exists():
        raise EditProblem(
            _("The grid is being sent to Thulium. Wait until it finishes, or cancel the sending.")
        )
