from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django import template
from django.core.cache import cache
from django.utils import formats
from django.utils.translation import gettext as _

from campaigns import messages, targets, thulium
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
    names = _status_names(grid)
    for cell in row.cells(grid_display_columns(grid), grid.mapping):
        text, note, title = cell.value, "", ""
        was = (cell.now or "—") if cell.changes else None
        if cell.target == "status" and cell.value:
            # By name, as the supervisor knows them; the id Thulium gets on hover.
            text, title = names.get(str(cell.value), cell.value), f"id {cell.value}"
            if was is not None:
                was = names.get(str(cell.now), was)
            if cell.raw and cell.raw not in {str(cell.value), text}:
                note = cell.raw
        elif cell.target == "next_call_date" and cell.value:
            # In the reader's format; what Thulium gets (and what the file said) on hover.
            moment = datetime.strptime(str(cell.value), thulium.DATE_TIME_FORMAT)
            text = formats.date_format(moment, "SHORT_DATETIME_FORMAT")
            title = str(cell.value) + (f" · {cell.raw}" if cell.raw else "")
            if was is not None and cell.now:
                was = formats.date_format(
                    datetime.strptime(str(cell.now), thulium.DATE_TIME_FORMAT),
                    "SHORT_DATETIME_FORMAT",
                )
        elif cell.target == "phone_number":
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
                "title": title,
                "was": was,
            }
        )
    return shown


def _status_names(grid: Any) -> dict[str, str]:
    """The campaign's status names by id, from the rules' cache (no Thulium call here); read
    once per page and kept on the grid object."""
    names = getattr(grid, "_status_names", None)
    if names is None:
        live = cache.get(f"campaign-rules:{grid.campaign.thulium_id}")
        names = {s.status_id: s.name for s in live[1]} if live else {}
        grid._status_names = names
    return names


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
