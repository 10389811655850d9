"""Files and Thulium pulls become grids flagging exactly the rows Thulium would refuse."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from campaigns import thulium
from campaigns.exceptions import MappingProblem
from campaigns.models import Grid, Row
from campaigns.services.campaigns import campaign_for
from campaigns.services.grids import (
    PullFilters,
    grid_confirm_mapping,
    grid_create_empty,
    grid_create_from_file,
    grid_create_from_thulium,
)
from campaigns.services.mapping import mapping_suggest, mapping_value_guesses
from tests.files.make_office_files import ROWS
from tests.helpers import FILES, Sandbox

pytestmark = pytest.mark.django_db

OFFICE_FILES = ["crm_export_cp1250.csv", "crm_export.xlsx", "crm_export.ods"]


def build(campaign: Any, api: thulium.ThuliumClient, name: str, **kwargs: Any) -> Grid:
    grid = grid_create_from_file(
        campaign=campaign, author=None, data=(FILES / name).read_bytes(), filename=name
    )
    return grid_confirm_mapping(grid=grid, mapping=grid.mapping, client=api, **kwargs)


@pytest.mark.parametrize("name", OFFICE_FILES)
def test_each_file_is_flagged_row_by_row_as_expected(
    campaign: Any, api: thulium.ThuliumClient, name: str
) -> None:
    grid = build(campaign, api, name)

    rows = list(grid.rows.order_by("number"))
    assert [(r.state, [m["code"] for m in r.messages]) for r in rows] == [
        (state, codes) for _cells, state, codes in ROWS
    ]
    assert (grid.rows_total, grid.rows_valid, grid.rows_warning, grid.rows_error) == (16, 5, 3, 8)


@pytest.mark.parametrize("name", OFFICE_FILES)
def test_each_file_means_the_same_values(
    campaign: Any, api: thulium.ThuliumClient, name: str
) -> None:
    grid = build(campaign, api, name)

    rows = {r.number: r.values for r in grid.rows.all()}
    assert rows[4] == {
        "phone_number": "509708024",
        "status_id": "3",
        "record_fields": {"imię": "Łukasz", "miasto": "Łódź"},
    }
    assert rows[5]["next_call_date"] == "2030-12-24 09:30"
    assert rows[13]["record_fields"] == {"nazwisko": "", "miasto": "Gdańsk"}
    assert rows[16] == {
        "phone_number": "772789562",
        "status_id": "5",
        "record_fields": {"imię": "Żaneta", "nazwisko": "Woźniak", "miasto": "Kraków"},
    }


@pytest.mark.parametrize("name", OFFICE_FILES)
def test_flagged_rows_are_exactly_those_thulium_refuses(
    campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox, name: str
) -> None:
    """Send every row as it would go without our checks; Thulium's refusals = our errors."""
    grid = build(campaign, api, name)

    refused, flagged = set(), set()
    for row in grid.rows.all():
        if any(m["code"] == "phone_duplicate" for m in row.messages):
            continue  # our own rule: Thulium would take both, answering once for the phone
        payload = naive_payload(row, grid.mapping)
        answer = sandbox.api(
            "PUT", "batch/outbounds/00001/records", json={"records": [payload]}
        ).json()
        if answer[payload["phone_number"]]["http_status"] != 204:
            refused.add(row.number)
        if row.state == Row.State.ERROR:
            flagged.add(row.number)

    assert refused == flagged
    assert len(flagged) == 6


def naive_payload(row: Row, mapping: list[str]) -> dict[str, Any]:
    """What a script without pre-flight checks would send for this row."""
    raw = {target: row.raw[i] for i, target in enumerate(mapping) if target and row.raw[i]}
    values = row.values
    payload: dict[str, Any] = {"phone_number": values.get("phone_number") or raw["phone_number"]}
    if "status" in raw:
        payload["status_id"] = values.get("status_id", raw["status"])
    if "agent_login" in raw:
        payload["agent_login"] = raw["agent_login"]
    if "next_call_date" in raw:
        payload["next_call_date"] = values.get("next_call_date", raw["next_call_date"])
    fields = values.get("record_fields", {})
    if fields:
        payload["record_fields"] = fields
    return payload


def test_headers_map_by_synonyms_and_field_names(campaign: Any) -> None:
    suggestion = mapping_suggest(
        campaign=campaign,
        headers=["Nr telefonu", "STATUS", "Login agenta", "Data kontaktu", "Imie", "Pole 1", "X"],
    )

    assert suggestion == [
        "phone_number",
        "status",
        "agent_login",
        "next_call_date",
        "field:imię",
        "field:pole1",
        "",
    ]


def test_columns_no_header_names_are_suggested_from_their_values(campaign: Any, rules: Any) -> None:

    samples = [
        ["509 708 024", "24.12.2030 10:00", "kontakt ponowny", "a.nowak", "x"],
        ["845-400-588", "31.02.2030 10:00", "Nowy", "J.KOWALSKI", "y"],
        ["+48767215179", "2030-12-24", "Nie dzwonić", "a.nowak", "z"],
    ]

    guesses = mapping_value_guesses(suggestion=[""] * 5, samples=samples, rules=rules)

    # an impossible date is still a date: the column is the date column
    assert {column: (g.target, g.matching, g.cells) for column, g in guesses.items()} == {
        0: ("phone_number", 3, 3),
        1: ("next_call_date", 3, 3),
        2: ("status", 3, 3),
        3: ("agent_login", 3, 3),
    }
    # without the campaign's rules at hand, statuses and agents are not guessed
    assert set(mapping_value_guesses(suggestion=[""] * 5, samples=samples)) == {0, 1}


