"""What a file column can feed: a Thulium record attribute, or one of the campaign's fields."""

from __future__ import annotations

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
}
RECORD_TARGETS = tuple(LABELS)


def field_target(name: str) -> str:
    return FIELD_PREFIX + name


def label(target: str) -> str:
    if target.startswith(FIELD_PREFIX):
        return str(_("Field: %(name)s") % {"name": target.removeprefix(FIELD_PREFIX)})
    if not target:
        return str(_("— ignore this column —"))
    return str(LABELS.get(target, target))
