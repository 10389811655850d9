"""Grants in the admin: the install's administrators manage everyone's; a system's
administrator manages access within their systems only, and the save checks it again."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from campaigns.models import AuditEntry, Grant, ThuliumSystem
from campaigns.services.powers import Rights, user_rights_refusal
from campaigns.services.systems import thulium_system_add
from tests.helpers import change_url, posted_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(system: ThuliumSystem) -> tuple[ThuliumSystem, ThuliumSystem]:
    other = thulium_system_add(
        name="other", base_url="http://127.0.0.1:9/api/", api_user="u", password="p", actor=None
    )
    return system, other


def person(name: str, **flags: Any) -> User:
    return User.objects.create_user(name, password="x" * 12, **flags)


def added_in_the_admin(client: Client, name: str) -> User:
    """An account the logged-in person adds on the admin's add page (as a browser posts it)."""
    response = posted_form(
        client,
        reverse("admin:auth_user_add"),
        username=name,
        usable_password="true",
        password1="a long pass phrase 12",
        password2="a long pass phrase 12",
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    return User.objects.get(username=name)


@pytest.fixture
def keeper(two: tuple[ThuliumSystem, ThuliumSystem]) -> User:
    """The administrator of the first system only, with staff status."""
    user = person("kasia", is_staff=True)
    Grant.objects.create(user=user, system=two[0], role=Grant.Role.ADMINISTRATOR)
    return user


def test_a_system_administrator_sees_only_the_people_of_their_systems(
    client: Client, two: tuple[ThuliumSystem, ThuliumSystem], keeper: User
) -> None:
    mine, other = two
    ours = person("ours")
    Grant.objects.create(user=ours, system=mine, role=Grant.Role.VIEWER)
    theirs = person("theirs")
    Grant.objects.create(user=theirs, system=other, role=Grant.Role.SUPERVISOR)
    # Someone else's account that has no access yet (the install's administrator is about to
    # give it another system's): not theirs to see, nor to set a password on.
    waiting = person("waiting", is_staff=True)
    client.force_login(keeper)
    newcomer = added_in_the_admin(client, "newcomer")

    index = client.get(reverse("admin:index")).content.decode()
    users = client.get(reverse("admin:auth_user_changelist")).content.decode()

    assert reverse("admin:auth_user_changelist") in index
    assert change_url(ours) in users
    assert change_url(newcomer) in users
    for hidden in (theirs, waiting):
        assert change_url(hidden) not in users
        assert client.get(change_url(hidden)).status_code in {302, 404}
        password_page = reverse("admin:auth_user_password_change", args=[hidden.pk])
        # As for an account that does not exist: no 403 that tells it does.
        assert client.get(password_page).status_code == 404
        assert client.post(password_page, {"password1": "x" * 20, "password2": "x" * 20})
        hidden.refresh_from_db()
        assert hidden.check_password("x" * 12)
    assert client.get(reverse("admin:auth_user_password_change", args=[99999])).status_code == 404


def test_a_system_administrator_sets_no_password_of_an_account_serving_others_too(
    client: Client, two: tuple[ThuliumSystem, ThuliumSystem], keeper: User
) -> None:
    mine, _other = two
    shared = person("shared")
    Grant.objects.create(user=shared, system=mine, role=Grant.Role.VIEWER)
    client.force_login(keeper)

    page = reverse("admin:auth_user_password_change", args=[shared.pk])

    assert client.get(page).status_code == 403
    # Nor reads the account's admin log, which names every system's access it was given.
    assert client.get(reverse("admin:auth_user_history", args=[shared.pk])).status_code == 403


def test_a_system_administrator_gives_access_to_their_system_and_it_is_audited(
    client: Client, two: tuple[ThuliumSystem, ThuliumSystem], keeper: User
) -> None:
    mine, _other = two
    client.force_login(keeper)
    newcomer = added_in_the_admin(client, "newcomer")

    response = posted_form(
        client,
        change_url(newcomer),
        **{
            "grants-0-system": str(mine.pk),
            "grants-0-campaign": "00001",
            "grants-0-role": Grant.Role.SUPERVISOR,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(newcomer.grants.values_list("system", "campaign", "role")) == [
        (mine.pk, "00001", "Supervisor")
    ]
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.ADMIN_CHANGED).latest("id")
    assert entry.details["inlines"][0]["model"] == "campaigns.Grant"


def test_a_system_administrator_cannot_give_access_to_another_system(
    client: Client, two: tuple[ThuliumSystem, ThuliumSystem], keeper: User
) -> None:
    _mine, other = two
    client.force_login(keeper)
    newcomer = added_in_the_admin(client, "newcomer")

    posted_form(
        client,
        change_url(newcomer),
        **{"grants-0-system": str(other.pk), "grants-0-role": Grant.Role.ADMINISTRATOR},
    )

    assert not newcomer.grants.exists()


def test_access_is_checked_again_on_save_whatever_the_form_let_through(
    two: tuple[ThuliumSystem, ThuliumSystem], keeper: User
) -> None:
    mine, other = two
    someone = person("someone")
    before = Rights.of(someone)

    def refusal(*grants: tuple[int, str, str], **rights: Any) -> str:
        after = Rights(
            rights.get("is_staff", False),
            False,
            rights.get("groups", frozenset()),
            frozenset(),
            frozenset(grants),
        )
        return user_rights_refusal(actor=keeper, user=someone, before=before, after=after)

    assert refusal((mine.pk, "", "Administrator")) == ""
    assert "systems you administer" in refusal((other.pk, "", "Viewer"))
    assert "role group" in refusal(groups=frozenset({"Viewer"}))
    assert "staff" in refusal(is_staff=True)
    own = Rights.of(keeper)
    assert "your own access" in user_rights_refusal(
        actor=keeper,
        user=keeper,
        before=own,
        after=Rights(True, False, own.groups, own.permissions, frozenset()),
    )


def test_an_administrator_of_some_campaigns_manages_no_one(
    client: Client, two: tuple[ThuliumSystem, ThuliumSystem]
) -> None:
    mine, _other = two
    user = person("camp", is_staff=True)
    Grant.objects.create(user=user, system=mine, campaign="00001", role=Grant.Role.ADMINISTRATOR)
    client.force_login(user)

    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
