"""The Thulium systems of this install: adding, changing, testing and removing one, the system
from the environment made sure of after migrate, and resealing every password under a new key.

Every change is an audit entry naming the system; a password is never in one (only that it
changed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import thulium
from campaigns.models import AuditEntry, Grid, ThuliumSystem
from campaigns.sealing import SealBroken, SealingKeyMissing, reseal, seal
from campaigns.services.audit import audit
from campaigns.services.connection import describe_thulium_error, thulium_client

A = AuditEntry.Action


class SystemProblem(Exception):
    """A change to a system that cannot be made, in the reader's words."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _sealed(password: str) -> str:
    try:
        return seal(password)
    except SealingKeyMissing:
        raise SystemProblem(
            _(
                "CONNECTIONS_KEY is not set, so no password can be kept. Set it to a long random "
                "string in the environment of the dashboard, the worker and the commands (see "
                "docs/operations.md), and try again."
            )
        ) from None


def _checked(system: ThuliumSystem) -> None:
    try:
        system.full_clean(exclude=["password_sealed"])
    except ValidationError as error:
        raise SystemProblem(" ".join(m for ms in error.message_dict.values() for m in ms)) from None


def thulium_system_add(
    *, name: str, base_url: str, api_user: str, password: str, actor: User | None
) -> ThuliumSystem:
    """A new system; its password sealed. Refused when the name is taken or malformed."""
    system = ThuliumSystem(name=name.strip(), base_url=base_url.strip(), api_user=api_user.strip())
    _checked(system)
    if not password:
        raise SystemProblem(_("The API password is empty. Give the API user's password."))
    system.password_sealed = _sealed(password)
    with transaction.atomic():
        system.save()
        audit(
            action=A.SYSTEM_ADDED,
            actor=actor,
            system=system,
            name=system.name,
            base_url=system.base_url,
            api_user=system.api_user,
        )
    return system


def thulium_system_change(
    *,
    system: ThuliumSystem,
    actor: User | None,
    base_url: str | None = None,
    api_user: str | None = None,
    password: str | None = None,
    retention_days: int | None = None,
) -> ThuliumSystem:
    """Change what is given (None: unchanged). A system from the environment takes its
    connection from the environment: setting one here makes it a system kept here."""
    if password_needed_again(system=system, base_url=base_url) and not password:
        raise SystemProblem(
            _(
                "The API address of Thulium system %(name)s moves to another server: give the "
                "password again. The password kept is only ever sent to the server it was given "
                "for."
            )
            % {"name": system.name}
        )
    changes: dict[str, list[object]] = {}
    for field, value in (("base_url", base_url), ("api_user", api_user)):
        if value is not None and value.strip() != getattr(system, field):
            changes[field] = [getattr(system, field), value.strip()]
            setattr(system, field, value.strip())
    if retention_days is not None and retention_days != system.retention_days:
        changes["retention_days"] = [system.retention_days, retention_days or None]
        system.retention_days = retention_days or None
    if password:
        system.password_sealed = _sealed(password)
        changes["password"] = ["…", "…"]  # that it changed, never what it is
    if system.from_environment and (base_url or api_user or password):
        system.from_environment = False
        changes["from_environment"] = [True, False]
    _checked(system)
    if not changes:
        return system
    with transaction.atomic():
        system.save()
        audit(
            action=A.SYSTEM_CHANGED,
            actor=actor,
            system=system,
            name=system.name,
            changes=changes,
        )
    return system


