"""Thulium systems in the admin: a write-only password, no blanking of a connection, the test
button's words, and only the install's administrators manage systems."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from campaigns.models import (
    AuditEntry,
    Campaign,
    Grant,
    Grid,
    ThuliumSystem,
)
from campaigns.services.systems import (
    thulium_system_add,
    thulium_system_test,
)
from tests.helpers import API_PASSWORD, API_USER, Sandbox

pytestmark = pytest.mark.django_db
A = AuditEntry.Action

# A password no test, fixture or sandbox holds: found anywhere, it leaked.
DISTINCT = "Zq9-haslo-nie-do-zgadniecia-7781"
BEFORE_SYSTEMS = "0026_outcome_sending_goes"


def kept_here(name: str, url: str) -> ThuliumSystem:
    """A system kept in the database, with the sandbox's API user."""
    return thulium_system_add(
        name=name, base_url=url, api_user=API_USER, password=API_PASSWORD, actor=None
    )


@pytest.fixture
def root_browser(django_user_model: Any) -> Client:
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    browser = Client()
    browser.force_login(root)
    return browser


def test_the_admin_never_renders_a_password_and_blank_keeps_it(
    sandbox: Sandbox, root_browser: Client
) -> None:
    kept_here("client-b", sandbox.api_url)
    kept = ThuliumSystem.objects.get(name="client-b")
    url = reverse("admin:campaigns_thuliumsystem_change", args=[kept.pk])

    page = root_browser.get(url).content.decode()
    saved = root_browser.post(url, {"base_url": sandbox.api_url, "api_user": API_USER})

    assert API_PASSWORD not in page
    assert kept.password_sealed not in page
    assert saved.status_code == 302
    assert ThuliumSystem.objects.get(pk=kept.pk).password_sealed == kept.password_sealed
    assert not AuditEntry.objects.filter(action=A.SYSTEM_CHANGED).exists()  # nothing changed
    assert thulium_system_test(system=kept).ok


def test_the_admin_keeps_a_systems_address_and_user_from_being_blanked(
    sandbox: Sandbox, root_browser: Client
) -> None:
    kept_here("client-b", sandbox.api_url)
    kept = ThuliumSystem.objects.get(name="client-b")

    page = root_browser.post(
        reverse("admin:campaigns_thuliumsystem_change", args=[kept.pk]),
        {"base_url": "", "api_user": API_USER},
    )

    assert page.status_code == 200
    assert "Needed: this system" in html.unescape(page.content.decode())
    assert ThuliumSystem.objects.get(pk=kept.pk).base_url == sandbox.api_url


def test_the_admin_gives_a_system_from_the_environment_a_connection_of_its_own(
    system: ThuliumSystem, sandbox: Sandbox, root_browser: Client
) -> None:
    url = reverse("admin:campaigns_thuliumsystem_change", args=[system.pk])
    unchanged = root_browser.post(url, {"base_url": "", "api_user": ""})
    half = root_browser.post(url, {"base_url": sandbox.api_url, "api_user": API_USER})

    whole = root_browser.post(
        url, {"base_url": sandbox.api_url, "api_user": API_USER, "password": API_PASSWORD}
    )

    assert unchanged.status_code == 302
    assert half.status_code == 200  # no password: it would sign in with none
    assert whole.status_code == 302
    system.refresh_from_db()
    assert (system.from_environment, system.base_url) == (False, sandbox.api_url)
    assert thulium_system_test(system=system).ok
    entry = AuditEntry.objects.get(action=A.SYSTEM_CHANGED)
    assert entry.details["changes"]["from_environment"] == [True, False]
    assert API_PASSWORD not in str(entry.details)


def test_the_admins_test_button_says_what_the_banner_would(
    sandbox: Sandbox, closed_port: int, root_browser: Client
) -> None:
    kept_here("client-b", sandbox.api_url)
    kept_here("client-c", f"http://127.0.0.1:{closed_port}/api/")
    answered, refused = (
        root_browser.post(
            reverse("admin:campaigns_thuliumsystem_test", args=[system.pk]), follow=True
        )
        for system in ThuliumSystem.objects.order_by("name")
    )
    client_b = ThuliumSystem.objects.get(name="client-b")
    change_page = root_browser.get(
        reverse("admin:campaigns_thuliumsystem_change", args=[client_b.pk])
    )

    assert "Test the connection" in change_page.content.decode()
    assert answered.redirect_chain[-1][0].endswith(f"/{client_b.pk}/change/")
    assert thulium_system_test(system=client_b).text in html.unescape(answered.content.decode())
    said = html.unescape(refused.content.decode())
    assert "Thulium system client-c at http://127.0.0.1:" in said
    assert "is not answering right now" in said


def test_only_the_installs_administrators_manage_systems(
    system: ThuliumSystem, django_user_model: Any
) -> None:
    group_admin = django_user_model.objects.create_user("ania", is_staff=True)
    group_admin.groups.add(Group.objects.get(name="Administrator"))
    granted = django_user_model.objects.create_user("bartek", is_staff=True)
    Grant.objects.create(user=granted, system=system, role="Administrator")
    url = reverse("admin:campaigns_thuliumsystem_changelist")

    answers = {}
    for user in (group_admin, granted):
        browser = Client()
        browser.force_login(user)
        answers[user.username] = browser.get(url).status_code

    assert answers == {"ania": 200, "bartek": 403}


def test_the_admin_refuses_to_delete_a_system_with_grids(
    system: ThuliumSystem, crm_grid: Grid, root_browser: Client
) -> None:
    deleted = root_browser.post(
        reverse("admin:campaigns_thuliumsystem_delete", args=[system.pk]), {"post": "yes"}
    )
    bulk = root_browser.post(
        reverse("admin:campaigns_thuliumsystem_changelist"),
        {"action": "delete_selected", "_selected_action": [system.pk], "post": "yes"},
    )

    assert deleted.status_code == 403
    assert "is not removed here" in bulk.content.decode()
    assert ThuliumSystem.objects.filter(pk=system.pk).exists()
    assert Grid.objects.filter(pk=crm_grid.pk).exists()


def test_the_admin_deletes_a_system_without_grids_through_the_service(
    sandbox: Sandbox, root_browser: Client
) -> None:
    kept_here("client-b", sandbox.api_url)
    kept = ThuliumSystem.objects.get(name="client-b")
    Campaign.objects.create(system=kept, thulium_id="00001", name="Odnowienia")

    deleted = root_browser.post(
        reverse("admin:campaigns_thuliumsystem_delete", args=[kept.pk]), {"post": "yes"}
    )

    assert deleted.status_code == 302
    assert not ThuliumSystem.objects.filter(pk=kept.pk).exists()
    assert AuditEntry.objects.get(action=A.SYSTEM_REMOVED).details["name"] == "client-b"


# --- migrate -------------------------------------------------------------------------------------
