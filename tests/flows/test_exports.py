"""Grid exports: every column a manager needs, failed rows only, safe cells, and a file that maps
itself back when uploaded again."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from campaigns import thulium
from campaigns.models import AuditEntry, Grid, Outcome
from campaigns.services.exports import grid_export
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.rows import RowFilter
from tests.helpers import Sandbox, send

pytestmark = pytest.mark.django_db


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_export_has_source_rows_inputs_values_messages_and_thuliums_answer(
    sent: Grid,
) -> None:
    rows = read_csv(grid_export(grid=sent, filters=RowFilter(), fmt="csv", actor=None))

    assert len(rows) == 16
    first = rows[0]
    assert first["Row in file [row]"] == "4"
    assert first["Numer telefonu [phone_number]"] == "'+48 509 708 024"  # neutralised, intact
    assert first["Miasto [field:miasto]"] == "Łódź"
    assert first["Uwagi"] == "VIP"  # an ignored input column is still there
    assert first["To send: Phone number [sent:phone_number]"] == "509708024"
    assert first["Outcome [outcome]"] == "Updated"
    assert first["HTTP status [http_status]"] == "204"
    assert first["request_id [request_id]"]
    refused = next(r for r in rows if r["Row in file [row]"] == "7")
    assert "Unknown status" in refused["Messages [messages]"] or refused["Messages [messages]"]
    assert refused["Outcome [outcome]"] == "Not sent"


def test_failed_rows_only(sent: Grid) -> None:
    rows = read_csv(
        grid_export(grid=sent, filters=RowFilter(outcome="failed"), fmt="csv", actor=None)
    )

    assert {r["Outcome [outcome]"] for r in rows} == {"Not sent"}
    # The row that changes nothing in Thulium was never sent, and did not fail.
    assert len(rows) == sent.rows.exclude(outcome__in=["updated", ""]).count() == 8


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_uploaded_again_maps_itself_and_gives_the_same_values(
    sent: Grid, api: thulium.ThuliumClient, fmt: str
) -> None:
    data = grid_export(grid=sent, filters=RowFilter(), fmt=fmt, actor=None)

    again = grid_create_from_file(
        campaign=sent.campaign, author=None, data=data, filename=f"back.{fmt}"
    )

    mapped = dict(zip(again.headers, again.mapping, strict=True))
    assert mapped["Numer telefonu [phone_number]"] == "phone_number"
    assert mapped["Miasto [field:miasto]"] == "field:miasto"
    assert mapped["Outcome [outcome]"] == ""
    assert mapped["To send: Phone number [sent:phone_number]"] == ""
    assert sorted(t for t in again.mapping if t) == sorted(t for t in sent.mapping if t)
    again = grid_confirm_mapping(grid=again, mapping=again.mapping, client=api)
    original = {r.number: (r.values, r.state) for r in sent.rows.all()}
    back = {int(r.raw[0]): (r.values, r.state) for r in again.rows.all()}
    # The new grid is not compared with Thulium yet: a row the first one knew changes nothing
    # there carries the plain "nothing to change" warning instead.
    assert original.pop(19) == ({"phone_number": "753304737"}, "valid")
    assert back.pop(19) == ({"phone_number": "753304737"}, "warning")
    assert back == original


def test_the_grid_page_offers_the_export_and_audits_it(
    client: Client, supervisor: Any, viewer: Any, sent: Grid
) -> None:
    client.force_login(supervisor)
    page = client.get(reverse("campaigns:grid_detail", args=[sent.pk])).content.decode()
    assert "failed rows only" in page

    response = client.get(
        reverse("campaigns:grid_export", args=[sent.pk]) + "?format=xlsx&outcome=failed"
    )

    assert response["Content-Disposition"].startswith('attachment; filename="crm_export_cp1250')
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 9
    entry = AuditEntry.objects.get(action="grid_export")
    assert (entry.actor_name, entry.details["rows"], entry.personal["filters"]) == (
        "ewa",
        8,
        {"outcome": "failed"},
    )
    client.force_login(viewer)
    assert client.get(reverse("campaigns:grid_export", args=[sent.pk])).status_code == 403


def test_the_csv_follows_the_readers_language_and_comes_back_mapped(
    client: Client, supervisor: Any, sent: Grid, api: thulium.ThuliumClient
) -> None:
    client.force_login(supervisor)
    url = reverse("campaigns:grid_export", args=[sent.pk])
    client.post("/i18n/setlang/", {"language": "pl", "next": "/"})

    polish = client.get(url, {"format": "csv"}).content
    chosen = client.get(url, {"format": "csv", "delimiter": "comma"}).content
    page = client.get(reverse("campaigns:grid_detail", args=[sent.pk])).content.decode()

    assert polish.decode("utf-8-sig").splitlines()[0].count(";") > 10  # Excel in Polish splits
    assert chosen.decode("utf-8-sig").splitlines()[0].count(";") == 0
    assert "delimiter=comma" in page
    again = grid_create_from_file(
        campaign=sent.campaign, author=None, data=polish, filename="back.csv"
    )
    assert again.file_delimiter == ";"
    assert sorted(t for t in again.mapping if t) == sorted(t for t in sent.mapping if t)


def test_the_xlsx_keeps_its_header_in_view_and_filters(sent: Grid) -> None:
    from openpyxl import load_workbook

    data = grid_export(grid=sent, filters=RowFilter(), fmt="xlsx", actor=None)
    sheet = load_workbook(io.BytesIO(data)).active

    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    assert sheet.auto_filter.ref.endswith(str(sent.rows_total + 1))
    assert sheet.column_dimensions["B"].width >= 10
    headers = [cell.value for cell in sheet[1]]
    assert "To send: Status id [sent:status_id]" in headers


def test_a_row_whose_answer_never_came_is_not_confirmed_in_the_pages_download(
    client: Client,
    supervisor: Any,
    crm_grid: Grid,
    rules: Any,
    api: thulium.ThuliumClient,
    sandbox: Sandbox,
) -> None:
    sandbox.inject({"kind": "drop_phones", "phones": ["509708024"], "method": "PUT"})
    send(crm_grid, rules, api)
    client.force_login(supervisor)

    answer = client.get(reverse("campaigns:grid_export", args=[crm_grid.pk]), {"format": "csv"})

    rows = {r["Row in file [row]"]: r for r in read_csv(answer.content)}
    assert rows["4"]["Outcome [outcome]"] == Outcome.UNKNOWN.label  # Thulium left it out
    assert rows["4"]["Row state [state]"] == "Not confirmed"
    assert rows["5"]["Outcome [outcome]"] == Outcome.UPDATED.label
    assert rows["5"]["Row state [state]"] == "Valid"
