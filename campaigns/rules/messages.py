"""Row messages: stored as a code and parameters, worded in the reader's language when shown.

Each says what is wrong with the cell and how to fix it. Levels: an *error* keeps the row from
being sent; a *warning* does not.
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

from django.utils import formats
from django.utils.dates import MONTHS
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.rules.stored_values import cut_short, shown_as_stored
from campaigns.thulium import vocabulary as thulium

# How much of a cell's text a message quotes.
QUOTED_CHARS = 200

ERROR = "error"
WARNING = "warning"
# Neither: the row is fine, and there is something to know about it.
INFO = "info"

TEXTS: dict[str, Any] = {
    "phone_missing": _("The phone number is empty. Type the phone number of the record to change."),
    "phone_scientific": _(
        "“%(value)s” is a phone number Excel turned into scientific notation, so its digits are "
        "lost. In Excel, format the column as Text and type or export the numbers again."
    ),
    "phone_invalid": _(
        "“%(value)s” is not a phone number: without spaces, dashes and brackets it must be 3 to "
        "15 digits, optionally after a +."
    ),
    "phone_converted": _(
        "“%(value)s” is written with characters that are not plain digits (fullwidth or "
        "Arabic-Indic digits, or invisible marks); it will be sent as %(phone)s. Check that this "
        "is the number."
    ),
    "text_lost_letters": _(
        "“%(value)s” contains “�”, which stands for letters lost when the file was saved or "
        "read in the wrong encoding. Type the text again, or save the file from its source as "
        "“CSV UTF-8” and upload it again."
    ),
    "text_mojibake": _(
        "“%(value)s” looks mis-decoded: it is probably “%(repaired)s” saved in one encoding and "
        "read in another. Correct the cell, or save the file as “CSV UTF-8” and upload it again."
    ),
    "phone_duplicate": _(
        "Phone number %(value)s is in this grid %(count)s times (rows %(rows)s). Thulium answers "
        "once per phone number: keep one of these rows."
    ),
    "phone_not_in_campaign": _(
        "Thulium has no record with this number in the campaign: sending would answer “not "
        "found”. Check the number, or add the record with an add grid."
    ),
    "phone_held_more_than_once": _(
        "The campaign holds this number %(count)s times: it will not be sent, since Thulium "
        "edits records by phone. Edit these records in Thulium."
    ),
    "phone_held_every_record": _(
        "The campaign holds this number %(count)s times: as chosen, every one of these records "
        "will be changed, each by its identifier."
    ),
    "phone_maybe_additional": _(
        "No record has this as its main number; it may be an additional number, which Thulium "
        "is asked to match. If it is not, the row will come back “not found”."
    ),
    "no_change": _(
        "No change: Thulium already holds this status, agent and next call date. Left out of "
        "the sending unless you choose to send unchanged rows."
    ),
    "revert_keeps_agent": _(
        "Not put back: the sending gave this record the agent %(value)s where it had none, and "
        "Thulium cannot clear an agent. Clear it in Thulium if it must go."
    ),
    "revert_keeps_date": _(
        "Not put back: the sending set the next call date %(value)s where there was none, and "
        "Thulium cannot clear a date. Clear it in Thulium if it must go."
    ),
    "revert_keeps_field": _(
        "Not put back: the sending set “%(name)s” to “%(value)s”, and its value before is "
        "unknown (Thulium does not list record fields, and we had never sent it)."
    ),
    "identifier_needed": _(
        "This grid finds records by identifier, and this row has none: fill in the identifier, "
        "or find records by phone number (on the review)."
    ),
    "identifier_not_in_campaign": _(
        "Thulium has no record with this identifier in the campaign: sending would answer “not "
        "found”. Check the identifier, or find records by phone number."
    ),
    "identifier_duplicate": _(
        "Identifier %(value)s is in %(count)s rows (%(rows)s): a record is changed once per "
        "sending: keep one of these rows."
    ),
    "phone_exists_maybe_ours": _(
        "Thulium has a record with this number, and our last sending's answer was lost: if the "
        "record is the one we sent, it counts as added and is not sent again."
    ),
    "phone_exists": _(
        "Thulium already has a record with this number: adding it would answer “already "
        "exists”. Change it with an edit grid instead."
    ),
    "do_not_contact_add": _(
        "This number is on the do-not-contact list of this Thulium system: it must not be "
        "added to a campaign. Remove the row from the grid."
    ),
    "do_not_contact_edit": _(
        "This number is on the do-not-contact list of this Thulium system: this change would "
        "have it called again (a status that is called, or a next call date). Remove the row, "
        "or leave its status and next call date empty or choose a status that is not called."
    ),
    "phone_nothing_to_remove": _(
        "Thulium has no record with this number in the campaign: there is nothing to remove."
    ),
    "status_unknown": _(
        "Status “%(value)s” does not exist in this campaign. Use one of: %(choices)s."
    ),
    "dictionary_status_unknown": _(
        "Dictionary status “%(value)s” does not exist in this campaign. Use one of: %(choices)s."
    ),
    "status_needs_agent_and_date": _("Status “%(status)s” needs an agent and a next call date."),
    "status_needs_agent": _("Status “%(status)s” needs an agent: fill in the agent column."),
    "status_needs_date": _("Status “%(status)s” needs a next call date."),
    "agent_unknown": _("Agent “%(value)s” is not in this campaign. Use one of: %(choices)s."),
    "agent_by_name": _("“%(value)s” is read as %(to)s: the agent Thulium names so."),
    "agent_inactive": _(
        "Agent “%(value)s” is inactive in Thulium: the record will be assigned to them, but they "
        "will not call it until they are active again."
    ),
    "date_invalid": _(
        "“%(value)s” is not a date and time we can read. Write it like 24.12.2026 09:30 or "
        "2026-12-24 09:30."
    ),
    "date_without_time": _(
        "“%(value)s” has no time, so %(parsed)s (midnight) will be sent. Add a time if the call "
        "should wait until later that day."
    ),
    "date_past": _("%(parsed)s is in the past: Thulium may call this record straight away."),
    "cannot_clear": _(
        "“%(column)s” cannot be cleared through Thulium's API. Leave the cell blank to keep the "
        "current value."
    ),
    "field_unknown": _(
        "Field “%(name)s” is not in this campaign's field list. Ask an administrator to add it, "
        "or map the column to nothing."
    ),
    "field_refused": _(
        "Thulium answered an earlier sending that this campaign has no field “%(name)s” (it "
        "matches field names exactly). Map this column to another field, or ignore it."
    ),
    "crm_fields": _(
        "This is a CRM campaign: Thulium does not accept record fields for it. Map the field "
        "columns to nothing."
    ),
    "order_invalid": _(
        "“%(value)s” is not an order: write a whole number from 0 to 1000000, e.g. 50."
    ),
    "value_rule": _(
        "“%(value)s” is read as “%(to)s”, by a value rule of this campaign (set from a grid's "
        "problems; it can be forgotten there)."
    ),
    "nothing_to_change": _(
        "This row changes nothing: only the phone number is filled in. Fill in what should change."
    ),
}


class Message(TypedDict):
    """One message on a row, as Row.messages stores it and the row renderer shows it."""

    field: str  # the target column it is about, e.g. "phone_number"
    level: str  # ERROR, WARNING or INFO
    code: str  # a key of TEXTS
    params: dict[str, Any]  # what the text quotes


def message(field: str, level: str, code: str, **params: Any) -> Message:
    return {"field": field, "level": level, "code": code, "params": params}


# Messages quoting a date in Thulium's `YYYY-MM-DD hh:mm`: the parameter that holds it.
DATE_PARAMS = {
    "date_past": "parsed",
    "date_without_time": "parsed",
    "revert_keeps_date": "value",
}


def render(entry: Message) -> str:
    """The message in the active language. A stored message this code cannot word (a code or
    parameters an older version wrote, or a bug left) is shown as stored, and logged."""
    try:
        # A message quotes the cell: a cell of megabytes is quoted by its start.
        params = {
            name: cut_short(value, QUOTED_CHARS) if isinstance(value, str) else value
            for name, value in entry.get("params", {}).items()
        }
        if entry.get("code") == "date_impossible":
            return _impossible_date(params)
        # A date a message quotes is written the reader's way, not as Thulium's wire format.
        if name := DATE_PARAMS.get(entry.get("code", "")):
            params[name] = _reader_date(params.get(name))
        text = TEXTS.get(entry.get("code", ""))
        if text is None:
            return str(entry.get("code", ""))
        return str(text) % params
    except Exception as error:  # whatever the stored entry holds
        return shown_as_stored("message", entry, error)


def _reader_date(value: Any) -> Any:
    """`2027-01-12 11:30` as the reader writes it (12.01.2027 11:30); anything else as it is."""
    try:
        moment = thulium.parse_date_time(value) if isinstance(value, str) else None
    except thulium.ThuliumProtocolError:
        return value
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT") if moment else value


def _month(number: int) -> str:
    """A month's name as it stands inside a sentence (Polish writes it in lower case)."""
    name = str(MONTHS[number])
    return name.lower() if (get_language() or "").startswith("pl") else name


