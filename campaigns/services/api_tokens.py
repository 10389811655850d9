"""API tokens: made (the secret shown once), found from the secret an integration sends, and
revoked. Only the secret's SHA-256 is stored; making and revoking one are audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from campaigns.models import ApiToken, AuditEntry
from campaigns.services.audit import audit

# Every key starts with this, so a secret scanner (or a person) can tell one in a log or a repo.
KEY_START = "thd_"
PREFIX_CHARS = 8
# Writing last_used_at on every request would write a row per request: once a minute is as
# exact as the settings page shows it.
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class MadeToken:
    token: ApiToken
    secret: str  # the whole key: shown once, never stored


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> MadeToken:
    """A new key for `user`, acting with their role and grants."""
    body = secrets.token_urlsafe(32)
    secret = f"{KEY_START}{body}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100],
            prefix=secret[: len(KEY_START) + PREFIX_CHARS],
            digest=token_digest(secret),
        )
        audit(
            action=AuditEntry.Action.API_TOKEN_CREATED,
            actor=user,
            token_id=token.pk,
            name=token.name,
            prefix=token.prefix,
        )
    return MadeToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken, actor: User) -> bool:
    """Revoke the key from now on; False when it already was."""
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if changed:
            audit(
                action=AuditEntry.Action.API_TOKEN_REVOKED,
                actor=actor,
                token_id=token.pk,
                name=token.name,
                prefix=token.prefix,
            )
    return bool(changed)


def api_token_find(secret: str) -> ApiToken | None:
    """The live key `secret` is, with its user (an active one), noted as used; None for a key
    that does not exist, was revoked, or whose user can no longer log in."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def user_api_tokens(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user))