def _server(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def password_needed_again(*, system: ThuliumSystem, base_url: str | None) -> bool:
    """A kept password goes only to the server it was given for: an address on another scheme,
    host or port needs it given again (or the password would be sent to whoever the new
    address names)."""
    return bool(
        system.password_sealed
        and base_url is not None
        and _server(base_url) != _server(system.base_url)
    )


def thulium_system_remove(*, system: ThuliumSystem, actor: User | None, force: bool) -> int:
    """Remove the system with its campaigns, grids and grants; refused while it has grids,
    unless `force`. Returns how many grids went with it. Sent grids are evidence: the audit
    log keeps every entry about them."""
    grids = Grid.objects.filter(campaign__system=system).count()
    if grids and not force:
        raise SystemProblem(
            ngettext(
                "Thulium system %(name)s has %(n)s grid. Removing the system removes it and its "
                "sendings: add --force to do it anyway.",
                "Thulium system %(name)s has %(n)s grids. Removing the system removes them and "
                "their sendings: add --force to do it anyway.",
                grids,
            )
            % {"name": system.name, "n": grids}
        )
    with transaction.atomic():
        audit(action=A.SYSTEM_REMOVED, actor=actor, system=system, name=system.name, grids=grids)
        for campaign in system.campaigns.all():
            campaign.delete()
        system.delete()
    return grids


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    text: str
    campaigns: int = 0


def thulium_system_test(*, system: ThuliumSystem) -> ConnectionTest:
    """Ask the system for its campaigns, as the campaign list does; say what is wrong as the
    list's banner does."""
    try:
        with thulium_client(system=system, deadline=settings.THULIUM["PAGE_DEADLINE"]) as client:
            found = client.list_campaigns()
    except thulium.ThuliumError as error:
        return ConnectionTest(False, describe_thulium_error(error, system=system))
    return ConnectionTest(
        True,
        ngettext(
            "Thulium system %(name)s answered: %(n)s campaign.",
            "Thulium system %(name)s answered: %(n)s campaigns.",
            len(found),
        )
        % {"name": system.name, "n": len(found)},
        len(found),
    )


def thulium_systems_reseal(*, actor: User | None) -> list[str]:
    """Seal every kept password again under the first key of CONNECTIONS_KEY (after a new key
    was put first). Returns the names of the systems resealed; refused, changing nothing, when
    one opens under no key."""
    resealed = []
    with transaction.atomic():
        for system in ThuliumSystem.objects.select_for_update().exclude(password_sealed=""):
            try:
                system.password_sealed = reseal(system.password_sealed)
            except SealingKeyMissing:
                raise SystemProblem(_("CONNECTIONS_KEY is not set.")) from None
            except SealBroken:
                raise SystemProblem(
                    _(
                        "The password of Thulium system %(name)s opens under no key of "
                        "CONNECTIONS_KEY: put the key it was sealed with back in the list "
                        "(after the new one) and run this again. Nothing was changed."
                    )
                    % {"name": system.name}
                ) from None
            system.save(update_fields=["password_sealed"])
            resealed.append(system.name)
        if resealed:
            audit(action=A.CONNECTIONS_RESEALED, actor=actor, systems=resealed)
    return resealed


def system_name_from(conf: Mapping[str, Any]) -> str:
    """THULIUM_SYSTEM_NAME, or the first label of the API's host (client-a for
    https://client-a.thulium.com/api/), or "thulium"; then a free one (thulium-2, …). The
    migration that made the first system keeps its own copy of this rule, as history."""
    wanted = str(conf.get("SYSTEM_NAME") or "").strip().lower()
    if not wanted:
        host = urlsplit(str(conf.get("BASE_URL") or "")).hostname or ""
        if host and not re.fullmatch(r"[\d.]+|localhost|\[?[\d:a-f]+\]?", host):
            wanted = host.split(".")[0]
    wanted = re.sub(r"[^a-z0-9-]+", "-", wanted).strip("-")[:36] or "thulium"
    name, n = wanted, 1
    while ThuliumSystem.objects.filter(name=name).exists():
        n += 1
        name = f"{wanted}-{n}"
    return name


def system_from_environment_ensure() -> ThuliumSystem | None:
    """After migrate: an install that sets THULIUM_BASE_URL has that connection as a system
    (made once; it reads the environment on each use)."""
    found = ThuliumSystem.objects.filter(from_environment=True).first()
    if found is not None or not settings.THULIUM.get("BASE_URL"):
        return found
    return ThuliumSystem.objects.create(
        name=system_name_from(settings.THULIUM), from_environment=True
    )
