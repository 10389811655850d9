"""Thulium: its vocabulary (pure), its HTTP client, and the connection built from settings.

`from campaigns import thulium` keeps working as it did when this was one module: every name
importers use is here. The vocabulary is imported at once; the client only when one of its names
is first asked for, so that importing `campaigns.thulium.vocabulary` (which runs this file first)
does not load `requests` (tests/unit/test_thulium_vocabulary.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from campaigns.thulium.vocabulary import (
    ADDED,
    ALREADY_EXISTS,
    CALL_IN_PROGRESS,
    CALL_NO_SOONER_THAN,
    DATE_TIME_FORMAT,
    FAILED,
    MY_RECORD,
    NEEDS_AGENT,
    NEEDS_DATE,
    NOT_EXIST,
    REMOVED,
    THULIUM_TZ,
    UNKNOWN_FIELD_RE,
    Agent,
    BatchResult,
    Campaign,
    CampaignStats,
    DeleteResult,
    NewRecord,
    Record,
    RecordChanges,
    RecordEdit,
    RowResult,
    Status,
    ThuliumAuthError,
    ThuliumError,
    ThuliumNotFound,
    ThuliumProtocolError,
    ThuliumRateLimited,
    ThuliumRejected,
    ThuliumUnavailable,
    changes_payload,
    edit_payload,
    format_date_time,
    new_payload,
    parse_date_time,
    unknown_field,
)

if TYPE_CHECKING:
    from campaigns.thulium.answers import retry_after_seconds
    from campaigns.thulium.client import PAGE_SIZE, ThuliumClient, ThuliumConfig

_FROM_CLIENT = frozenset({"PAGE_SIZE", "ThuliumClient", "ThuliumConfig", "retry_after_seconds"})

__all__ = [
    "ADDED",
    "ALREADY_EXISTS",
    "CALL_IN_PROGRESS",
    "CALL_NO_SOONER_THAN",
    "DATE_TIME_FORMAT",
    "FAILED",
    "MY_RECORD",
    "NEEDS_AGENT",
    "NEEDS_DATE",
    "NOT_EXIST",
    "PAGE_SIZE",
    "REMOVED",
    "THULIUM_TZ",
    "UNKNOWN_FIELD_RE",
    "Agent",
    "BatchResult",
    "Campaign",
    "CampaignStats",
    "DeleteResult",
    "NewRecord",
    "Record",
    "RecordChanges",
    "RecordEdit",
    "RowResult",
    "Status",
    "ThuliumAuthError",
    "ThuliumClient",
    "ThuliumConfig",
    "ThuliumError",
    "ThuliumNotFound",
    "ThuliumProtocolError",
    "ThuliumRateLimited",
    "ThuliumRejected",
    "ThuliumUnavailable",
    "changes_payload",
    "edit_payload",
    "format_date_time",
    "new_payload",
    "parse_date_time",
    "retry_after_seconds",
    "unknown_field",
]


def __getattr__(name: str) -> Any:
    # Loaded lazily, on purpose: `requests` is the heavy part, and the pure vocabulary must be
    # importable without it. After the first use the name is an ordinary module attribute.
    if name in _FROM_CLIENT:
        value = getattr(importlib.import_module("campaigns.thulium.client"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
