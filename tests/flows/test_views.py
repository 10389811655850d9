"""The web skeleton: login everywhere, the campaign list, and clear banners when Thulium fails."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import AuditEntry, Grant
from campaigns.services.accounts import demo_accounts_ensure
from tests.helpers import Sandbox

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/admin/"])
def test_pages_need_a_login(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_login_page_and_health_are_public(client: Client) -> None:
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("health")).content == b"ok"


def test_logging_in_leads_to_the_campaign_list(
    client: Client, supervisor: Any, system: Any
) -> None:
    response = client.post(
        reverse("login"),
        {"username": "ewa", "password": "correct horse battery"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("campaigns:list")
    assert "Odnowienia umów — Warszawa" in response.content.decode()


def test_a_wrong_password_says_so_on_the_login_page(client: Client, supervisor: Any) -> None:
    response = client.post(reverse("login"), {"username": "ewa", "password": "nope"})

    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_campaign_list_shows_counts_completion_and_state(
    logged_in: Client, sandbox: Sandbox
) -> None:
    # `sandbox` puts the demo records back: an earlier test's sending changes the completion.
    page = logged_in.get(reverse("campaigns:list")).content.decode()

    for name in (
        "Odnowienia umów — Warszawa",
        "Przypomnienia o płatnościach",
        "Ankieta satysfakcji po wizycie",
        "Oferta światłowodu — Kraków (CRM)",
        "Akcja świąteczna 2025 (zakończona)",
    ):
        assert name in page
    assert ">1,500<" in page
    assert "Inactive" in page
    assert 'max="100" value="20.0"' in page


def test_htmx_refresh_gets_only_the_table(logged_in: Client) -> None:
    response = logged_in.get(reverse("campaigns:list"), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="campaign-table"')
    assert "<html" not in html


def test_thulium_down_shows_a_banner_not_a_500(
    logged_in: Client, settings: Any, closed_port: int
) -> None:
    settings.THULIUM = settings.THULIUM | {"BASE_URL": f"http://127.0.0.1:{closed_port}/api/"}

    response = logged_in.get(reverse("campaigns:list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Cannot load the campaigns of Thulium system thulium." in html
    assert "is not answering right now" in html
    assert f"127.0.0.1:{closed_port}" in html


def test_rejected_credentials_show_what_to_check(logged_in: Client, settings: Any) -> None:
    settings.THULIUM = settings.THULIUM | {"API_PASSWORD": "wrong"}

    html = logged_in.get(reverse("campaigns:list")).content.decode()

    assert "refused our API user (HTTP 401)" in html
    assert "THULIUM_API_PASSWORD" in html
    assert "Thulium request id for support:" in html
    assert "wrong" not in html


def test_thulium_errors_during_the_page_show_a_banner(logged_in: Client, sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "status", "status": 500})

    response = logged_in.get(reverse("campaigns:list"))

    assert response.status_code == 200
    assert "is not answering right now" in response.content.decode()


def test_missing_configuration_names_the_variables(logged_in: Client, settings: Any) -> None:
    settings.THULIUM = settings.THULIUM | {"BASE_URL": "", "API_PASSWORD": ""}

    html = logged_in.get(reverse("campaigns:list")).content.decode()

    assert "not configured" in html
    assert "THULIUM_BASE_URL, THULIUM_API_PASSWORD" in html


def test_the_page_speaks_polish(logged_in: Client) -> None:
    html = logged_in.get(reverse("campaigns:list"), headers={"Accept-Language": "pl"})
    html = html.content.decode()

    assert '<html lang="pl">' in html
    assert "Kampanie" in html
    assert "Nieaktywna" in html
    assert ">1\xa0500<" in html


def test_polish_error_banner(logged_in: Client, settings: Any, closed_port: int) -> None:
    settings.THULIUM = settings.THULIUM | {"BASE_URL": f"http://127.0.0.1:{closed_port}/api/"}

    html = logged_in.get(reverse("campaigns:list"), headers={"Accept-Language": "pl"})

    assert "nie odpowiada" in html.content.decode()


def test_demo_accounts_are_created_once_and_passwords_kept(
    django_user_model: Any, demo_systems: Any
) -> None:
    first = demo_accounts_ensure()
    user = django_user_model.objects.get(username="supervisor")
    user.set_password("changed by the supervisor")
    user.save()
    second = demo_accounts_ensure()

    assert [(a.username, a.password, a.role) for a in first] == [
        ("supervisor", "supervisor", ""),
        ("supervisor-b", "supervisor-b", ""),
        ("viewer", "viewer", "Viewer"),
        ("admin", "admin", "Administrator"),
    ]
    # only a password still the demo one is given back (and shown on the login page)
    assert [a.password for a in second] == [None, "supervisor-b", "viewer", "admin"]
    assert django_user_model.objects.get(username="viewer").groups.get().name == "Viewer"
    assert django_user_model.objects.get(username="supervisor").check_password(
        "changed by the supervisor"
    )
    admin = django_user_model.objects.get(username="admin")
    assert admin.is_staff
    assert not admin.is_superuser  # an Administrator with staff status, nothing more
    assert admin.groups.get().name == "Administrator"
    assert not django_user_model.objects.get(username="supervisor").is_staff
    # the supervisors hold grants in one system each, and no install-wide role
    assert sorted(
        Grant.objects.filter(user__username="supervisor").values_list(
            "system__name", "campaign", "role"
        )
    ) == [("klient-a", "00001", "Supervisor"), ("klient-a", "00002", "Supervisor")]
    assert list(
        Grant.objects.filter(user__username="supervisor-b").values_list(
            "system__name", "campaign", "role"
        )
    ) == [("klient-b", "", "Supervisor")]
    assert not django_user_model.objects.filter(
        username__startswith="supervisor", groups__isnull=False
    ).exists()
    added = AuditEntry.objects.get(action=AuditEntry.Action.USER_ADDED, details__user="supervisor")
    assert added.details["grants"] == [
        {"system": "klient-a", "role": "Supervisor", "campaigns": ["00001", "00002"]}
    ]


def test_without_the_demo_systems_only_the_install_wide_demo_accounts_are_made(
    db: Any,
) -> None:
    made = demo_accounts_ensure()

    assert [a.username for a in made] == ["viewer", "admin"]


def test_the_login_page_lists_the_demo_accounts_only_against_the_demo_sandbox(
    client: Client, settings: Any
) -> None:
    plain = client.get(reverse("login")).content.decode()
    settings.DEMO_LOGINS = [
        ["supervisor", "supervisor", "", [["klient-a", "Supervisor", ["00001", "00002"]]]],
        ["viewer", "viewer", "Viewer", []],
    ]
    demo = client.get(reverse("login"), headers={"Accept-Language": "pl"}).content.decode()
    english = client.get(reverse("login")).content.decode()

    assert "Demo accounts" not in plain
    assert "<code>supervisor</code>" not in plain
    assert "Konta demonstracyjne" in demo
    assert "<td><code>supervisor</code></td><td><code>supervisor</code></td>" in demo
    assert "<td>campaigns 00001, 00002 of klient-a only</td>" in english
    assert "<td>every campaign of every system</td>" in english


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "This page does not exist, or your account has no access to it."),
        ("pl", "Ta strona nie istnieje albo Twoje konto nie ma do niej dostępu."),
    ],
)
def test_a_page_outside_ones_grants_reads_as_not_found_in_the_readers_language(
    logged_in: Client, language: str, words: str
) -> None:
    for url in ("/grids/99999/", "/campaigns/no-such-system/00001/", "/nothing-here/"):
        response = logged_in.get(url, headers={"Accept-Language": language})

        assert response.status_code == 404
        page = response.content.decode()
        assert words in page
        assert reverse("campaigns:list") in page  # the way back
