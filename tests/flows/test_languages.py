"""The interface speaks each user's own language, remembered with their account."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from campaigns.models import UserPreference
from campaigns.rules.messages import thulium_fix

pytestmark = pytest.mark.django_db

POLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "pl-PL,pl;q=0.9"}


def page_language(client: Client) -> str:
    page = client.get(reverse("campaigns:history"), **POLISH_BROWSER).content.decode()
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_chosen_language_follows_the_user_to_another_browser(supervisor: Any) -> None:
    first = Client()
    first.force_login(supervisor)
    assert page_language(first) == "pl"  # the browser's language until the user chooses

    answer = first.post(reverse("set_language"), {"language": "en", "next": "/history/"})

    assert answer.status_code == 302
    assert UserPreference.objects.get(user=supervisor).language == "en"
    other = Client()  # another browser: no language cookie, a Polish Accept-Language
    other.force_login(supervisor)
    assert page_language(other) == "en"
    assert "<h1>History</h1>" in other.get(reverse("campaigns:history")).content.decode()


def test_switching_back_to_polish_is_remembered_too(supervisor: Any) -> None:
    client = Client()
    client.force_login(supervisor)
    client.post(reverse("set_language"), {"language": "en"})
    client.post(reverse("set_language"), {"language": "pl"})

    other = Client(headers={"accept-language": "en"})
    other.force_login(supervisor)

    assert page_language(other) == "pl"


def test_before_logging_in_the_choice_is_the_browsers_alone(client: Client) -> None:
    answer = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    login_page = client.get(reverse("login"), **POLISH_BROWSER).content.decode()

    assert answer.cookies["django_language"].value == "en"
    assert '<html lang="en">' in login_page
    assert UserPreference.objects.count() == 0


def test_an_unknown_language_changes_nothing(supervisor: Any) -> None:
    client = Client()
    client.force_login(supervisor)

    client.post(reverse("set_language"), {"language": "xx"})

    assert UserPreference.objects.count() == 0
    assert page_language(client) == "pl"


# Every per-row message the sandbox (like Thulium) answers with.
THULIUM_ROW_MESSAGES = [
    "Agent not found.",
    "Status not found.",
    "Dictionary status not found.",
    "Record not found.",
    "Phone number is required.",
    "Invalid next call date. Use the format YYYY-MM-DD hh:mm.",
    "Agent login is required for system status MY_RECORD.",
    "Next call date is required for system status CALL_NO_SOONER_THAN.",
    "Record fields must be an object of field names and values.",
    "Record fields can be set only in non-CRM campaigns.",
    'Record field "kolor" does not exist in the campaign.',
    "Record with this phone number already exists.",
    "Record is in a call and cannot be removed now.",
    "Identifier CRM-7 is already used in the campaign.",
    "Order must be a whole number.",
    "Phone number is duplicated in the campaign. Edit the record by its identifier.",
]


@pytest.mark.parametrize("message", THULIUM_ROW_MESSAGES)
def test_every_thulium_row_message_gets_an_explanation_in_polish(message: str) -> None:
    with translation.override("pl"):
        polish = thulium_fix(message)
    with translation.override("en"):
        english = thulium_fix(message)

    assert polish
    assert english
    assert polish != english  # translated, not the English text again


def test_an_explanation_keeps_the_value_from_thuliums_message() -> None:
    with translation.override("pl"):
        assert "kolor" in thulium_fix('Record field "kolor" does not exist in the campaign.')
        assert "CRM-7" in thulium_fix("Identifier CRM-7 is already used in the campaign.")


@pytest.mark.parametrize(
    ("language", "pattern"),
    [("pl", r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}"), ("en", r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}")],
)
def test_dates_are_written_the_users_way(supervisor: Any, language: str, pattern: str) -> None:
    import re

    client = Client()
    client.force_login(supervisor)  # the login is in the history, with its time
    client.post(reverse("set_language"), {"language": language})

    page = client.get(reverse("campaigns:history")).content.decode()
    first_entry = page.split('<table class="table">', 1)[1].split("<td>", 1)[1].split("</td>", 1)[0]

    assert re.fullmatch(pattern, first_entry), first_entry
