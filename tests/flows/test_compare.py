"""Comparing a grid with Thulium before sending: cells show old → new."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.review import grid_review
from campaigns.services.sending import submission_run
from campaigns.services.thulium_now import grid_compare
from tests.helpers import Sandbox, queue_sending

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_grid(campaign: Any, api: thulium.ThuliumClient) -> Grid:
    data = "Telefon;Status;Nazwisko\n555123321;3;Wiśniewska\n123123123;3;\n441;3;\n".encode()
    made = grid_create_from_file(campaign=campaign, author=None, data=data, filename="a.csv")
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def test_a_compared_grid_shows_what_thulium_holds_next_to_what_will_be_sent(
    client: Client, supervisor: Any, small_grid: Grid, sandbox: Sandbox
) -> None:
    client.force_login(supervisor)
    status_now = sandbox.record("00001", "555123321")["status_id"]
    assert status_now != "3"
    page_url = reverse("campaigns:grid_detail", args=[small_grid.pk])
    assert 'class="was"' not in client.get(page_url).content.decode()

    response = client.post(reverse("campaigns:grid_compare", args=[small_grid.pk]), follow=True)

    page = html.unescape(response.content.decode())
    assert "Compared with Thulium: 1 phone number has exactly one record there." in page
    # By name, as the supervisor knows the statuses (1 is Nowy, 3 Kontakt ponowny).
    assert status_now == "1"
    assert '<del class="was">Nowy</del> → Kontakt ponowny' in page
    assert "Thulium has no record with this number in the campaign" in page  # 123123123
    assert "The campaign holds this number 2 times: it will not be sent" in page  # 441
    # Never sent by this dashboard: the field's value in Thulium is unknown, so no old → new.
    assert '<del class="was">—</del> → Wiśniewska' not in page


def test_compare_shows_the_field_value_this_dashboard_last_sent(
    client: Client, supervisor: Any, small_grid: Grid, rules: Any, api: thulium.ThuliumClient
) -> None:
    submission_run(
        submission_id=queue_sending(grid=small_grid, author=None, rules=rules).pk, client=api
    )
    again = grid_create_from_file(
        campaign=small_grid.campaign,
        author=None,
        data="Telefon;Nazwisko\n555123321;Zielińska\n".encode(),
        filename="b.csv",
    )
    again = grid_confirm_mapping(grid=again, mapping=again.mapping, client=api)
    client.force_login(supervisor)

    response = client.post(reverse("campaigns:grid_compare", args=[again.pk]), follow=True)

    assert '<del class="was">Wiśniewska</del> → Zielińska' in response.content.decode()


def test_compare_when_thulium_fails_says_so_and_keeps_the_grid(
    client: Client, supervisor: Any, small_grid: Grid, sandbox: Sandbox
) -> None:
    client.force_login(supervisor)
    sandbox.inject({"kind": "status", "status": 500})

    response = client.post(reverse("campaigns:grid_compare", args=[small_grid.pk]), follow=True)

    assert response.status_code == 200
    assert "Thulium" in response.content.decode()
    small_grid.refresh_from_db()
    assert small_grid.compared_at is None
    assert small_grid.rows_total == 3


def test_compare_needs_a_csrf_token(supervisor: Any, small_grid: Grid) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor)

    response = client.post(reverse("campaigns:grid_compare", args=[small_grid.pk]))

    assert response.status_code == 403


def test_a_comparison_makes_what_thulium_would_refuse_an_error_before_sending(
    small_grid: Grid, api: thulium.ThuliumClient
) -> None:
    assert small_grid.rows_error == 0

    grid_compare(grid=small_grid, client=api)

    small_grid.refresh_from_db()
    states = dict(small_grid.rows.values_list("phone", "state"))
    assert states == {"555123321": "valid", "123123123": "error", "441": "error"}
    assert small_grid.rows_error == 2


def test_adding_a_phone_the_campaign_has_is_an_error_once_compared(
    campaign: Any, api: thulium.ThuliumClient
) -> None:
    made = grid_create_from_file(
        campaign=campaign,
        author=None,
        data=b"Telefon;Status\n555123321;3\n700100900;3\n",
        filename="a.csv",
        mode=Grid.Mode.ADD,
    )
    grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)

    grid_compare(grid=grid, client=api)

    codes = {row.phone: [m["code"] for m in row.messages] for row in grid.rows.all()}
    assert codes == {"555123321": ["phone_exists"], "700100900": []}


def test_a_viewer_cannot_compare_and_a_supervisors_review_stays_good(
    client: Client, viewer: Any, supervisor: Any, small_grid: Grid, rules: Any
) -> None:
    client.force_login(supervisor)
    client.post(reverse("campaigns:grid_compare", args=[small_grid.pk]))
    small_grid.refresh_from_db()
    token = grid_review(grid=small_grid, rules=rules).token
    compared_at, version = small_grid.compared_at, small_grid.version
    client.force_login(viewer)

    page = client.get(reverse("campaigns:grid_detail", args=[small_grid.pk])).content.decode()
    response = client.post(reverse("campaigns:grid_compare", args=[small_grid.pk]))

    assert reverse("campaigns:grid_compare", args=[small_grid.pk]) not in page
    assert response.status_code == 403
    small_grid.refresh_from_db()
    assert (small_grid.compared_at, small_grid.version) == (compared_at, version)
    assert grid_review(grid=small_grid, rules=rules).token == token
