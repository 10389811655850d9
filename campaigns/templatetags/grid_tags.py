"""Filters for the grid's pages. What a grid row and its cells show is in campaigns.row_html."""

from __future__ import annotations

import json
from typing import Any

from django import template

from campaigns import messages, targets
from campaigns.services.rows import row_payload

register = template.Library()


@register.filter
def message_text(entry: dict[str, Any]) -> str:
    return messages.render(entry)


@register.filter
def target_label(target: str) -> str:
    return targets.label(target)


@register.filter
def payload_json(row: Any, grid: Any) -> str:
    """The JSON that would go to Thulium for the row."""
    return json.dumps(row_payload(grid, row), ensure_ascii=False, indent=2)


@register.filter
def thulium_fix(message: str) -> str:
    return messages.thulium_fix(message)
