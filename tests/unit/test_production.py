"""Production shape: Django's deployment checks pass, and plain HTTP goes to HTTPS."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from tests.helpers import ROOT

PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(60),
    "AUDIT_KEY": secrets.token_urlsafe(48),
    "CONNECTIONS_KEY": f"{secrets.token_urlsafe(48)},{secrets.token_urlsafe(48)}",
    "DO_NOT_CONTACT_KEY": secrets.token_urlsafe(48),
    "ALLOWED_HOSTS": "dashboard.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://dashboard.example.com",
    "BEHIND_TLS_PROXY": "1",
    "DATABASE_URL": "postgres://dashboard@db.example.com/dashboard",
    "AUDIT_HEAD_FILE": "/var/lib/dashboard-audit/head",
}


def production(*args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    # Nothing of the test run's environment (DEBUG, DJANGO_ALLOW_ASYNC_UNSAFE, SECURE_*) leaks in.
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "DEBUG" and not k.startswith(("DJANGO_", "SECURE_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={k: v for k, v in (env | PRODUCTION | overrides).items() if v},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_under_production_settings() -> None:
    result = production("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_redirects_plain_http_to_https() -> None:
    code = (
        "import django; django.setup();"
        "from django.test import Client; c = Client(HTTP_HOST='dashboard.example.com');"
        "print(c.get('/').status_code, c.get('/').headers.get('Location'));"
        "print(c.get('/', headers={'X-Forwarded-Proto': 'https'}).status_code)"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "DEBUG" and not k.startswith(("DJANGO_", "SECURE_"))
    }
    env |= PRODUCTION
    env |= {"DJANGO_SETTINGS_MODULE": "thulium_admin.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )

    lines = result.stdout.split("\n")
    assert lines[0] == "301 https://dashboard.example.com/", result.stderr
    assert lines[1] == "302"  # over HTTPS: on to the login page


def test_production_refuses_to_start_without_an_audit_key() -> None:
    result = production("check", AUDIT_KEY="")

    assert result.returncode != 0
    assert "AUDIT_KEY is not set" in result.stderr


def test_check_deploy_refuses_an_audit_key_that_is_the_secret_key() -> None:
    same = PRODUCTION["SECRET_KEY"]

    result = production("check", "--deploy", AUDIT_KEY=same)

    assert result.returncode != 0
    assert "campaigns.E002" in result.stderr
    assert "AUDIT_KEY is the same as SECRET_KEY" in result.stderr


def test_check_deploy_warns_of_a_short_audit_key() -> None:
    result = production("check", "--deploy", "--fail-level", "WARNING", AUDIT_KEY="short")

    assert result.returncode != 0
    assert "campaigns.W001" in result.stderr


def test_check_deploy_refuses_a_connections_key_that_is_another_key() -> None:
    rotating = f"{secrets.token_urlsafe(48)},{PRODUCTION['AUDIT_KEY']}"

    result = production("check", "--deploy", CONNECTIONS_KEY=rotating)

    assert result.returncode != 0
    assert "campaigns.E005" in result.stderr


def test_check_deploy_warns_of_a_short_connections_key() -> None:
    result = production("check", "--deploy", "--fail-level", "WARNING", CONNECTIONS_KEY="short")

    assert result.returncode != 0
    assert "campaigns.W003" in result.stderr


def test_an_install_without_connections_key_passes_the_deploy_check() -> None:
    # A system from the environment keeps no password in the database: no key is needed.
    result = production("check", "--deploy", "--fail-level", "WARNING", CONNECTIONS_KEY="")

    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_when_the_do_not_contact_list_has_no_key() -> None:
    result = production("check", "--deploy", "--fail-level", "WARNING", DO_NOT_CONTACT_KEY="")

    assert result.returncode != 0
    assert "campaigns.W005" in result.stderr


def test_check_deploy_refuses_a_do_not_contact_key_that_is_another_key() -> None:
    result = production("check", "--deploy", DO_NOT_CONTACT_KEY=PRODUCTION["AUDIT_KEY"])

    assert result.returncode != 0
    assert "campaigns.E007" in result.stderr