def _impossible_date(params: dict[str, Any]) -> str:
    """Why a date cannot be, with the month named in the reader's language."""
    why = params.get("why")
    if why == "day":
        reason = ngettext(
            "%(month)s %(year)s has %(days)s day",
            "%(month)s %(year)s has %(days)s days",
            params["days"],
        ) % {"month": _month(params["month"]), "year": params["year"], "days": params["days"]}
    elif why == "year":
        return str(
            _(
                "“%(value)s” has the year %(year)s, which Thulium cannot mean. Write the year "
                "with four digits, from %(first)s to %(last)s: e.g. 24.12.2026 09:30."
            )
        ) % {
            "value": params.get("value", ""),
            "year": params["year"],
            "first": params.get("first", 1900),
            "last": params.get("last", 2100),
        }
    elif why == "month":
        reason = _("there is no month %(month)s") % {"month": params["month"]}
    else:
        reason = _("there is no time %(time)s") % {"time": params.get("time", "")}
    return str(_("“%(value)s” cannot be: %(reason)s. Check the day, month and time.")) % {
        "value": params.get("value", ""),
        "reason": reason,
    }


# Thulium's per-row messages we know (it answers in English), with what the supervisor can do
# about each, in their language. The verbatim message is always shown beside it.
THULIUM_FIXES: dict[str, Any] = {
    "Agent not found.": _("Choose an agent who belongs to this campaign, then resend."),
    "Status not found.": _("Choose one of the campaign's statuses, then resend."),
    "Dictionary status not found.": _(
        "The dictionary status id is not one of the campaign's: pick a status by name instead."
    ),
    "Record not found.": _(
        "No record in the campaign has this phone number: check the number, or add the record."
    ),
    "Phone number is required.": _("The row has no phone number: fill it in, then resend."),
    "Invalid next call date. Use the format YYYY-MM-DD hh:mm.": _(
        "Thulium did not accept the next call date: write it as 24.12.2026 09:30, then resend."
    ),
    "Agent login is required for system status MY_RECORD.": _(
        "“My record” statuses need an agent: choose one, then resend."
    ),
    "Record fields must be an object of field names and values.": _(
        "Thulium did not take the record fields in this form: tell your administrator."
    ),
    "Record fields can be set only in non-CRM campaigns.": _(
        "This is a CRM campaign: Thulium takes no record fields. Map those columns to nothing."
    ),
    "Record with this phone number already exists.": _(
        "The campaign already has a record with this number: edit it with an edit grid instead."
    ),
    "Record is in a call and cannot be removed now.": _(
        "An agent is on a call with this record: resend when the call is over."
    ),
    "Order must be a whole number.": _("Write the order as a whole number, e.g. 50, then resend."),
}
# The same for messages that carry a value: (pattern, explanation with the pattern's groups).
THULIUM_FIX_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"Next call date is required for system status (?P<status>\w+)\.$"),
        _("This status needs a next call date: fill it in, then resend."),
    ),
    (
        thulium.UNKNOWN_FIELD_RE,
        _(
            "The campaign has no field “%(field)s”: ask an administrator to add it in Thulium, "
            "or map the column to nothing."
        ),
    ),
    (
        re.compile(r"Identifier (?P<identifier>.+) is already used in the campaign\.$"),
        _("Identifier %(identifier)s is taken in this campaign: give the row another one."),
    ),
]


def thulium_fix(message: str) -> str:
    """What to do about a message from Thulium, when we know; "" otherwise."""
    if "duplicated" in message.lower():
        return str(
            _("The campaign holds this number more than once; edit those records in Thulium.")
        )
    fix = THULIUM_FIXES.get(message.strip())
    if fix:
        return str(fix)
    for pattern, text in THULIUM_FIX_PATTERNS:
        found = pattern.match(message.strip())
        if found:
            return str(text) % found.groupdict()
    return ""
