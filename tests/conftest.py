"""Fixtures any test may ask for: a real sandbox process over real HTTP (started only for the
tests that ask for it), the people, the demo campaign, and the settings every test runs under.
Helpers the tests share are in tests/helpers.py."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from campaigns import thulium
from campaigns.models import ThuliumSystem
from campaigns.services.accounts import DEMO_SYSTEMS
from campaigns.services.campaigns import campaign_fields_add, campaign_for
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.systems import system_from_environment_ensure, thulium_system_add
from campaigns.services.validation import campaign_rules
from tests.helpers import (
    API_PASSWORD,
    API_USER,
    DEMO_B_FIELDS,
    DEMO_B_FIXTURE,
    DEMO_FIELDS,
    DEMO_FIXTURE,
    FILES,
    Sandbox,
    client_config,
    sandbox_process,
    send,
    user_with_role,
)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    """One sandbox process per test process (each xdist worker has its own), on a free port."""
    with sandbox_process(DEMO_FIXTURE) as server:
        yield server


@pytest.fixture(scope="session")
def sandbox_b_server() -> Iterator[Sandbox]:
    """A second sandbox process, another client's Thulium (demo_b.json): started only for the
    tests that ask for it, once per test process."""
    with sandbox_process(DEMO_B_FIXTURE) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    """The sandbox back at its demo fixture, with no faults and an empty request log."""
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def demo_world(sandbox: Sandbox) -> Iterator[dict[str, Any]]:
    """A copy of the demo fixture for a test to change and load (`sandbox.load(demo_world)`):
    the demo is loaded back after the test, as a load becomes what a reset goes back to."""
    yield json.loads(DEMO_FIXTURE.read_text(encoding="utf-8"))
    sandbox.load(json.loads(DEMO_FIXTURE.read_text(encoding="utf-8")))


@pytest.fixture
def sandbox_b(sandbox_b_server: Sandbox) -> Sandbox:
    """The second sandbox back at its fixture, with no faults and an empty request log."""
    sandbox_b_server.reset()
    return sandbox_b_server


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[thulium.ThuliumClient]:
    with thulium.ThuliumClient(client_config(sandbox.api_url)) as c:
        yield c


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def _plain_http() -> None:
    """The test client and the live server speak plain HTTP: no redirect to HTTPS. Set for the
    whole session, before the live server loads its middleware."""
    django_settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _dashboard_settings(settings: Any) -> None:
    """The dashboard speaks English and serves plain static files."""
    settings.LANGUAGE_CODE = "en"
    # Each account a test makes, and each login, would spend a third of a second of CPU in
    # PBKDF2; the hashing is Django's, not ours (test_admin_powers.py puts PBKDF2 back where a
    # hash's own words are what it checks).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A sending waiting out an outage tries again within a second, not after 30 s.
    settings.SUBMISSION_OUTAGE_FIRST_PAUSE = 0.2
    settings.SUBMISSION_OUTAGE_LONGEST_PAUSE = 0.8
    # A head file of the developer's own environment is never written by a test.
    settings.AUDIT_HEAD_FILE = None
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }


@pytest.fixture
def dashboard_on_the_sandbox(settings: Any, sandbox_server: Sandbox) -> None:
    """The dashboard talks to the sandbox: every test in tests/flows/ and tests/browser/ asks
    for it (their conftest.py), so a test in tests/unit/ starts no server."""
    settings.THULIUM = {
        "BASE_URL": sandbox_server.api_url,
        "API_USER": API_USER,
        "API_PASSWORD": API_PASSWORD,
        "CONNECT_TIMEOUT": 2.0,
        "READ_TIMEOUT": 5.0,
        "CALL_DEADLINE": 10.0,
        "PAGE_DEADLINE": 5.0,
        "MAX_RETRIES": 1,
        "RETRY_AFTER_CAP": 2.0,
        "READ_CONCURRENCY": 4,
    }


@pytest.fixture
def supervisor(django_user_model: Any) -> Any:
    return user_with_role(django_user_model, "ewa", "Supervisor")


@pytest.fixture
def viewer(django_user_model: Any) -> Any:
    return user_with_role(django_user_model, "wiktor", "Viewer")


@pytest.fixture
def system(db: Any, dashboard_on_the_sandbox: None) -> ThuliumSystem:
    """The install's Thulium system: the sandbox, as THULIUM_BASE_URL names it. In production
    migrate makes it (post_migrate); the test database was migrated before the sandbox's
    address was known, so the same function is called here (test_systems.py proves that
    migrate calls it)."""
    made = system_from_environment_ensure()
    if made is None:
        raise RuntimeError("dashboard_on_the_sandbox sets THULIUM_BASE_URL's setting")
    return made


@pytest.fixture
def campaign(system: ThuliumSystem) -> Any:
    """Campaign 00001 of the demo fixture, with the field list an administrator would keep."""
    campaign = campaign_for(system=system, thulium_id="00001", name="Odnowienia umów — Warszawa")
    campaign_fields_add(campaign=campaign, names=DEMO_FIELDS)
    return campaign


@pytest.fixture
def demo_systems(db: Any) -> list[ThuliumSystem]:
    """The demo's two systems by name, for the demo accounts' grants (nothing calls them)."""
    return [
        thulium_system_add(
            name=name,
            base_url="http://127.0.0.1:9/api/",
            api_user=API_USER,
            password=API_PASSWORD,
            actor=None,
        )
        for name in DEMO_SYSTEMS
    ]


@pytest.fixture
def system_b(system: ThuliumSystem, sandbox_b: Sandbox) -> ThuliumSystem:
    """A second system beside the install's first, kept here as an administrator adds one:
    client B's Thulium, the second sandbox."""
    return thulium_system_add(
        name="klient-b",
        base_url=sandbox_b.api_url,
        api_user=API_USER,
        password=API_PASSWORD,
        actor=None,
    )


@pytest.fixture
def campaign_b(system_b: ThuliumSystem) -> Any:
    """Campaign 00001 of system B (the same id as the first system's `campaign`), with the
    field list an administrator would keep."""
    made = campaign_for(system=system_b, thulium_id="00001", name="Przedłużenie polis OC — Gdańsk")
    campaign_fields_add(campaign=made, names=DEMO_B_FIELDS)
    return made


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Cached campaign rules must not leak from one test's sandbox state into another."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rules(campaign: Any, api: thulium.ThuliumClient) -> Any:
    """Campaign 00001's live rules (statuses, agents, fields) as validation sees them."""
    return campaign_rules(campaign=campaign, client=api)


@pytest.fixture
def crm_grid(campaign: Any, api: thulium.ThuliumClient) -> Any:
    """The CRM export (tests/files) as a confirmed grid: 16 rows, 8 of them with errors."""
    name = "crm_export_cp1250.csv"
    made = grid_create_from_file(
        campaign=campaign, author=None, data=(FILES / name).read_bytes(), filename=name
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


@pytest.fixture
def mailer(settings: Any) -> None:
    """E-mail goes to django.core.mail.outbox (the product has no mailer without EMAIL_HOST)."""
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture
def sent(crm_grid: Any, rules: Any, api: thulium.ThuliumClient) -> Any:
    """The CRM grid, sent once."""
    send(crm_grid, rules, api)
    return crm_grid


@pytest.fixture
def logged_in(client: Any, supervisor: Any, system: ThuliumSystem) -> Any:
    """The test client, logged in as a supervisor, on the install's Thulium system."""
    client.force_login(supervisor)
    return client
