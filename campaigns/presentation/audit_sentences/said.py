"""What the history's sentences are made of: the labels, the shapes (`Said`, `Change`, the
`Details` a renderer reads), and values as text in the reader's language. Pure presentation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from campaigns.models import AuditEntry, Outcome
from campaigns.rules.stored_values import cut_short, shown_as_stored, stored_text

A = AuditEntry.Action

# How many changes (cells, rows, fields) one entry lists on the page; the rest are counted.
SHOWN_CHANGES = 20
# Past this many lines the page folds the details under their first line.
FOLDED_PAST = 3
# Longest text of one value in a sentence: a 1 MB cell is said by its start.
VALUE_CHARS = 200

# Labels of detail keys and filter names, for the keys a renderer says as "label: value", in
# the order they are said (a grid's filters as its page lists them).
KEY_LABELS: dict[str, Any] = {
    "campaign": gettext_lazy("Campaign"),
    "user": gettext_lazy("User"),
    "action": gettext_lazy("Action"),
    "since": gettext_lazy("From"),
    "until": gettext_lazy("Until"),
    "status_ids": gettext_lazy("Statuses"),
    "system_statuses": gettext_lazy("System statuses"),
    "created_from": gettext_lazy("Created from"),
    "created_to": gettext_lazy("Created until"),
    "called_from": gettext_lazy("Last called from"),
    "called_to": gettext_lazy("Last called until"),
    "show": gettext_lazy("Rows"),
    "status": gettext_lazy("Status"),
    "agent": gettext_lazy("Agent"),
    "field": gettext_lazy("Field"),
    "value": gettext_lazy("Value"),
    "phone": gettext_lazy("Phone number"),
    "outcome": gettext_lazy("Outcome"),
    "answer": gettext_lazy("Thulium's answer"),
    "problem": gettext_lazy("Problem"),
    "sort": gettext_lazy("Sort by"),
    "search_additional": gettext_lazy("Also match the records' additional numbers"),
    "match_by": gettext_lazy("Find each row's record"),
    "duplicates": gettext_lazy("A number the campaign holds more than once"),
    "request_id": gettext_lazy("Thulium request ID"),
    "http_status": gettext_lazy("HTTP status"),
    "retry_at": gettext_lazy("Next try"),
    "rows": gettext_lazy("Rows"),
}
# The grid's "Rows" filter, as its page names the choices.
SHOWN_ROWS: dict[str, Any] = {
    "errors": gettext_lazy("Errors"),
    "warnings": gettext_lazy("Warnings"),
    "valid": pgettext_lazy("rows, counted or shown", "Valid"),
    "clears": gettext_lazy("Will clear a field"),
    "unchanged": gettext_lazy("No change in Thulium"),
}


@dataclass(frozen=True)
class Change:
    """One thing an entry changed: what, before and after (a row of a small table)."""

    what: str
    before: str
    after: str

    def sentence(self) -> str:
        return f"{self.what}: {self.before} → {self.after}"


@dataclass(frozen=True)
class Said:
    """What one audit entry says, in the reader's language: sentences, then what it changed."""

    sentences: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()
    # "… and 19 980 more changes": what the entry changed past the ones listed.
    more: str = ""

    @property
    def lines(self) -> list[str]:
        """Everything as sentences, one a line (the export's text)."""
        return [
            *self.sentences,
            *(change.sentence() for change in self.changes),
            *([self.more] if self.more else []),
        ]

    @property
    def long(self) -> bool:
        return bool(self.changes) or len(self.sentences) > FOLDED_PAST

    @property
    def summary(self) -> str:
        """The first line, to stand for the rest when they are folded."""
        return next(iter(self.lines), "")

    @property
    def folded(self) -> tuple[str, ...]:
        """The sentences under the summary, when they are folded."""
        return self.sentences[1:]

    def text(self) -> str:
        return "\n".join(self.lines)


class Details:
    """An entry's details as its renderer reads them: each key read is marked as said, so the
    keys no renderer reads are said afterwards, as "label: value"."""

    def __init__(self, entry: AuditEntry, *, limit: int) -> None:
        self.entry = entry
        self.values: dict[str, Any] = dict(entry.shown_details)
        self.read: set[str] = set()
        self.limit = limit

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        value = self.values.get(key, default)
        return default if value is None else value

    def has(self, key: str) -> bool:
        return key in self.values

    def left(self) -> dict[str, Any]:
        return {k: v for k, v in self.values.items() if k not in self.read}

    @property
    def sending(self) -> str:
        return _("Sending #%(id)s") % {"id": self.entry.submission_id or "?"}


Renderer = Callable[[Details], Said]


# --- values as text ------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def quoted(text: object) -> str:
    """Text in the reader's quotation marks: “…” or „…”."""
    return _("“%(text)s”") % {"text": cut_short(stored_text(text), VALUE_CHARS)}


