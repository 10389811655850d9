"""Who is trying to log in, as django-axes counts failed logins.

Behind the reverse proxy of the production shape every request comes from the proxy's address,
so the client's own address is read from X-Forwarded-For: each trusted proxy appends the
address it saw, and the entry TRUSTED_PROXY_COUNT places from the right is the last one written
by a proxy of ours (entries further left are whatever the client sent, and can be forged).

Two limits, both counted over LOGIN_LOCKOUT_MINUTES:
- one user name from one address: LOGIN_FAILURE_LIMIT failures pause that pair only, so nobody
  can lock another person out from somewhere else;
- one address, whatever the names: LOGIN_ADDRESS_FAILURE_LIMIT (higher) failures pause every
  login from it, so a spray of many names, each tried once or twice, is throttled too.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone


def client_address(request: HttpRequest) -> str:
    """The address of the person at the other end: REMOTE_ADDR when no proxy is trusted, else
    the entry of X-Forwarded-For that our outermost trusted proxy wrote."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [entry.strip() for entry in header.split(",") if entry.strip()]
    if not forwarded:
        return remote  # not through the proxy (e.g. the health check from the same machine)
    # Fewer entries than proxies: the request skipped an outer proxy, so every entry was
    # written by ours, and the leftmost is the farthest address they saw.
    candidate = forwarded[-proxies] if len(forwarded) >= proxies else forwarded[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote  # a proxy of ours wrote something else; never store it as an address


@dataclass(frozen=True)
class Lockout:
    by_address: bool  # every name from this address, not one name
    until: datetime


def failure_limit(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
    """AXES_FAILURE_LIMIT: axes compares it with the failures of one name from one address. Once
    the address has used up its own, higher limit, no failure is allowed from it at all."""
    if _address_lock_ends(_address(request)) is not None:
        return 0
    return settings.LOGIN_FAILURE_LIMIT


def lockout(request: HttpRequest, credentials: dict[str, Any] | None = None) -> Lockout | None:
    """Why this login is paused and until when, or None when it is not."""
    address = _address(request)
    if (until := _address_lock_ends(address)) is not None:
        return Lockout(by_address=True, until=until)
    username = get_client_username(request, credentials)
    attempts = _recent(AccessAttempt.objects.filter(ip_address=address, username=username))
    if (until := _lock_ends(attempts, settings.LOGIN_FAILURE_LIMIT)) is not None:
        return Lockout(by_address=False, until=until)
    return None


def _address(request: HttpRequest) -> str:
    # Set by axes on the requests it watches; a page can ask before axes has.
    return getattr(request, "axes_ip_address", None) or client_address(request)


def _address_lock_ends(address: str) -> datetime | None:
    attempts = _recent(AccessAttempt.objects.filter(ip_address=address))
    return _lock_ends(attempts, settings.LOGIN_ADDRESS_FAILURE_LIMIT)


def _recent(attempts: QuerySet[AccessAttempt]) -> QuerySet[AccessAttempt]:
    return attempts.filter(attempt_time__gte=timezone.now() - _cool_off())


def _lock_ends(attempts: QuerySet[AccessAttempt], limit: int) -> datetime | None:
    """When the failures still counted fall below `limit`: each attempt record stops counting
    `cool off` after its latest failure, oldest first, so the pause ends when the record that
    brought the newest failures to the limit stops counting."""
    counted = 0
    for attempt_time, failures in attempts.order_by("-attempt_time").values_list(
        "attempt_time", "failures_since_start"
    ):
        counted += failures
        if counted >= limit:
            return attempt_time + _cool_off()
    return None


def _cool_off() -> timedelta:
    return get_cool_off() or timedelta(0)
