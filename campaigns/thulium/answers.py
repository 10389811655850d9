"""Thulium's answers read into the vocabulary's types: a record of the listing, a row's verdict
in a batch answer, a Retry-After header. Pure: a malformed answer raises ThuliumProtocolError,
and nothing else happens. The client (client.py) fetches; this module reads."""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping, Sequence
from datetime import UTC
from types import MappingProxyType
from typing import Any

from campaigns.thulium.vocabulary import (
    Record,
    RowResult,
    ThuliumProtocolError,
    parse_date_time,
)


def list_of_objects(data: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ThuliumProtocolError(f"Thulium's answer for {what} is not a list of objects.")
    return data


def need(item: Mapping[str, Any], key: str) -> Any:
    if item.get(key) in (None, ""):
        raise ThuliumProtocolError(f"Thulium's answer lacks {key!r}.")
    return item[key]


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def record_of(item: Any) -> Record:
    if not isinstance(item, dict):
        raise ThuliumProtocolError("A record in the listing is not an object.")
    return Record(
        record_id=int(need(item, "record_id")),
        phone_number=str(need(item, "phone_number")),
        system_status=str(item.get("system_status") or ""),
        status=str(item.get("status") or ""),
        status_id=str(item.get("status_id") or ""),
        call_date=parse_date_time(item.get("call_date")),
        create_date=parse_date_time(item.get("create_date")),
        next_call_date=parse_date_time(item.get("next_call_date")),
        agent_name=str(item.get("agent_name") or ""),
        agent_login=str(item.get("agent_login") or ""),
        last_note=str(item.get("last_note") or ""),
        identifier=str(item.get("identifier") or ""),
        order=int_or_none(item.get("order")),
    )


def row_result(phone: str, item: Any) -> RowResult:
    if not isinstance(item, dict) or int_or_none(item.get("http_status")) is None:
        return RowResult(phone_number=phone, http_status=None, known=False)
    return RowResult(
        phone_number=phone,
        http_status=int(item["http_status"]),
        status=str(item.get("status") or ""),
        message=str(item.get("message") or ""),
        record_id=int_or_none(item.get("record_id")),
    )


def row_results(data: Any, phones: Sequence[str]) -> Mapping[str, RowResult]:
    if not isinstance(data, dict):
        raise ThuliumProtocolError("The batch answer is not an object keyed by phone number.")
    # A phone Thulium's answer does not mention is "unknown": never counted as success.
    return MappingProxyType({phone: row_result(phone, data.get(phone)) for phone in phones})


def retry_after_seconds(value: str | None, *, cap: float) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds within [0, cap]; None when
    absent or unreadable (a negative number, text, NaN). Never raises: `1e12` or a date in the
    year 9999 is `cap`, a date past is 0."""
    text = (value or "").strip()
    if not text:
        return None
    seconds: float | None
    try:
        seconds = float(text)
    except ValueError:
        seconds = seconds_until(text)
    else:
        if math.isnan(seconds) or seconds < 0:
            return None
    if seconds is None:
        return None
    return min(max(0.0, seconds), max(0.0, float(cap)))


def seconds_until(http_date: str) -> float | None:
    try:
        moment = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        # RFC 9110 dates are GMT; "-0000" comes back without a zone.
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.timestamp() - time.time()
    except (OverflowError, ValueError):
        return None
