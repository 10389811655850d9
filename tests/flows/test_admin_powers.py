"""Powers in /admin/: bounded by role, every change in the audit chain, evidence kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import global_settings
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from campaigns.models import AuditEntry, Campaign, Grid, RowOutcome, Submission
from campaigns.services.accounts import demo_accounts_ensure
from campaigns.services.audit import audit_verify
from campaigns.services.grids import grid_create_empty
from campaigns.services.powers import Rights, user_rights_refusal
from tests.helpers import change_url, posted_form, user_with_role

pytestmark = pytest.mark.django_db
A = AuditEntry.Action


@pytest.fixture
def administrator(django_user_model: Any) -> Any:
    user = user_with_role(django_user_model, "adam", "Administrator")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def root(django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser("root", password="x" * 16)


def role(name: str) -> str:
    return str(Group.objects.get(name=name).pk)


def test_an_administrator_cannot_raise_their_own_rights(client: Client, administrator: Any) -> None:
    client.force_login(administrator)
    permission = Permission.objects.get(codename="delete_user")

    posted_form(
        client,
        change_url(administrator),
        is_superuser="on",
        is_staff="on",
        groups=[role("Administrator"), role("Supervisor")],
        user_permissions=str(permission.pk),
    )

    administrator.refresh_from_db()
    assert (administrator.is_superuser, administrator.user_permissions.count()) == (False, 0)
    assert list(administrator.groups.values_list("name", flat=True)) == ["Administrator"]


def test_an_administrator_gives_roles_but_not_staff_status_or_permissions(
    client: Client, administrator: Any, supervisor: Any
) -> None:
    client.force_login(administrator)
    permission = Permission.objects.get(codename="delete_user")

    response = posted_form(
        client,
        change_url(supervisor),
        is_staff="on",
        is_superuser="on",
        groups=[role("Supervisor"), role("Viewer")],
        user_permissions=str(permission.pk),
    )

    supervisor.refresh_from_db()
    assert response.status_code == 302
    assert (supervisor.is_staff, supervisor.is_superuser) == (False, False)
    assert not supervisor.user_permissions.exists()
    assert sorted(supervisor.groups.values_list("name", flat=True)) == ["Supervisor", "Viewer"]
    entry = AuditEntry.objects.get(action=A.ADMIN_CHANGED)
    assert (entry.actor_id, entry.details["model"], entry.details["object"]) == (
        administrator.pk,
        "auth.User",
        "ewa",
    )
    assert entry.details["changes"]["groups"] == [["Supervisor"], ["Supervisor", "Viewer"]]
    assert not {"is_staff", "is_superuser", "user_permissions"} & set(entry.details["changes"])


def test_an_administrator_cannot_give_a_group_that_is_not_a_role(
    client: Client, administrator: Any, supervisor: Any
) -> None:
    backdoor = Group.objects.create(name="Everything")
    backdoor.permissions.set(Permission.objects.all())
    client.force_login(administrator)

    response = posted_form(client, change_url(supervisor), groups=[str(backdoor.pk)])

    assert response.status_code == 200  # the form says the choice is not valid
    assert not supervisor.groups.filter(pk=backdoor.pk).exists()
    assert not AuditEntry.objects.filter(action=A.ADMIN_CHANGED).exists()


def test_an_administrator_cannot_open_a_superusers_account_or_password(
    client: Client, administrator: Any, root: Any
) -> None:
    client.force_login(administrator)

    page = client.get(change_url(root))  # to read, not to change
    change = client.post(change_url(root), {"username": "root", "is_superuser": "on"})
    password = client.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "a new long password 1", "password2": "a new long password 1"},
    )

    assert 'name="_save"' not in page.content.decode()
    assert (change.status_code, password.status_code) == (403, 403)
    root.refresh_from_db()
    assert root.check_password("x" * 16)


def test_rights_are_checked_again_whatever_the_form_let_through(
    administrator: Any, supervisor: Any, root: Any
) -> None:
    before = Rights.of(supervisor)
    raised = Rights(True, False, before.groups, before.permissions)
    own = Rights.of(administrator)

    assert "superuser" in user_rights_refusal(
        actor=administrator, user=supervisor, before=before, after=raised
    )
    assert "your own roles" in user_rights_refusal(
        actor=administrator,
        user=administrator,
        before=own,
        after=Rights(own.is_staff, own.is_superuser, frozenset(), own.permissions),
    )
    assert user_rights_refusal(actor=root, user=supervisor, before=before, after=raised) == ""


def test_a_superuser_grants_staff_status_and_the_chain_says_so(
    client: Client, root: Any, supervisor: Any
) -> None:
    client.force_login(root)

    posted_form(client, change_url(supervisor), is_staff="on")

    supervisor.refresh_from_db()
    entry = AuditEntry.objects.get(action=A.ADMIN_CHANGED)
    assert supervisor.is_staff
    assert entry.details["changes"]["is_staff"] == ["False", "True"]
    assert audit_verify().ok


def test_a_password_changed_in_the_admin_is_audited_without_its_hash(
    client: Client, administrator: Any, supervisor: Any, settings: Any
) -> None:
    # The product's hasher (the suite's is a quick one), so a hash would show as "pbkdf2…".
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    client.force_login(administrator)

    client.post(
        reverse("admin:auth_user_password_change", args=[supervisor.pk]),
        {
            "password1": "a new long password 1",
            "password2": "a new long password 1",
            "set_usable_password": "true",
        },
    )

    supervisor.refresh_from_db()
    entry = AuditEntry.objects.get(action=A.PASSWORD_CHANGED)
    assert supervisor.check_password("a new long password 1")
    assert entry.details["object"] == "ewa"
    assert supervisor.password not in str(entry.details)
    assert "pbkdf2" not in str(entry.details)


def test_a_retention_hold_and_a_field_list_change_are_audited(
    client: Client, administrator: Any, campaign: Campaign
) -> None:
    client.force_login(administrator)
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])

    response = posted_form(client, url, retention_days="365", **{"fields-0-name": "imię_2"})

    entry = AuditEntry.objects.get(action=A.ADMIN_CHANGED)
    assert response.status_code == 302
    assert entry.campaign == campaign.thulium_id
    assert entry.details["changes"]["retention_days"][1] == "365"
    assert entry.details["inlines"][0]["changes"]["name"][1] == "imię_2"


def test_a_sent_grid_and_its_sendings_cannot_be_deleted_in_the_admin(
    client: Client, root: Any, sent: Grid
) -> None:
    client.force_login(root)
    outcomes = RowOutcome.objects.count()

    grid_page = client.post(reverse("admin:campaigns_grid_delete", args=[sent.pk]), {"post": "yes"})
    bulk = client.post(
        reverse("admin:campaigns_grid_changelist"),
        {"action": "delete_selected", "_selected_action": [sent.pk], "post": "yes"},
    )
    campaign_page = client.post(
        reverse("admin:campaigns_campaign_delete", args=[sent.campaign_id]), {"post": "yes"}
    )

    assert grid_page.status_code == 403
    assert "Cannot delete grid" in bulk.content.decode()
    assert "Cannot delete campaign" in campaign_page.content.decode()
    assert Grid.objects.filter(pk=sent.pk).exists()
    assert Submission.objects.filter(grid=sent).exists()
    assert RowOutcome.objects.count() == outcomes
    assert not AuditEntry.objects.filter(action=A.ADMIN_DELETED).exists()
    assert audit_verify().ok


def test_an_unsent_grid_deleted_in_the_admin_is_in_the_chain(
    client: Client, root: Any, campaign: Campaign
) -> None:
    grid = grid_create_empty(campaign=campaign, author=None)
    client.force_login(root)

    client.post(reverse("admin:campaigns_grid_delete", args=[grid.pk]), {"post": "yes"})

    entry = AuditEntry.objects.get(action=A.ADMIN_DELETED)
    assert not Grid.objects.filter(pk=grid.pk).exists()
    assert (entry.grid_id, entry.campaign, entry.actor_id) == (grid.pk, "00001", root.pk)
    assert audit_verify().ok


def test_the_demo_admin_is_an_administrator_with_staff_status_not_a_superuser(
    django_user_model: Any,
) -> None:
    demo_accounts_ensure()

    admin = django_user_model.objects.get(username="admin")
    assert (admin.is_staff, admin.is_superuser) == (True, False)
    assert list(admin.groups.values_list("name", flat=True)) == ["Administrator"]
    # the viewer and the administrator: without the demo systems, no supervisor is made
    assert AuditEntry.objects.filter(action=A.USER_ADDED).count() == 2
