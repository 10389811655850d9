"""User accounts the product sets up by itself, and what users choose for themselves."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction

from campaigns import roles
from campaigns.models import AuditEntry, UserPreference
from campaigns.services.audit import audit

DEMO_ACCOUNTS = (
    # (user name, password, first name, last name, role). The administrator has staff status
    # to reach /admin/, and is not a superuser: what it can do there is what the role names.
    ("supervisor", "supervisor", "Ewa", "Supervisor", roles.SUPERVISOR),
    ("viewer", "viewer", "Wiktor", "Viewer", roles.VIEWER),
    ("admin", "admin", "Adam", "Administrator", roles.ADMINISTRATOR),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str | None  # None: the account's password was changed from the demo one
    role: str


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create the demo accounts when missing. Never resets a password; an account's password is
    given back only while it is still the demo one."""
    accounts = []
    for username, password, first, last, role in DEMO_ACCOUNTS:
        staff = role == roles.ADMINISTRATOR
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                # The e-mail a sending's author gets: printed on the console under make run.
                "email": f"{username}@demo.example",
                "is_staff": staff,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=role))
            audit(
                action=AuditEntry.Action.USER_ADDED,
                actor=None,
                user=username,
                role=role,
                is_staff=staff,
                is_superuser=False,
            )
        accounts.append(
            DemoAccount(
                username=username,
                password=password if created or user.check_password(password) else None,
                role=role,
            )
        )
    return accounts


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
