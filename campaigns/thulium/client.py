"""The Thulium REST API client: everything on the wire, nothing about our models.

URLs, JSON keys, the `YYYY-MM-DD hh:mm` date format, Basic auth, timeouts and the retry policy
live here and nowhere else. Inputs and results are frozen dataclasses; failures are the
`ThuliumError` hierarchy, each carrying Thulium's `request_id` (support asks for it); both are
defined in vocabulary.py; answers.py reads Thulium's answers into them. Those two pure modules
are the only ones of ours this one imports.

Retry policy: GET, PUT and DELETE are retried on connection errors, timeouts, 429 and 502/503/504,
with capped exponential backoff (or Thulium's `Retry-After`), bounded in attempts and by an overall
deadline per call. PUT is safe to repeat: editing a record to the same values twice leaves it as
once. POST (adding records) is never retried: a lost answer may hide records Thulium did add, and
resending would add them twice. 401/403 are never retried.

Waits: a `Retry-After` is read within [0, `retry_after_cap`] whatever it says (a huge number, an
HTTP date far away); one that is negative or neither a number nor a date counts as absent. The
client never sleeps longer than `backoff_cap` between two attempts: a longer `Retry-After` is
raised at once (`ThuliumUnavailable.retry_after`), for the caller to come back later instead of
holding its worker.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import quote, urljoin

import requests
from requests.auth import HTTPBasicAuth

from campaigns.thulium.answers import (
    int_or_none,
    list_of_objects,
    need,
    record_of,
    retry_after_seconds,
    row_result,
    row_results,
)
from campaigns.thulium.vocabulary import (
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
    new_payload,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 100  # Thulium's maximum `limit`
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})


# --- configuration -------------------------------------------------------------------------


@dataclass(frozen=True)
class ThuliumConfig:
    base_url: str
    user: str
    password: str = field(repr=False)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    deadline: float = 120.0  # one call, every retry and wait included
    max_retries: int = 4
    backoff_base: float = 0.5
    # The longest the client sleeps between two attempts of a call, its own backoff or
    # Thulium's Retry-After alike; a longer wait is the caller's to schedule.
    backoff_cap: float = 8.0
    # The longest wait a Retry-After is read as (seconds), whatever it says.
    retry_after_cap: float = 300.0


class _Answer(NamedTuple):
    data: Any
    request_id: str | None


# --- the client -----------------------------------------------------------------------------


def _status_filters(status_ids: Sequence[str], system_statuses: Sequence[str]) -> dict[str, Any]:
    """The record listing's status filters, as its query parameters."""
    params: dict[str, Any] = {}
    if status_ids:
        params["status_id[]"] = list(status_ids)
    if system_statuses:
        params["system_status[]"] = list(system_statuses)
    return params


