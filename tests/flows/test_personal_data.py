"""Personal data under RODO: retention that keeps history whole, a person's data found,
exported and erased by phone number without a trace, and who exported what."""

from __future__ import annotations

import io
import json
import re
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns import thulium
from campaigns.exceptions import EditProblem, PersonRequestProblem, Problem
from campaigns.models import AuditEntry, Grid, Row, RowOutcome, SentFields, ThuliumSystem
from campaigns.services.audit import audit, audit_verify
from campaigns.services.editing import row_set_cells
from campaigns.services.exports import grid_export
from campaigns.services.grids import grid_create_from_file
from campaigns.services.person import person_erase, person_find
from campaigns.services.retention import personal_data_purge, purge_plan
from campaigns.services.rows import RowFilter
from tests.helpers import FILES, queue_sending, send, user_with_role

pytestmark = pytest.mark.django_db

NATIONAL = "509708024"  # "+48 509 708 024" in the CRM export: Łukasz from Łódź


def everywhere(national: str, *, text: str = "") -> list[str]:
    """Every text, JSON and binary column of every table whose digits hold the number (or that
    holds `text`) — read independently of the service that erases it (compressed blocks opened
    too)."""
    found = []
    for model in apps.get_models():
        columns = [
            f.column
            for f in model._meta.concrete_fields
            if isinstance(
                f, (models.CharField, models.TextField, models.JSONField, models.BinaryField)
            )
        ]
        if not columns:
            continue
        for values in model._base_manager.values_list(*columns).iterator():
            for column, value in zip(columns, values, strict=True):
                if isinstance(value, (bytes, memoryview)):
                    try:
                        value = zlib.decompress(bytes(value)).decode("ascii")
                    except zlib.error:
                        value = bytes(value).decode("latin-1")
                held = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if national in re.sub(r"\D", "", held) or (text and text in held):
                    found.append(f"{model._meta.db_table}.{column}")
    return found


@pytest.fixture
def lived(crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, campaign: Any) -> Grid:
    """The number in every place the dashboard keeps: a grid row, an edit of its phone cell,
    a sending's outcome, sent record fields, a review's read, an export filtered by it, and an
    upload still waiting for its columns."""
    row = crm_grid.rows.get(phone=NATIONAL)
    row_set_cells(
        grid=crm_grid, row=row, cells={"phone_number": "0048 509-708-024"}, author=None, rules=rules
    )
    # An edit of the person's name holds no number: it is found by the row it changed.
    row_set_cells(grid=crm_grid, row=row, cells={"field:imię": "Łucjan"}, author=None, rules=rules)
    send(crm_grid, rules, api)  # reviewed first: the campaign's read is kept (ThuliumNow)
    grid_export(grid=crm_grid, filters=RowFilter(phone="+48509708024"), fmt="csv", actor=None)
    name = "crm_export_cp1250.csv"
    grid_create_from_file(
        campaign=campaign, author=None, data=(FILES / name).read_bytes(), filename=name
    )
    return crm_grid


def test_a_person_is_found_in_every_place_whatever_form_the_number_takes(lived: Grid) -> None:
    for typed in ("+48 509 708 024", "0048509708024", "509-708-024", "48509708024"):
        found = person_find(
            phone=typed, system=ThuliumSystem.objects.get(), actor=None, audited=False
        )
        kinds = found.counts()
        assert {"row", "upload", "outcome", "edit", "sent_fields", "thulium_now", "audit"} <= set(
            kinds
        ), (typed, kinds)
        assert "audit_chain" not in kinds
    # Another number with the same last digits is not this person.
    assert (
        person_find(
            phone="509708025", system=ThuliumSystem.objects.get(), actor=None, audited=False
        ).findings
        == []
    )


