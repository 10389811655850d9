"""The Thulium vocabulary: what its API's words mean, with no HTTP in sight.

Statuses, agents, records and batch answers as frozen dataclasses; the system-status rules;
Thulium's `YYYY-MM-DD hh:mm` dates in Warsaw time; the record payloads; and the `ThuliumError`
hierarchy, each error carrying Thulium's `request_id` (support asks for it). Pure: importing this
module loads neither `requests` nor Django nor any other module of ours (the client, forms and
rules read it; tests/unit/test_thulium_vocabulary.py holds it to that).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

DATE_TIME_FORMAT = "%Y-%m-%d %H:%M"
# ASSUMPTION (thulium-api.md: "an unknown name is a validation error"; the wording is not
# documented, the sandbox's is configurable): the per-row message naming a field the campaign
# does not have.
UNKNOWN_FIELD_RE = re.compile(r'Record field "(?P<field>.+)" does not exist in the campaign\.$')

# A row's status in a batch answer (POST and DELETE give one; PUT gives only http_status).
ADDED = "ADDED"
ALREADY_EXISTS = "ALREADY_EXISTS"
FAILED = "FAILED"
REMOVED = "REMOVED"
NOT_EXIST = "NOT_EXIST"
CALL_IN_PROGRESS = "CALL_IN_PROGRESS"

# System statuses whose records need more than a status id.
MY_RECORD = "MY_RECORD"
CALL_NO_SOONER_THAN = "CALL_NO_SOONER_THAN"
NEEDS_AGENT = frozenset({MY_RECORD})
NEEDS_DATE = frozenset({MY_RECORD, CALL_NO_SOONER_THAN})
# System statuses whose records are not called (the sandbox's closed ones). Every other system
# status — TO_CALL, CALL, CALL_PROGRESSIVE, MY_RECORD, CALL_NO_SOONER_THAN, IN_PROGRESS, and any
# Thulium adds — is taken to put a record into the calling flow.
NOT_CALLED = frozenset({"NO_CALL", "ABANDONED_AFTER_N_TRIES"})
# ASSUMPTION (thulium-api.md): Thulium's dates carry no zone and mean Warsaw local time.
THULIUM_TZ = ZoneInfo("Europe/Warsaw")


# --- errors ---------------------------------------------------------------------------------


class ThuliumError(Exception):
    """A call to Thulium failed."""

    def __init__(
        self,
        summary: str,
        *,
        http_status: int | None = None,
        request_id: str | None = None,
        messages: Sequence[str] = (),
    ) -> None:
        super().__init__(summary)
        self.summary = summary
        self.http_status = http_status
        self.request_id = request_id
        self.messages = tuple(messages)

    def __str__(self) -> str:
        parts = [self.summary]
        if self.messages:
            parts.append("; ".join(self.messages))
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " — ".join(parts)


class ThuliumAuthError(ThuliumError):
    """401 or 403: the API user's login, password or method permissions are wrong."""


class ThuliumNotFound(ThuliumError):
    """404: an unknown campaign, record, or a base URL that is not Thulium's API root."""


class ThuliumRejected(ThuliumError):
    """Another 4xx: Thulium refused the request as a whole (its `errors[]` say why)."""


