"""User accounts the product sets up by itself, and what users choose for themselves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns import roles
from campaigns.models import AuditEntry, Grant, ThuliumSystem, UserPreference
from campaigns.services.audit import audit

# The demo's two Thulium systems: two clients of an outsourcing centre (`make run` starts a
# sandbox for each, thulium_sandbox/fixtures/demo.json and demo_b.json).
DEMO_SYSTEM_A = "klient-a"
DEMO_SYSTEM_B = "klient-b"
DEMO_SYSTEMS = (DEMO_SYSTEM_A, DEMO_SYSTEM_B)


@dataclass(frozen=True)
class DemoGrant:
    """A demo account's role in one demo system, or in some of its campaigns only."""

    system: str
    role: str
    campaigns: tuple[str, ...] = ()  # empty: every campaign of the system


@dataclass(frozen=True)
class DemoAccountSpec:
    username: str
    password: str
    first_name: str
    last_name: str
    role: str  # the install-wide role (its group), "" for an account with grants only
    grants: tuple[DemoGrant, ...] = ()


DEMO_ACCOUNTS = (
    # A supervisor of client A who is given two of its campaigns, not the rest.
    DemoAccountSpec(
        "supervisor",
        "supervisor",
        "Ewa",
        "Supervisor",
        "",
        (DemoGrant(DEMO_SYSTEM_A, roles.SUPERVISOR, ("00001", "00002")),),
    ),
    DemoAccountSpec(
        "supervisor-b",
        "supervisor-b",
        "Bartosz",
        "Supervisor",
        "",
        (DemoGrant(DEMO_SYSTEM_B, roles.SUPERVISOR),),
    ),
    DemoAccountSpec("viewer", "viewer", "Wiktor", "Viewer", roles.VIEWER),
    # The administrator has staff status to reach /admin/, and is not a superuser: what it can
    # do there is what the role names.
    DemoAccountSpec("admin", "admin", "Adam", "Administrator", roles.ADMINISTRATOR),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str | None  # None: the account's password was changed from the demo one
    role: str  # install-wide; "" when the account has grants only
    grants: tuple[DemoGrant, ...] = ()

    @property
    def shown_role(self) -> str:
        """The role the login page's table names: the install's, or that of its grants."""
        return self.role or (self.grants[0].role if self.grants else "")

    def as_login(self) -> list[Any]:
        """As DEMO_LOGINS carries it to the dashboard's process (JSON)."""
        return [
            self.username,
            self.password,
            self.role,
            [[g.system, g.role, list(g.campaigns)] for g in self.grants],
        ]


def demo_grants_from(raw: Sequence[Sequence[Any]]) -> tuple[DemoGrant, ...]:
    return tuple(DemoGrant(str(s), str(r), tuple(c)) for s, r, c in raw)


def demo_access_words(*, role: str, grants: Sequence[DemoGrant]) -> str:
    """What a demo account may see, in the reader's language."""
    if role:
        return _("every campaign of every system")
    parts = []
    for grant in grants:
        if grant.campaigns:
            parts.append(
                _("campaigns %(campaigns)s of %(system)s only")
                % {"campaigns": ", ".join(grant.campaigns), "system": grant.system}
            )
        else:
            parts.append(_("every campaign of %(system)s") % {"system": grant.system})
    return "; ".join(parts)


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create the demo accounts when missing, with their role group or their grants in the demo
    systems (an account whose systems do not exist, as when THULIUM_BASE_URL is set, is not
    made). Never resets a password nor changes an existing account's access; an account's
    password is given back only while it is still the demo one."""
    systems = {s.name: s for s in ThuliumSystem.objects.filter(name__in=DEMO_SYSTEMS)}
    accounts = []
    for spec in DEMO_ACCOUNTS:
        if any(grant.system not in systems for grant in spec.grants):
            continue
        staff = spec.role == roles.ADMINISTRATOR
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                # The e-mail a sending's author gets: printed on the console under make run.
                "email": f"{spec.username}@demo.example",
                "is_staff": staff,
            },
        )
        if created:
            user.set_password(spec.password)
            user.save(update_fields=["password"])
            user_access_give(user=user, role=spec.role, grants=spec.grants, systems=systems)
            audit(
                action=AuditEntry.Action.USER_ADDED,
                actor=None,
                user=spec.username,
                role=spec.role,
                is_staff=staff,
                is_superuser=False,
                grants=[
                    {"system": g.system, "role": g.role, "campaigns": list(g.campaigns)}
                    for g in spec.grants
                ],
            )
        accounts.append(
            DemoAccount(
                username=spec.username,
                password=spec.password if created or user.check_password(spec.password) else None,
                role=spec.role,
                grants=spec.grants,
            )
        )
    return accounts


def user_access_give(
    *,
    user: User,
    role: str,
    grants: Sequence[DemoGrant],
    systems: Mapping[str, ThuliumSystem],
) -> None:
    """Make the new account a member of its install-wide role group, and give it its grants:
    one per system, or one per campaign when only some are given."""
    if role:
        user.groups.add(Group.objects.get(name=role))
    for grant in grants:
        for campaign in grant.campaigns or ("",):
            Grant.objects.create(
                user=user, system=systems[grant.system], campaign=campaign, role=grant.role
            )


# The session keeps the user's language so that a page needs no query for it ("" when unset).
SESSION_LANGUAGE = "user_language"


def user_language(*, user: User, session: SessionBase) -> str:
    """The language the user chose, or "" when they never chose (their browser decides)."""
    if SESSION_LANGUAGE not in session:
        found = UserPreference.objects.filter(user=user).values_list("language", flat=True)
        session[SESSION_LANGUAGE] = found.first() or ""
    return session[SESSION_LANGUAGE]


def user_language_set(*, user: User, session: SessionBase, language: str) -> None:
    """Remember the user's language for every later visit, from any browser."""
    UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    session[SESSION_LANGUAGE] = language