def cell_text(value: object) -> str:
    """A cell as someone typed it: as it is, "empty" when blank."""
    text = stored_text(value)
    return cut_short(text, VALUE_CHARS) if text else _("empty")


def reader_moment(text: str) -> str:
    """A date or time as stored (ISO, or Thulium's "YYYY-MM-DD hh:mm" in Warsaw time) in the
    reader's format; anything else as it is."""
    try:
        if _ISO_DATE.match(text) and (day := parse_date(text)) is not None:
            return formats.date_format(day, "SHORT_DATE_FORMAT")
        if _ISO_MOMENT.match(text) and (moment := parse_datetime(text)) is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    except ValueError as error:  # "2027-02-30": a date that never was
        return shown_as_stored("history date", text, error)
    return text


def value_text(value: Any, *, depth: int = 0) -> str:
    """Any stored value as readable text: numbers as the reader groups them, dates as the
    reader writes them, lists as "a, b", mappings as "label: value; …"."""
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        try:
            return formats.number_format(value, use_l10n=True, force_grouping=True)
        except (ValueError, OverflowError) as error:  # an int past str()'s digits
            return shown_as_stored("history number", value, error)
    if isinstance(value, date | datetime):
        return reader_moment(value.isoformat())
    if isinstance(value, str):
        return cut_short(reader_moment(value), VALUE_CHARS) if value else _("empty")
    if depth > 3:
        return cut_short(stored_text(value), VALUE_CHARS)
    if isinstance(value, Mapping):
        return "; ".join(
            f"{key_label(str(k))}: {value_text(value[k], depth=depth + 1)}"
            for k in in_key_order(value)
        )
    if isinstance(value, Iterable):
        return ", ".join(value_text(v, depth=depth + 1) for v in value)
    return cut_short(stored_text(value), VALUE_CHARS)


def in_key_order(values: Mapping[Any, Any]) -> list[Any]:
    """Known keys in the order KEY_LABELS names them, then the others as stored: PostgreSQL
    keeps a JSON object's keys in an order of its own."""
    order = {key: n for n, key in enumerate(KEY_LABELS)}
    return sorted(values, key=lambda k: order.get(str(k), len(order)))


def key_label(key: str) -> str:
    known = KEY_LABELS.get(key)
    if known is not None:
        return str(known)
    return key.replace("_", " ").strip().capitalize() or key


def key_sentence(key: str, value: Any) -> str:
    return f"{key_label(key)}: {value_text(value)}"


def count_of(value: Any) -> int:
    """A count as stored; a list (as entries before issue 17 kept rows) counts its items."""
    if isinstance(value, list):
        return len(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def number_text(value: int) -> str:
    return value_text(value)


def names_text(values: Iterable[Any]) -> str:
    return ", ".join(quoted(v) for v in values) or "—"


def filters_text(values: Any) -> str:
    shown = {k: v for k, v in (values or {}).items() if v not in (None, "", [], {})}
    if "action" in shown:
        shown["action"] = action_words(str(shown["action"]))
    if "show" in shown:
        shown["show"] = str(SHOWN_ROWS.get(str(shown["show"]), shown["show"]))
    if "outcome" in shown:
        shown["outcome"] = choice_text(Outcome, shown["outcome"])
    if not shown:
        return _("Filters: none")
    return _("Filters: %(filters)s") % {"filters": value_text(shown)}


def action_words(action: str) -> str:
    if action == "exports":
        return _("Every export and download")
    try:
        return str(A(action).label)
    except ValueError:
        return action


def listed_said(d: Details, items: Sequence[Any], change: Callable[[Any], Change]) -> Said:
    """The first `limit` items as changes, and how many more there are."""
    shown = tuple(change(item) for item in items[: d.limit])
    left = len(items) - len(shown)
    more = (
        ngettext("… and %(n)s more", "… and %(n)s more", left) % {"n": number_text(left)}
        if left
        else ""
    )
    return Said(changes=shown, more=more)


def joined_said(*parts: Said) -> Said:
    return Said(
        sentences=tuple(s for part in parts for s in part.sentences),
        changes=tuple(c for part in parts for c in part.changes),
        more=" ".join(part.more for part in parts if part.more),
    )


def said_lines(*sentences: str) -> Said:
    return Said(sentences=tuple(s for s in sentences if s))


# --- shared by the renderers ------------------------------------------------------------------


def said_nothing(d: Details) -> Said:
    """The action says it all (a login, an empty grid made)."""
    return Said()


def request_number(chunk: Any) -> Any:
    return chunk + 1 if isinstance(chunk, int) else chunk


def choice_text(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value_text(value)


def row_numbers_text(numbers: Sequence[Any]) -> str:
    shown = ", ".join(str(n) for n in numbers[:SHOWN_CHANGES])
    return shown + (" …" if len(numbers) > SHOWN_CHANGES else "")


def request_id_text(request_id: Any) -> str:
    if not request_id:
        return ""
    return _("Thulium request ID: %(id)s") % {"id": cut_short(stored_text(request_id), 100)}
