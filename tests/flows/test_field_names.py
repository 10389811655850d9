"""Field names as Thulium knows them: matched whatever their spelling, taught by its answers."""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.exceptions import EditProblem
from campaigns.models import AuditEntry, CampaignField, Grid
from campaigns.rules.row_check import check_row
from campaigns.services.campaigns import campaign_fields_add
from campaigns.services.editing import grid_remap
from campaigns.services.grid_checks import grid_validate
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.mapping import mapping_suggest
from campaigns.services.undo import grid_undo
from campaigns.services.validation import campaign_rules
from tests.helpers import send

pytestmark = pytest.mark.django_db


def test_headers_written_another_way_map_to_the_known_fields(campaign: Any) -> None:
    headers = ["Telefon", "IMIĘ", "Nazwisko ", "Imie i nazwisko", "miasto"]

    suggestion = mapping_suggest(campaign=campaign, headers=headers)

    assert suggestion == ["phone_number", "field:imię", "field:nazwisko", "", "field:miasto"]


def test_adding_a_header_as_a_field_takes_the_known_spelling(
    campaign: Any, api: thulium.ThuliumClient
) -> None:
    made = grid_create_from_file(
        campaign=campaign,
        author=None,
        data=b"Telefon;Imi\xc4\x99\n509708024;Anna\n",
        filename="a.csv",
    )

    grid = grid_confirm_mapping(
        grid=made, mapping=["phone_number", ""], learn_fields=["Imię"], client=api
    )

    assert grid.mapping == ["phone_number", "field:imię"]
    assert CampaignField.objects.filter(campaign=campaign, name="Imię").count() == 0


def test_thulium_answers_teach_which_fields_it_has(
    campaign: Any, api: thulium.ThuliumClient
) -> None:
    campaign_fields_add(campaign=campaign, names=["Uwagi"])  # Thulium's campaign has no such
    data = "Telefon;Miasto;Uwagi\n509708024;Łódź;\n845400588;;VIP\n".encode()
    made = grid_create_from_file(campaign=campaign, author=None, data=data, filename="a.csv")
    grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    assert grid.mapping == ["phone_number", "field:miasto", "field:Uwagi"]
    assert grid.rows_error == 0  # nothing knowable said otherwise before this sending

    submission = send(grid, campaign_rules(campaign=campaign, client=api), api)

    fields = {f.name: f for f in CampaignField.objects.filter(campaign=campaign)}
    assert fields["Uwagi"].state == CampaignField.State.UNKNOWN
    assert fields["Uwagi"].state_submission_id == submission.pk
    assert fields["miasto"].state == CampaignField.State.CONFIRMED
    assert fields["imię"].state == CampaignField.State.DECLARED
    learned = AuditEntry.objects.get(action=AuditEntry.Action.FIELDS_LEARNED)
    assert learned.details == {"confirmed": ["miasto"], "unknown": ["Uwagi"]}
    # From now on, pre-flight flags what Thulium would refuse.
    grid_validate(grid=grid, rules=campaign_rules(campaign=campaign, client=api))
    flagged = grid.rows.get(phone="845400588")
    assert [m["code"] for m in flagged.messages] == ["field_refused"]
    assert flagged.state == "error"


def test_a_field_thulium_refused_is_an_error_with_the_fix(rules: Any) -> None:

    refusing = replace(rules, unknown_fields=frozenset({"imię"}))

    check = check_row({"phone_number": "509708024", "field:imię": "Anna"}, refusing)

    [found] = check.messages
    assert found["code"] == "field_refused"
    assert found["level"] == "error"


