"""Forms for the grid's edits: what each post carries, read into typed values.

Every field is optional and lenient (forms/fields.py): what a value must be is the service's to
say, in words (EditProblem), so the person reads one message whichever way they got it wrong.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django import forms
from django.http import QueryDict

from campaigns.forms.fields import RowIds, Text, Ticked, Whole
from campaigns.services.rows import RowFilter


class GridForm(forms.Form):
    """What every edit posts besides its own fields: the query of the view it came from, so the
    page comes back as it was."""

    return_query = Text()

    def view_filter(self) -> RowFilter:
        """The filter and sort of the view the person was looking at."""
        return RowFilter.from_query(QueryDict(self.cleaned_data["return_query"]))


class CellSaveForm(GridForm):
    target = Text()
    value = Text()
    shown = Text()

    def shown_cells(self) -> dict[str, str] | None:
        """What the page showed in the cell, to refuse a save over a newer value; None from an
        editor older than this field (a page left open), which saves as it did."""
        if "shown" not in self.data:
            return None
        return {self.cleaned_data["target"]: self.cleaned_data["shown"]}


class RowForm(GridForm):
    """The whole row as one form (editing without JavaScript): a field per column the page
    shows, and `shown-<column>` with the text the page showed in it."""

    def __init__(self, columns: Collection[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.columns = [c for c in columns if c in self.data]
        for column in self.columns:
            self.fields[column] = Text()
            self.fields[f"shown-{column}"] = Text()

    def cells(self) -> dict[str, str]:
        return {column: self.cleaned_data[column] for column in self.columns}

    def shown_cells(self) -> dict[str, str]:
        return {
            c: self.cleaned_data[f"shown-{c}"] for c in self.columns if f"shown-{c}" in self.data
        }


class ConfirmedForm(GridForm):
    """An edit posted twice: first to show what it would do, then with `confirm=yes`."""

    confirm = Ticked("yes")


class RowsDeleteForm(ConfirmedForm):
    rows = RowIds()
    count = Whole()  # the count the confirmation showed; another count means the ticks changed


class BulkSetForm(ConfirmedForm):
    target = Text()
    value = Text()
    clear = Ticked()
    rows = RowIds()
    scope = Text()  # "filter": every row of the posted filter, not the ticked rows
    fill = Ticked("down")
    only_empty = Ticked()

    def scope_filter(self) -> RowFilter | None:
        """Every row of the view's filter, or None for the ticked rows. The filter is read from
        the view's query alone: posted as fields of their own, the filter's `value` (a field
        filter's text) was read for the value to set, and the value to set for it."""
        return self.view_filter() if self.cleaned_data["scope"] == "filter" else None


class PasteForm(ConfirmedForm):
    start_row = Text()
    start_column = Text()
    block = Text()

    def start_number(self) -> int:
        """The row number the block starts at (0, before the first row, when not a number)."""
        try:
            return int(self.cleaned_data["start_row"] or "0")
        except ValueError:
            return 0


class FindReplaceForm(ConfirmedForm):
    target = Text()
    find = Text()
    replace = Text()
    whole_cell = Ticked()
    match_case = Ticked()

    def view_filter(self) -> RowFilter:
        # The find and replace form carries the view's filter as its own fields.
        return RowFilter.from_query(self.data)


class ColumnRemapForm(GridForm):
    column = Whole()
    target = Text()


class GroupFixForm(GridForm):
    """One decision for every row of a problem group; which fields count depends on `action`."""

    problem = Text()  # the group's key
    action = Text()
    remember = Text()  # "once": a rule's choice for these rows only
    target = Text()
    source = Text()
    value = Text()
    time = Text()
    agent_login = Text()
    next_call_date = Text()

    def group_cells(self) -> dict[str, str]:
        """The cells a "set" fix fills: the agent and the date fields the group's form posted."""
        posted: Mapping[str, Any] = self.data
        return {
            target: self.cleaned_data[target]
            for target in ("agent_login", "next_call_date")
            if target in posted
        }
