"""Personal details apart from the audit chain: the chain covers their keyed digest only, an
erasure recorded in the log leaves it verifiable, and anything else done to them is caught."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.models import AuditDetail, AuditEntry, Grid
from campaigns.services.audit import (
    GENESIS,
    audit_details_erase,
    audit_key,
    audit_verify,
    detail_mac,
)
from campaigns.services.editing import row_set_cells

pytestmark = pytest.mark.django_db
RELEASE_0011 = importlib.import_module("campaigns.migrations.0011_audit_keyed_chain")


def edited(grid: Grid, rules: Any) -> AuditEntry:
    row = grid.rows.get(number=6)
    row_set_cells(grid=grid, row=row, cells={"agent_login": "a.nowak"}, author=None, rules=rules)
    return AuditEntry.objects.get(action="cell")


def test_an_edits_values_live_apart_and_the_chain_covers_only_their_keyed_digest(
    crm_grid: Grid, rules: Any
) -> None:
    cell = edited(crm_grid, rules)
    detail = AuditDetail.objects.get(entry=cell)

    assert detail.details == {"changes": [[6, "Agent", "", "a.nowak"]], "added_rows": []}
    assert "a.nowak" not in json.dumps(cell.details)
    assert cell.detail_mac == detail_mac(detail.details, audit_key())
    # Keyed: the plain digest of the same details is not what the chain holds.
    plain = json.dumps(detail.details, sort_keys=True, ensure_ascii=False).encode()
    assert cell.detail_mac != hashlib.sha256(b"detail:" + plain).hexdigest()
    assert audit_verify().ok


def test_erasing_details_by_the_process_keeps_the_chain_verifiable_and_says_so(
    crm_grid: Grid, rules: Any
) -> None:
    cell = edited(crm_grid, rules)
    upload = AuditEntry.objects.get(action="upload")

    erasure = audit_details_erase(
        entry_ids=[cell.pk, upload.pk], action=AuditEntry.Action.PERSONAL_DATA_PURGED, actor=None
    )
    check = audit_verify()

    assert erasure.details["details_erased"] == 2
    assert check.ok, check.problem
    assert (check.erased, check.erasures) == (2, 1)
    cell.refresh_from_db()
    assert cell.personal is None
    assert cell.shown_details == cell.details
    # Erasing again finds nothing left to erase.
    again = audit_details_erase(
        entry_ids=[cell.pk], action=AuditEntry.Action.PERSONAL_DATA_PURGED, actor=None
    )
    assert again.details["details_erased"] == 0
    assert audit_verify().ok


def test_an_altered_detail_is_caught(crm_grid: Grid, rules: Any) -> None:
    cell = edited(crm_grid, rules)
    AuditDetail.objects.filter(entry=cell).update(details={"changes": [[6, "Agent", "", "x"]]})

    check = audit_verify()

    assert not check.ok
    assert check.problem == f"The personal details of entry #{cell.pk} were altered."


def test_a_detail_deleted_outside_an_erasure_is_caught(crm_grid: Grid, rules: Any) -> None:
    cell = edited(crm_grid, rules)
    AuditDetail.objects.filter(entry=cell).delete()

    check = audit_verify()

    assert not check.ok
    assert f"entry #{cell.pk} were deleted, and no erasure" in check.problem


def test_a_detail_erased_behind_the_logs_back_is_caught_even_naming_a_real_erasure(
    crm_grid: Grid, rules: Any
) -> None:
    cell = edited(crm_grid, rules)
    upload = AuditEntry.objects.get(action="upload")
    audit_details_erase(
        entry_ids=[upload.pk], action=AuditEntry.Action.PERSONAL_DATA_PURGED, actor=None
    )
    erasure = AuditEntry.objects.get(action="personal_data_purged")
    # Someone blanks another detail and points it at the erasure that really happened.
    AuditDetail.objects.filter(entry=cell).update(
        details=None, erased_at=timezone.now(), erased_by=erasure.pk
    )

    check = audit_verify()

    assert not check.ok
    assert "no erasure in the log covers them" in check.problem


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_personal_details_out_and_rechains_saying_so() -> None:
    from django.db.migrations.executor import MigrationExecutor

    before = [("campaigns", "0016_upload_blocks_and_leaner_indexes")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    key = audit_key()
    try:
        old = executor.loader.project_state(before).apps
        OldEntry = old.get_model("campaigns", "AuditEntry")
        OldHead = old.get_model("campaigns", "AuditHead")
        prev = GENESIS
        written = [
            ("upload", {"file_name": "dłużnicy Kowalski.csv", "rows": 3, "format": "csv"}),
            ("cell", {"edit": 4, "changes": [[1, "Telefon", "600100200", "600100201"]]}),
            ("outcomes", {"chunk": 0, "rows": [[1, "600100201", "updated", 204, ""]]}),
            ("outcomes", {"chunk": 1, "rows": 2, "outcomes": {"updated": 2}}),
            ("login", {}),
        ]
        for action, details in written:
            entry = OldEntry(at=timezone.now(), actor_name="ewa", action=action, details=details)
            entry.prev_mac, entry.campaign = prev, ""
            material = RELEASE_0011._material(entry)  # what the chain covered until 0017
            entry.mac = prev = hmac.new(key, (prev + material).encode(), "sha256").hexdigest()
            entry.save()
        OldHead.objects.update_or_create(pk=1, defaults={"count": 5, "last_mac": prev})
        old_head = f"5:{prev}"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    check = audit_verify()
    entries = list(AuditEntry.objects.order_by("id"))
    step = entries[-1]

    assert check.ok, check.problem
    assert check.checked == 6
    assert step.details == {
        "entries": 5,
        "details_moved": 3,
        "previous_head": old_head,
        "previous_chain": "intact",
    }
    upload, cell, lost, counted, login = entries[:5]
    assert upload.details == {"rows": 3, "format": "csv"}
    assert upload.personal == {"file_name": "dłużnicy Kowalski.csv"}
    assert cell.details == {"edit": 4}
    assert lost.details == {"chunk": 0}
    assert lost.personal["rows"][0][1] == "600100201"
    assert counted.details == {"chunk": 1, "rows": 2, "outcomes": {"updated": 2}}
    assert (login.details, login.detail_mac) == ({}, "")
    assert "600100" not in json.dumps([e.details for e in entries], ensure_ascii=False)
