"""Each role can do exactly what it should: the role × endpoint matrix, checked on the server."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from campaigns import urls
from campaigns.models import Grid, Import, Submission
from campaigns.services.imports import import_add
from tests.helpers import queue_sending

pytestmark = pytest.mark.django_db


def endpoints(grid: Grid) -> list[tuple[str, str, list[Any], str]]:
    """(method, url name, args, permission the endpoint needs)."""
    row = grid.rows.order_by("number").first().pk
    g = grid.pk
    return [
        ("get", "campaigns:list", [], "view"),
        ("get", "campaigns:detail", ["thulium", "00001"], "view"),
        ("get", "campaigns:campaign_template", ["thulium", "00001"], "view"),
        ("get", "campaigns:campaign_charts", ["thulium", "00001"], "view"),
        ("get", "campaigns:campaign_figures", ["thulium", "00001"], "view"),
        ("post", "campaigns:campaign_figures", ["thulium", "00001"], "view"),
        ("get", "campaigns:grid_detail", [g], "view"),
        ("get", "campaigns:row", [g, row], "view"),
        ("get", "campaigns:row_payload", [g, row], "view"),
        ("get", "campaigns:cell_full", [g, row], "view"),
        ("get", "campaigns:grid_progress", [g], "view"),
        ("get", "campaigns:grid_listing", [g], "view"),
        ("post", "campaigns:grid_compare", [g], "supervise"),
        ("get", "campaigns:history", [], "view"),
        ("get", "campaigns:imports", [], "view"),
        ("get", "campaigns:import_detail", [an_import(grid).pk], "view"),
        ("get", "campaigns:api_tokens", [], "view"),
        ("post", "campaigns:api_tokens", [], "view"),
        ("post", "campaigns:api_token_revoke", [1], "view"),
        ("get", "campaigns:phone_history", ["845400588"], "view"),
        ("post", "campaigns:grid_upload", ["thulium", "00001"], "supervise"),
        ("post", "campaigns:grid_pull", ["thulium", "00001"], "supervise"),
        ("post", "campaigns:grid_empty", ["thulium", "00001"], "supervise"),
        ("get", "campaigns:grid_mapping", [g], "supervise"),
        ("get", "campaigns:cell_edit", [g, row], "supervise"),
        ("post", "campaigns:cell_save", [g, row], "supervise"),
        ("get", "campaigns:row_edit", [g, row], "supervise"),
        ("post", "campaigns:grid_rows_add", [g], "supervise"),
        ("post", "campaigns:grid_rows_delete", [g], "supervise"),
        ("post", "campaigns:grid_bulk", [g], "supervise"),
        ("post", "campaigns:grid_paste", [g], "supervise"),
        ("post", "campaigns:grid_replace", [g], "supervise"),
        ("post", "campaigns:grid_undo", [g], "supervise"),
        ("post", "campaigns:grid_redo", [g], "supervise"),
        ("post", "campaigns:grid_column_remap", [g], "supervise"),
        ("post", "campaigns:grid_group_fix", [g], "supervise"),
        ("post", "campaigns:grid_value_rule_forget", [g, 1], "supervise"),
        ("post", "campaigns:grid_review", [g], "supervise"),
        ("get", "campaigns:grid_review", [g], "supervise"),
        ("get", "campaigns:grid_read_progress", [g], "supervise"),
        ("post", "campaigns:grid_options", [g], "supervise"),
        ("post", "campaigns:grid_send", [g], "supervise"),
        ("get", "campaigns:grid_export", [g], "supervise"),
        ("post", "campaigns:submission_revert", [g, 1], "supervise"),
        ("post", "campaigns:grid_revert", [g], "supervise"),
        ("get", "campaigns:person_request", [], "administer"),
        ("post", "campaigns:person_request", [], "administer"),
    ]


def an_import(grid: Grid) -> Import:
    """A recurring import of the grid's campaign (made once, whatever asks for it)."""
    found = Import.objects.filter(name="crm").first()
    return found or import_add(
        name="crm",
        campaign=grid.campaign,
        source=Import.Source.FOLDER,
        location="/srv/exports",
        pattern="*.csv",
        policy=Import.Policy.REVIEW,
        owner=None,
        every_minutes=60,
    )