def test_erasing_a_person_leaves_the_number_nowhere_and_the_log_verifiable(lived: Grid) -> None:
    assert everywhere(NATIONAL)  # the test would see it, were it left anywhere
    person_find(
        phone="+48 509 708 024", system=ThuliumSystem.objects.get(), actor=None
    )  # the search itself is audited
    rows_before = lived.rows.count()

    erasure = person_erase(
        phone="509 708 024",
        system=ThuliumSystem.objects.get(),
        reason="Wniosek z 3 grudnia",
        actor=None,
    )

    assert erasure.left == {}
    assert everywhere(NATIONAL, text="Łucjan") == []
    assert (
        person_find(
            phone=NATIONAL, system=ThuliumSystem.objects.get(), actor=None, audited=False
        ).findings
        == []
    )
    check = audit_verify()
    assert check.ok, check.problem
    assert check.erased >= 3
    tombstone = AuditEntry.objects.get(pk=erasure.entry_id)
    assert tombstone.action == "person_erased"
    assert tombstone.details["reason"] == "Wniosek z 3 grudnia"
    assert tombstone.details["items"]["row"] == 1
    assert tombstone.detail_mac == ""
    lived.refresh_from_db()
    assert lived.rows.count() == rows_before - 1 == lived.rows_total
    # The sending's figures stay: the outcome keeps its verdict without the person.
    assert RowOutcome.objects.filter(phone="", outcome="updated").exists()


def test_a_reason_that_names_the_number_is_refused_and_nothing_is_erased(lived: Grid) -> None:
    with pytest.raises(PersonRequestProblem, match="must not contain the phone number"):
        person_erase(
            phone=NATIONAL,
            system=ThuliumSystem.objects.get(),
            reason="Pan z numerem 509 708 024",
            actor=None,
        )
    with pytest.raises(PersonRequestProblem, match="Say why"):
        person_erase(phone=NATIONAL, system=ThuliumSystem.objects.get(), reason="  ", actor=None)

    assert lived.rows.filter(phone=NATIONAL).exists()


def test_no_erasure_while_a_grid_holding_the_number_is_being_sent(
    crm_grid: Grid, rules: Any
) -> None:
    queue_sending(grid=crm_grid, author=None, rules=rules)

    with pytest.raises(PersonRequestProblem, match="is being sent to Thulium"):
        person_erase(
            phone=NATIONAL, system=ThuliumSystem.objects.get(), reason="wniosek", actor=None
        )

    assert crm_grid.rows.filter(phone=NATIONAL).exists()


def test_the_command_finds_exports_and_erases(lived: Grid, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("person_data", "+48 509 708 024", "--find", stdout=out)
    assert "places hold the number" in out.getvalue()
    target = tmp_path / "osoba.json"
    call_command("person_data", NATIONAL, "--export", str(target), stdout=io.StringIO())
    exported = json.loads(target.read_text())
    assert exported["number"] == NATIONAL
    assert {item["kind"] for item in exported["items"]} >= {"row", "outcome", "edit"}

    with pytest.raises(SystemExit) as usage:
        call_command("person_data", NATIONAL, "--erase", stderr=io.StringIO())
    assert usage.value.code == 2
    out = io.StringIO()
    call_command("person_data", NATIONAL, "--erase", "--reason", "wniosek", stdout=out)

    assert "a second search finds the number nowhere" in out.getvalue()
    assert everywhere(NATIONAL) == []
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="person_")] == [
        "person_found",
        "person_exported",
        "person_erased",
    ]


def test_only_administrators_reach_the_person_pages_and_it_speaks_polish(
    client: Client, django_user_model: Any, lived: Grid
) -> None:
    url = reverse("campaigns:person_request")
    for role in ("Viewer", "Supervisor"):
        client.force_login(user_with_role(django_user_model, role.lower(), role))
        assert client.get(url).status_code == 403
        assert client.post(url, {"phone": NATIONAL}).status_code == 403
    admin = user_with_role(django_user_model, "ala", "Administrator")
    client.force_login(admin)

    english = client.post(url, {"phone": "+48 509 708 024"}, headers={"Accept-Language": "en"})
    polish = client.post(url, {"phone": "+48 509 708 024"}, headers={"Accept-Language": "pl"})
    erased = client.post(
        url, {"phone": NATIONAL, "action": "erase", "reason": "wniosek"}, HTTP_ACCEPT_LANGUAGE="pl"
    )

    assert "places hold this number" in english.content.decode()
    assert "grid row" in english.content.decode()
    assert "Znaleziono" in polish.content.decode() or "miejsc" in polish.content.decode()
    assert "wiersz siatki" in polish.content.decode()
    assert "nie znajduje numeru nigdzie" in erased.content.decode()
    assert everywhere(NATIONAL) == []
    # The number never went into an address (access logs, browser history).
    assert NATIONAL not in url


