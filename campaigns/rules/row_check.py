"""One row checked by the campaign's rules alone (`check_row`): its cells become the values to
send and its messages. Each distinct cell is decided once per rules (`CellCheck`): a CRM export
repeats its statuses, agents and dates on every row. What only the grid's rows together tell
(copies, what Thulium holds) is services/grid_checks.py's; the rules are validation.py's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from campaigns.intake.text import (
    ascii_int,
    fold_digits,
    looks_scientific,
    lost_letters,
    mojibake_repair,
)
from campaigns.rules.dates import (
    impossible_date,
    parse_cell_date_time,
    thulium_date_text,
)
from campaigns.rules.messages import ERROR, INFO, WARNING, Message, message
from campaigns.rules.targets import FIELD_PREFIX
from campaigns.rules.validation import (
    CLEAR_MARKERS,
    PHONE_RE,
    CampaignRules,
    GridMode,
    normalise_phone,
)
from campaigns.thulium import vocabulary as thulium


@dataclass(slots=True)
class RowCheck:
    values: dict[str, Any]
    messages: list[Message]
    phone: str


@dataclass(frozen=True, slots=True)
class CellCheck:
    """What one cell (a target and its text) decides, whatever the row: the value it sets (a
    key of the row's values, or a record field), its messages, and whether the text says
    anything at all. Shared by every row whose cell reads the same: never changed."""

    key: str | None = None
    value: Any = None
    field: str | None = None
    messages: tuple[Message, ...] = ()
    mangled: tuple[Message, ...] = ()
    blank: bool = False


# A CRM export repeats its statuses, agents and dates on every row: each distinct cell is
# checked once per rules. Texts that never repeat (names, notes) would only fill the memory:
# past this many, the cells remembered are forgotten and gathered anew.
CELLS_REMEMBERED = 20_000


def check_row(
    cells: Mapping[str, str], rules: CampaignRules, mode: str = GridMode.EDIT
) -> RowCheck:
    """Turn one row's cells (target → text) into the values to send and its messages, for
    editing, adding (also identifier and order) or removing records (the phone alone)."""
    values: dict[str, Any] = {}
    found: list[Message] = []
    record_fields: dict[str, str] = {}

    raw_phone = cells.get("phone_number", "").strip()
    phone = ""
    if not raw_phone:
        found.append(message("phone_number", ERROR, "phone_missing"))
    elif not raw_phone.isdigit() and looks_scientific(raw_phone):  # digits alone never are
        found.append(message("phone_number", ERROR, "phone_scientific", value=raw_phone))
    else:
        phone = normalise_phone(raw_phone, rules.phone_format)
        if PHONE_RE.match(phone):
            values["phone_number"] = phone
            if not raw_phone.isascii() and fold_digits(raw_phone) != raw_phone:
                found.append(
                    message(
                        "phone_number", WARNING, "phone_converted", value=raw_phone, phone=phone
                    )
                )
        else:
            found.append(message("phone_number", ERROR, "phone_invalid", value=raw_phone))

    remembered = rules.cells_checked
    said = False  # does any cell besides the phone say something?
    checks = []
    for target, text in cells.items():
        if target == "phone_number":
            continue
        try:
            cell = remembered[target, text]
        except KeyError:
            if len(remembered) >= CELLS_REMEMBERED:
                remembered.clear()
            cell = remembered[target, text] = _check_cell(target, text, rules)
        if cell.mangled:
            found.extend(cell.mangled)
        if not cell.blank:
            said = True
            checks.append(cell)
    if mode == GridMode.REMOVE:
        return RowCheck(values=values, messages=found, phone=values.get("phone_number", ""))
    for cell in checks:
        if cell.messages:
            found.extend(cell.messages)
        if cell.field is not None:
            record_fields[cell.field] = cell.value
        elif cell.key is not None:
            values[cell.key] = cell.value

    if record_fields:
        values["record_fields"] = record_fields
    found.extend(_status_rules(values, rules))
    if rules.on_do_not_contact(phone) and _calls_again(values, rules, mode):
        code = "do_not_contact_edit" if mode == GridMode.EDIT else "do_not_contact_add"
        found.append(message("phone_number", ERROR, code))
    if mode == GridMode.EDIT and not said:
        found.append(message("phone_number", WARNING, "nothing_to_change"))
    return RowCheck(values=values, messages=found, phone=values.get("phone_number", ""))


def _check_cell(target: str, text: str, rules: CampaignRules) -> CellCheck:
    """What a cell other than the phone decides (see CellCheck): the rules, by the cell alone."""
    mangled = tuple(_mangled_text(target, text))
    text = text.strip()
    if not text:
        return CellCheck(mangled=mangled, blank=True)
    found: list[Message] = []
    key: str | None = None
    value: Any = None
    field: str | None = None
    clearing = text.lower() in CLEAR_MARKERS
    if target.startswith(FIELD_PREFIX):
        name = target.removeprefix(FIELD_PREFIX)
        if rules.campaign_type == "crm":
            found.append(message(target, ERROR, "crm_fields"))
        elif name not in rules.fields:
            found.append(message(target, ERROR, "field_unknown", name=name))
        elif name in rules.unknown_fields:
            found.append(message(target, ERROR, "field_refused", name=name))
        else:
            field, value = name, "" if clearing else text
    elif clearing:
        found.append(message(target, ERROR, "cannot_clear", column=target))
    elif target == "status":
        status = rules.status(text)
        if status is None and (ruled := rules.ruled(target, text)) is not None:
            status = rules.status(ruled)
            if status is not None:
                found.append(message(target, INFO, "value_rule", value=text, to=status.name))
        if status is None:
            found.append(
                message(target, ERROR, "status_unknown", value=text, choices=rules.status_choices())
            )
        else:
            key, value = "status_id", status.status_id
    elif target == "dictionary_status_id":
        known = {str(s.dictionary_status_id) for s in rules.statuses}
        if (number := ascii_int(fold_digits(text))) is not None and str(number) in known:
            key, value = "dictionary_status_id", number
        else:
            choices = ", ".join(sorted(known - {"None"}, key=lambda k: int(k)))
            found.append(
                message(target, ERROR, "dictionary_status_unknown", value=text, choices=choices)
            )
    elif target == "agent_login":
        agent = rules.agent(text)
        if agent is None and (agent := rules.agent_by_name(text)) is not None:
            found.append(message(target, INFO, "agent_by_name", value=text, to=agent.login))
        if agent is None and (ruled := rules.ruled(target, text)) is not None:
            agent = rules.agent(ruled)
            if agent is not None:
                found.append(message(target, INFO, "value_rule", value=text, to=agent.login))
        if agent is None:
            found.append(
                message(target, ERROR, "agent_unknown", value=text, choices=rules.agent_choices())
            )
        else:
            key, value = "agent_login", agent.login
            if not (agent.active and agent.active_in_outbound):
                found.append(message(target, WARNING, "agent_inactive", value=agent.login))
    elif target == "next_call_date":
        moment, has_time = parse_cell_date_time(text)
        if moment is None and (wrong := impossible_date(text)):
            found.append(message(target, ERROR, "date_impossible", value=text, **wrong))
        elif moment is None:
            found.append(message(target, ERROR, "date_invalid", value=text))
        else:
            parsed = thulium_date_text(moment)
            key, value = "next_call_date", parsed
            if not has_time:
                found.append(
                    message(target, WARNING, "date_without_time", value=text, parsed=parsed)
                )
            if moment < rules.local_now:
                found.append(message(target, WARNING, "date_past", parsed=parsed))
    elif target == "identifier":
        key, value = "identifier", text
    elif target == "order":
        if (order := ascii_int(fold_digits(text))) is not None and order <= 1_000_000:
            key, value = "order", order
        else:
            found.append(message(target, ERROR, "order_invalid", value=text))
    return CellCheck(key=key, value=value, field=field, messages=tuple(found), mangled=mangled)


def _calls_again(values: Mapping[str, Any], rules: CampaignRules, mode: str) -> bool:
    """Would the row put its number into the calling flow? Adding always does (an upsert row
    may add); removing never; an edit does when it sets a next call date or a status whose
    system status is called (any but thulium.NOT_CALLED, an unknown one included)."""
    if mode == GridMode.REMOVE:
        return False
    if mode != GridMode.EDIT:
        return True
    if "next_call_date" in values:
        return True
    status = _status_of(values, rules)
    return status is not None and status.system_status not in thulium.NOT_CALLED


def _mangled_text(target: str, text: str) -> list[Message]:
    """Text that lost letters (U+FFFD) cannot be sent as it is; text that looks mis-decoded
    ("Ĺ‚ukasz") can, but is never valid without saying so. (A phone has checks of its own.)"""
    if text.isascii() or target == "phone_number":
        return []
    if lost_letters(text):
        return [message(target, ERROR, "text_lost_letters", value=text)]
    if (repaired := mojibake_repair(text)) is not None:
        return [message(target, WARNING, "text_mojibake", value=text, repaired=repaired)]
    return []


def _status_of(values: Mapping[str, Any], rules: CampaignRules) -> thulium.Status | None:
    """The status a row sets, by its id or its dictionary status."""
    if "status_id" in values:
        return rules.status(values["status_id"])
    if "dictionary_status_id" in values:
        wanted = values["dictionary_status_id"]
        return next((s for s in rules.statuses if s.dictionary_status_id == wanted), None)
    return None


def _status_rules(values: Mapping[str, Any], rules: CampaignRules) -> tuple[Message, ...]:
    """What the row's status demands and the row lacks (an agent, a date), decided once per
    combination under these rules."""
    key = (
        values.get("status_id"),
        values.get("dictionary_status_id"),
        "agent_login" in values,
        "next_call_date" in values,
    )
    try:
        return rules.status_rules_checked[key]
    except KeyError:
        found = rules.status_rules_checked[key] = tuple(_status_demands(values, rules))
        return found


def _status_demands(values: Mapping[str, Any], rules: CampaignRules) -> list[Message]:
    status = _status_of(values, rules)
    if status is None:
        return []
    needs_agent = status.system_status in thulium.NEEDS_AGENT and "agent_login" not in values
    needs_date = status.system_status in thulium.NEEDS_DATE and "next_call_date" not in values
    if needs_agent and needs_date:
        return [message("status", ERROR, "status_needs_agent_and_date", status=status.name)]
    if needs_agent:
        return [message("agent_login", ERROR, "status_needs_agent", status=status.name)]
    if needs_date:
        return [message("next_call_date", ERROR, "status_needs_date", status=status.name)]
    return []