@pytest.mark.parametrize(
    ("language", "warning", "state"),
    [
        ("en", "Thulium matches record field names exactly", "Unknown to Thulium"),
        ("pl", "Thulium dopasowuje nazwy pól rekordu dokładnie", "Nieznane Thulium"),
    ],
)
def test_the_mapping_page_warns_and_lists_the_fields_with_what_thulium_said(
    client: Client, supervisor: Any, campaign: Any, language: str, warning: str, state: str
) -> None:
    CampaignField.objects.filter(campaign=campaign, name="miasto").update(
        state=CampaignField.State.UNKNOWN
    )
    made = grid_create_from_file(
        campaign=campaign, author=None, data=b"Telefon;Uwagi\n509708024;x\n", filename="a.csv"
    )
    client.force_login(supervisor)
    client.post(reverse("set_language"), {"language": language})

    page = client.get(reverse("campaigns:grid_mapping", args=[made.pk])).content.decode()

    assert warning in page
    assert "nazwisko" in page
    assert state in page


# --- changing a grid's mapping after it is built ------------------------------------------------


def built(campaign: Any, api: thulium.ThuliumClient, text: str) -> Grid:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=text.encode(), filename="crm.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def test_a_column_is_remapped_every_row_checked_again_and_undone(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:

    campaign_fields_add(campaign=campaign, names=["Imię"])  # the spelling Thulium refused
    grid = built(campaign, api, "Telefon;Imię\n509708024;Anna\n845400588;Ewa\n")
    assert grid.mapping == ["phone_number", "field:Imię"]
    CampaignField.objects.filter(name="Imię").update(state=CampaignField.State.UNKNOWN)
    rules = campaign_rules(campaign=campaign, client=api)
    grid_validate(grid=grid, rules=rules)
    assert grid.rows_error == 2

    edit = grid_remap(grid=grid, column=1, target="field:imię", rules=rules)

    grid.refresh_from_db()
    assert grid.mapping == ["phone_number", "field:imię"]
    assert (grid.rows_valid, grid.rows_error) == (2, 0)
    assert grid.rows.get(phone="509708024").values["record_fields"] == {"imię": "Anna"}
    campaign.refresh_from_db()
    assert campaign.remembered_mapping["imie"] == "field:imię"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REMAP)
    assert (entry.details["before"], entry.details["after"]) == ("field:Imię", "field:imię")

    assert grid_undo(grid=grid, rules=rules) == edit
    grid.refresh_from_db()
    assert grid.mapping == ["phone_number", "field:Imię"]
    assert grid.rows_error == 2


