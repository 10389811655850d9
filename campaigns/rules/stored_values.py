"""Stored values shown whatever they hold.

A row's values, cells and messages are JSON written by this code, by earlier versions of it, or
by a bug: a date with a three-digit year, a dict where text belongs, a number past any format.
A page that cannot format one shows it as stored (the caller escapes it) and logs it, once per
render, and never answers 500: the page may be the one with the Undo button.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

logger = logging.getLogger("campaigns.rules.stored_values")

# How much of an unformattable value a log line quotes, and how many values it names.
LOGGED_CHARS = 200
LOGGED_VALUES = 5


def stored_text(value: object) -> str:
    """Any stored value as text, never raising: text as it is, None as "", JSON as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        if isinstance(value, bool | int | float):
            return json.dumps(value)
        return json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        # json refuses an int past sys.get_int_max_str_digits, as str() does.
        return f"<{type(value).__name__}>"


def cut_short(text: str, limit: int) -> str:
    """The text's first `limit` characters, and "…" when there was more."""
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class Unshown:
    """The values one render could not format: logged together when the render ends."""

    seen: list[tuple[str, str, str]] = field(default_factory=list)
    count: int = 0

    def note(self, where: str, value: object, error: BaseException) -> None:
        self.count += 1
        if len(self.seen) < LOGGED_VALUES:
            self.seen.append((where, _quoted(value), f"{type(error).__name__}: {error}"))

    def log(self) -> None:
        if not self.count:
            return
        logger.warning(
            "%s stored value(s) shown as stored, since they could not be formatted: %s",
            self.count,
            "; ".join(f"{where} {value} ({error})" for where, value, error in self.seen),
        )


_current: ContextVar[Unshown | None] = ContextVar("unshown", default=None)


@contextmanager
def one_render() -> Iterator[Unshown]:
    """Collects what cannot be formatted while rendering (a page, or rows), and logs it once at
    the end. Nested renders report to the outermost."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    unshown = Unshown()
    token = _current.set(unshown)
    try:
        yield unshown
    finally:
        _current.reset(token)
        unshown.log()


def shown_as_stored(where: str, value: object, error: BaseException) -> str:
    """The value as stored, after a formatter failed on it; noted for the render's log line
    (logged at once outside a render)."""
    unshown = _current.get()
    if unshown is not None:
        unshown.note(where, value, error)
    else:
        single = Unshown()
        single.note(where, value, error)
        single.log()
    return stored_text(value)


def _quoted(value: object) -> str:
    text = stored_text(value)
    return repr(text[:LOGGED_CHARS] + ("…" if len(text) > LOGGED_CHARS else ""))
