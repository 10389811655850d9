"""The audit log: an entry for every action, refused changes, and a chain that exposes tampering."""

from __future__ import annotations

import hashlib
import importlib
import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns import thulium
from campaigns.models import AuditDetail, AuditEntry, AuditHead, Grid, RowOutcome
from campaigns.services.audit import (
    GENESIS,
    audit_verify,
    entry_mac,
    entry_material,
    outcomes_digest,
)
from campaigns.services.edit_plans import grid_paste, grid_paste_plan
from campaigns.services.editing import grid_add_rows, grid_bulk_set, grid_delete_rows, row_set_cells
from campaigns.services.grids import PullFilters, grid_create_empty, grid_create_from_thulium
from campaigns.services.sending import submission_run
from campaigns.services.submissions import submission_cancel
from campaigns.services.undo import grid_undo
from tests.helpers import FILES, Sandbox, audit_tamper, client_config, queue_sending

pytestmark = pytest.mark.django_db
RELEASE_0011 = importlib.import_module("campaigns.migrations.0011_audit_keyed_chain")


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
    submission = queue_sending(grid=crm_grid, author=None, rules=rules)
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
        "fields_learned",  # Thulium took the rows' fields: the field list learns it
        "submission_finished",
        "pull",
        "grid_created",
    ]
    cell = AuditEntry.objects.filter(action="cell").get()
    # The cells' values are personal: kept apart, the chain covers their keyed digest only.
    assert cell.personal["changes"] == [[6, "Agent", "", "a.nowak"]]
    assert cell.details == {"edit": cell.details["edit"]}
    assert cell.campaign == "00001"
    assert cell.grid_id == crm_grid.pk
    assert cell.actor_name == "command line"
    outcomes = AuditEntry.objects.get(action="outcomes")
    assert outcomes.details["request_id"]
    # 9 rows can be sent; the one that changes nothing in Thulium (only a phone) stays out.
    assert outcomes.details["outcomes"] == {"updated": 8}
    assert outcomes.details["rows"] == 8
    # The chain covers a digest of the outcome rows, which the table gives back exactly.
    stored = RowOutcome.objects.filter(chunk__index=outcomes.details["chunk"]).values_list(
        "row_id", "phone", "outcome", "http_status", "message"
    )
    assert outcomes.details["rows_digest"] == outcomes_digest(list(stored))
    assert audit_verify().ok


def test_intake_entries_carry_the_file_and_the_mapping(crm_grid: Grid) -> None:
    upload = AuditEntry.objects.get(action="upload")
    mapping = AuditEntry.objects.get(action="mapping")

    assert upload.personal == {"file_name": "crm_export_cp1250.csv"}
    assert "file_name" not in upload.details
    assert upload.details["size"] == (FILES / "crm_export_cp1250.csv").stat().st_size
    assert len(upload.details["sha256"]) == 64
    assert mapping.details["mapping"]["Numer telefonu"] == "phone_number"
    assert AuditEntry.objects.get(action="fields").details["fields"][0] == "pole1"


def test_cancelled_and_stopped_submissions(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    first = queue_sending(grid=crm_grid, author=None, rules=rules)
    submission_cancel(submission=first)
    submission_run(submission_id=first.pk, client=api)
    second = queue_sending(grid=crm_grid, author=None, rules=rules, resend=True)
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
    # What was typed as the user name may be anything (a password, even): kept apart.
    assert (failed.details, failed.personal) == ({}, {"username": "ewa"})
    assert "not-my-password" not in str(failed.details) + str(failed.personal)
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


def test_verify_audit_finds_an_edited_entry(crm_grid: Grid) -> None:
    edited = AuditEntry.objects.get(action="mapping")
    audit_tamper(
        f"UPDATE campaigns_auditentry SET details = '{{\"mapping\": {{}}}}' WHERE id = {edited.pk}"
    )
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("verify_audit", stdout=out, stderr=err)

    assert exited.value.code == 1
    assert f"Entry #{edited.pk} was altered." in err.getvalue()


def test_verify_audit_finds_a_removed_entry(crm_grid: Grid) -> None:
    removed = AuditEntry.objects.get(action="upload")
    audit_tamper(f"DELETE FROM campaigns_auditentry WHERE id = {removed.pk}")

    check = audit_verify()

    assert not check.ok
    assert check.entry_id == removed.pk + 1
    assert "was removed or altered" in check.problem


def test_verify_audit_finds_a_removed_last_entry(crm_grid: Grid) -> None:
    last = AuditEntry.objects.order_by("-id").first()
    audit_tamper(f"DELETE FROM campaigns_auditentry WHERE id = {last.pk}")

    check = audit_verify()

    assert not check.ok
    assert "1 entry at the end of the log was removed" in check.problem


def test_verify_audit_passes_an_intact_log(crm_grid: Grid) -> None:
    out = io.StringIO()

    call_command("verify_audit", stdout=out)

    assert "Audit log intact (entries:" in out.getvalue()


def test_the_admin_shows_entries_read_only(client: Client, django_user_model: Any) -> None:
    admin = django_user_model.objects.create_superuser("root", password="x" * 12)
    client.force_login(admin)
    entry = AuditEntry.objects.get(action="login")

    page = client.get(reverse("admin:campaigns_auditentry_change", args=[entry.pk]))
    delete = client.post(reverse("admin:campaigns_auditentry_delete", args=[entry.pk]))

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert delete.status_code == 403


# --- the keyed chain ---------------------------------------------------------------------------


def rechain(mac_of: Any) -> None:
    """What someone who can write the database would do after editing entries: recompute every
    link and the head with `mac_of(prev, entry)`."""

    prev = GENESIS
    entries = list(AuditEntry.objects.order_by("id"))
    for entry in entries:
        entry.prev_mac = prev
        prev = mac_of(prev, entry)
        audit_tamper(
            f"UPDATE campaigns_auditentry SET prev_mac = '{entry.prev_mac}', mac = '{prev}' "
            f"WHERE id = {entry.pk}"
        )
    AuditHead.objects.filter(pk=1).update(count=len(entries), last_mac=prev)


def plain_sha256(prev: str, entry: AuditEntry) -> str:
    """The old, unkeyed chain: anyone can recompute it."""
    return hashlib.sha256((prev + entry_material(entry)).encode("utf-8")).hexdigest()


def test_rewriting_entries_and_recomputing_plain_hashes_is_caught(crm_grid: Grid) -> None:
    edited = AuditEntry.objects.get(action="mapping")
    audit_tamper(
        f"UPDATE campaigns_auditentry SET actor_name = 'someone else' WHERE id = {edited.pk}"
    )
    rechain(plain_sha256)

    check = audit_verify()

    assert not check.ok
    assert check.entry_id == AuditEntry.objects.order_by("id").first().pk
    assert "was altered" in check.problem


def test_recomputing_the_chain_with_a_guessed_key_is_caught(crm_grid: Grid) -> None:
    audit_tamper("DELETE FROM campaigns_auditentry WHERE action = 'upload'")
    rechain(lambda prev, entry: entry_mac(entry, b"a guess") if entry.prev_mac == prev else "")

    assert not audit_verify().ok


def test_a_wrong_key_is_named_as_such_not_as_tampering(crm_grid: Grid, settings: Any) -> None:
    settings.AUDIT_KEY = "not the key this log was written with"
    err = io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)

    assert exited.value.code == 1
    assert "AUDIT_KEY is not the key this log was written with" in err.getvalue()


