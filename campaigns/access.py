"""Who reaches what: a person's roles in the install, in a Thulium system, or in some of its
campaigns, and the permission backend that answers Django's `has_perm` from them.

- The install's roles are the role groups (campaigns/roles.py): a member of one holds that role in
  every system. Superusers hold every right. Members of the Administrator group are the
  install's own administrators: they manage systems and everyone's grants.
- A Grant gives a role in one system, or in one campaign of it.

A person's role at a place is the highest of those that cover it. Anything outside every place a
person holds a role in is, for them, not there: pages answer 404, so ids do not leak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.db.models import Model, Q

from campaigns import roles
from campaigns.models import AuditEntry, Campaign, Grant, Grid, Submission, ThuliumSystem

RANK = {roles.VIEWER: 1, roles.SUPERVISOR: 2, roles.ADMINISTRATOR: 3}


def highest(found: Iterable[str | None]) -> str | None:
    ranked = [role for role in found if role in RANK]
    return max(ranked, key=RANK.__getitem__) if ranked else None


@dataclass(frozen=True)
class Access:
    """One person's roles: in the whole install, per system (every campaign of it), per campaign
    (system id, Thulium campaign id)."""

    everywhere: str | None = None
    systems: dict[int, str] = field(default_factory=dict)
    campaigns: dict[tuple[int, str], str] = field(default_factory=dict)

    def role_in(self, system_id: int, campaign: str | None = None) -> str | None:
        """The person's role in a system (campaign None: over the system as a whole, which a
        grant on some of its campaigns does not give) or in one of its campaigns."""
        found = [self.everywhere, self.systems.get(system_id)]
        if campaign is not None:
            found.append(self.campaigns.get((system_id, campaign)))
        return highest(found)

    def sees_system(self, system_id: int) -> bool:
        return (
            self.everywhere is not None
            or system_id in self.systems
            or any(s == system_id for s, _c in self.campaigns)
        )

    def sees_campaign(self, system_id: int, campaign: str) -> bool:
        return self.role_in(system_id, campaign) is not None

    @property
    def manages_everyone(self) -> bool:
        """A superuser or one of the install's own administrators: they manage every grant."""
        return self.everywhere == roles.ADMINISTRATOR

    @property
    def administered(self) -> set[int]:
        """The systems the person administers as a whole (their users' grants are theirs to
        manage); every system's id is not listed for those who manage everyone."""
        return {s for s, role in self.systems.items() if role == roles.ADMINISTRATOR}

    @property
    def roles(self) -> set[str]:
        held = set(self.systems.values()) | set(self.campaigns.values())
        return held | {self.everywhere} if self.everywhere else held

    def campaigns_q(self, prefix: str = "") -> Q:
        """Our campaigns the person sees, as a filter on `prefix` + campaign fields."""
        if self.everywhere is not None:
            return Q()
        whole = Q(**{f"{prefix}system_id__in": list(self.systems)})
        for system_id, campaign in self.campaigns:
            whole |= Q(**{f"{prefix}system_id": system_id, f"{prefix}thulium_id": campaign})
        return whole

    def systems_q(self, prefix: str = "") -> Q:
        if self.everywhere is not None:
            return Q()
        seen = set(self.systems) | {s for s, _c in self.campaigns}
        return Q(**{f"{prefix}pk__in": sorted(seen)})

    def entries_q(self, earlier: int | None) -> Q:
        """Audit entries the person may read: those of the places they see. Entries of the
        install itself (logins, accounts) are for its own roles only. `earlier` is the system
        holding the entries made before systems existed."""
        if self.everywhere is not None:
            return Q()
        seen = Q(system_id__in=list(self.systems))
        for system_id, campaign in self.campaigns:
            seen |= Q(system_id=system_id, campaign=campaign)
        if earlier is not None:
            if earlier in self.systems:
                seen |= Q(system_id__isnull=True) & ~Q(campaign="")
            for system_id, campaign in self.campaigns:
                if system_id == earlier:
                    seen |= Q(system_id__isnull=True, campaign=campaign)
        return seen


NOBODY = Access()


def access_of(user: Any) -> Access:
    """The person's roles, read once per request (kept on the user object)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOBODY
    kept = getattr(user, "_access", None)
    if isinstance(kept, Access):
        return kept
    if user.is_superuser:
        found = Access(everywhere=roles.ADMINISTRATOR)
    else:
        systems: dict[int, str] = {}
        campaigns: dict[tuple[int, str], str] = {}
        for system_id, campaign, role in Grant.objects.filter(user=user).values_list(
            "system_id", "campaign", "role"
        ):
            if campaign:
                campaigns[(system_id, campaign)] = role  # one grant per place
            else:
                systems[system_id] = role
        # The install's role: the highest whose rights the role groups give, read from the
        # group permissions ModelBackend has already cached for this request.
        through_groups = user.get_group_permissions()
        found = Access(
            everywhere=highest(
                role for role, rights in roles.ROLES.items() if set(rights) <= through_groups
            ),
            systems=systems,
            campaigns=campaigns,
        )
    user._access = found
    return found


def access_forget(user: Any) -> None:
    """After a grant changed: the next question reads the grants again."""
    if hasattr(user, "_access"):
        del user._access


def earlier_history_system() -> int | None:
    return ThuliumSystem.objects.filter(earlier_history=True).values_list("pk", flat=True).first()


def place_of(obj: Model) -> tuple[int, str | None] | None:
    """(system id, campaign id or None) of what a permission is asked on."""
    if isinstance(obj, ThuliumSystem):
        return obj.pk, None
    if isinstance(obj, Campaign):
        return obj.system_id, obj.thulium_id
    if isinstance(obj, Grid | Submission):
        return obj.campaign.system_id, obj.campaign.thulium_id
    if isinstance(obj, AuditEntry) and obj.system_id is not None:
        return obj.system_id, obj.campaign or None
    return None


class GrantBackend(BaseBackend):
    """Django's permissions from roles: without an object, what any of the person's roles
    allows (the page then looks the object up among those they see); on a system, a campaign,
    a grid or a sending, what their role there allows. The install's roles without an object
    are answered by ModelBackend, through the role groups."""

    def get_all_permissions(self, user_obj: Any, obj: Model | None = None) -> set[str]:
        access = access_of(user_obj)
        if obj is None:
            held = access.roles
        else:
            place = place_of(obj)
            role = access.role_in(*place) if place is not None else None
            held = {role} if role else set()
        return {perm for role in held for perm in roles.ROLES.get(role, [])}

    def has_perm(self, user_obj: Any, perm: str, obj: Model | None = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        """For the admin's index: an app shows when any of the person's roles allows something
        in it (a system's administrator, given no role group, sees the users)."""
        return any(perm.startswith(f"{app_label}.") for perm in self.get_all_permissions(user_obj))