def test_the_matrix_covers_every_endpoint(crm_grid: Grid) -> None:
    named = {f"campaigns:{p.name}" for p in urls.urlpatterns}
    covered = {name for _m, name, _a, _n in endpoints(crm_grid)}

    # Cancelling has its own test below (it needs a running sending).
    assert named - covered == {"campaigns:submission_cancel"}


@pytest.mark.parametrize("role", ["Viewer", "Supervisor", "Administrator", None])
def test_role_by_endpoint(
    client: Client, django_user_model: Any, crm_grid: Grid, role: str | None, rules: Any
) -> None:
    queue_sending(grid=crm_grid, author=None, rules=rules)  # submission 1, for revert
    user = django_user_model.objects.create_user("someone", password="x" * 12)
    if role:
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)

    for method, name, args, needs in endpoints(crm_grid):
        response = getattr(client, method)(reverse(name, args=args), headers={"HX-Request": "true"})
        allowed = (
            role == "Administrator"
            or (role == "Supervisor" and needs != "administer")
            or (role == "Viewer" and needs == "view")
        )
        assert (response.status_code != 403) is allowed, (role, name, response.status_code)


def test_cancel_needs_the_supervisor_role(
    client: Client, viewer: Any, supervisor: Any, crm_grid: Grid, rules: Any
) -> None:
    submission = queue_sending(grid=crm_grid, author=None, rules=rules)
    url = reverse("campaigns:submission_cancel", args=[crm_grid.pk, submission.pk])

    client.force_login(viewer)
    assert client.post(url).status_code == 403
    client.force_login(supervisor)
    assert client.post(url).status_code == 302
    assert Submission.objects.get().cancel_requested


def test_the_forbidden_page_says_what_to_ask_for(client: Client, viewer: Any, crm_grid: Grid):
    client.force_login(viewer)

    response = client.post(reverse("campaigns:grid_send", args=[crm_grid.pk]))

    assert response.status_code == 403
    assert "Ask an administrator for the role you need." in response.content.decode()


def test_anonymous_users_are_sent_to_the_login_page(client: Client, crm_grid: Grid) -> None:
    for method, name, args, _needs in endpoints(crm_grid):
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 302, name
        assert "/accounts/login/" in response["Location"]


def test_roles_exist_with_their_permissions() -> None:
    perms = {
        g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()
    }

    assert perms["Viewer"] == {"view_campaign", "view_grid", "view_submission", "view_auditentry"}
    assert {"add_grid", "change_grid", "add_submission"} <= perms["Supervisor"]
    assert "change_campaign" not in perms["Supervisor"]
    assert {"change_campaign", "add_campaignfield", "add_user"} <= perms["Administrator"]
    assert "handle_person_request" in perms["Administrator"]
    assert "handle_person_request" not in perms["Supervisor"] | perms["Viewer"]


def test_viewers_see_no_editing_or_sending_controls(
    client: Client, viewer: Any, crm_grid: Grid
) -> None:
    client.force_login(viewer)

    grid_page = client.get(reverse("campaigns:grid_detail", args=[crm_grid.pk])).content.decode()
    campaign_page = client.get(
        reverse("campaigns:detail", args=["thulium", "00001"])
    ).content.decode()

    assert "Change many rows" not in grid_page
    table = grid_page.split('<table class="table grid"')[1]
    assert "data-editable" not in table.split(">")[0]  # cells do not open editors
    assert "Tick row" in table  # (the rows are there)
    assert "/edit/" not in grid_page.split('<table class="table grid"')[1]
    assert "Send 8 rows" not in grid_page
    assert "Upload a file" not in campaign_page
    assert "crm_export_cp1250.csv" in campaign_page
