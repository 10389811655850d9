"""Forms for the grid's edits: what each post carries, read into typed values.

A grid's forms are built by the page itself, and a stale page or a hand-made post must still get
a clear answer, never a 500: every field is optional and lenient, as the views read them before
(a row id that is not a number is left out, a box not ticked is off). What a value must be is
the service's to say, in words (EditProblem), so the person reads one message whichever way they
got it wrong.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.http import QueryDict

from campaigns.intake.text import ascii_int
from campaigns.services.rows import RowFilter


class Text(forms.CharField):
    """Text as typed: never stripped (a value's spaces are the service's to judge), "" when
    absent. A NUL character is let through, not refused: the services drop it
    (intake.text.without_nul), as they do from files."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, strip=False, **kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


class Ticked(forms.Field):
    """A box or a button that posts one exact value when chosen (`on`, `yes`, `down`, …):
    anything else, or nothing, is off."""

    widget = forms.HiddenInput

    def __init__(self, value: str = "on", **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.value = value

    def to_python(self, value: Any) -> bool:
        return value == self.value


class Whole(forms.Field):
    """A whole number in ASCII digits, else None (never an error: the service says what is
    wrong with a missing number)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> int | None:
        return ascii_int(value) if isinstance(value, str) else None


class RowIds(forms.Field):
    """The ticked rows: every posted `rows` value that is a row id; others are left out."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> list[int]:
        return [n for v in value or () if isinstance(v, str) and (n := ascii_int(v)) is not None]


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
        """Every row of the view's filter (posted with the form), or None for the ticked rows."""
        return RowFilter.from_query(self.data) if self.cleaned_data["scope"] == "filter" else None


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
