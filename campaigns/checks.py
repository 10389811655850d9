"""Our own checks, beside Django's: the audit log's triggers on every start (`manage.py
check`, which runserver, migrate and the other commands run first), and deployment settings
(`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError, connections

from campaigns.database.audit_triggers import triggers_expected, triggers_missing

AUDIT_KEY_MIN_LENGTH = 32


@register(Tags.security, deploy=True)
def audit_key_check(app_configs: Any, **kwargs: Any) -> list[Any]:
    key = settings.AUDIT_KEY
    if settings.AUDIT_KEY_FILE is not None:
        return [
            Error(
                "AUDIT_KEY is not set: the audit log is keyed with this install's development "
                f"key ({settings.AUDIT_KEY_FILE}).",
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


@register(Tags.security, deploy=True)
def connections_key_check(app_configs: Any, **kwargs: Any) -> list[Any]:
    """CONNECTIONS_KEY may be unset (a system from the environment keeps no password here);
    when set, each key must be its own and long."""
    found: list[Any] = []
    if settings.CONNECTIONS_KEY_FILE is not None:
        found.append(
            Error(
                "CONNECTIONS_KEY is not set: Thulium passwords are sealed with this install's "
                f"development key ({settings.CONNECTIONS_KEY_FILE}).",
                hint="Set CONNECTIONS_KEY to a long random string kept outside the database.",
                id="campaigns.E004",
            )
        )
    elif {settings.SECRET_KEY, settings.AUDIT_KEY} & set(settings.CONNECTIONS_KEY):
        found.append(
            Error(
                "A key of CONNECTIONS_KEY is the same as SECRET_KEY or AUDIT_KEY.",
                hint="Give the sealed passwords a key of their own.",
                id="campaigns.E005",
            )
        )
    elif any(len(key) < AUDIT_KEY_MIN_LENGTH for key in settings.CONNECTIONS_KEY):
        found.append(
            Warning(
                f"A key of CONNECTIONS_KEY has fewer than {AUDIT_KEY_MIN_LENGTH} characters.",
                hint="Use a long random string, e.g. python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'.",
                id="campaigns.W003",
            )
        )
    return found


@register(Tags.security)
def audit_triggers_check(app_configs: Any, databases: Any = None, **kwargs: Any) -> list[Any]:
    """Not a `database`-tagged check on purpose: those run only when asked for, and a log that
    the database lets anyone rewrite must stop every start."""
    problems: list[Any] = []
    for connection in connections.all(initialized_only=False):
        try:
            missing = triggers_missing(connection) if triggers_expected(connection) else []
        except DatabaseError:
            # A database that cannot be reached is said loudly by whatever uses it next.
            continue
        if missing:
            problems.append(
                Error(
                    f"The audit log of database “{connection.alias}” is not append-only: "
                    f"trigger(s) {', '.join(missing)} are missing or disabled, so anyone who "
                    "can write the database can change or remove entries unseen.",
                    hint="Put them back with `manage.py migrate --skip-checks` (every migrate "
                    "makes sure of them), then run `manage.py verify_audit`.",
                    id="campaigns.E003",
                )
            )
    return problems


@register(Tags.security, deploy=True)
def audit_head_file_check(app_configs: Any, **kwargs: Any) -> list[Any]:
    if settings.AUDIT_HEAD_FILE is None:
        return [
            Warning(
                "AUDIT_HEAD_FILE is not set: verify_audit does not record the log's head "
                "outside the database, so a log cut short and wound back looks intact.",
                hint="Set AUDIT_HEAD_FILE to a file the database's users cannot write, and "
                "run `manage.py verify_audit` daily.",
                id="campaigns.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def do_not_contact_key_check(app_configs: Any, **kwargs: Any) -> list[Any]:
    """DO_NOT_CONTACT_KEY keys the list's hashes: without it the list cannot be kept or read."""
    if settings.DO_NOT_CONTACT_KEY_FILE is not None:
        return [
            Error(
                "DO_NOT_CONTACT_KEY is not set: the do-not-contact list is keyed with this "
                f"install's development key ({settings.DO_NOT_CONTACT_KEY_FILE}).",
                hint="Set DO_NOT_CONTACT_KEY to a long random string kept outside the database.",
                id="campaigns.E006",
            )
        ]
    if not settings.DO_NOT_CONTACT_KEY:
        return [
            Warning(
                "DO_NOT_CONTACT_KEY is not set: no number can be put on the do-not-contact list, "
                "and grids are not checked against it.",
                hint="Set DO_NOT_CONTACT_KEY to a long random string kept outside the database.",
                id="campaigns.W005",
            )
        ]
    if settings.DO_NOT_CONTACT_KEY in {settings.SECRET_KEY, settings.AUDIT_KEY}:
        return [
            Error(
                "DO_NOT_CONTACT_KEY is the same as SECRET_KEY or AUDIT_KEY.",
                hint="Give the do-not-contact list a key of its own.",
                id="campaigns.E007",
            )
        ]
    return []
