"""Logins go into the audit log. Django announces them only by signal; the receivers just call
the audit service."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from campaigns.models import AuditEntry
from campaigns.services.audit import audit


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit(action=AuditEntry.Action.LOGIN, actor=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any):
    # The password never goes into the log: only the user name that was tried.
    audit(
        action=AuditEntry.Action.LOGIN_FAILED,
        actor=None,
        username=str(credentials.get("username", ""))[:150],
    )