class ThuliumClient:
    def __init__(self, config: ThuliumConfig, *, session: requests.Session | None = None) -> None:
        self.config = config
        base = config.base_url if config.base_url.endswith("/") else config.base_url + "/"
        self.base_url = base
        self.session = session or requests.Session()
        # As UTF-8 (RFC 7617): requests would encode text as Latin-1, and fail on "hasło".
        self.session.auth = HTTPBasicAuth(
            config.user.encode("utf-8"), config.password.encode("utf-8")
        )
        self.session.headers.update({"Accept": "application/json"})

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ThuliumClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- campaigns ------------------------------------------------------------------------

    def list_campaigns(self) -> list[Campaign]:
        data = self._call("GET", "outbounds").data
        return [
            Campaign(
                id=str(need(item, "id")),
                name=str(item.get("name") or ""),
                active=item.get("active") if isinstance(item.get("active"), bool) else None,
                type=str(item.get("type") or ""),
                raw=MappingProxyType(dict(item)),
            )
            for item in list_of_objects(data, "outbounds")
        ]

    def campaign_stats(self) -> list[CampaignStats]:
        data = self._call("GET", "outbounds/stats").data
        return [
            CampaignStats(
                id=str(need(item, "id")),
                records_count=int(need(item, "records_count")),
                completion_percent=float(item.get("completion_percent") or 0),
            )
            for item in list_of_objects(data, "outbounds/stats")
        ]

    def statuses(self, campaign_id: str) -> list[Status]:
        data = self._call("GET", f"outbounds/{_seg(campaign_id)}/statuses").data
        return [
            Status(
                status_id=str(need(item, "status_id")),
                name=str(item.get("name") or ""),
                system_status=str(need(item, "system_status")),
                dictionary_status_id=int_or_none(item.get("dictionary_status_id")),
            )
            for item in list_of_objects(data, "statuses")
        ]

    def agents(self, campaign_id: str) -> list[Agent]:
        data = self._call("GET", f"outbounds/{_seg(campaign_id)}/agents").data
        return [
            Agent(
                login=str(need(item, "login")),
                number=str(item.get("number") or ""),
                active=bool(item.get("active")),
                active_in_outbound=bool(item.get("active_in_outbound")),
                agent_id=int_or_none(item.get("agent_id")),
            )
            for item in list_of_objects(data, "agents")
        ]

    # --- records --------------------------------------------------------------------------

    def iter_records(
        self,
        campaign_id: str,
        *,
        status_ids: Sequence[str] = (),
        system_statuses: Sequence[str] = (),
        created_from: date | None = None,
        created_to: date | None = None,
        called_from: date | None = None,
        called_to: date | None = None,
        concurrency: int = 1,
        on_page: Callable[[int, int], None] | None = None,
    ) -> Iterator[Record]:
        """Every matching record, fetched 100 at a time (Thulium's maximum page); with
        `concurrency`, that many pages at once. `on_page(read, total)` follows the reading."""
        params = {"limit": PAGE_SIZE, **_status_filters(status_ids, system_statuses)}
        for name, day in (
            ("create_date_from", created_from),
            ("create_date_to", created_to),
            ("call_date_from", called_from),
            ("call_date_to", called_to),
        ):
            if day is not None:
                params[name] = day.strftime("%Y-%m-%d")
        path = f"outbounds/{_seg(campaign_id)}/records"
        first = self._records_page(path, params, 0)
        total = int(first.get("count") or 0)
        yield from map(record_of, first["result"])
        if on_page is not None:
            on_page(len(first["result"]), total)
        if concurrency > 1 and len(first["result"]) == PAGE_SIZE:
            yield from self._records_concurrently(path, params, total, concurrency, on_page)
            return
        offset = len(first["result"])
        page = first["result"]
        while page and offset < total:
            page = self._records_page(path, params, offset)["result"]
            yield from map(record_of, page)
            offset += len(page)
            if on_page is not None:
                on_page(offset, total)

    def _records_page(self, path: str, params: dict[str, Any], offset: int) -> dict[str, Any]:
        data = self._call("GET", path, params=params | {"offset": offset}).data
        if not isinstance(data, dict) or not isinstance(data.get("result"), list):
            raise ThuliumProtocolError("The record listing has no result list.")
        return data

    def _records_concurrently(
        self,
        path: str,
        params: dict[str, Any],
        total: int,
        concurrency: int,
        on_page: Callable[[int, int], None] | None,
    ) -> Iterator[Record]:
        """The pages after the first, `concurrency` at a time, in order. Pages are independent
        reads: each thread has its own connection. The count is the first page's; records
        added meanwhile may be missed, as with one page at a time."""
        local = threading.local()
        clients: list[ThuliumClient] = []

        def page(offset: int) -> list[Any]:
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = ThuliumClient(self.config)
                clients.append(client)
            return client._records_page(path, params, offset)["result"]

        read = PAGE_SIZE
        pool = ThreadPoolExecutor(max_workers=concurrency)
        try:
            for result in pool.map(page, range(PAGE_SIZE, total, PAGE_SIZE)):
                yield from map(record_of, result)
                read += len(result)
                if on_page is not None:
                    on_page(min(read, total), total)
        finally:
            # A failed page ends the read: the pages not started yet are not fetched.
            pool.shutdown(wait=True, cancel_futures=True)
            for client in clients:
                client.close()

    def count_records(
        self,
        campaign_id: str,
        *,
        status_ids: Sequence[str] = (),
        system_statuses: Sequence[str] = (),
    ) -> int:
        """How many records match, from the listing's count (one record fetched, not all)."""
        params = {"limit": 1, "offset": 0, **_status_filters(status_ids, system_statuses)}
        data = self._call("GET", f"outbounds/{_seg(campaign_id)}/records", params=params).data
        if not isinstance(data, dict) or not isinstance(data.get("count"), int):
            raise ThuliumProtocolError("The record listing has no count.")
        return data["count"]

    def list_records(self, campaign_id: str, **filters: Any) -> list[Record]:
        return list(self.iter_records(campaign_id, **filters))

    def batch_edit(
        self,
        campaign_id: str,
        rows: Sequence[RecordEdit],
        *,
        search_in_additional_numbers: bool = False,
    ) -> BatchResult:
        phones = _unique_phones(rows)
        if not rows:
            return BatchResult(rows=MappingProxyType({}), request_id=None)
        body = {"records": [edit_payload(row) for row in rows]}
        params = {"search_in_additional_numbers": "true"} if search_in_additional_numbers else None
        data, request_id = self._call(
            "PUT",
            f"batch/outbounds/{_seg(campaign_id)}/records",
            json=body,
            params=params,
        )
        return BatchResult(rows=row_results(data, phones), request_id=request_id)

    def batch_add(self, campaign_id: str, rows: Sequence[NewRecord]) -> BatchResult:
        phones = _unique_phones(rows)
        if not rows:
            return BatchResult(rows=MappingProxyType({}), request_id=None)
        body = {"records": [new_payload(row) for row in rows]}
        data, request_id = self._call(
            "POST",
            f"batch/outbounds/{_seg(campaign_id)}/records",
            json=body,
        )
        return BatchResult(rows=row_results(data, phones), request_id=request_id)

    def batch_delete(
        self,
        campaign_id: str,
        phone_numbers: Sequence[str],
        *,
        search_in_additional_numbers: bool = False,
    ) -> DeleteResult:
        phones = list(dict.fromkeys(phone_numbers))
        if not phones:
            return DeleteResult(rows=MappingProxyType({}), request_id=None)
        params: dict[str, Any] = {"phone_number[]": phones}
        if search_in_additional_numbers:
            params["search_in_additional_numbers"] = "true"
        data, request_id = self._call(
            "DELETE",
            f"batch/outbounds/{_seg(campaign_id)}/records",
            params=params,
        )
        if not isinstance(data, dict):
            raise ThuliumProtocolError("The delete answer is not an object keyed by phone number.")
        rows: dict[str, tuple[RowResult, ...]] = {}
        for phone in phones:
            answer = data.get(phone)
            if not isinstance(answer, list) or not answer:
                rows[phone] = (RowResult(phone_number=phone, http_status=None, known=False),)
            else:
                rows[phone] = tuple(row_result(phone, item) for item in answer)
        return DeleteResult(rows=MappingProxyType(rows), request_id=request_id)

    def edit_record_by_identifier(
        self, campaign_id: str, identifier: str, changes: RecordChanges
    ) -> None:
        self._call(
            "PUT",
            f"outbounds/{_seg(campaign_id)}/records_by_identifier/{_seg(identifier)}",
            json=changes_payload(changes),
        )

    # --- transport ------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> _Answer:
        config = self.config
        url = urljoin(self.base_url, path)
        started = time.monotonic()
        retries_left = config.max_retries if method in IDEMPOTENT_METHODS else 0
        attempt = 0
        while True:
            attempt += 1
            remaining = config.deadline - (time.monotonic() - started)
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    timeout=(
                        max(0.01, min(config.connect_timeout, remaining)),
                        max(0.01, min(config.read_timeout, remaining)),
                    ),
                )
            except requests.Timeout as exc:
                error: ThuliumError = ThuliumUnavailable(
                    f"Thulium did not answer {method} {path} in time ({type(exc).__name__})."
                )
            except requests.ConnectionError as exc:
                error = ThuliumUnavailable(
                    f"Could not talk to Thulium for {method} {path} ({type(exc).__name__})."
                )
            except requests.RequestException as exc:
                raise ThuliumProtocolError(
                    f"{method} {path} failed: {type(exc).__name__}."
                ) from exc
            else:
                logger.debug(
                    "thulium %s %s -> %s in %.0f ms (attempt %d)",
                    method,
                    path,
                    response.status_code,
                    response.elapsed.total_seconds() * 1000,
                    attempt,
                )
                if response.ok:
                    data = _json_body(response, method, path)
                    return _Answer(data, _request_id(response, data))
                error = _http_error(response, method, path, config.retry_after_cap)
                if response.status_code not in RETRYABLE_STATUSES:
                    raise error

            wait = self._wait_before_retry(error, attempt)
            elapsed = time.monotonic() - started
            if retries_left <= 0 or wait is None or elapsed + wait >= config.deadline:
                raise error
            logger.warning(
                "thulium %s %s: %s; retrying in %.1f s", method, path, error.summary, wait
            )
            retries_left -= 1
            time.sleep(wait)

    def _wait_before_retry(self, error: ThuliumError, attempt: int) -> float | None:
        """Seconds to wait before trying again; None when waiting here is not worth it."""
        config = self.config
        if isinstance(error, ThuliumUnavailable) and error.retry_after is not None:
            # A long Retry-After is better served by rescheduling than by blocking a worker:
            # while it sleeps, nothing else (another campaign's sending, a cancel) is done.
            return error.retry_after if error.retry_after <= config.backoff_cap else None
        backoff = min(config.backoff_cap, config.backoff_base * 2 ** (attempt - 1))
        return backoff * random.uniform(0.5, 1.0)


