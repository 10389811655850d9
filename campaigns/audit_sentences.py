"""The history in words: each audit entry's details as short sentences in the reader's language
(a phone number's timeline is in `timeline_words`).

Every `AuditEntry.Action` has one renderer here (a test fails for an action without one). A
renderer takes the detail keys it knows; whatever is left — a key an older or newer version
wrote — is said as "label: value", its value flattened into text. Never a dict or JSON: the
history is read by supervisors, not by the chain (`verify_audit` checks that). Pure
presentation: nothing here writes or asks Thulium.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from campaigns.encodings import encoding_name
from campaigns.models import AuditEntry, Duplicates, Edit, Grid, MatchBy, Outcome
from campaigns.outcome_words import no_answer_words, outcome_summary
from campaigns.services.person import KINDS
from campaigns.stored_values import cut_short, one_render, shown_as_stored, stored_text
from campaigns.targets import label

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


def entry_said(entry: AuditEntry, *, limit: int = SHOWN_CHANGES) -> Said:
    """The entry's details as sentences in the active language. Its personal details are
    said while they are kept; once erased, a sentence says so."""
    details = Details(entry, limit=limit)
    renderer = RENDERERS.get(entry.action, _nothing)
    try:
        said = renderer(details)
    except Exception as error:  # details of a shape no renderer expects: said key by key
        shown_as_stored(f"audit entry {entry.pk} details of", entry.action, error)
        details.read.clear()
        said = Said()
    rest = [_key_sentence(key, value) for key, value in details.left().items()]
    erased = [_("Its personal details were removed (retention or a person's request).")]
    return Said(
        sentences=(*said.sentences, *rest, *(erased if entry.personal is None else [])),
        changes=said.changes,
        more=said.more,
    )


@dataclass(frozen=True)
class ShownEntry:
    entry: AuditEntry
    said: Said


def entries_said(entries: Iterable[AuditEntry]) -> list[ShownEntry]:
    """A page of the history: each entry with what it says."""
    with one_render():
        return [ShownEntry(entry, entry_said(entry)) for entry in entries]


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


def _key_sentence(key: str, value: Any) -> str:
    return f"{key_label(key)}: {value_text(value)}"


def _count(value: Any) -> int:
    """A count as stored; a list (as entries before issue 17 kept rows) counts its items."""
    if isinstance(value, list):
        return len(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _n(value: int) -> str:
    return value_text(value)


def _names(values: Iterable[Any]) -> str:
    return ", ".join(quoted(v) for v in values) or "—"


def _filters(values: Any) -> str:
    shown = {k: v for k, v in (values or {}).items() if v not in (None, "", [], {})}
    if "action" in shown:
        shown["action"] = _action_words(str(shown["action"]))
    if "show" in shown:
        shown["show"] = str(SHOWN_ROWS.get(str(shown["show"]), shown["show"]))
    if "outcome" in shown:
        shown["outcome"] = _choice(Outcome, shown["outcome"])
    if not shown:
        return _("Filters: none")
    return _("Filters: %(filters)s") % {"filters": value_text(shown)}


def _action_words(action: str) -> str:
    if action == "exports":
        return _("Every export and download")
    try:
        return str(A(action).label)
    except ValueError:
        return action


def _listed(d: Details, items: Sequence[Any], change: Callable[[Any], Change]) -> Said:
    """The first `limit` items as changes, and how many more there are."""
    shown = tuple(change(item) for item in items[: d.limit])
    left = len(items) - len(shown)
    more = ngettext("… and %(n)s more", "… and %(n)s more", left) % {"n": _n(left)} if left else ""
    return Said(changes=shown, more=more)


def _joined(*parts: Said) -> Said:
    return Said(
        sentences=tuple(s for part in parts for s in part.sentences),
        changes=tuple(c for part in parts for c in part.changes),
        more=" ".join(part.more for part in parts if part.more),
    )


def _said(*sentences: str) -> Said:
    return Said(sentences=tuple(s for s in sentences if s))


# --- one renderer per action ------------------------------------------------------------------


def _nothing(d: Details) -> Said:
    """The action says it all (a login, an empty grid made)."""
    return Said()


def _upload(d: Details) -> Said:
    size = filesizeformat(d["size"] or 0)
    name = d["file_name"]
    file = _("File: %(name)s (%(size)s)") % {"name": quoted(name), "size": size} if name else ""
    fmt = str(d["format"] or "").upper()
    if d["delimiter"]:
        delimiter = _("tab") if d["delimiter"] == "\t" else quoted(d["delimiter"])
        shape = _("Format: %(format)s; encoding: %(encoding)s; delimiter: %(delimiter)s") % {
            "format": fmt,
            "encoding": encoding_name(str(d["encoding"] or "")),
            "delimiter": delimiter,
        }
    else:
        shape = _("Format: %(format)s") % {"format": fmt}
    mode = d["mode"]
    return _said(
        file or _("Size: %(size)s") % {"size": size},
        _("Rows in the file: %(n)s") % {"n": _n(_count(d["rows"]))},
        shape,
        _("Mode: %(mode)s") % {"mode": _choice(Grid.Mode, mode)} if mode else "",
        f"SHA-256: {d['sha256']}" if d["sha256"] else "",
    )


def _mapping(d: Details) -> Said:
    counts = _("Rows valid: %(valid)s; with warnings: %(warnings)s; with errors: %(errors)s") % {
        "valid": _n(_count(d["valid"])),
        "warnings": _n(_count(d["warnings"])),
        "errors": _n(_count(d["errors"])),
    }
    columns = [
        f"{quoted(header)} → {label(target or '')}"
        for header, target in d.get("mapping", {}).items()
    ]
    return _said(counts, *columns)


def _fields(d: Details) -> Said:
    return _said(_("Fields: %(names)s") % {"names": _names(d.get("fields", []))})


def _pull(d: Details) -> Said:
    return _said(
        _("Records read: %(n)s") % {"n": _n(_count(d["rows"]))}, _filters(d.get("filters"))
    )


def _edit(d: Details) -> Said:
    """Cells edited, in bulk, pasted, replaced, or rows added: which cells, before → after."""
    changes = d.get("changes", [])
    head = _("Edit #%(id)s") % {"id": d["edit"]}
    if changes:
        head = ngettext(
            "Edit #%(id)s: %(n)s cell changed", "Edit #%(id)s: %(n)s cells changed", len(changes)
        ) % {"id": d["edit"], "n": _n(len(changes))}
    added = d.get("added_rows", [])
    rows = _("Rows added: %(rows)s") % {"rows": _row_numbers(added)} if added else ""
    listed = _listed(
        d,
        changes,
        lambda c: Change(
            what=_("Row %(n)s, %(column)s") % {"n": c[0] or "?", "column": quoted(c[1])},
            before=cell_text(c[2]),
            after=cell_text(c[3]),
        ),
    )
    return _joined(_said(head, rows), listed)


def _rows_deleted(d: Details) -> Said:
    rows = d.get("rows", [])
    head = _("Edit #%(id)s") % {"id": d["edit"]}  # the rows are personal: erased with them
    if rows:
        head = ngettext(
            "Edit #%(id)s: %(n)s row deleted", "Edit #%(id)s: %(n)s rows deleted", len(rows)
        ) % {"id": d["edit"], "n": _n(len(rows))}
    shown = [
        _("Row %(n)s: %(cells)s")
        % {"n": number, "cells": " · ".join(cell_text(c) for c in cells if c) or _("empty")}
        for number, cells in rows[: d.limit]
    ]
    left = len(rows) - len(shown)
    more = ngettext("… and %(n)s more", "… and %(n)s more", left) % {"n": _n(left)} if left else ""
    return _said(head, *shown, more)


def _undo(d: Details) -> Said:
    return _said(
        _("Edit #%(id)s (%(kind)s) undone")
        % {"id": d["edit"], "kind": _choice(Edit.Kind, d["undone"])}
    )


def _redo(d: Details) -> Said:
    return _said(
        _("Edit #%(id)s (%(kind)s) made again")
        % {"id": d["edit"], "kind": _choice(Edit.Kind, d["redone"])}
    )


def _queued(d: Details) -> Said:
    rows = _count(d["rows"])
    parts = [
        ngettext("%(sending)s: %(n)s row queued", "%(sending)s: %(n)s rows queued", rows)
        % {"sending": d.sending, "n": _n(rows)}
    ]
    if d["resend"]:
        parts.append(_("a resend"))
    if d["resumes"]:
        parts.append(_("resumes the paused sending #%(id)s") % {"id": d["resumes"]})
    return _said("; ".join(parts))


def _started(d: Details) -> Said:
    return _said(d.sending)


def _finished(d: Details) -> Said:
    summary = outcome_summary(d.get("outcomes", {})) or _("no rows")
    return _said(f"{d.sending}: {summary}")


def _cancelled(d: Details) -> Said:
    if d["paused"]:
        return _said(_("%(sending)s was paused when it was cancelled.") % {"sending": d.sending})
    return _said(d.sending)


def _failed(d: Details) -> Said:
    problem = stored_text(d["problem"])
    cause = no_answer_words(d["http_status"]) if d["cause"] == "unreachable" else ""
    outcomes = outcome_summary(d.get("outcomes", {}))
    not_sent = _count(d["not_sent"])
    return _said(
        f"{d.sending}: {problem}" if problem else d.sending,
        cause,
        outcomes,
        outcome_summary({"not_sent": not_sent}) if not_sent and not outcomes else "",
    )


def _waiting(d: Details) -> Said:
    retry = d["retry_at"]
    return _said(
        f"{d.sending}: {no_answer_words(d['http_status'])}",
        _("Next try: %(when)s") % {"when": value_text(retry)} if retry else "",
        _request_id(d["request_id"]),
    )


def _outcomes(d: Details) -> Said:
    counts = d.get("outcomes", {})
    rows = _count(d["rows"])
    d.get("rows_digest")  # the chain's; verify_audit compares it with the stored answers
    summary = outcome_summary(counts) or ngettext("%(n)s row", "%(n)s rows", rows) % {"n": _n(rows)}
    return _said(
        _("%(sending)s, request %(chunk)s: %(outcomes)s")
        # Requests are counted from 1 for the reader (stored from 0, as the chunks are).
        % {"sending": d.sending, "chunk": _request_number(d["chunk"]), "outcomes": summary},
        _request_id(d["request_id"]),
    )


def _paused(d: Details) -> Said:
    rows = _count(d["of"])
    not_sent = _count(d["not_sent"])
    return _said(
        ngettext(
            "%(sending)s: Thulium refused %(refused)s of %(rows)s row with %(cause)s",
            "%(sending)s: Thulium refused %(refused)s of %(rows)s rows with %(cause)s",
            rows,
        )
        % {
            "sending": d.sending,
            "refused": _n(_count(d["refused"])),
            "rows": _n(rows),
            "cause": quoted(d["cause"]),
        },
        outcome_summary({"not_sent": not_sent}),
    )


def _revert(d: Details) -> Said:
    rows = _count(d["rows"])
    if d.has("whole_grid") and d["whole_grid"]:
        return _said(
            ngettext(
                "Reverts every sending of grid #%(grid)s: %(n)s row",
                "Reverts every sending of grid #%(grid)s: %(n)s rows",
                rows,
            )
            % {"grid": d["reverts_grid"] or "?", "n": _n(rows)}
        )
    return _said(
        ngettext(
            "Reverts sending #%(sending)s of grid #%(grid)s: %(n)s row",
            "Reverts sending #%(sending)s of grid #%(grid)s: %(n)s rows",
            rows,
        )
        % {
            "sending": d.entry.submission_id or "?",
            "grid": d["reverts_grid"] or "?",
            "n": _n(rows),
        }
    )


def _export(d: Details) -> Said:
    """The history or a grid taken out: the file, its rows, the filters."""
    rows = _count(d["rows"])
    fmt = str(d["format"] or "").upper()
    file = ngettext("%(format)s file, %(n)s row", "%(format)s file, %(n)s rows", rows) % {
        "format": fmt,
        "n": _n(rows),
    }
    return _said(file, _filters(d["filters"]) if d.has("filters") else "")


def _login_failed(d: Details) -> Said:
    name = d["username"]
    return _said(_("User name tried: %(name)s") % {"name": quoted(name)} if name else "")


def _chain(d: Details, head: str, chain: str) -> list[str]:
    state = d[chain]
    return [
        _("Last link before: %(head)s") % {"head": d[head]} if d[head] else "",
        _("The chain before: %(state)s")
        % {"state": _("intact") if state in (None, "intact") else state},
    ]


def _rekeyed(d: Details) -> Said:
    return _said(
        _("Entries keyed: %(n)s") % {"n": _n(_count(d["entries"]))},
        *_chain(d, "plain_head", "plain_chain"),
    )


def _details_split(d: Details) -> Said:
    return _said(
        _("Entries: %(n)s; personal details moved out of the chain: %(moved)s")
        % {"n": _n(_count(d["entries"])), "moved": _n(_count(d["details_moved"]))},
        *_chain(d, "previous_head", "previous_chain"),
    )


def _fields_learned(d: Details) -> Said:
    confirmed, unknown = d.get("confirmed", []), d.get("unknown", [])
    return _said(
        _("Thulium took: %(names)s") % {"names": _names(confirmed)} if confirmed else "",
        _("Unknown to Thulium: %(names)s") % {"names": _names(unknown)} if unknown else "",
    )


def _remap(d: Details) -> Said:
    released = d.get("released", [])
    return Said(
        sentences=tuple(
            s
            for s in (
                _("Edit #%(id)s") % {"id": d["edit"]},
                _("Columns now ignored: %(columns)s") % {"columns": _names(released)}
                if released
                else "",
            )
            if s
        ),
        changes=(
            Change(
                what=_("Column %(column)s") % {"column": quoted(d["column"])},
                before=label(d["before"] or ""),
                after=label(d["after"] or ""),
            ),
        ),
    )


def _sending_options(d: Details) -> Said:
    old, new = d.get("old", {}), d.get("new", {})
    return Said(
        changes=tuple(
            Change(key_label(key), _option(key, old.get(key)), _option(key, new.get(key)))
            for key in in_key_order(old | new)
            if old.get(key) != new.get(key)
        )
    )


def _option(key: str, value: Any) -> str:
    if key == "duplicates":
        return _choice(Duplicates, value)
    if key == "match_by":
        return _choice(MatchBy, value)
    return value_text(value)


def _value_rule(d: Details) -> Said:
    words = _("“%(text)s” is read as “%(value)s”")
    return _said(f"{_rule_target(d)}: {_rule(d, words)}")


def _value_rule_forgotten(d: Details) -> Said:
    words = _("“%(text)s” is no longer read as “%(value)s”")
    return _said(f"{_rule_target(d)}: {_rule(d, words)}")


def _rule_target(d: Details) -> str:
    target = d["target"]
    return _("Agent") if target == "agent_login" else _("Status") if target == "status" else target


def _rule(d: Details, words: str) -> str:
    return words % {
        "text": cut_short(stored_text(d["text"]), VALUE_CHARS),
        "value": cut_short(stored_text(d["value"]), VALUE_CHARS),
    }


def _purged(d: Details) -> Said:
    d.get("details_digest")  # the chain's: verify_audit tells this erasure from tampering
    grids = ", ".join(f"#{g}" for g in d.get("grids", [])) or "—"
    return _said(
        _("Grids: %(grids)s") % {"grids": grids},
        _(
            "Removed — rows: %(rows)s; Thulium's answers: %(outcomes)s; edits: %(edits)s; record "
            "fields last sent: %(sent_fields)s; personal details of history entries: %(details)s"
        )
        % {
            "rows": _n(_count(d["rows"])),
            "outcomes": _n(_count(d["outcomes"])),
            "edits": _n(_count(d["edits"])),
            "sent_fields": _n(_count(d["sent_fields"])),
            "details": _n(_count(d["details_erased"])),
        },
    )


def _person_found(d: Details) -> Said:
    phone = d["phone"]
    return _said(
        _("Phone number: %(phone)s") % {"phone": phone} if phone else "",
        _("Places found: %(n)s") % {"n": _n(_count(d["items"]))},
    )


def _person_erased(d: Details) -> Said:
    from_kinds = _kinds_text(d.get("items", {}))
    d.get("details_erased")  # counted among the items, as "personal details of an entry"
    d.get("details_digest")  # the chain's: verify_audit tells this erasure from tampering
    return _said(
        _("Reason: %(reason)s") % {"reason": quoted(d["reason"])},
        _("Removed: %(items)s") % {"items": from_kinds},
    )


def _kinds_text(items: Mapping[str, Any]) -> str:
    return "; ".join(f"{KINDS.get(k, k)}: {_n(_count(n))}" for k, n in items.items()) or "—"


def _admin_added(d: Details) -> Said:
    model = d["model"] or ""
    return _joined(_said(_admin_object(d), *_field_values(model, d.get("values", {}))), _inlines(d))


def _admin_changed(d: Details) -> Said:
    model = d["model"] or ""
    changes = list(d.get("changes", {}).items())
    listed = _listed(
        d,
        changes,
        lambda item: Change(
            _field_name(model, item[0]),
            _field_value(model, item[0], _pair(item[1])[0]),
            _field_value(model, item[0], _pair(item[1])[1]),
        ),
    )
    return _joined(_said(_admin_object(d)), listed, _inlines(d))


def _admin_deleted(d: Details) -> Said:
    model = d["model"] or ""
    also = d.get("also_deleted", {})
    return _said(
        _admin_object(d),
        *_field_values(model, d.get("values", {})),
        _("Also deleted: %(what)s")
        % {"what": "; ".join(f"{_model_name(m)}: {_n(_count(n))}" for m, n in also.items())}
        if also
        else "",
    )


def _password_changed(d: Details) -> Said:
    return _said(_admin_object(d))


def _user_added(d: Details) -> Said:
    return _said(
        _("User %(user)s, role %(role)s") % {"user": quoted(d["user"]), "role": quoted(d["role"])},
        _("Staff status: %(staff)s; superuser status: %(superuser)s")
        % {
            "staff": value_text(bool(d["is_staff"])),
            "superuser": value_text(bool(d["is_superuser"])),
        },
    )


def _role_rights(d: Details) -> Said:
    before, after = _pair(d.get("changes", {}).get("permissions"))
    before, after = set(before or []), set(after or [])
    given, taken = sorted(after - before), sorted(before - after)
    return _said(
        _("Role: %(role)s") % {"role": quoted(d["role"])},
        _("Rights given: %(rights)s") % {"rights": ", ".join(given)} if given else "",
        _("Rights taken away: %(rights)s") % {"rights": ", ".join(taken)} if taken else "",
    )


def _admin_object(d: Details) -> str:
    return _("%(model)s %(object)s (ID %(id)s)") % {
        "model": capfirst(_model_name(d["model"] or "")),
        "object": quoted(d["object"]),
        "id": d["object_id"] or "?",
    }


def _inlines(d: Details) -> Said:
    """What the admin page's inline rows added, changed or deleted along with the object."""
    sentences: list[str] = []
    changes: list[Change] = []
    for inline in d.get("inlines", []):
        model = str(inline.get("model", ""))
        what = f"{_model_name(model)} {quoted(inline.get('object', ''))}"
        if "added" in inline:
            sentences.append(_("Added %(what)s") % {"what": what})
        elif "deleted" in inline:
            sentences.append(_("Deleted %(what)s") % {"what": what})
        for name, pair in (inline.get("changes") or {}).items():
            before, after = _pair(pair)
            changes.append(
                Change(
                    f"{what} · {_field_name(model, name)}",
                    _field_value(model, name, before),
                    _field_value(model, name, after),
                )
            )
    return Said(sentences=tuple(sentences), changes=tuple(changes[: d.limit]))


