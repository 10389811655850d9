"""User accounts the product sets up by itself."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

DEMO_ACCOUNTS = (
    # (user name, password, first name, last name, administrator?)
    ("supervisor", "supervisor", "Ewa", "Supervisor", False),
    ("admin", "admin", "Adam", "Administrator", True),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str | None  # None: the account existed already and its password was kept
    is_admin: bool


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create the demo supervisor and administrator when missing. Never resets a password."""
    User = get_user_model()
    accounts = []
    for username, password, first, last, is_admin in DEMO_ACCOUNTS:
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
        accounts.append(
            DemoAccount(
                username=username, password=password if created else None, is_admin=is_admin
            )
        )
    return accounts