def test_the_head_printed_earlier_catches_a_cut_off_end(crm_grid: Grid) -> None:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    kept = re.search(r"Head: (\d+:[0-9a-f]{64})", out.getvalue())[1]
    last_two = list(AuditEntry.objects.order_by("-id")[:2])
    audit_tamper(f"DELETE FROM campaigns_auditentry WHERE id >= {last_two[1].pk}")
    AuditDetail.objects.filter(entry_id__gte=last_two[1].pk).delete()  # theirs go too
    # The head row wound back to match: without the kept head the log looks whole.
    AuditHead.objects.filter(pk=1).update(
        count=AuditEntry.objects.count(), last_mac=AuditEntry.objects.order_by("-id")[0].mac
    )
    assert audit_verify().ok
    err = io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("verify_audit", "--head", kept, stdout=io.StringIO(), stderr=err)

    assert exited.value.code == 1
    assert "entries at its end were removed" in err.getvalue()


def test_an_older_head_is_checked_against_todays_chain(crm_grid: Grid) -> None:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    kept = re.search(r"Head: (\d+:[0-9a-f]{64})", out.getvalue())[1]
    grid_create_empty(campaign=crm_grid.campaign, author=None)  # the log goes on
    later = io.StringIO()

    call_command("verify_audit", "--head", kept, stdout=later)

    assert f"Head {kept} is in the chain." in later.getvalue()
    assert f"Head: {int(kept.split(':')[0]) + 1}:" in later.getvalue()


def test_a_head_that_is_not_in_the_chain_any_more_is_caught(crm_grid: Grid) -> None:
    count = AuditEntry.objects.count()
    err = io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command(
            "verify_audit", "--head", f"{count}:{'a' * 64}", stdout=io.StringIO(), stderr=err
        )

    assert exited.value.code == 1
    assert "the log was rewritten since" in err.getvalue()


def test_a_malformed_head_is_a_usage_error(crm_grid: Grid) -> None:
    err = io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("verify_audit", "--head", "twelve", stdout=io.StringIO(), stderr=err)

    assert exited.value.code == 2
    assert "--head takes N:MAC" in err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_migration_rekeys_the_plain_chain_and_says_so_in_the_log() -> None:
    from django.db.migrations.executor import MigrationExecutor

    before = [("campaigns", "0010_user_preference_and_outcome_day_index")]
    after = [("campaigns", "0011_audit_keyed_chain")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        OldEntry = old.get_model("campaigns", "AuditEntry")
        OldHead = old.get_model("campaigns", "AuditHead")
        prev = GENESIS
        for n in range(3):
            entry = OldEntry(at=timezone.now(), actor_name="ewa", action="login", details={"n": n})
            entry.prev_hash, entry.actor_id, entry.campaign = prev, None, ""
            entry.grid_id = entry.submission_id = None
            material = RELEASE_0011._material(entry)  # what the chain covered then
            entry.hash = prev = hashlib.sha256((prev + material).encode("utf-8")).hexdigest()
            entry.save()
        OldHead.objects.update_or_create(pk=1, defaults={"count": 3, "last_hash": prev})
        plain_head = prev
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    check = audit_verify()
    step, split = AuditEntry.objects.order_by("-id")[1], AuditEntry.objects.order_by("id").last()

    assert check.ok
    assert check.checked == 5
    assert split.action == "audit_details_split"
    assert step.action == "audit_rekeyed"
    assert step.details == {"entries": 3, "plain_head": f"3:{plain_head}", "plain_chain": "intact"}