def _field_values(model_label: str, values: Mapping[str, Any]) -> list[str]:
    """An object's fields as the admin's snapshot keeps them, in the model's field order."""
    try:
        fields = apps.get_model(model_label)._meta.get_fields()
    except (LookupError, ValueError):
        fields = ()
    order = {f.name: n for n, f in enumerate(fields)}
    return [
        f"{_field_name(model_label, name)}: {_field_value(model_label, name, values[name])}"
        for name in sorted(values, key=lambda name: order.get(name, len(order)))
    ]


def _pair(value: Any) -> tuple[Any, Any]:
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    return None, value


def _model_name(model_label: str) -> str:
    try:
        return str(apps.get_model(model_label)._meta.verbose_name)
    except (LookupError, ValueError):
        return model_label


def _field_name(model_label: str, name: str) -> str:
    try:
        found = apps.get_model(model_label)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return key_label(name)
    return capfirst(str(getattr(found, "verbose_name", name)))


def _field_value(model_label: str, name: str, value: Any) -> str:
    """A field's value as the admin's snapshot keeps it (value_to_string): booleans said."""
    try:
        kind = apps.get_model(model_label)._meta.get_field(name).get_internal_type()
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        kind = ""
    if kind == "BooleanField" and value in ("True", "False"):
        return value_text(value == "True")
    return value_text(value)


