"""Lenient fields for the forms a page builds itself.

A stale page or a hand-made post must still get a clear answer, never a 500: each field here is
optional and reads what it can, as the views read the post before they had forms (a row id that
is not a number is left out, a box not ticked is off, a choice not offered is the default). What
a value must be is the service's to say, in words.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

from campaigns.intake.text import ascii_int


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


class Choice(forms.Field):
    """One of `values`, else `default` (a choice the page no longer offers)."""

    widget = forms.HiddenInput

    def __init__(self, values: Iterable[str], default: str, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.values, self.default = set(values), default

    def to_python(self, value: Any) -> str:
        return value if value in self.values else self.default
