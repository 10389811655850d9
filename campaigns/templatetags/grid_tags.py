from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.translation import gettext as _

from campaigns import messages, targets
from campaigns.services.editing import grid_display_columns, row_payload

register = template.Library()


@register.filter
def message_text(entry: dict[str, Any]) -> str:
    return messages.render(entry)


@register.filter
def target_label(target: str) -> str:
    return targets.label(target)


@register.filter
def cells(row: Any, grid: Any) -> list[dict[str, Any]]:
    """Each shown cell as plain values for the grid row: what to show, and how. Worked out here
    rather than in the template, where every lookup on an object and every branch costs (a
    100-row page has a thousand cells)."""
    shown = []
    for cell in row.cells(grid_display_columns(grid), grid.mapping):
        text, note = cell.value, ""
        if cell.target == "phone_number":
            text = cell.value or "—"
            if cell.raw != cell.value:
                note = cell.raw or _("empty")
        elif cell.clears:
            text = _("will be cleared")
        elif cell.value is None:
            text = cell.raw
        elif cell.raw and cell.raw != str(cell.value):
            note = cell.raw
        shown.append(
            {
                "target": cell.target,
                "level": cell.level,
                "phone": cell.target == "phone_number",
                "clears": cell.clears,
                "text": text,
                "note": note,
                "was": (cell.now or "—") if cell.changes else None,
            }
        )
    return shown


@register.filter
def payload_json(row: Any, grid: Any) -> str:
    """The JSON that would go to Thulium for the row."""
    return json.dumps(row_payload(grid, row), ensure_ascii=False, indent=2)


@register.filter
def raw_phone(row: Any, mapping: list[str]) -> str:
    position = mapping.index("phone_number") if "phone_number" in mapping else -1
    return row.raw[position] if 0 <= position < len(row.raw) else ""


@register.filter
def outcome_title(detail: dict[str, Any]) -> str:
    """Thulium's raw answer for a row, for the badge's tooltip."""
    if not detail:
        return ""
    parts = [
        f"HTTP {detail.get('http_status') or '—'}",
        detail.get("status", ""),
        detail.get("message", ""),
    ]
    if detail.get("request_id"):
        parts.append(f"request_id {detail['request_id']}")
    return " · ".join(p for p in parts if p)


@register.filter
def thulium_fix(message: str) -> str:
    return messages.thulium_fix(message)
