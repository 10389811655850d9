from __future__ import annotations

from typing import Any

from django import template

from campaigns import messages, targets

register = template.Library()


@register.filter
def message_text(entry: dict[str, Any]) -> str:
    return messages.render(entry)


@register.filter
def target_label(target: str) -> str:
    return targets.label(target)


@register.filter
def cells(row: Any, mapping: list[str]) -> list[Any]:
    return row.cells(mapping)


@register.filter
def raw_phone(row: Any, mapping: list[str]) -> str:
    position = mapping.index("phone_number") if "phone_number" in mapping else -1
    return row.raw[position] if 0 <= position < len(row.raw) else ""
