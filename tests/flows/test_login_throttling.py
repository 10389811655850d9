"""Login throttling in the production shape: behind the reverse proxy, one person's guesses pause
that name from that address only, a spray of names pauses the address, and nothing a client
writes in X-Forwarded-For moves it to another address's count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import formats, timezone, translation

from campaigns.logins import client_address

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.2"  # the reverse proxy: every request through it comes from here
ATTACKER = "203.0.113.9"
ELSEWHERE = "198.51.100.7"
PASSWORD = "correct horse battery"


def log_in(
    client: Client, username: str, password: str, *, forwarded: str = "", remote: str = PROXY
) -> Any:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=remote,
        **headers,
    )


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    """Many logins a test: a quick hasher (before the accounts are made) keeps them fast; the
    throttling under test never looks at how passwords are hashed."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def behind_one_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1


def test_an_attacker_behind_the_proxy_cannot_lock_a_person_out_from_elsewhere(
    behind_one_proxy: None, settings: Any, supervisor: Any
) -> None:
    attacker = Client()
    for _attempt in range(settings.LOGIN_FAILURE_LIMIT):
        log_in(attacker, "ewa", "guess", forwarded=ATTACKER)

    locked = log_in(attacker, "ewa", PASSWORD, forwarded=ATTACKER)
    # What the client writes on the left is kept by the proxy, which appends what it saw.
    forged = log_in(attacker, "ewa", PASSWORD, forwarded=f"{ELSEWHERE}, {ATTACKER}")
    person = Client()
    logged_in = log_in(person, "ewa", PASSWORD, forwarded=ELSEWHERE)

    assert (locked.status_code, forged.status_code) == (429, 429)
    assert "This user name was given a wrong password too many times" in locked.content.decode()
    assert "_auth_user_id" not in attacker.session
    assert logged_in.status_code == 302
    assert person.session["_auth_user_id"] == str(supervisor.pk)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_other_names_from_the_attackers_address_are_not_paused_by_one_names_lock(
    behind_one_proxy: None, settings: Any, supervisor: Any, viewer: Any
) -> None:
    for _attempt in range(settings.LOGIN_FAILURE_LIMIT):
        log_in(Client(), "ewa", "guess", forwarded=ATTACKER)

    colleague = Client()

    assert log_in(colleague, "wiktor", PASSWORD, forwarded=ATTACKER).status_code == 302
    assert colleague.session["_auth_user_id"] == str(viewer.pk)


def test_a_spray_of_thirty_user_names_from_one_address_is_throttled(
    behind_one_proxy: None, settings: Any, supervisor: Any
) -> None:
    attacker = Client()

    answers = [
        log_in(attacker, f"user{i}", "guess", forwarded=ATTACKER).status_code for i in range(30)
    ]
    at_the_address = log_in(Client(), "ewa", PASSWORD, forwarded=ATTACKER)
    elsewhere = log_in(Client(), "ewa", PASSWORD, forwarded=ELSEWHERE)

    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    assert settings.LOGIN_FAILURE_LIMIT < limit < 30
    assert answers == [200] * (limit - 1) + [429] * (30 - limit + 1)
    assert at_the_address.status_code == 429
    assert "came from your network address, whatever the user names" in (
        at_the_address.content.decode()
    )
    assert elsewhere.status_code == 302


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(
    settings: Any, supervisor: Any
) -> None:
    assert settings.TRUSTED_PROXY_COUNT == 0  # the default
    attacker = Client()
    for attempt in range(settings.LOGIN_FAILURE_LIMIT):
        log_in(attacker, "ewa", "guess", forwarded=f"192.0.2.{attempt}", remote=ATTACKER)

    locked = log_in(attacker, "ewa", PASSWORD, forwarded="192.0.2.200", remote=ATTACKER)

    assert locked.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_locked_out_page_says_when_to_try_again_in_the_readers_format(
    behind_one_proxy: None, settings: Any, supervisor: Any, language: str
) -> None:
    attacker = Client(HTTP_ACCEPT_LANGUAGE=language)
    for _attempt in range(settings.LOGIN_FAILURE_LIMIT):
        log_in(attacker, "ewa", "guess", forwarded=ATTACKER)
    before = timezone.now()

    page = log_in(attacker, "ewa", "guess", forwarded=ATTACKER).content.decode()

    # Every try while paused starts the pause again: it ends a full pause after this one.
    until = timezone.localtime(before + settings.AXES_COOLOFF_TIME)
    with translation.override(language):
        shown = formats.date_format(until, "SHORT_DATETIME_FORMAT")
        later = formats.date_format(until + timedelta(minutes=1), "SHORT_DATETIME_FORMAT")
    assert shown in page or later in page
    assert f'lang="{language}"' in page


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        (0, f"{ELSEWHERE}, {ATTACKER}", PROXY),  # no proxy trusted: the header is the client's
        (1, f"{ELSEWHERE}, {ATTACKER}", ATTACKER),  # the entry our one proxy appended
        (2, f"{ELSEWHERE}, {ATTACKER}, 10.0.0.1", ATTACKER),  # a load balancer, then nginx
        (2, ATTACKER, ATTACKER),  # the outer proxy skipped: every entry is ours
        (1, "", PROXY),  # not through the proxy at all
        (1, f"{ATTACKER}, unknown", PROXY),  # never an address we cannot store
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_is_the_entry_the_trusted_proxies_wrote(
    settings: Any, proxies: int, forwarded: str, address: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == address
