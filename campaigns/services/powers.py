"""Who may grant what, and the record of every change made in /admin/.

Only a superuser grants superuser or staff status, or raw permissions. Anyone else who may change
users (the Administrator role) gives people the product's roles — its groups, nothing else — and
never changes their own account's rights. The admin enforces this in its forms (read-only fields,
the roles as the only groups offered) and checks it again here before a change is committed, so
a crafted request cannot do it either.

A system's administrator (the Administrator role in a whole Thulium system, by a grant) manages
access within their systems and no more: grants of their systems only, never the role groups
(roles in every system), staff or superuser status, and never their own access.

Every change made in the admin is an audit entry: who, what, before → after. Passwords and their
hashes never go into the log; a changed password is said as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import roles
from campaigns.access import access_of
from campaigns.models import AuditEntry, Campaign, Grant, Grid, ThuliumSystem
from campaigns.services.audit import audit

# Never in an entry: a password's hash is as good as the password for someone guessing offline.
SECRET_FIELDS = frozenset({"password"})
RIGHTS_FLAGS = ("is_staff", "is_superuser")


@dataclass(frozen=True)
class Rights:
    """What an account may do: its flags, groups, raw permissions (by name) and grants
    (system id, campaign id or "", role)."""

    is_staff: bool
    is_superuser: bool
    groups: frozenset[str]
    permissions: frozenset[str]
    grants: frozenset[tuple[int, str, str]] = frozenset()

    @classmethod
    def of(cls, user: Any) -> Rights:
        return cls(
            is_staff=user.is_staff,
            is_superuser=user.is_superuser,
            groups=frozenset(user.groups.values_list("name", flat=True)),
            permissions=frozenset(
                f"{app}.{code}"
                for app, code in user.user_permissions.values_list(
                    "content_type__app_label", "codename"
                )
            ),
            grants=frozenset(
                Grant.objects.filter(user_id=user.pk).values_list("system_id", "campaign", "role")
            )
            if user.pk is not None
            else frozenset(),
        )


def user_rights_refusal(*, actor: User, user: Any, before: Rights | None, after: Rights) -> str:
    """Why `actor` may not make `user`'s rights `after` (they were `before`; None for a new
    account), or "" when they may."""
    if actor.is_superuser:
        return ""
    before = before or Rights(False, False, frozenset(), frozenset())
    if any(getattr(before, flag) != getattr(after, flag) for flag in RIGHTS_FLAGS):
        return _("Only a superuser can grant or take away staff or superuser status.")
    if before.permissions != after.permissions:
        return _("Only a superuser can grant permissions one by one; give a role instead.")
    if user.pk == actor.pk and before.groups != after.groups:
        return _("You cannot change your own roles: ask another administrator.")
    if (before.groups ^ after.groups) - set(roles.ROLES):
        return _("Only the roles Viewer, Supervisor and Administrator can be given here.")
    if user.pk == actor.pk and before.grants != after.grants:
        return _("You cannot change your own access: ask another administrator.")
    access = access_of(actor)
    if access.manages_everyone:
        return ""
    if before.groups != after.groups:
        return _(
            "A role group gives a role in every Thulium system: only the install's "
            "administrators give one. Give access to one of your systems instead."
        )
    if any(system not in access.administered for system, _c, _r in before.grants ^ after.grants):
        return _(
            "You manage access to the Thulium systems you administer only: ask the install's "
            "administrators for access elsewhere."
        )
    return ""


def snapshot(obj: models.Model) -> dict[str, Any]:
    """An object's fields as text, and its many-to-many relations as sorted names, for the log.
    Secret fields are left out."""
    values: dict[str, Any] = {
        field.name: _moment_text(value)
        if isinstance(value := getattr(obj, field.attname), datetime)
        else field.value_to_string(obj)
        for field in obj._meta.concrete_fields
        if field.name not in SECRET_FIELDS
    }
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            values[field.name] = sorted(str(related) for related in getattr(obj, field.name).all())
    return values


def _moment_text(moment: datetime) -> str:
    """A moment in UTC to the second: the admin's form shows times to the second in the
    reader's zone and saves them back so, which is no change anyone made."""
    if timezone.is_aware(moment):
        moment = moment.astimezone(UTC)
    return moment.replace(microsecond=0).isoformat()


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for every field that differs."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def admin_change_audit(
    *,
    action: str,
    actor: User,
    obj: models.Model,
    changes: dict[str, list[Any]] | None = None,
    **details: Any,
) -> AuditEntry:
    """One entry for one object added, changed or deleted in the admin (inside the admin's
    transaction), named by its model, id and name, with what changed."""
    campaign: Campaign | None = None
    system: ThuliumSystem | None = None
    grid_id = None
    if isinstance(obj, Campaign):
        campaign = obj
    elif isinstance(obj, Grid):
        campaign, grid_id = obj.campaign, obj.pk
    elif isinstance(linked := getattr(obj, "campaign", None), Campaign):
        campaign = linked
    elif isinstance(obj, ThuliumSystem):
        system = obj
    elif isinstance(linked_system := getattr(obj, "system", None), ThuliumSystem):
        system = linked_system
    extra: dict[str, Any] = {"changes": changes} if changes is not None else {}
    return audit(
        action=action,
        actor=actor,
        campaign=campaign,
        system=system,
        grid_id=grid_id,
        model=obj._meta.label,
        object_id=str(obj.pk),
        object=str(obj)[:200],
        **extra,
        **details,
    )


def roles_ensure_audited() -> None:
    """After a migrate: the roles with exactly their rights, and an entry for each role whose
    rights that changed. A database whose log is still empty is being made (its migrations make
    the groups before every permission exists): its roles are settled, not changed."""
    in_use = AuditEntry.objects.exists()
    for name, (before, after) in roles.roles_ensure().items():
        if not in_use:
            continue
        audit(
            action=AuditEntry.Action.ROLE_RIGHTS_CHANGED,
            actor=None,
            role=name,
            changes={"permissions": [before, after]},
        )