def test_a_column_of_amounts_is_not_taken_for_dates() -> None:

    # Bare numbers would read as Excel date serials (676,06 is 1901-11-06 01:26).
    samples = [["676,06", "12", "4.5"], ["384,74", "7", "0.25"], ["48,11", "3", "17.75"]]

    assert mapping_value_guesses(suggestion=[""] * 3, samples=samples) == {}


def test_a_confirmed_mapping_is_remembered_for_the_campaign(
    campaign: Any, api: thulium.ThuliumClient
) -> None:
    data = b"Kontakt;Konsultant;Notatka\n555123321;a.nowak;x\n"
    first = grid_create_from_file(campaign=campaign, author=None, data=data, filename="a.csv")
    assert first.mapping == ["", "agent_login", ""]
    grid_confirm_mapping(
        grid=first, mapping=["phone_number", "agent_login", "field:pole1"], client=api
    )

    second = grid_create_from_file(campaign=campaign, author=None, data=data, filename="b.csv")
    other_campaign = campaign_for(system=campaign.system, thulium_id="00002")
    third = grid_create_from_file(campaign=other_campaign, author=None, data=data, filename="c.csv")

    assert second.mapping == ["phone_number", "agent_login", "field:pole1"]
    assert third.mapping == ["", "agent_login", ""]


def test_unmapped_headers_can_become_campaign_fields(
    campaign: Any, api: thulium.ThuliumClient
) -> None:
    data = b"Telefon;Kolor oczu\n555123321;zielony\n"
    grid = grid_create_from_file(campaign=campaign, author=None, data=data, filename="a.csv")

    grid_confirm_mapping(grid=grid, mapping=grid.mapping, learn_fields=["Kolor oczu"], client=api)

    assert "Kolor oczu" in campaign.field_names()
    assert grid.mapping == ["phone_number", "field:Kolor oczu"]
    assert grid.rows.get().values["record_fields"] == {"Kolor oczu": "zielony"}


@pytest.mark.parametrize(
    ("mapping", "says"),
    [
        (["", "agent_login"], "exactly one column"),
        (["phone_number", "phone_number"], "exactly one column"),
        (["phone_number", "field:nieznane"], "not a field of this campaign"),
    ],
)
def test_a_mapping_that_cannot_work_says_why(
    campaign: Any, api: thulium.ThuliumClient, mapping: list[str], says: str
) -> None:
    grid = grid_create_from_file(
        campaign=campaign, author=None, data=b"A;B\n555123321;x\n", filename="a.csv"
    )

    with pytest.raises(MappingProblem, match=says):
        grid_confirm_mapping(grid=grid, mapping=mapping, client=api)
    grid.refresh_from_db()
    assert grid.state == Grid.State.MAPPING


def test_a_scientific_phone_in_a_csv_is_flagged_not_guessed(
    campaign: Any, api: thulium.ThuliumClient
) -> None:
    data = b"Telefon;Status\n6,00123E+08;3\n"
    grid = grid_create_from_file(campaign=campaign, author=None, data=data, filename="a.csv")

    grid_confirm_mapping(grid=grid, mapping=grid.mapping, client=api)

    row = grid.rows.get()
    assert row.state == Row.State.ERROR
    assert row.messages[0]["code"] == "phone_scientific"
    assert "phone_number" not in row.values


def test_file_grid_remembers_where_it_came_from(campaign: Any, api: thulium.ThuliumClient) -> None:
    grid = build(campaign, api, "crm_export_cp1250.csv")

    assert grid.file_name == "crm_export_cp1250.csv"
    assert grid.file_encoding == "cp1250"
    assert grid.file_delimiter == ";"
    assert grid.file_size == (FILES / "crm_export_cp1250.csv").stat().st_size
    assert len(grid.file_sha256) == 64
    assert grid.header_row_number == 3
    assert grid.rows.get(number=4).raw[0] == "+48 509 708 024"


def test_pull_makes_a_grid_of_the_current_records(
    campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = grid_create_from_thulium(
        campaign=campaign,
        author=None,
        filters=PullFilters(system_statuses=["MY_RECORD"], created_from=date(2026, 10, 1)),
        client=api,
    )

    expected = [r for r in sandbox.records("00001") if r["system_status"] == "MY_RECORD"]
    assert grid.source == Grid.Source.THULIUM
    assert grid.rows_total == len(expected)
    first = grid.rows.order_by("number").first()
    assert first.values["status_id"] == "4"
    assert first.values["agent_login"] == expected[0]["agent_login"]
    assert first.values["next_call_date"] == expected[0]["next_call_date"]
    assert grid.pull_filters["system_statuses"] == ["MY_RECORD"]
    query = [r["query"] for r in sandbox.requests() if r["path"].endswith("/records")][0]
    assert query["system_status[]"] == ["MY_RECORD"]
    assert query["create_date_from"] == ["2026-10-01"]


def test_pull_of_everything_keeps_each_record_once(
    campaign: Any, api: thulium.ThuliumClient
) -> None:
    grid = grid_create_from_thulium(
        campaign=campaign, author=None, filters=PullFilters(), client=api
    )

    assert grid.rows_total == 1500
    # 441 is in the campaign twice: a grid cannot hold it twice, so both copies are flagged.
    duplicated = grid.rows.filter(phone="441")
    assert [r.state for r in duplicated] == [Row.State.ERROR, Row.State.ERROR]


def test_an_empty_grid_has_the_campaigns_columns(campaign: Any) -> None:
    grid = grid_create_empty(campaign=campaign, author=None)

    assert grid.rows_total == 0
    assert grid.mapping[:4] == ["phone_number", "status", "agent_login", "next_call_date"]
    assert "field:miasto" in grid.mapping
