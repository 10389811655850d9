"""Headers, cookies, CSRF, escaping and secrets: what production sends and never reveals."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file

pytestmark = pytest.mark.django_db


def test_pages_send_a_strict_content_security_policy(logged_in: Client, crm_grid: Grid) -> None:
    response = logged_in.get(reverse("campaigns:grid_detail", args=[crm_grid.pk]))

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script"
    assert " style=" not in html
    assert " hx-on" not in html


def test_hsts_nosniff_and_secure_http_only_cookies(client: Client, supervisor: Any) -> None:
    response = client.post(
        reverse("login"),
        {"username": "ewa", "password": "correct horse battery"},
        secure=True,
    )

    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    session = response.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert response.cookies["csrftoken"]["httponly"]


def test_unsafe_requests_need_the_csrf_token(supervisor: Any, crm_grid: Grid) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(supervisor)
    row = crm_grid.rows.get(number=6)
    url = reverse("campaigns:cell_save", args=[crm_grid.pk, row.pk])

    refused = strict.post(url, {"target": "agent_login", "value": "a.nowak"}, secure=True)
    page = strict.get(reverse("campaigns:grid_detail", args=[crm_grid.pk]), secure=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.content.decode()).group(1)
    accepted = strict.post(
        url,
        {"target": "agent_login", "value": "a.nowak"},
        headers={"X-CSRFToken": token, "HX-Request": "true", "Referer": "https://testserver/"},
        secure=True,
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200


def test_values_from_files_and_thulium_are_escaped(
    logged_in: Client, campaign: Any, api: thulium.ThuliumClient
) -> None:
    data = b"Telefon;Miasto\n555123321;<script>alert('x')</script>\n"
    made = grid_create_from_file(campaign=campaign, author=None, data=data, filename="x.csv")
    grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)

    html = logged_in.get(reverse("campaigns:grid_detail", args=[grid.pk])).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_the_thulium_password_never_reaches_pages_or_logs(
    logged_in: Client, settings: Any, crm_grid: Grid, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.THULIUM = settings.THULIUM | {"API_PASSWORD": "s3cret-Thulium-pass"}
    from django.core.cache import cache

    cache.clear()

    pages = [
        logged_in.get(reverse("campaigns:list")),
        logged_in.get(reverse("campaigns:detail", args=["thulium", "00001"])),
        logged_in.post(reverse("campaigns:grid_send", args=[crm_grid.pk]), follow=True),
    ]

    assert "refused our API user" in pages[0].content.decode()
    for page in pages:
        assert "s3cret-Thulium-pass" not in page.content.decode()
    assert "s3cret-Thulium-pass" not in caplog.text


def test_password_guessing_is_throttled(client: Client, supervisor: Any, settings: Any) -> None:
    url = reverse("login")
    for _attempt in range(settings.LOGIN_FAILURE_LIMIT):
        client.post(url, {"username": "ewa", "password": "guess"})

    locked = client.post(url, {"username": "ewa", "password": "correct horse battery"})

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("number", ["²", "٣", "１"])
def test_numbers_in_other_scripts_in_requests_are_no_server_error(
    logged_in: Client, crm_grid: Grid, number: str
) -> None:
    pages = [
        logged_in.post(reverse("campaigns:grid_rows_delete", args=[crm_grid.pk]), {"rows": number}),
        logged_in.get(
            reverse("campaigns:grid_detail", args=[crm_grid.pk]), {"after": f"{number}~{number}"}
        ),
        logged_in.get(reverse("campaigns:history"), {"before": number}),
        logged_in.post(reverse("campaigns:grid_send", args=[crm_grid.pk]), {"confirm": number}),
    ]

    assert [page.status_code < 500 for page in pages] == [True] * len(pages)


def test_a_nul_typed_into_a_cell_is_dropped_not_a_server_error(
    logged_in: Client, crm_grid: Grid
) -> None:
    row = crm_grid.rows.get(number=6)
    url = reverse("campaigns:cell_save", args=[crm_grid.pk, row.pk])

    response = logged_in.post(url, {"target": "field:miasto", "value": "Łó\x00dź"})

    assert response.status_code < 500
    row.refresh_from_db()
    assert "\x00" not in "".join(row.raw)
    assert row.values["record_fields"]["miasto"] == "Łódź"