def test_ignoring_a_column_leaves_its_cells_unsent(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:

    grid = built(campaign, api, "Telefon;Miasto\n509708024;Łódź\n")

    grid_remap(grid=grid, column=1, target="", rules=rules)

    row = grid.rows.get()
    assert "record_fields" not in row.values
    assert row.raw == ["509708024", "Łódź"]  # the cells are kept: a remap can bring them back


def test_moving_a_target_takes_it_from_the_column_that_had_it(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:

    grid = built(campaign, api, "Telefon;Telefon kom.\n509708024;845400588\n")

    grid_remap(grid=grid, column=1, target="phone_number", rules=rules)

    grid.refresh_from_db()
    assert grid.mapping == ["", "phone_number"]
    assert grid.rows.get().phone == "845400588"


def test_a_remap_that_cannot_work_says_why(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:

    grid = built(campaign, api, "Telefon;Miasto\n509708024;Łódź\n")

    with pytest.raises(EditProblem, match="exactly one column to “Phone number”"):
        grid_remap(grid=grid, column=0, target="", rules=rules)
    with pytest.raises(EditProblem, match="no such column"):
        grid_remap(grid=grid, column=7, target="", rules=rules)


def test_the_grid_page_remaps_a_column_as_a_plain_form(
    client: Client, supervisor: Any, campaign: Any, api: thulium.ThuliumClient
) -> None:
    grid = built(campaign, api, "Telefon;Miasto\n509708024;Łódź\n")
    client.force_login(supervisor)
    page = client.get(reverse("campaigns:grid_detail", args=[grid.pk])).content.decode()
    assert 'id="remap-target-1"' in page

    response = client.post(
        reverse("campaigns:grid_column_remap", args=[grid.pk]),
        {"column": "1", "target": "field:nazwisko"},
        follow=True,
    )

    assert "“Miasto” now goes to" in response.content.decode()
    grid.refresh_from_db()
    assert grid.mapping == ["phone_number", "field:nazwisko"]


def test_a_viewer_cannot_remap(
    client: Client, viewer: Any, campaign: Any, api: thulium.ThuliumClient
) -> None:
    grid = built(campaign, api, "Telefon;Miasto\n509708024;Łódź\n")
    client.force_login(viewer)

    response = client.post(
        reverse("campaigns:grid_column_remap", args=[grid.pk]), {"column": "1", "target": ""}
    )

    assert response.status_code == 403


# --- results that say what happened ------------------------------------------------------------


def test_refusals_are_grouped_by_thuliums_message_with_the_fix_and_a_filter(
    client: Client, supervisor: Any, campaign: Any, api: thulium.ThuliumClient
) -> None:

    campaign_fields_add(campaign=campaign, names=["Uwagi"])
    grid = built(campaign, api, "Telefon;Miasto;Uwagi\n509708024;Łódź;\n845400588;;VIP\n")
    send(grid, campaign_rules(campaign=campaign, client=api), api)
    client.force_login(supervisor)
    url = reverse("campaigns:grid_detail", args=[grid.pk])

    page = html.unescape(client.get(url).content.decode())

    refused = 'Record field "Uwagi" does not exist in the campaign.'
    assert "Finished: 1 updated, 1 refused" in page
    assert "badge--sub-finished" not in page
    assert f"1 row: “{refused}”" in page
    assert "Remap or ignore the column" in page
    filtered = html.unescape(client.get(url, {"answer": refused}).content.decode())
    assert "845400588" in filtered
    assert "509708024" not in filtered
    # The refused row is not also shown as valid.
    row = filtered[filtered.index("845400588") :]
    assert "badge--valid" not in row[: row.index("</tr>")]


def test_a_field_thulium_refused_is_not_suggested_again(campaign: Any) -> None:
    campaign_fields_add(campaign=campaign, names=["Uwagi"])
    campaign.remembered_mapping = {"uwagi": "field:Uwagi"}
    campaign.save()
    CampaignField.objects.filter(name="Uwagi").update(state=CampaignField.State.UNKNOWN)

    assert mapping_suggest(campaign=campaign, headers=["Telefon", "Uwagi"]) == ["phone_number", ""]


@pytest.mark.parametrize("header", ["Nr tel.", "Tel. kom.", "Telefon kontaktowy", "GSM"])
def test_polish_phone_headers_map_by_themselves(campaign: Any, header: str) -> None:
    assert mapping_suggest(campaign=campaign, headers=[header, "Miasto"]) == [
        "phone_number",
        "field:miasto",
    ]


def test_a_column_whose_values_are_phone_numbers_is_taken_for_the_phone(campaign: Any) -> None:
    data = (
        "Klient;Kontakt;Miasto\n"
        "Anna;+48 600 100 200;Łódź\n"
        "Jan;(22) 555-12-34;Kraków\n"
        "Ewa;509 708 024;Gdańsk\n"
        "Ola;0048 845 400 588;Opole\n"
        "Piotr;brak;Poznań\n"  # one in five may be something else
    ).encode()

    made = grid_create_from_file(campaign=campaign, author=None, data=data, filename="a.csv")

    assert made.mapping == ["", "phone_number", "field:miasto"]


def test_a_column_of_mostly_words_is_not_taken_for_the_phone(campaign: Any) -> None:
    samples = [["Anna", "600100200"], ["Jan", "zadzwoń"], ["Ewa", "nie"], ["Piotr", "później"]]

    assert mapping_suggest(campaign=campaign, headers=["Klient", "Uwagi"], samples=samples) == [
        "",
        "",
    ]
