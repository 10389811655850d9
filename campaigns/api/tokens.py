"""Who is asking the API, and how often: a bearer token acting as its user, with the user's role
and grants, and at most API_RATE_PER_MINUTE requests a minute per token."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from campaigns.models import ApiToken
from campaigns.services.api_tokens import api_token_find


class TokenAuth(HttpBearer):
    """`Authorization: Bearer thd_…`: the request acts as the token's user, as a page would for
    that user logged in (grid_or_404 and the permission backend read request.user)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_find(token)
        if found is not None:
            request.user = found.user
        return found


class TokenRate(SimpleRateThrottle):
    """A sliding minute per token, counted in Django's cache (shared between the server's
    processes only when the cache is: see README, API_RATE_PER_MINUTE). The rate is read from
    the settings on each request, so a changed setting needs no new API object."""

    cache = cache
    scope = "api-token"

    def __init__(self) -> None:
        self.rate = None
        self.num_requests, self.duration = None, None

    def allow_request(self, request: HttpRequest) -> bool:
        self.num_requests, self.duration = settings.API_RATE_PER_MINUTE, 60
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token: Any = getattr(request, "auth", None)
        return f"api-rate:{token.pk}" if isinstance(token, ApiToken) else None
