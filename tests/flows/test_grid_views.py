"""The intake pages: upload → confirm the mapping → a grid with flagged rows; pull; empty."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from campaigns.models import Grid
from campaigns.services.uploads import upload_rows
from tests.helpers import FILES, Sandbox

pytestmark = pytest.mark.django_db


def upload(client: Client, name: str, data: bytes | None = None, **extra: str) -> Any:
    content = data if data is not None else (FILES / name).read_bytes()
    return client.post(
        reverse("campaigns:grid_upload", args=["thulium", "00001"]),
        {"file": SimpleUploadedFile(name, content), **extra},
    )


def confirm(client: Client, grid: Grid, **changes: str) -> Any:
    data = {f"column_{i}": target for i, target in enumerate(grid.mapping)} | changes
    return client.post(reverse("campaigns:grid_mapping", args=[grid.pk]), data)


def test_campaign_page_offers_three_ways_in_and_states_the_limits(
    logged_in: Client, campaign: Any
) -> None:
    html = logged_in.get(reverse("campaigns:detail", args=["thulium", "00001"])).content.decode()

    assert "Odnowienia umów — Warszawa" in html
    assert "Upload a file" in html
    assert "Start from Thulium" in html
    assert "Start empty" in html
    assert "up to 200,000 rows and 50 MB" in html
    assert "[wyczyść]" in html
    assert "Mój rekord" in html  # the status filter of the pull form


def test_unknown_campaign_is_a_404_with_a_way_back(logged_in: Client) -> None:
    response = logged_in.get(reverse("campaigns:detail", args=["thulium", "99999"]))

    assert response.status_code == 404
    assert "Thulium system thulium has no campaign 99999" in response.content.decode()


def test_upload_confirm_and_see_flagged_rows(logged_in: Client, campaign: Any) -> None:
    response = upload(logged_in, "crm_export_cp1250.csv")

    grid = Grid.objects.get()
    assert response["Location"] == reverse("campaigns:grid_mapping", args=[grid.pk])
    mapping_page = logged_in.get(response["Location"]).content.decode()
    assert "Numer telefonu" in mapping_page
    assert "+48 509 708 024" in mapping_page  # first values shown
    assert "Delimiter: “;”" in mapping_page

    done = confirm(logged_in, grid)

    assert done["Location"] == reverse("campaigns:grid_detail", args=[grid.pk])
    page = logged_in.get(done["Location"]).content.decode()
    assert "Status “Mój rekord” needs an agent and a next call date." in page
    assert "will be cleared" in page
    assert "2030-12-24 09:30" in page
    errors = logged_in.get(done["Location"] + "?show=errors").content.decode()
    assert errors.count('class="row--error"') == 8


def test_the_grid_page_speaks_polish(logged_in: Client, campaign: Any) -> None:
    upload(logged_in, "crm_export.xlsx")
    grid = Grid.objects.get()
    confirm(logged_in, grid)

    page = logged_in.get(
        reverse("campaigns:grid_detail", args=[grid.pk]), headers={"Accept-Language": "pl"}
    ).content.decode()

    assert "Status „Mój rekord” wymaga agenta i daty następnego kontaktu." in page
    assert "zostanie wyczyszczone" in page


def test_a_bad_file_gets_a_message_and_no_grid(logged_in: Client, campaign: Any) -> None:
    response = upload(logged_in, "records.xlsx", b"Telefon;Status\n600100200;Nowy\n")

    assert response.status_code == 400
    assert "it is a text (CSV) file" in response.content.decode()
    assert not Grid.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("empty.csv", b"", "The submitted file is empty."),
        ("notes.docx", b"abc", "We read CSV, XLSX and ODS files"),
        ("header.csv", b"Telefon\n", "header row but no records"),
    ],
)
def test_hostile_uploads_never_500(
    logged_in: Client, campaign: Any, name: str, data: bytes, says: str
) -> None:
    response = upload(logged_in, name, data)

    assert response.status_code == 400
    assert says in response.content.decode()


def test_manual_delimiter_and_encoding(logged_in: Client, campaign: Any) -> None:
    data = "Telefon|Imię\n555123321|Łucja\n".encode("iso-8859-2")

    upload(logged_in, "a.csv", data, delimiter="|", encoding="iso-8859-2")

    grid = Grid.objects.get()
    assert grid.headers == ["Telefon", "Imię"]
    # Until its columns are confirmed the file's rows wait in upload blocks, read as they were.
    assert list(upload_rows(grid)) == [(2, ["555123321", "Łucja"])]


def test_mapping_problems_are_shown_on_the_mapping_page(logged_in: Client, campaign: Any) -> None:
    upload(logged_in, "crm_export_cp1250.csv")
    grid = Grid.objects.get()

    response = confirm(logged_in, grid, column_0="")

    assert response.status_code == 400
    assert "Map exactly one column to “Phone number”" in response.content.decode()


def test_learning_a_field_on_the_mapping_page(logged_in: Client, campaign: Any) -> None:
    upload(logged_in, "crm_export_cp1250.csv")
    grid = Grid.objects.get()

    confirm(logged_in, grid, learn_7="on")

    assert "Uwagi" in campaign.field_names()
    grid.refresh_from_db()
    assert grid.mapping[7] == "field:Uwagi"


def test_thulium_down_while_confirming_keeps_the_grid_waiting(
    logged_in: Client, campaign: Any, settings: Any, closed_port: int
) -> None:
    upload(logged_in, "crm_export_cp1250.csv")
    grid = Grid.objects.get()
    settings.THULIUM = settings.THULIUM | {"BASE_URL": f"http://127.0.0.1:{closed_port}/api/"}

    response = confirm(logged_in, grid)

    assert response.status_code == 400
    assert "is not answering right now" in response.content.decode()
    grid.refresh_from_db()
    assert grid.state == Grid.State.MAPPING


def test_pull_view(logged_in: Client, campaign: Any, sandbox: Sandbox) -> None:
    response = logged_in.post(
        reverse("campaigns:grid_pull", args=["thulium", "00001"]), {"status_ids": ["4"]}
    )

    grid = Grid.objects.get()
    assert response["Location"] == reverse("campaigns:grid_detail", args=[grid.pk])
    assert grid.rows_total == len([r for r in sandbox.records("00001") if r["status_id"] == "4"])


def test_pull_form_checks_date_ranges(logged_in: Client, campaign: Any) -> None:
    response = logged_in.post(
        reverse("campaigns:grid_pull", args=["thulium", "00001"]),
        {"created_from": "2026-11-10", "created_to": "2026-11-01"},
    )

    assert response.status_code == 400
    assert "before the start date" in response.content.decode()
    assert not Grid.objects.exists()


def test_empty_grid_view(logged_in: Client, campaign: Any) -> None:
    response = logged_in.post(reverse("campaigns:grid_empty", args=["thulium", "00001"]))

    grid = Grid.objects.get()
    assert response["Location"] == reverse("campaigns:grid_detail", args=[grid.pk])
    assert "This grid has no rows yet." in logged_in.get(response["Location"]).content.decode()


def test_grids_are_listed_on_the_campaign_page(logged_in: Client, campaign: Any) -> None:
    upload(logged_in, "crm_export.ods")

    html = logged_in.get(reverse("campaigns:detail", args=["thulium", "00001"])).content.decode()

    assert "crm_export.ods" in html
    assert "mapping to confirm" in html


def test_cells_show_statuses_by_name_and_dates_in_the_readers_format(
    client: Client, supervisor: Any, crm_grid: Grid
) -> None:
    client.force_login(supervisor)
    url = reverse("campaigns:grid_detail", args=[crm_grid.pk])
    row = crm_grid.rows.get(number=5)  # Mój rekord, a.nowak, 2030-12-24 09:30

    english = client.get(url).content.decode()
    client.post("/i18n/setlang/", {"language": "pl", "next": "/"})
    polish = client.get(url).content.decode()

    line = english[english.index(f'id="row-{row.pk}"') :]
    line = line[: line.index("</tr>")]
    assert 'title="id 4">' in line
    assert "Mój rekord" in line
    # what is sent on hover (the file wrote it as shown, so nothing more)
    assert 'title="2030-12-24 09:30"' in line
    assert "24/12/2030 09:30" in line
    polish_line = polish[polish.index(f'id="row-{row.pk}"') :]
    assert "24.12.2030 09:30" in polish_line[: polish_line.index("</tr>")]
