"""The sandbox's in-memory Thulium system: its users and what they may call, and the API's calls on
its campaigns (campaign.py holds one campaign's records and Thulium's per-row rules).

Everything here is plain data guarded by one lock. The HTTP layer (server.py) turns requests into
calls on `SandboxState` and its answers into responses; nothing here knows about HTTP beyond the
status codes Thulium puts inside its per-row results.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .campaign import (
    DATE_RE,
    AlreadyExists,
    Campaign,
    apply_row,
    check_row,
    record_from_fixture,
)


class ApiError(Exception):
    """A request-level error: answered as Thulium's `{"request_id", "errors": [...]}` body."""

    def __init__(self, status: int, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code if code is not None else status


class SandboxState:
    """The whole fake Thulium system. Every public method takes the lock."""

    def __init__(self, fixture: dict[str, Any]) -> None:
        self._lock = threading.RLock()
        self.load(fixture)

    def load(self, fixture: Any) -> None:
        if not isinstance(fixture, dict) or not isinstance(fixture.get("campaigns"), list):
            raise ValueError('A fixture is a JSON object with "users" and "campaigns" lists.')
        with self._lock:
            previous = getattr(self, "_fixture", None)
            self._fixture = copy.deepcopy(fixture)
            try:
                self.reset()
            except (KeyError, TypeError, ValueError) as error:
                if previous is not None:
                    self._fixture = previous
                    self.reset()
                raise ValueError(f"The fixture is not valid: {error!r}") from error

    def reset(self) -> None:
        with self._lock:
            fixture = self._fixture
            self.users = {u["login"]: u for u in fixture.get("users", [])}
            self.campaigns: dict[str, Campaign] = {}
            for raw in fixture.get("campaigns", []):
                records = {}
                for r in raw.get("records", []):
                    record = record_from_fixture(r)
                    records[record["record_id"]] = record
                known = {"id", "name", "type", "active", "fields", "statuses", "agents", "records"}
                self.campaigns[raw["id"]] = Campaign(
                    id=raw["id"],
                    name=raw["name"],
                    type=raw.get("type", "csv"),
                    active=raw.get("active", True),
                    fields=list(raw.get("fields", [])),
                    statuses=copy.deepcopy(raw.get("statuses", [])),
                    agents=copy.deepcopy(raw.get("agents", [])),
                    records=records,
                    extra={k: v for k, v in raw.items() if k not in known},
                )
            # Paging through a large campaign asks for the same filter many times: remember
            # which records matched until the next write.
            self._matches: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
            self._next_record_id = 1 + max(
                (rid for c in self.campaigns.values() for rid in c.records), default=0
            )

    # --- auth -------------------------------------------------------------------------------

    def authenticate(self, login: str, password: str) -> dict[str, Any] | None:
        user = self.users.get(login)
        if user is None or user.get("password") != password:
            return None
        return user

    @staticmethod
    def allowed(user: dict[str, Any], method: str, route: str) -> bool:
        methods = user.get("methods", ["*"])
        return "*" in methods or f"{method} {route}" in methods

    # --- reads ------------------------------------------------------------------------------

    def campaign(self, campaign_id: str) -> Campaign:
        try:
            return self.campaigns[campaign_id]
        except KeyError:
            raise ApiError(404, f"Campaign {campaign_id} not found.") from None

    def list_campaigns(self) -> list[dict[str, Any]]:
        with self._lock:
            return [c.summary() for c in self.campaigns.values()]

    def stats(self) -> list[dict[str, Any]]:
        with self._lock:
            return [c.stats() for c in self.campaigns.values()]

    def statuses(self, campaign_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self.campaign(campaign_id).statuses)

    def agents(self, campaign_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "login": a["login"],
                    "number": a.get("number", ""),
                    "active": a.get("active", True),
                    "active_in_outbound": a.get("active_in_outbound", True),
                    "agent_id": a.get("agent_id"),
                }
                for a in self.campaign(campaign_id).agents
            ]

    def list_records(self, campaign_id: str, query: dict[str, list[str]]) -> dict[str, Any]:
        limit = _int_param(query, "limit", 100)
        offset = _int_param(query, "offset", 0)
        if limit < 1 or offset < 0:
            raise ApiError(400, "Parameters limit and offset must be positive numbers.")
        limit = min(limit, 100)
        status_ids = set(query.get("status_id[]", []))
        system_statuses = set(query.get("system_status[]", []))
        ranges = {}
        for name in ("create_date", "call_date"):
            for end in ("from", "to"):
                value = query.get(f"{name}_{end}", [""])[0]
                if value and not DATE_RE.match(value):
                    raise ApiError(400, f"Parameter {name}_{end} must be a date YYYY-MM-DD.")
                ranges[(name, end)] = value
        key = (
            campaign_id,
            frozenset(status_ids),
            frozenset(system_statuses),
            tuple(ranges.items()),
        )
        with self._lock:
            campaign = self.campaign(campaign_id)
            matched = self._matches.get(key)
            if matched is None:
                matched = [
                    record
                    for record in sorted(campaign.records.values(), key=lambda r: r["record_id"])
                    if (not status_ids or str(record.get("status_id")) in status_ids)
                    and (
                        not system_statuses or campaign.system_status_of(record) in system_statuses
                    )
                    and _in_ranges(record, ranges)
                ]
                self._matches[key] = matched
            page = matched[offset : offset + limit]
            return {"count": len(matched), "result": [campaign.listing(r) for r in page]}

    def set_in_call(self, campaign_id: str, phone: str, in_call: bool) -> int:
        """Start or end a call on every record with the phone; how many records that was."""
        with self._lock:
            found = self.campaign(campaign_id).find(phone, additional=False)
            for record in found:
                record["in_call"] = bool(in_call)
            return len(found)

    def dump_records(self, campaign_id: str) -> list[dict[str, Any]]:
        with self._lock:
            campaign = self.campaign(campaign_id)
            return [
                campaign.listing(r)
                | {
                    "additional_numbers": list(r["additional_numbers"]),
                    "record_fields": dict(r["record_fields"]),
                    "in_call": r["in_call"],
                }
                for r in sorted(campaign.records.values(), key=lambda r: r["record_id"])
            ]

    # --- writes -----------------------------------------------------------------------------

    def edit_campaign(self, campaign_id: str, body: Any) -> None:
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object.")
        with self._lock:
            self._matches.clear()
            campaign = self.campaign(campaign_id)
            if "name" in body:
                campaign.name = str(body["name"])
            if "active" in body:
                campaign.active = bool(body["active"])
            for key, value in body.items():
                if key not in {"name", "active"}:
                    campaign.extra[key] = value

    def batch_edit(
        self, campaign_id: str, body: Any, *, search_additional: bool
    ) -> dict[str, dict[str, Any]]:
        return self._batch(
            campaign_id,
            body,
            lambda campaign, row: self._edit_row(campaign, row, search_additional),
        )

    def batch_add(self, campaign_id: str, body: Any) -> dict[str, dict[str, Any]]:
        return self._batch(campaign_id, body, self._add_row)

    def _batch(
        self,
        campaign_id: str,
        body: Any,
        answer: Callable[[Campaign, Any], dict[str, Any]],
    ) -> dict[str, dict[str, Any]]:
        """Each row is applied or refused on its own; the answer is keyed by phone as sent."""
        rows = _records_of(body)
        with self._lock:
            self._matches.clear()
            campaign = self.campaign(campaign_id)
            return {_phone_key(row): answer(campaign, row) for row in rows}

    def _edit_row(self, campaign: Campaign, row: Any, search_additional: bool) -> dict[str, Any]:
        if not isinstance(row, dict) or not str(row.get("phone_number") or "").strip():
            return {"http_status": 400, "message": "Phone number is required."}
        additional = _flag(row.get("search_in_additional_numbers"), search_additional)
        found = campaign.find(str(row["phone_number"]), additional=additional)
        if not found:
            return {"http_status": 404, "message": "Record not found."}
        if len(found) > 1:
            return {
                "http_status": 400,
                "message": "Phone number is duplicated in the campaign. "
                "Edit the record by its identifier.",
            }
        problem = check_row(campaign, row)
        if problem:
            return {"http_status": 400, "message": problem}
        apply_row(campaign, found[0], row)
        return {"http_status": 204}

    def edit_by_identifier(self, campaign_id: str, identifier: str, body: Any) -> None:
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object.")
        with self._lock:
            self._matches.clear()
            campaign = self.campaign(campaign_id)
            record = self._by_identifier(campaign, identifier)
            problem = check_row(campaign, body)
            if problem:
                raise ApiError(400, problem)
            apply_row(campaign, record, body)

    def _add_row(self, campaign: Campaign, row: Any) -> dict[str, Any]:
        try:
            record = self._create(campaign, row)
        except AlreadyExists as exists:
            return {"http_status": 400, "record_id": exists.record_id, "status": "ALREADY_EXISTS"}
        except ApiError as error:
            return {"http_status": 400, "status": "FAILED", "message": error.message}
        return {"http_status": 201, "record_id": record["record_id"], "status": "ADDED"}

    def add_one(self, campaign_id: str, body: Any) -> dict[str, Any]:
        with self._lock:
            self._matches.clear()
            campaign = self.campaign(campaign_id)
            try:
                record = self._create(campaign, body)
            except AlreadyExists:
                raise ApiError(400, "Record with this phone number already exists.") from None
            return {"record_id": str(record["record_id"])}

    def _create(self, campaign: Campaign, row: Any) -> dict[str, Any]:
        if not isinstance(row, dict) or not str(row.get("phone_number") or "").strip():
            raise ApiError(400, "Phone number is required.")
        phone = str(row["phone_number"])
        existing = campaign.find(phone, additional=False)
        if existing:
            raise AlreadyExists(existing[0]["record_id"])
        problem = check_row(campaign, row)
        if problem:
            raise ApiError(400, problem)
        identifier = str(row.get("identifier") or "")
        if identifier and identifier in campaign.by_identifier:
            raise ApiError(400, f"Identifier {identifier} is already used in the campaign.")
        order = row.get("order", 50)
        if not isinstance(order, int) or isinstance(order, bool):
            raise ApiError(400, "Order must be a whole number.")
        record = {
            "record_id": self._next_record_id,
            "phone_number": phone,
            "additional_numbers": [],
            "status_id": None,
            "agent_login": None,
            "next_call_date": "",
            "identifier": identifier,
            "order": order,
            "record_fields": {name: "" for name in campaign.fields},
            "create_date": datetime.now().strftime("%Y-%m-%d %H:%M"),
            "call_date": "",
            "last_note": "",
            "in_call": False,
        }
        self._next_record_id += 1
        apply_row(campaign, record, row)
        if record["status_id"] is None and campaign.statuses:
            to_call = next((s for s in campaign.statuses if s["system_status"] == "TO_CALL"), None)
            record["status_id"] = str(to_call["status_id"]) if to_call else None
        campaign.add_record(record)
        return record

    def batch_delete(
        self, campaign_id: str, phones: list[str], *, search_additional: bool
    ) -> dict[str, list[dict[str, Any]]]:
        if not phones:
            raise ApiError(400, "Parameter phone_number[] is required.")
        with self._lock:
            self._matches.clear()
            campaign = self.campaign(campaign_id)
            results: dict[str, list[dict[str, Any]]] = {}
            for phone in phones:
                found = campaign.find(phone, additional=search_additional)
                if not found:
                    results[phone] = [{"http_status": 404, "status": "NOT_EXIST"}]
                    continue
                outcome = []
                for record in found:
                    if record["in_call"]:
                        outcome.append(
                            {
                                "http_status": 400,
                                "record_id": record["record_id"],
                                "status": "CALL_IN_PROGRESS",
                            }
                        )
                    else:
                        campaign.remove_record(record)
                        outcome.append(
                            {
                                "http_status": 200,
                                "record_id": record["record_id"],
                                "status": "REMOVED",
                            }
                        )
                results[phone] = outcome
            return results

    def delete_by_phone(self, campaign_id: str, phone: str) -> None:
        with self._lock:
            self._matches.clear()
            campaign = self.campaign(campaign_id)
            found = campaign.find(phone, additional=False)
            if not found:
                raise ApiError(404, "Record not found.")
            self._delete(campaign, found)

    def delete_by_identifier(self, campaign_id: str, identifier: str) -> None:
        with self._lock:
            self._matches.clear()
            campaign = self.campaign(campaign_id)
            self._delete(campaign, [self._by_identifier(campaign, identifier)])

    @staticmethod
    def _delete(campaign: Campaign, records: list[dict[str, Any]]) -> None:
        if any(r["in_call"] for r in records):
            raise ApiError(400, "Record is in a call and cannot be removed now.")
        for record in records:
            campaign.remove_record(record)

    @staticmethod
    def _by_identifier(campaign: Campaign, identifier: str) -> dict[str, Any]:
        record = campaign.by_identifier.get(identifier)
        if record is None:
            raise ApiError(404, "Record not found.")
        return record


def _records_of(body: Any) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise ApiError(400, 'Request body must be a JSON object with a "records" list.')
    return body["records"]


def _phone_key(row: Any) -> str:
    return str(row.get("phone_number") or "") if isinstance(row, dict) else ""


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() in {"1", "true", "yes"}
    return bool(value)


def _int_param(query: dict[str, list[str]], name: str, default: int) -> int:
    raw = query.get(name, [""])[0]
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"Parameter {name} must be a number.") from None


def _in_ranges(record: dict[str, Any], ranges: dict[tuple[str, str], str]) -> bool:
    for (name, end), bound in ranges.items():
        if not bound:
            continue
        day = (record.get(name) or "")[:10]
        if not day:
            return False
        if end == "from" and day < bound or end == "to" and day > bound:
            return False
    return True