class ThuliumUnavailable(ThuliumError):
    """5xx, a timeout or a connection error: nothing says whether Thulium did the work.

    `retry_after` is the wait Thulium asked for in a Retry-After header, None when it did not.
    """

    def __init__(self, summary: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(summary, **kwargs)
        self.retry_after = retry_after


class ThuliumRateLimited(ThuliumUnavailable):
    """429: Thulium asks us to slow down."""


class ThuliumProtocolError(ThuliumError):
    """Thulium answered, but not in the shape its API promises (e.g. a body that is not JSON)."""


# --- data in and out ------------------------------------------------------------------------


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    active: bool | None
    type: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class CampaignStats:
    id: str
    records_count: int
    completion_percent: float


@dataclass(frozen=True)
class Status:
    status_id: str
    name: str
    system_status: str
    dictionary_status_id: int | None


@dataclass(frozen=True)
class Agent:
    login: str
    number: str
    active: bool
    active_in_outbound: bool
    agent_id: int | None


@dataclass(frozen=True)
class Record:
    """A record as the listing gives it (the listing carries no record fields)."""

    record_id: int
    phone_number: str
    system_status: str
    status: str
    status_id: str
    call_date: datetime | None
    create_date: datetime | None
    next_call_date: datetime | None
    agent_name: str
    agent_login: str
    last_note: str
    identifier: str
    order: int | None


@dataclass(frozen=True, kw_only=True)
class RecordChanges:
    """What to change on a record. None leaves a value as it is; so does an absent field name.

    A record field given as "" is cleared by Thulium.
    """

    status_id: str | None = None
    dictionary_status_id: int | None = None
    agent_login: str | None = None
    next_call_date: datetime | None = None
    record_fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RecordEdit(RecordChanges):
    phone_number: str
    search_in_additional_numbers: bool | None = None


@dataclass(frozen=True, kw_only=True)
class NewRecord(RecordChanges):
    phone_number: str
    identifier: str | None = None
    order: int | None = None


@dataclass(frozen=True)
class RowResult:
    """Thulium's verdict on one row. `known` is False when its answer did not mention the row."""

    phone_number: str
    http_status: int | None
    status: str = ""
    message: str = ""
    record_id: int | None = None
    known: bool = True

    @property
    def succeeded(self) -> bool:
        return self.known and self.http_status is not None and 200 <= self.http_status < 300


@dataclass(frozen=True)
class BatchResult:
    """Per-row results of a batch edit or add, keyed by the phone string as sent."""

    rows: Mapping[str, RowResult]
    request_id: str | None


@dataclass(frozen=True)
class DeleteResult:
    """Per-phone results of a batch delete: one phone may match several records."""

    rows: Mapping[str, tuple[RowResult, ...]]
    request_id: str | None


# --- formats and payloads ------------------------------------------------------------------


def format_date_time(moment: datetime) -> str:
    """A datetime as Thulium's `YYYY-MM-DD hh:mm` in Warsaw time (naive means Warsaw already)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(THULIUM_TZ)
    return moment.strftime(DATE_TIME_FORMAT)


def parse_date_time(value: Any) -> datetime | None:
    """Thulium's `YYYY-MM-DD hh:mm[:ss]` as an aware Warsaw datetime; "" and null are None."""
    if value in (None, ""):
        return None
    return _parse_thulium_date(str(value).strip())


# A listing carries three dates a record: strptime took a fifth of a 100k-record read (and
# holds a lock across reading threads). The form is checked, then read by fromisoformat.
_THULIUM_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?", re.ASCII)


@functools.lru_cache(maxsize=65_536)
def _parse_thulium_date(text: str) -> datetime:
    if _THULIUM_DATE_RE.fullmatch(text):
        try:
            return datetime.fromisoformat(text).replace(tzinfo=THULIUM_TZ)
        except ValueError:
            pass
    raise ThuliumProtocolError(f"Thulium sent a date we cannot read: {text!r}.")


def changes_payload(changes: RecordChanges) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if changes.status_id is not None:
        payload["status_id"] = changes.status_id
    if changes.dictionary_status_id is not None:
        payload["dictionary_status_id"] = changes.dictionary_status_id
    if changes.agent_login is not None:
        payload["agent_login"] = changes.agent_login
    if changes.next_call_date is not None:
        payload["next_call_date"] = format_date_time(changes.next_call_date)
    if changes.record_fields:
        payload["record_fields"] = dict(changes.record_fields)
    return payload


def edit_payload(row: RecordEdit) -> dict[str, Any]:
    payload = {"phone_number": row.phone_number} | changes_payload(row)
    if row.search_in_additional_numbers is not None:
        payload["search_in_additional_numbers"] = row.search_in_additional_numbers
    return payload


def new_payload(row: NewRecord) -> dict[str, Any]:
    payload = {"phone_number": row.phone_number} | changes_payload(row)
    if row.identifier is not None:
        payload["identifier"] = row.identifier
    if row.order is not None:
        payload["order"] = row.order
    return payload


def unknown_field(message: str) -> str | None:
    """The record field a per-row message says the campaign does not have, if it says so."""
    match = UNKNOWN_FIELD_RE.match(message or "")
    return match["field"] if match else None
