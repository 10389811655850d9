"""The audit log: an entry for every action, refused changes, and a chain that exposes tampering."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.models import AuditEntry, Grid
from campaigns.services.audit import audit_verify
from campaigns.services.editing import (
    grid_add_rows,
    grid_bulk_set,
    grid_delete_rows,
    grid_paste,
    grid_paste_plan,
    grid_undo,
    row_set_cells,
)
from campaigns.services.grids import PullFilters, grid_create_empty, grid_create_from_thulium
from campaigns.services.submissions import submission_cancel, submission_create, submission_run
from tests.conftest import FILES, Sandbox, client_config

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


def test_every_action_leaves_one_entry(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, campaign: Any, sandbox: Sandbox
) -> None:
    start = AuditEntry.objects.count()
    row = crm_grid.rows.get(number=6)
    row_set_cells(
        grid=crm_grid, row=row, cells={"agent_login": "a.nowak"}, author=None, rules=rules
    )
    grid_bulk_set(
        grid=crm_grid,
        row_ids=[row.pk],
        target="next_call_date",
        text="24.12.2030 10:00",
        author=None,
        rules=rules,
    )
    plan = grid_paste_plan(grid=crm_grid, start_row=row, start_target="status", block="Nowy")
    grid_paste(grid=crm_grid, plan=plan, author=None, rules=rules)
    grid_add_rows(grid=crm_grid, count=1, author=None, rules=rules)
    grid_delete_rows(
        grid=crm_grid,
        row_ids=[crm_grid.rows.order_by("-number").first().pk],
        author=None,
        rules=rules,
    )
    grid_undo(grid=crm_grid, rules=rules)
    submission = submission_create(grid=crm_grid, author=None, rules=rules)
    submission_run(submission_id=submission.pk, client=api)
    grid_create_from_thulium(
        campaign=campaign, author=None, filters=PullFilters(status_ids=["4"]), client=api
    )
    grid_create_empty(campaign=campaign, author=None)

    assert actions()[start:] == [
        "cell",
        "bulk",
        "paste",
        "add",
        "delete",
        "undo",
        "submission_queued",
        "submission_started",
        "outcomes",
        "submission_finished",
        "pull",
        "grid_created",
    ]
    cell = AuditEntry.objects.filter(action="cell").get()
    assert cell.details["changes"] == [[6, "Agent", "", "a.nowak"]]
    assert cell.campaign == "00001"
    assert cell.grid_id == crm_grid.pk
    assert cell.actor_name == "command line"
    outcomes = AuditEntry.objects.get(action="outcomes")
    assert outcomes.details["request_id"]
    assert [r[2] for r in outcomes.details["rows"]] == ["updated"] * 9
    assert audit_verify().ok


def test_intake_entries_carry_the_file_and_the_mapping(crm_grid: Grid) -> None:
    upload = AuditEntry.objects.get(action="upload")
    mapping = AuditEntry.objects.get(action="mapping")

    assert upload.details["file_name"] == "crm_export_cp1250.csv"
    assert upload.details["size"] == (FILES / "crm_export_cp1250.csv").stat().st_size
    assert len(upload.details["sha256"]) == 64
    assert mapping.details["mapping"]["Numer telefonu"] == "phone_number"
    assert AuditEntry.objects.get(action="fields").details["fields"][0] == "pole1"


def test_cancelled_and_stopped_submissions(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    first = submission_create(grid=crm_grid, author=None, rules=rules)
    submission_cancel(submission=first)
    submission_run(submission_id=first.pk, client=api)
    second = submission_create(grid=crm_grid, author=None, rules=rules, resend=True)
    with thulium.ThuliumClient(client_config(sandbox.api_url, password="wrong")) as bad:
        submission_run(submission_id=second.pk, client=bad)

    assert "submission_cancelled" in actions()
    stopped = AuditEntry.objects.get(action="submission_failed")
    assert "THULIUM_API_PASSWORD" in stopped.details["problem"]
    assert "wrong" not in str(stopped.details)


def test_logins_and_failed_logins_without_the_password(client: Client, supervisor: Any) -> None:
    client.post(reverse("login"), {"username": "ewa", "password": "not-my-password"})
    client.post(reverse("login"), {"username": "ewa", "password": "correct horse battery"})

    failed, succeeded = AuditEntry.objects.order_by("id")
    assert failed.action == "login_failed"
    assert failed.details == {"username": "ewa"}
    assert "not-my-password" not in str(failed.details)
    assert (succeeded.action, succeeded.actor_id, succeeded.actor_name) == (
        "login",
        supervisor.pk,
        "ewa",
    )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE campaigns_auditentry SET actor_name = 'someone else'",
        "DELETE FROM campaigns_auditentry",
    ],
)
def test_the_database_refuses_changes_to_entries(crm_grid: Grid, sql: str) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert AuditEntry.objects.filter(action="upload").exists()


def tamper(sql: str) -> None:
    """What someone with the database's owner rights could still do: lift the trigger, edit."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE campaigns_auditentry DISABLE TRIGGER USER")
            cursor.execute(sql)
            cursor.execute("ALTER TABLE campaigns_auditentry ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER campaigns_auditentry_no_update")
            cursor.execute("DROP TRIGGER campaigns_auditentry_no_delete")
            cursor.execute(sql)


def test_verify_audit_finds_an_edited_entry(crm_grid: Grid) -> None:
    edited = AuditEntry.objects.get(action="mapping")
    tamper(
        f"UPDATE campaigns_auditentry SET details = '{{\"mapping\": {{}}}}' WHERE id = {edited.pk}"
    )
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("verify_audit", stdout=out, stderr=err)

    assert exited.value.code == 1
    assert f"Entry #{edited.pk} was altered." in err.getvalue()


def test_verify_audit_finds_a_removed_entry(crm_grid: Grid) -> None:
    removed = AuditEntry.objects.get(action="upload")
    tamper(f"DELETE FROM campaigns_auditentry WHERE id = {removed.pk}")

    check = audit_verify()

    assert not check.ok
    assert check.entry_id == removed.pk + 1
    assert "was removed or altered" in check.problem


def test_verify_audit_finds_a_removed_last_entry(crm_grid: Grid) -> None:
    last = AuditEntry.objects.order_by("-id").first()
    tamper(f"DELETE FROM campaigns_auditentry WHERE id = {last.pk}")

    check = audit_verify()

    assert not check.ok
    assert "1 entries at the end of the log were removed" in check.problem


def test_verify_audit_passes_an_intact_log(crm_grid: Grid) -> None:
    out = io.StringIO()

    call_command("verify_audit", stdout=out)

    assert "Audit log intact:" in out.getvalue()


def test_the_admin_shows_entries_read_only(client: Client, django_user_model: Any) -> None:
    admin = django_user_model.objects.create_superuser("root", password="x" * 12)
    client.force_login(admin)
    entry = AuditEntry.objects.get(action="login")

    page = client.get(reverse("admin:campaigns_auditentry_change", args=[entry.pk]))
    delete = client.post(reverse("admin:campaigns_auditentry_delete", args=[entry.pk]))

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert delete.status_code == 403
