"""A system's do-not-contact list checked where numbers are called: a grid's rows on its page,
the review that leaves out a number listed since, push_records, and one system's list never
blocking another's. The list itself: test_do_not_contact.py."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.models import (
    AuditEntry,
    Grid,
    Row,
)
from campaigns.services.do_not_contact import do_not_contact_add
from campaigns.services.editing import row_set_cells
from campaigns.services.review import grid_review, grid_review_read
from campaigns.services.validation import campaign_rules
from tests.helpers import Sandbox, client_config, grid_of_text, message_codes, send

pytestmark = pytest.mark.django_db
A = AuditEntry.Action

LISTED = "600111222"  # no record of the demo holds it: an add grid adds it
OTHER = "600333444"
KNOWN = "555123321"  # a record of campaign 00001 (status 1)
LIST_ACTIONS = (A.DO_NOT_CONTACT_ADDED, A.DO_NOT_CONTACT_REMOVED, A.DO_NOT_CONTACT_CHECKED)


def test_an_add_grid_row_on_the_list_is_an_error_on_the_page(
    campaign: Any, api: thulium.ThuliumClient, client: Client, supervisor: Any
) -> None:
    do_not_contact_add(system=campaign.system, phone=LISTED, reason="sprzeciw", actor=None)

    grid = grid_of_text(campaign, api, f"Telefon;Miasto\n{LISTED};Łódź\n{OTHER};Kraków\n", "add")
    client.force_login(supervisor)
    english = client.get(reverse("campaigns:grid_detail", args=[grid.pk])).content.decode()
    polish = client.get(
        reverse("campaigns:grid_detail", args=[grid.pk]), HTTP_ACCEPT_LANGUAGE="pl"
    ).content.decode()

    assert message_codes(grid, LISTED) == ["do_not_contact_add"]
    assert grid.rows.get(phone=LISTED).state == Row.State.ERROR
    assert grid.rows.get(phone=OTHER).state == Row.State.VALID
    assert "the number is on the do-not-contact list" in english
    assert "Remove the row from the grid." in grid_page_messages(client, grid)
    assert "sprzeciw" not in english  # why the number is listed, and who asked, is not said
    assert "liście" in polish


def grid_page_messages(client: Client, grid: Grid) -> str:
    """The row messages as the grid page's rows render them."""
    return client.get(
        reverse("campaigns:grid_detail", args=[grid.pk]) + "?state=error"
    ).content.decode()


def test_an_edit_that_calls_the_number_again_is_an_error_and_a_field_change_is_not(
    campaign: Any, api: thulium.ThuliumClient
) -> None:
    do_not_contact_add(system=campaign.system, phone=KNOWN, reason="sprzeciw", actor=None)
    rules = campaign_rules(campaign=campaign, client=api)

    called = grid_of_text(campaign, api, f"Telefon;Status\n{KNOWN};Kontakt ponowny\n", "edit")
    later = "24.12.2030 09:30"
    dated = grid_of_text(
        campaign, api, f"Telefon;Data następnego kontaktu\n{KNOWN};{later}\n", "edit"
    )
    closed = grid_of_text(campaign, api, f"Telefon;Status\n{KNOWN};Nie dzwonić\n", "edit")
    field = grid_of_text(campaign, api, f"Telefon;Miasto\n{KNOWN};Łódź\n", "edit")

    assert "do_not_contact_edit" in message_codes(called, KNOWN)
    assert "do_not_contact_edit" in message_codes(dated, KNOWN)
    assert not {"do_not_contact_edit", "do_not_contact_add"} & set(message_codes(closed, KNOWN))
    assert field.rows.get(phone=KNOWN).state == Row.State.VALID
    # An edit on the page that puts the status back to a called one is checked the same way.
    row = field.rows.get(phone=KNOWN)
    row_set_cells(grid=field, row=row, cells={"status": "3"}, author=None, rules=rules)
    assert "do_not_contact_edit" in message_codes(field, KNOWN)


def test_a_number_listed_after_the_grid_was_checked_is_left_out_by_the_review(
    campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox, logged_in: Client
) -> None:
    grid = grid_of_text(campaign, api, f"Telefon;Miasto\n{LISTED};Łódź\n{OTHER};Kraków\n", "add")
    assert grid.rows_error == 0
    do_not_contact_add(system=campaign.system, phone=LISTED, reason="sprzeciw", actor=None)
    rules = campaign_rules(campaign=campaign, client=api)

    grid_review_read(grid=grid, client=api)
    review = grid_review(grid=grid, rules=rules)
    page = logged_in.get(reverse("campaigns:grid_review", args=[grid.pk])).content.decode()
    submission = send(grid, rules, api)

    assert review.rows == 1
    assert [str(words) for words, _n in review.left_out] == [
        "the number is on the do-not-contact list"
    ]
    assert LISTED not in review.first_rows_json
    assert "the number is on the do-not-contact list" in page
    assert submission.state == "finished"
    phones = {r["phone_number"] for r in sandbox.records("00001")}
    assert OTHER in phones
    assert LISTED not in phones


def test_push_records_refuses_a_listed_number_with_its_message(
    campaign: Any, tmp_path: Path, sandbox: Sandbox
) -> None:
    do_not_contact_add(system=campaign.system, phone=LISTED, reason="sprzeciw", actor=None)
    do_not_contact_add(system=campaign.system, phone=KNOWN, reason="sprzeciw", actor=None)
    adding = tmp_path / "nowi.csv"
    adding.write_text(f"Telefon;Miasto\n{LISTED};Łódź\n")
    calling = tmp_path / "zmiany.csv"
    calling.write_text(f"Telefon;Status\n{KNOWN};Kontakt ponowny\n")
    fielding = tmp_path / "pola.csv"
    fielding.write_text(f"Telefon;Miasto\n{KNOWN};Łódź\n")

    added = push("00001", str(adding), "--mode", "add", "--report", str(tmp_path / "a.csv"))
    called = push("00001", str(calling), "--dry-run", "--report", str(tmp_path / "c.csv"))
    fielded = push("00001", str(fielding), "--dry-run")

    assert added[0] == 1
    assert "errors: 1" in added[1]
    assert "on the do-not-contact list" in report_messages(tmp_path / "a.csv")
    assert LISTED not in {r["phone_number"] for r in sandbox.records("00001")}
    assert called[0] == 1
    assert "would have it called again" in report_messages(tmp_path / "c.csv")
    assert fielded[0] == 0


def push(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("push_records", *args, stdout=out, stderr=err)
    return int(exited.value.code or 0), out.getvalue(), err.getvalue()


def report_messages(path: Path) -> str:
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    return " ".join(row["Messages [messages]"] for row in rows)


def test_system_a_s_list_does_not_block_system_b(
    campaign: Any, campaign_b: Any, api: thulium.ThuliumClient, sandbox_b: Sandbox
) -> None:
    do_not_contact_add(system=campaign.system, phone=LISTED, reason="sprzeciw", actor=None)

    with thulium.ThuliumClient(client_config(sandbox_b.api_url)) as client_b:
        in_b = grid_of_text(campaign_b, client_b, f"Telefon\n{LISTED}\n", "add")
    in_a = grid_of_text(campaign, api, f"Telefon\n{LISTED}\n", "add")

    assert "do_not_contact_add" not in message_codes(in_b, LISTED)
    assert "do_not_contact_add" in message_codes(in_a, LISTED)
