"""Our own deployment checks (`manage.py check --deploy`), beside Django's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

AUDIT_KEY_MIN_LENGTH = 32


@register(Tags.security, deploy=True)
def audit_key_check(app_configs: Any, **kwargs: Any) -> list[Any]:
    key = settings.AUDIT_KEY
    if key == settings.DEVELOPMENT_AUDIT_KEY:
        return [
            Error(
                "AUDIT_KEY is not set: the audit log is keyed with the development key.",
                hint="Set AUDIT_KEY to a long random string kept outside the database.",
                id="campaigns.E001",
            )
        ]
    if key == settings.SECRET_KEY:
        return [
            Error(
                "AUDIT_KEY is the same as SECRET_KEY.",
                hint="Give the audit log a key of its own, so one leaked secret is not both.",
                id="campaigns.E002",
            )
        ]
    if len(key) < AUDIT_KEY_MIN_LENGTH:
        return [
            Warning(
                f"AUDIT_KEY has fewer than {AUDIT_KEY_MIN_LENGTH} characters.",
                hint="Use a long random string, e.g. python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'.",
                id="campaigns.W001",
            )
        ]
    return []
