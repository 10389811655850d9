"""The audit log holds from a fresh install: triggers made by migrations on both engines, a check
that stops every start without them, outcomes and a head file that verify_audit checks."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from campaigns.database.audit_triggers import triggers_missing
from campaigns.models import AuditDetail, AuditEntry, AuditHead, Grid, RowOutcome
from campaigns.services.audit import audit, audit_verify
from campaigns.services.retention import personal_data_purge
from tests.helpers import ROOT, audit_tamper
from thulium_admin.settings import local_audit_key

pytestmark = pytest.mark.django_db

ENTRY = (
    "INSERT INTO campaigns_auditentry (at, actor_name, action, campaign, details, detail_mac, "
    "prev_mac, mac) VALUES ('2026-01-01 00:00:00+00:00', 'ewa', 'login', '', '{}', '', "
    "'0', 'a')"
)


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DEBUG" and not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env | {"DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """An empty database on the engine the suite runs on: (its URL, a function opening a plain
    DB-API connection to it, outside Django)."""
    db = django_settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        path = tmp_path / "fresh.sqlite3"
        yield f"sqlite:///{path}", lambda: sqlite3.connect(path, isolation_level=None)
        return
    name = f"{db['NAME']}_fresh"
    server = {"host": db["HOST"], "port": db["PORT"] or 5432, "user": db["USER"]}
    server |= {"password": db["PASSWORD"]} if db["PASSWORD"] else {}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{auth}@{db['HOST']}:{server['port']}/{name}"
    yield url, lambda: psycopg.connect(dbname=name, autocommit=True, **server)
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_database_migrated_from_zero_refuses_update_delete_and_truncate(
    fresh_database: tuple[str, Any],
) -> None:
    url, open_database = fresh_database

    migrated = manage("migrate", "--noinput", database_url=url)

    assert migrated.returncode == 0, migrated.stderr
    raw = open_database()
    raw.execute(ENTRY)  # appending is what the log is for
    refused = [
        "UPDATE campaigns_auditentry SET actor_name = 'someone else'",
        "DELETE FROM campaigns_auditentry",
    ]
    if url.startswith("postgres"):
        refused.append("TRUNCATE campaigns_auditentry")
    for statement in refused:
        with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
            raw.execute(statement)
    assert raw.execute("SELECT actor_name FROM campaigns_auditentry").fetchall() == [("ewa",)]
    raw.close()


def test_a_start_without_the_triggers_fails_the_system_check(
    fresh_database: tuple[str, Any],
) -> None:
    url, open_database = fresh_database
    assert manage("migrate", "--noinput", database_url=url).returncode == 0
    assert manage("check", database_url=url).returncode == 0
    raw = open_database()
    if url.startswith("postgres"):
        raw.execute(
            "ALTER TABLE campaigns_auditentry DISABLE TRIGGER campaigns_auditentry_no_truncate"
        )
    else:
        raw.execute("DROP TRIGGER campaigns_auditentry_no_delete")
    raw.close()

    checked = manage("check", database_url=url)
    # The check's hint mends it: every migrate makes sure of them.
    mended = manage("migrate", "--noinput", "--skip-checks", database_url=url)

    assert checked.returncode != 0
    assert "campaigns.E003" in checked.stderr
    assert "is not append-only" in checked.stderr
    assert mended.returncode == 0
    assert manage("check", database_url=url).returncode == 0


def lift_one_trigger() -> None:
    """Inside the test's transaction (rolled back after it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE campaigns_auditentry DISABLE TRIGGER campaigns_auditentry_append_only"
            )
        else:
            cursor.execute("DROP TRIGGER campaigns_auditentry_no_update")


def test_the_test_database_has_the_triggers_its_migrations_made() -> None:
    assert triggers_missing(connection) == []


def test_the_system_check_names_a_missing_trigger() -> None:
    lift_one_trigger()

    with pytest.raises(SystemCheckError, match="campaigns.E003") as failed:
        call_command("check")

    missing = triggers_missing(connection)
    assert len(missing) == 1
    assert missing[0] in str(failed.value)


def test_flush_empties_the_log_and_puts_back_exactly_the_triggers_that_were_there() -> None:
    audit(action=AuditEntry.Action.LOGIN, actor=None)
    lift_one_trigger()
    lifted = triggers_missing(connection)

    call_command("flush", interactive=False, inhibit_post_migrate=True)

    assert not AuditEntry.objects.exists()
    assert triggers_missing(connection) == lifted  # none made that was not there


