"""A phone number's timeline in words: each sending's change of its record, with statuses by
name, agents with their names, dates as the reader writes them, and why a value before is not
known. Pure presentation, as the history's sentences are (`audit_sentences`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from campaigns import thulium
from campaigns.models import RowOutcome
from campaigns.rules.stored_values import cut_short, shown_as_stored, stored_text

# Longest text of one value: a 1 MB cell is shown by its start.
VALUE_CHARS = 200


@dataclass(frozen=True)
class TimelineLine:
    """One value of a record in one sending: before, and as sent."""

    what: str
    before: str
    sent: str
    # Why the value before is not known ("" when it is): shown beside "—" and under the table.
    unknown: str = ""


@dataclass(frozen=True)
class TimelineEntry:
    """One sending's change of the phone's record, as the timeline shows it."""

    outcome: RowOutcome
    lines: list[TimelineLine]
    notes: list[str] = field(default_factory=list)


def timeline_entry(
    outcome: RowOutcome, *, status_names: Mapping[str, str], agent_names: Mapping[str, str]
) -> TimelineEntry:
    """The record's status (by name), agent, next call date (in the reader's format) and the
    record fields sent, each before and as sent. A value before that is not known says why:
    Thulium does not list record fields, so a field is known only once this dashboard sent it;
    and a record no one held had nothing before."""
    before, sent = outcome.before or {}, outcome.sent or {}
    if before.get("records"):  # every record with the number was changed: the first stands
        before = {**before["records"][0], **before}
    no_record = "" if before else _("no record had this number when the sending read the campaign")
    lines = [
        _line(
            _("Status"), before, sent, "status_id", no_record, lambda v: _status(v, status_names)
        ),
        _line(_("Agent"), before, sent, "agent_login", no_record, lambda v: _agent(v, agent_names)),
        _line(_("Next call date"), before, sent, "next_call_date", no_record, _thulium_date),
    ]
    fields_before = before.get("record_fields") or {}
    never_sent = _("this dashboard had not sent this field before (Thulium does not list fields)")
    for name, value in (sent.get("record_fields") or {}).items():
        known = name in fields_before
        lines.append(
            TimelineLine(
                what=str(name),
                before=_sent_text(fields_before.get(name), str) if known else "—",
                sent=_sent_text(value, str),
                unknown="" if known else never_sent,
            )
        )
    count = found if isinstance(found := before.get("count"), int) else 0
    notes = [
        _("Not known: %(why)s.") % {"why": why}
        for why in dict.fromkeys(line.unknown for line in lines if line.unknown)
    ]
    if count > 1:
        notes.insert(
            0,
            _("Records with this number: %(n)s")
            % {"n": formats.number_format(count, force_grouping=True)},
        )
    return TimelineEntry(outcome=outcome, lines=lines, notes=notes)


def _line(
    what: str,
    before: Mapping[str, Any],
    sent: Mapping[str, Any],
    key: str,
    no_record: str,
    shown: Callable[[Any], str],
) -> TimelineLine:
    if no_record:
        was, unknown = "—", no_record
    else:
        value = before.get(key)
        was, unknown = (shown(value) if value not in (None, "") else "—"), ""
    return TimelineLine(
        what=what, before=was, sent=_sent_text(sent.get(key), shown), unknown=unknown
    )


def _sent_text(value: Any, shown: Callable[[Any], str]) -> str:
    """As sent: "—" when not sent, "cleared" when sent empty."""
    if value is None:
        return "—"
    if value == "":
        return _("cleared")
    try:
        return cut_short(shown(value), VALUE_CHARS)
    except Exception as error:  # a value of a shape no one meant to store
        return cut_short(shown_as_stored("timeline value", value, error), VALUE_CHARS)


def _status(value: Any, names: Mapping[str, str]) -> str:
    status_id = stored_text(value)
    name = names.get(status_id)
    return name if name else _("%(id)s (name unknown)") % {"id": status_id}


def _agent(value: Any, names: Mapping[str, str]) -> str:
    login = stored_text(value)
    name = names.get(login)
    return f"{login} ({name})" if name else login


def _thulium_date(value: Any) -> str:
    try:
        moment = datetime.strptime(stored_text(value), thulium.DATE_TIME_FORMAT)
    except ValueError as error:
        return shown_as_stored("timeline date", value, error)
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