# --- wire helpers ---------------------------------------------------------------------------


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def _unique_phones(rows: Sequence[RecordEdit] | Sequence[NewRecord]) -> list[str]:
    phones = [row.phone_number for row in rows]
    if len(set(phones)) != len(phones):
        # Thulium answers per phone: two rows with one phone would share one answer.
        raise ValueError("A batch must not contain the same phone number twice.")
    return phones


def _json_body(response: requests.Response, method: str, path: str) -> Any:
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise ThuliumProtocolError(
            f"Thulium answered {method} {path} with a body that is not JSON.",
            http_status=response.status_code,
            request_id=response.headers.get("X-Request-Id"),
        ) from None


def _request_id(response: requests.Response, data: Any = None) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("request_id"), str):
        return data["request_id"]
    return response.headers.get("X-Request-Id")


def _http_error(
    response: requests.Response, method: str, path: str, retry_after_cap: float
) -> ThuliumError:
    status = response.status_code
    try:
        data = response.json()
    except ValueError:
        data = None
    messages: list[str] = []
    if isinstance(data, dict) and isinstance(data.get("errors"), list):
        for item in data["errors"]:
            if isinstance(item, dict) and item.get("message"):
                messages.append(str(item["message"]))
    kwargs: dict[str, Any] = {
        "http_status": status,
        "request_id": _request_id(response, data),
        "messages": messages,
    }
    summary = f"Thulium answered {method} {path} with HTTP {status}."
    if status in (401, 403):
        return ThuliumAuthError(summary, **kwargs)
    if status == 404:
        return ThuliumNotFound(summary, **kwargs)
    retry_after = retry_after_seconds(response.headers.get("Retry-After"), cap=retry_after_cap)
    if status == 429:
        return ThuliumRateLimited(summary, retry_after=retry_after, **kwargs)
    if 400 <= status < 500:
        return ThuliumRejected(summary, **kwargs)
    if status >= 500:
        return ThuliumUnavailable(summary, retry_after=retry_after, **kwargs)
    return ThuliumProtocolError(summary, **kwargs)
