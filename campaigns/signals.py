"""What Django announces only by signal: logins go into the audit log, and after every migrate
(and every flush) the roles and the audit log's triggers are made sure of. The receivers just
call the services."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import connections
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from campaigns.database.audit_triggers import triggers_ensure
from campaigns.models import AuditEntry
from campaigns.services.audit import audit
from campaigns.services.powers import roles_ensure_audited
from campaigns.services.systems import system_from_environment_ensure


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit(action=AuditEntry.Action.LOGIN, actor=user)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # The password never goes into the log: only the user name that was tried.
    audit(
        action=AuditEntry.Action.LOGIN_FAILED,
        actor=None,
        username=str(credentials.get("username", ""))[:150],
    )


@receiver(post_migrate, dispatch_uid="campaigns.after_migrate")
def _after_migrate(sender: Any, using: str, **kwargs: Any) -> None:
    if sender.name != "campaigns":
        return
    # The groups are there with their rights (a change of them audited) ...
    roles_ensure_audited()
    # ... an install that sets THULIUM_BASE_URL has it as a system ...
    system_from_environment_ensure()
    # ... and a migration that rebuilt the audit table (SQLite drops a table's triggers with
    # it) never leaves the log without them.
    triggers_ensure(connections[using])
