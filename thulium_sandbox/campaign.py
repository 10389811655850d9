"""One campaign of the sandbox's Thulium: its records and their indexes, the listing's view of a
record, and Thulium's per-row rules for a write (what it refuses, in the order it reports it, and
how an accepted row changes a record). Plain data: the lock is SandboxState's (state.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SYSTEM_STATUSES = (
    "TO_CALL",
    "IN_PROGRESS",
    "CALL",
    "MY_RECORD",
    "NO_CALL",
    "ABANDONED_AFTER_N_TRIES",
    "CALL_NO_SOONER_THAN",
    "CALL_PROGRESSIVE",
)
# Records in these system statuses count as done for a campaign's completion percentage.
CLOSED_SYSTEM_STATUSES = frozenset({"NO_CALL", "ABANDONED_AFTER_N_TRIES"})

DATE_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$", re.ASCII)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


class AlreadyExists(Exception):
    def __init__(self, record_id: int) -> None:
        super().__init__(record_id)
        self.record_id = record_id


@dataclass
class Campaign:
    id: str
    name: str
    type: str
    active: bool
    fields: list[str]
    statuses: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    records: dict[int, dict[str, Any]]
    extra: dict[str, Any]

    def __post_init__(self) -> None:
        # Phone numbers never change on a record, so these indexes change only on add and delete.
        self._by_phone: dict[str, list[dict[str, Any]]] = {}
        self._by_additional: dict[str, list[dict[str, Any]]] = {}
        self.by_identifier: dict[str, dict[str, Any]] = {}
        for record in self.records.values():
            self._index(record)

    def _index(self, record: dict[str, Any]) -> None:
        self._by_phone.setdefault(record["phone_number"], []).append(record)
        for number in record["additional_numbers"]:
            self._by_additional.setdefault(number, []).append(record)
        if record["identifier"]:
            self.by_identifier[record["identifier"]] = record

    def add_record(self, record: dict[str, Any]) -> None:
        self.records[record["record_id"]] = record
        self._index(record)

    def remove_record(self, record: dict[str, Any]) -> None:
        del self.records[record["record_id"]]
        self._by_phone[record["phone_number"]].remove(record)
        for number in record["additional_numbers"]:
            self._by_additional[number].remove(record)
        self.by_identifier.pop(record["identifier"], None)

    def status_by_id(self, status_id: Any) -> dict[str, Any] | None:
        wanted = str(status_id)
        return next((s for s in self.statuses if str(s["status_id"]) == wanted), None)

    def status_by_dictionary_id(self, dictionary_id: Any) -> dict[str, Any] | None:
        wanted = str(dictionary_id)
        return next(
            (s for s in self.statuses if str(s.get("dictionary_status_id")) == wanted), None
        )

    def agent(self, login: str) -> dict[str, Any] | None:
        return next((a for a in self.agents if a["login"] == login), None)

    def find(self, phone: str, *, additional: bool) -> list[dict[str, Any]]:
        found = list(self._by_phone.get(phone, ()))
        if additional:
            found += [r for r in self._by_additional.get(phone, ()) if r not in found]
        return found

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type, "active": self.active} | {
            k: v for k, v in self.extra.items() if k not in {"id", "name", "type", "active"}
        }

    def stats(self) -> dict[str, Any]:
        total = len(self.records)
        closed = sum(
            1 for r in self.records.values() if self.system_status_of(r) in CLOSED_SYSTEM_STATUSES
        )
        percent = round(100 * closed / total, 2) if total else 0.0
        return {"id": self.id, "records_count": total, "completion_percent": percent}

    def system_status_of(self, record: dict[str, Any]) -> str:
        status = self.status_by_id(record.get("status_id"))
        return status["system_status"] if status else "TO_CALL"

    def listing(self, record: dict[str, Any]) -> dict[str, Any]:
        status = self.status_by_id(record.get("status_id"))
        agent = self.agent(record["agent_login"]) if record.get("agent_login") else None
        return {
            "record_id": record["record_id"],
            "phone_number": record["phone_number"],
            "system_status": status["system_status"] if status else "TO_CALL",
            "status": status["name"] if status else "",
            "status_id": str(record["status_id"]) if record.get("status_id") else "",
            "call_date": record.get("call_date") or "",
            "create_date": record.get("create_date") or "",
            "next_call_date": record.get("next_call_date") or "",
            "agent_name": (agent or {}).get("name", record.get("agent_login") or ""),
            "agent_login": record.get("agent_login") or "",
            "last_note": record.get("last_note") or "",
            "identifier": record.get("identifier") or "",
            "order": record.get("order", 50),
        }


def valid_date_time(value: Any) -> bool:
    if not isinstance(value, str) or not DATE_TIME_RE.match(value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%d %H:%M")
    except ValueError:
        return False
    return True


def record_from_fixture(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "record_id": int(raw["record_id"]),
        "phone_number": str(raw["phone_number"]),
        "additional_numbers": [str(n) for n in raw.get("additional_numbers", [])],
        "status_id": str(raw["status_id"]) if raw.get("status_id") not in (None, "") else None,
        "agent_login": raw.get("agent_login") or None,
        "next_call_date": raw.get("next_call_date") or "",
        "identifier": raw.get("identifier") or "",
        "order": raw.get("order", 50),
        "record_fields": dict(raw.get("record_fields", {})),
        "create_date": raw.get("create_date", ""),
        "call_date": raw.get("call_date", ""),
        "last_note": raw.get("last_note", ""),
        "in_call": bool(raw.get("in_call", False)),
    }


def check_row(campaign: Campaign, row: dict[str, Any]) -> str | None:
    """Thulium's per-row rules, in the order Thulium reports them. None when the row is fine."""
    status = None
    if row.get("status_id") not in (None, ""):
        status = campaign.status_by_id(row["status_id"])
        if status is None:
            return "Status not found."
    elif row.get("dictionary_status_id") not in (None, ""):
        status = campaign.status_by_dictionary_id(row["dictionary_status_id"])
        if status is None:
            return "Dictionary status not found."
    if row.get("agent_login") not in (None, "") and campaign.agent(str(row["agent_login"])) is None:
        return "Agent not found."
    if row.get("next_call_date") not in (None, "") and not valid_date_time(row["next_call_date"]):
        return "Invalid next call date. Use the format YYYY-MM-DD hh:mm."
    system_status = status["system_status"] if status else None
    if system_status == "MY_RECORD" and not row.get("agent_login"):
        return "Agent login is required for system status MY_RECORD."
    if system_status in {"MY_RECORD", "CALL_NO_SOONER_THAN"} and not row.get("next_call_date"):
        return f"Next call date is required for system status {system_status}."
    fields = row.get("record_fields")
    if fields not in (None, {}):
        if not isinstance(fields, dict):
            return "Record fields must be an object of field names and values."
        if campaign.type == "crm":
            return "Record fields can be set only in non-CRM campaigns."
        for name in fields:
            if name not in campaign.fields:
                return f'Record field "{name}" does not exist in the campaign.'
    return None


def apply_row(campaign: Campaign, record: dict[str, Any], row: dict[str, Any]) -> None:
    if row.get("status_id") not in (None, ""):
        record["status_id"] = str(row["status_id"])
    elif row.get("dictionary_status_id") not in (None, ""):
        status = campaign.status_by_dictionary_id(row["dictionary_status_id"])
        assert status is not None, "check_row passed the row"
        record["status_id"] = str(status["status_id"])
    if row.get("agent_login") not in (None, ""):
        record["agent_login"] = str(row["agent_login"])
    if row.get("next_call_date") not in (None, ""):
        record["next_call_date"] = row["next_call_date"]
    for name, value in (row.get("record_fields") or {}).items():
        # Thulium's documented rule: an empty value clears the field.
        record["record_fields"][name] = "" if value is None else str(value)