# --- retention ---------------------------------------------------------------------------------


def test_purge_erases_a_quiet_grid_and_keeps_history_working(
    sent: Grid, client: Client, supervisor: Any
) -> None:
    later = timezone.now() + timedelta(days=91)
    assert purge_plan(now=timezone.now()).grids == []

    out = io.StringIO()
    call_command("purge_personal_data", "--dry-run", stdout=out)
    assert "Nothing is past its retention" in out.getvalue()
    plan = personal_data_purge(now=later)

    assert [g.grid_id for g in plan.grids] == [sent.pk]
    row = sent.rows.order_by("number").first()
    assert (row.raw, row.values, row.phone, row.messages) == ([], {}, "", [])
    assert not sent.edits.exists()
    outcome = RowOutcome.objects.filter(submission__grid=sent).first()
    assert (outcome.phone, outcome.sent, outcome.before, outcome.message) == ("", {}, {}, "")
    assert outcome.request_id  # what history needs stays
    assert not SentFields.objects.filter(updated_at__lte=later - timedelta(days=90)).exists()
    assert everywhere(NATIONAL) == []
    check = audit_verify()
    assert check.ok, check.problem
    assert check.erasures == 1
    # Pages still work, and say what happened.
    client.force_login(supervisor)
    page = client.get(reverse("campaigns:grid_detail", args=[sent.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Personal data removed after 90 days" in page.content.decode()
    polish = client.get(reverse("campaigns:grid_detail", args=[sent.pk]), HTTP_ACCEPT_LANGUAGE="pl")
    assert "Dane osobowe usunięte po 90 dniach" in polish.content.decode()
    assert client.get(reverse("campaigns:history")).status_code == 200
    assert client.get(reverse("campaigns:detail", args=["thulium", "00001"])).status_code == 200
    # A second purge finds nothing more.
    assert personal_data_purge(now=later).empty


def test_a_campaign_hold_keeps_its_grids_longer(sent: Grid, campaign: Any) -> None:
    campaign.retention_days = 365
    campaign.save()

    assert purge_plan(now=timezone.now() + timedelta(days=200)).grids == []
    assert [g.days for g in purge_plan(now=timezone.now() + timedelta(days=366)).grids] == [365]


def test_a_hold_shorter_than_the_default_does_not_shorten_it(sent: Grid, campaign: Any) -> None:
    campaign.retention_days = 10

    campaign.save()

    assert purge_plan(now=timezone.now() + timedelta(days=30)).grids == []


def test_an_edit_restarts_the_clock_and_a_sending_under_way_holds_it(
    crm_grid: Grid, rules: Any
) -> None:
    later = timezone.now() + timedelta(days=91)
    assert [g.grid_id for g in purge_plan(now=later).grids] == [crm_grid.pk]

    queue_sending(grid=crm_grid, author=None, rules=rules)

    assert purge_plan(now=later).grids == []


def test_a_purged_grid_refuses_edits_and_sendings(sent: Grid, rules: Any) -> None:
    personal_data_purge(now=timezone.now() + timedelta(days=91))
    row = Row.objects.filter(grid=sent).first()

    with pytest.raises(EditProblem, match="personal data was removed"):
        row_set_cells(
            grid=sent, row=row, cells={"agent_login": "a.nowak"}, author=None, rules=rules
        )
    # Refused by the review's read (a write) or by the sending itself, with the same words.
    with pytest.raises(Problem, match="personal data was removed"):
        queue_sending(grid=sent, author=None, rules=rules, resend=True)


# --- who looked --------------------------------------------------------------------------------


def test_the_history_filters_every_export_with_who_and_how_many_rows(
    sent: Grid, client: Client, supervisor: Any
) -> None:
    client.force_login(supervisor)
    client.get(reverse("campaigns:grid_export", args=[sent.pk]) + "?format=csv")
    client.get(reverse("campaigns:history") + "?export=csv")

    page = client.get(reverse("campaigns:history") + "?action=exports", HTTP_ACCEPT_LANGUAGE="en")

    entries = page.context["entries"]
    assert [(e.action, e.actor_name) for e in entries] == [
        ("export", "ewa"),
        ("grid_export", "ewa"),
    ]
    assert entries[1].exported_rows == sent.rows_total
    assert f"CSV file, {sent.rows_total} rows" in page.content.decode()


# --- logs --------------------------------------------------------------------------------------


def test_logs_of_a_whole_flow_carry_no_number_name_or_value(
    caplog: pytest.LogCaptureFixture,
    client: Client,
    supervisor: Any,
    campaign: Any,
    rules: Any,
    api: thulium.ThuliumClient,
    sandbox: Any,
) -> None:
    import logging

    caplog.set_level(logging.INFO)
    client.force_login(supervisor)
    name = "crm_export_cp1250.csv"
    with (FILES / name).open("rb") as upload:
        made = client.post(
            reverse("campaigns:grid_upload", args=["thulium", "00001"]),
            {"file": upload, "mode": "edit"},
        )
    grid = Grid.objects.latest("id")
    mapping = {f"column_{i}": target for i, target in enumerate(grid.mapping)}
    client.post(reverse("campaigns:grid_mapping", args=[grid.pk]), mapping)
    grid.refresh_from_db()
    row = grid.rows.get(phone=NATIONAL)
    row_set_cells(grid=grid, row=row, cells={"agent_login": "a.nowak"}, author=None, rules=rules)
    # A refusal, a retry and an unreachable read: the warnings a sending logs.
    sandbox.inject({"kind": "status", "status": 503, "times": 1, "method": "PUT"})
    send(grid, rules, api)
    client.get(reverse("campaigns:grid_detail", args=[grid.pk]))
    client.get(reverse("campaigns:grid_export", args=[grid.pk]) + "?format=xlsx")
    client.get(reverse("campaigns:phone_history", args=[NATIONAL]))
    client.get(reverse("campaigns:history"))
    person_find(phone=NATIONAL, system=ThuliumSystem.objects.get(), actor=None)
    personal_data_purge(now=timezone.now() + timedelta(days=91))

    assert made.status_code == 302
    assert caplog.records, "the flow logs something (a retry at least)"
    logged = caplog.text
    cells = (FILES / name).read_bytes().decode("cp1250")
    phones = {re.sub(r"\D", "", m) for m in re.findall(r"[+\d][\d \-]{7,}\d", cells)}
    assert len(phones) > 10
    for phone in phones:
        assert phone[-9:] not in re.sub(r"[ \-]", "", logged), phone
    for value in ("Łukasz", "Łódź", "VIP", "a.nowak", name):
        assert value not in logged, value


def test_a_request_in_the_system_holding_older_history_leaves_the_installs_own_entries(
    campaign: Any,
) -> None:
    system = campaign.system
    system.earlier_history = True
    system.save(update_fields=["earlier_history"])
    # The install's own entries name no system: a failed login that typed the number.
    login = audit(action=AuditEntry.Action.LOGIN_FAILED, actor=None, username="+48 845 400 588")
    own = audit(
        action=AuditEntry.Action.FIELDS, actor=None, campaign=campaign, fields=["845400588"]
    )

    found = person_find(phone="845400588", system=system, actor=None, audited=False)

    entries = {f.key for f in found.findings if f.kind in {"audit", "audit_chain"}}
    assert own.pk in entries
    assert login.pk not in entries