def _choice(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value_text(value)


def _row_numbers(numbers: Sequence[Any]) -> str:
    shown = ", ".join(str(n) for n in numbers[:SHOWN_CHANGES])
    return shown + (" …" if len(numbers) > SHOWN_CHANGES else "")


def _request_id(request_id: Any) -> str:
    if not request_id:
        return ""
    return _("Thulium request ID: %(id)s") % {"id": cut_short(stored_text(request_id), 100)}


RENDERERS: dict[str, Renderer] = {
    A.UPLOAD: _upload,
    A.MAPPING: _mapping,
    A.FIELDS: _fields,
    A.PULL: _pull,
    A.GRID_CREATED: _nothing,
    A.CELL_EDIT: _edit,
    A.BULK_EDIT: _edit,
    A.PASTE: _edit,
    A.REPLACE: _edit,
    A.ROWS_ADDED: _edit,
    A.ROWS_DELETED: _rows_deleted,
    A.UNDO: _undo,
    A.REDO: _redo,
    A.SUBMISSION_QUEUED: _queued,
    A.SUBMISSION_STARTED: _started,
    A.SUBMISSION_FINISHED: _finished,
    A.SUBMISSION_CANCELLED: _cancelled,
    A.SUBMISSION_FAILED: _failed,
    A.OUTCOMES: _outcomes,
    A.REVERT: _revert,
    A.EXPORT: _export,
    A.GRID_EXPORT: _export,
    A.LOGIN: _nothing,
    A.LOGIN_FAILED: _login_failed,
    A.AUDIT_REKEYED: _rekeyed,
    A.FIELDS_LEARNED: _fields_learned,
    A.REMAP: _remap,
    A.SUBMISSION_PAUSED: _paused,
    # Written by the sending that waits out an outage (issue 27, item 1).
    "submission_waiting": _waiting,
    A.SENDING_OPTIONS: _sending_options,
    A.VALUE_RULE: _value_rule,
    A.VALUE_RULE_FORGOTTEN: _value_rule_forgotten,
    A.AUDIT_DETAILS_SPLIT: _details_split,
    A.PERSONAL_DATA_PURGED: _purged,
    A.PERSON_FOUND: _person_found,
    A.PERSON_EXPORTED: _person_found,
    A.PERSON_ERASED: _person_erased,
    A.ADMIN_ADDED: _admin_added,
    A.ADMIN_CHANGED: _admin_changed,
    A.ADMIN_DELETED: _admin_deleted,
    A.PASSWORD_CHANGED: _password_changed,
    A.USER_ADDED: _user_added,
    A.ROLE_RIGHTS_CHANGED: _role_rights,
}


def _request_number(chunk: Any) -> Any:
    return chunk + 1 if isinstance(chunk, int) else chunk