def test_flush_then_the_post_migrate_step_leaves_every_trigger() -> None:
    audit(action=AuditEntry.Action.LOGIN, actor=None)

    call_command("flush", interactive=False)

    assert not AuditEntry.objects.exists()
    assert triggers_missing(connection) == []
    audit(action=AuditEntry.Action.LOGIN, actor=None)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.update(actor_name="someone else")


def verify(**options: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err, **options)
    except SystemExit as exited:
        return int(exited.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_verify_audit_reports_an_outcome_changed_in_the_database(sent: Grid) -> None:
    changed = RowOutcome.objects.filter(outcome="updated").first()
    assert audit_verify().ok
    RowOutcome.objects.filter(pk=changed.pk).update(outcome="rejected")

    code, _out, err = verify()

    assert code == 1
    assert f"sending #{changed.submission_id} were changed in the database" in err


def test_after_retention_the_outcomes_are_checked_by_their_counts(sent: Grid) -> None:
    personal_data_purge(now=timezone.now() + timedelta(days=400))
    assert audit_verify().ok
    changed = RowOutcome.objects.filter(outcome="updated").first()
    RowOutcome.objects.filter(pk=changed.pk).update(outcome="rejected")

    check = audit_verify()

    assert not check.ok
    assert "were changed in the database" in check.problem


def test_verify_audit_records_the_head_and_catches_a_truncated_log(
    crm_grid: Grid, settings: Any, tmp_path: Path
) -> None:
    settings.AUDIT_HEAD_FILE = tmp_path / "audit-head"
    code, out, _err = verify()
    recorded = settings.AUDIT_HEAD_FILE.read_text()
    head = re.search(r"Head: (\d+:[0-9a-f]{64})", out)[1]
    # Everything gone, the head row too: on its own the log says "intact, 0 entries".
    audit_tamper("DELETE FROM campaigns_auditentry")
    AuditDetail.objects.all().delete()
    AuditHead.objects.all().delete()
    assert audit_verify().ok

    code_after, _out, err = verify()

    assert code == 0
    assert recorded.endswith(f" {head}\n")
    assert code_after == 1
    assert "entries at its end were removed" in err
    assert settings.AUDIT_HEAD_FILE.read_text() == recorded  # the evidence stays


def test_verify_audit_catches_a_chain_rewritten_since_the_recorded_head(
    crm_grid: Grid, settings: Any, tmp_path: Path
) -> None:
    settings.AUDIT_HEAD_FILE = tmp_path / "audit-head"
    verify()
    last = AuditEntry.objects.order_by("-id").first()
    audit_tamper(f"DELETE FROM campaigns_auditentry WHERE id = {last.pk}")
    AuditHead.objects.filter(pk=1).update(
        count=AuditEntry.objects.count(), last_mac=AuditEntry.objects.order_by("-id")[0].mac
    )
    audit(action=AuditEntry.Action.LOGIN, actor=None)  # as long as before, not the same

    code, _out, err = verify()

    assert code == 1
    assert "the log was rewritten since" in err


def test_a_log_that_grew_keeps_verifying_against_the_recorded_head(
    crm_grid: Grid, settings: Any, tmp_path: Path
) -> None:
    settings.AUDIT_HEAD_FILE = tmp_path / "audit-head"
    verify()
    audit(action=AuditEntry.Action.LOGIN, actor=None)

    code, out, _err = verify()

    assert code == 0
    assert "The head recorded earlier" in out
    assert len(settings.AUDIT_HEAD_FILE.read_text().splitlines()) == 2


def test_without_a_head_file_verify_audit_says_the_head_was_not_recorded(crm_grid: Grid) -> None:
    code, _out, err = verify()

    assert code == 0
    assert "AUDIT_HEAD_FILE is not set" in err


def test_the_development_audit_key_is_made_once_per_install(tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()

    first = local_audit_key(tmp_path / ".env.audit-key")
    again = local_audit_key(tmp_path / ".env.audit-key")
    another_install = local_audit_key(tmp_path / "other" / ".env.audit-key")

    assert first == again
    assert len(first) >= 48
    assert another_install != first
    assert (tmp_path / ".env.audit-key").stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env.audit-key", "other"]
