"""User accounts the product sets up by itself."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from campaigns import roles

DEMO_ACCOUNTS = (
    # (user name, password, first name, last name, role; None: superuser)
    ("supervisor", "supervisor", "Ewa", "Supervisor", roles.SUPERVISOR),
    ("viewer", "viewer", "Wiktor", "Viewer", roles.VIEWER),
    ("admin", "admin", "Adam", "Administrator", None),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str | None  # None: the account existed already and its password was kept
    role: str


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create the demo supervisor and administrator when missing. Never resets a password."""
    User = get_user_model()
    accounts = []
    for username, password, first, last, role in DEMO_ACCOUNTS:
        is_admin = role is None
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_staff": is_admin,
                "is_superuser": is_admin,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
            if role:
                user.groups.add(Group.objects.get(name=role))
        accounts.append(
            DemoAccount(
                username=username,
                password=password if created else None,
                role=role or roles.ADMINISTRATOR,
            )
        )
    return accounts
