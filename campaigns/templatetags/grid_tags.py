"""Filters for the grid's pages. What a grid row and its cells show is in
campaigns.presentation.row_html.

Each filter formats a stored value, so each is total: what it cannot format it shows as stored
(escaped by the template) and logs (campaigns.rules.stored_values), never raising.
"""

from __future__ import annotations

import json
from typing import Any

from django import template

from campaigns.intake import encodings
from campaigns.rules import messages, targets
from campaigns.rules.stored_values import shown_as_stored, stored_text
from campaigns.services.rows import row_payload

register = template.Library()


@register.filter
def encoding_name(encoding: str) -> str:
    """A file's encoding as people know it: "Windows-1250 (Polish Windows)", not cp1250."""
    return encodings.encoding_name(encoding or "")


@register.filter
def encodings_mixed(encoding: str) -> bool:
    """Whether the file's lines were saved in different encodings (read each in its own)."""
    return encodings.MIXED in (encoding or "")


@register.filter
def message_text(entry: messages.Message) -> str:
    return messages.render(entry)


@register.filter
def target_label(target: str) -> str:
    try:
        return targets.label(target)
    except Exception as error:  # a mapping entry that is not a target's name
        return shown_as_stored("column", target, error)


@register.filter
def payload_json(row: Any, grid: Any) -> str:
    """The JSON that would go to Thulium for the row; the row's stored values when no payload
    can be built from them (they are then no payload either: the row must be checked again)."""
    try:
        return json.dumps(row_payload(grid, row), ensure_ascii=False, indent=2)
    except Exception as error:  # e.g. a next call date "226-12-24 09:30" stored long ago
        return shown_as_stored(f"row {row.number} payload", row.values, error)


@register.filter
def thulium_fix(message: str) -> str:
    try:
        return messages.thulium_fix(message)
    except Exception as error:  # an answer stored in another shape than text
        shown_as_stored("Thulium's answer", message, error)
        return ""


@register.filter
def as_stored(value: Any) -> str:
    """Any stored value as text (JSON for what is not text)."""
    return stored_text(value)
