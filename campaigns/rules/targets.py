"""What a file column can feed: a Thulium record attribute, or one of the campaign's fields."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _

FIELD_PREFIX = "field:"
LABELS: dict[str, Any] = {
    "phone_number": _("Phone number"),
    "status": _("Status (id or name)"),
    "dictionary_status_id": _("Dictionary status id"),
    "agent_login": _("Agent"),
    "next_call_date": _("Next call date"),
    "identifier": _("Identifier"),
    "order": _("Order"),
}
# Only adding a record sends these.
ADD_ONLY_TARGETS = ("identifier", "order")
RECORD_TARGETS = tuple(LABELS)


def field_target(name: str) -> str:
    return FIELD_PREFIX + name


def label(target: str) -> str:
    if target.startswith(FIELD_PREFIX):
        return str(_("Field: %(name)s") % {"name": target.removeprefix(FIELD_PREFIX)})
    if not target:
        return str(_("— ignore this column —"))
    return str(LABELS.get(target, target))


# Our exports head each column "label [key]" so that the file maps itself when it comes back.
KEY_RE = re.compile(r"^(?P<label>.*?)\s*\[(?P<key>[^\[\]]+)\]$")
# Keys of result columns: never mapped when the file comes back.
RESULT_KEYS = frozenset(
    {
        "row",
        "state",
        "messages",
        "outcome",
        "thulium_status",
        "http_status",
        "thulium_message",
        "request_id",
    }
)
SENT_PREFIX = "sent:"


def keyed_header(text: str, key: str) -> str:
    bare = KEY_RE.match(text)
    return f"{bare['label'] if bare else text} [{key}]"


def export_column_target(header: str, field_names: set[str]) -> str | None:
    """The target of a column our export wrote ("" for a result column), None for any other
    header."""
    match = KEY_RE.match(header.strip())
    if match is None:
        return None
    key = match["key"].strip()
    if key in RECORD_TARGETS:
        return key
    if key.startswith(FIELD_PREFIX) and key.removeprefix(FIELD_PREFIX) in field_names:
        return key
    if key in RESULT_KEYS or key.startswith(SENT_PREFIX):
        return ""
    return None
