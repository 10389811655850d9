"""A grid's problems by kind: rows whose messages say the same thing, as one group.

"Status “Oddzwonić” does not exist" on 12 rows is one decision, not twelve: its group key
joins the code with what the decision is about (the unknown text, the status that needs an
agent, the unknown field). Keys are kept on each row (`Row.problems`, "|key|key|") so a group
is a filter; they are lower-case ASCII, so a LIKE is exact on every database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.utils import formats
from django.utils.translation import ngettext_lazy

from campaigns.intake.headers import normalise_header
from campaigns.rules.messages import ERROR, WARNING, Message

# What a group of each code is about: the message parameter that tells the decisions apart.
GROUPED_BY = {
    "status_unknown": "value",
    "dictionary_status_unknown": "value",
    "agent_unknown": "value",
    "status_needs_agent_and_date": "status",
    "status_needs_agent": "status",
    "status_needs_date": "status",
    "field_unknown": "name",
    "field_refused": "name",
    "agent_inactive": "value",
    "revert_keeps_field": "name",
}

# How a group reads above the grid, counted ("12 rows: status “Zamknięty” does not exist").
GROUP_TEXTS: dict[str, Any] = {
    "status_unknown": ngettext_lazy(
        "%(n)s row: status “%(value)s” does not exist",
        "%(n)s rows: status “%(value)s” does not exist",
        "n",
    ),
    "dictionary_status_unknown": ngettext_lazy(
        "%(n)s row: dictionary status “%(value)s” does not exist",
        "%(n)s rows: dictionary status “%(value)s” does not exist",
        "n",
    ),
    "agent_unknown": ngettext_lazy(
        "%(n)s row: agent “%(value)s” is not in the campaign",
        "%(n)s rows: agent “%(value)s” is not in the campaign",
        "n",
    ),
    "agent_inactive": ngettext_lazy(
        "%(n)s row: agent %(value)s is inactive",
        "%(n)s rows: agent %(value)s is inactive",
        "n",
    ),
    "status_needs_agent_and_date": ngettext_lazy(
        "%(n)s row: “%(status)s” needs an agent and a next call date",
        "%(n)s rows: “%(status)s” needs an agent and a next call date",
        "n",
    ),
    "status_needs_agent": ngettext_lazy(
        "%(n)s row: “%(status)s” needs an agent",
        "%(n)s rows: “%(status)s” needs an agent",
        "n",
    ),
    "status_needs_date": ngettext_lazy(
        "%(n)s row: “%(status)s” needs a next call date",
        "%(n)s rows: “%(status)s” needs a next call date",
        "n",
    ),
    "date_invalid": ngettext_lazy(
        "%(n)s row: a next call date we cannot read",
        "%(n)s rows: a next call date we cannot read",
        "n",
    ),
    "date_impossible": ngettext_lazy(
        "%(n)s row: a next call date that cannot exist",
        "%(n)s rows: a next call date that cannot exist",
        "n",
    ),
    "date_past": ngettext_lazy(
        "%(n)s row: the next call date is in the past",
        "%(n)s rows: the next call date is in the past",
        "n",
    ),
    "date_without_time": ngettext_lazy(
        "%(n)s row: a next call date without a time",
        "%(n)s rows: a next call date without a time",
        "n",
    ),
    "phone_missing": ngettext_lazy(
        "%(n)s row without a phone number", "%(n)s rows without a phone number", "n"
    ),
    "phone_invalid": ngettext_lazy(
        "%(n)s row: the phone number is not a number",
        "%(n)s rows: the phone number is not a number",
        "n",
    ),
    "phone_scientific": ngettext_lazy(
        "%(n)s row: Excel turned the phone number into 1.23E+10",
        "%(n)s rows: Excel turned the phone number into 1.23E+10",
        "n",
    ),
    "phone_duplicate": ngettext_lazy(
        "%(n)s row: the phone number is in the grid more than once",
        "%(n)s rows: the phone number is in the grid more than once",
        "n",
    ),
    "phone_not_in_campaign": ngettext_lazy(
        "%(n)s row: Thulium has no record with this number",
        "%(n)s rows: Thulium has no record with this number",
        "n",
    ),
    "phone_held_more_than_once": ngettext_lazy(
        "%(n)s row: the campaign holds the number more than once",
        "%(n)s rows: the campaign holds the number more than once",
        "n",
    ),
    "phone_exists": ngettext_lazy(
        "%(n)s row: Thulium already has a record with this number",
        "%(n)s rows: Thulium already has a record with this number",
        "n",
    ),
    "do_not_contact_add": ngettext_lazy(
        "%(n)s row: the number is on the do-not-contact list",
        "%(n)s rows: the number is on the do-not-contact list",
        "n",
    ),
    "do_not_contact_edit": ngettext_lazy(
        "%(n)s row: the number is on the do-not-contact list and would be called again",
        "%(n)s rows: the number is on the do-not-contact list and would be called again",
        "n",
    ),
    "field_unknown": ngettext_lazy(
        "%(n)s row: field “%(name)s” is not in the campaign's list",
        "%(n)s rows: field “%(name)s” is not in the campaign's list",
        "n",
    ),
    "field_refused": ngettext_lazy(
        "%(n)s row: Thulium has no field “%(name)s”",
        "%(n)s rows: Thulium has no field “%(name)s”",
        "n",
    ),
    # A revert's notes: each row keeps its own value (shown on the row), so the group names none.
    "revert_keeps_agent": ngettext_lazy(
        "%(n)s row: its agent is not put back (it had none before, and Thulium cannot clear one)",
        "%(n)s rows: their agent is not put back (they had none before, and Thulium cannot clear "
        "one)",
        "n",
    ),
    "revert_keeps_date": ngettext_lazy(
        "%(n)s row: its next call date is not put back (it had none before, and Thulium cannot "
        "clear one)",
        "%(n)s rows: their next call date is not put back (they had none before, and Thulium "
        "cannot clear one)",
        "n",
    ),
    "revert_keeps_field": ngettext_lazy(
        "%(n)s row: “%(name)s” is not put back (its value before is unknown: we had never sent it)",
        "%(n)s rows: “%(name)s” is not put back (its value before is unknown: we had never sent "
        "it)",
        "n",
    ),
    "text_lost_letters": ngettext_lazy(
        "%(n)s row: letters lost to a wrong encoding (“�”)",
        "%(n)s rows: letters lost to a wrong encoding (“�”)",
        "n",
    ),
    "text_mojibake": ngettext_lazy(
        "%(n)s row: text that looks mis-decoded", "%(n)s rows: text that looks mis-decoded", "n"
    ),
}
GROUP_OTHER = ngettext_lazy("%(n)s row: %(message)s", "%(n)s rows: %(message)s", "n")


def problem_key(entry: Message) -> str:
    """The group key of one message: its code, and a digest of what its decision is about."""
    code = str(entry.get("code", ""))
    about = GROUPED_BY.get(code)
    if about is None:
        return code
    text = normalise_header(str(entry.get("params", {}).get(about, "")))
    return f"{code}-{hashlib.blake2s(text.encode(), digest_size=5).hexdigest()}"


def row_problems(entries: Iterable[Message]) -> str:
    """A row's problem keys as stored: "|key|key|", or "" for a row with none (errors and
    warnings only: information is not a problem)."""
    keys = sorted({problem_key(e) for e in entries if e.get("level") in (ERROR, WARNING)})
    return f"|{'|'.join(keys)}|" if keys else ""


class _Count(int):
    """A count that the plural rules read as a number and the sentence shows the reader's way
    (19,248 in English, 19 248 in Polish): the group texts keep their one `%(n)s`."""

    def __str__(self) -> str:
        return formats.number_format(int(self), use_l10n=True, force_grouping=True)


def group_text(entry: Message, count: int, rendered: str) -> str:
    """A group as it reads above the grid, from one of its messages."""
    params = {**entry.get("params", {}), "n": _Count(count)}
    text = GROUP_TEXTS.get(str(entry.get("code", "")))
    if text is None:
        return str(GROUP_OTHER % {"n": _Count(count), "message": rendered})
    return str(text % params)
