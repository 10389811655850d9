"""The one-step fixes of problem groups: fill cells, read a text once or as a rule, keep one
of each set of copies, a time for dates without one, every record of a number held twice, a
column ignored or a clear left blank, or the rows dropped; each one edit that Undo takes back."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.models import AuditEntry, Edit, ValueRule
from campaigns.services.grid_checks import grid_validate
from campaigns.services.problems import (
    grid_group_drop,
    grid_group_set,
)
from campaigns.services.thulium_now import grid_compare
from campaigns.services.undo import grid_undo
from campaigns.services.validation import campaign_rules
from tests.helpers import grid_of, groups_by_code


def test_setting_an_agent_and_a_date_for_a_group_is_one_edit_that_undo_takes_back(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    grid = grid_of(campaign, api)
    needs = groups_by_code(grid, rules)["status_needs_agent_and_date"][0]

    edit = grid_group_set(
        grid=grid,
        key=needs.key,
        cells={"agent_login": "j.kowalski", "next_call_date": "24.12.2030 10:00"},
        author=None,
        rules=rules,
    )

    assert edit.kind == "bulk"
    assert {r.state for r in grid.rows.filter(number__in=[2, 3])} == {"valid"}
    assert "status_needs_agent_and_date" not in groups_by_code(grid, rules)
    grid_undo(grid=grid, rules=rules)
    assert groups_by_code(grid, rules)["status_needs_agent_and_date"][0].count == 2


def test_dropping_a_group_deletes_its_rows_only(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    grid = grid_of(campaign, api, "Telefon;Status\n12;Nowy\nabc;Nowy\n509708024;Nowy\n")
    invalid = groups_by_code(grid, rules)["phone_invalid"][0]
    assert invalid.droppable

    grid_group_drop(grid=grid, key=invalid.key, author=None, rules=rules)

    assert list(grid.rows.values_list("number", flat=True)) == [4]


def test_the_grid_page_offers_the_fix_of_the_group_it_shows(
    client: Client, supervisor: Any, campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    grid = grid_of(campaign, api)
    unknown = next(g for g in groups_by_code(grid, rules)["status_unknown"] if g.count == 2)
    client.force_login(supervisor)
    url = reverse("campaigns:grid_detail", args=[grid.pk])

    page = client.get(url, {"problem": unknown.key}).content.decode()

    assert "2 rows: status “Oddzwonić” does not exist" in page
    assert "Did you mean “Oddzwonić nie wcześniej niż”?" in page
    assert '<option value="7" selected>' in page
    response = client.post(
        reverse("campaigns:grid_group_fix", args=[grid.pk]),
        {
            "action": "rule",
            "problem": unknown.key,
            "target": "status",
            "source": "Oddzwonić",
            "value": "7",
            "return_query": f"problem={unknown.key}&show=errors",
        },
    )
    # back to the view without the group, which is gone
    assert response.status_code == 302
    assert response.url == f"{url}?show=errors"
    assert grid.rows.get(number=4).values["status_id"] == "7"


@pytest.mark.parametrize(
    ("data", "code", "target", "value", "column"),
    [
        (
            "Telefon;Status\n509708024;Oddzwonić\n845400588;Oddzwonić\n",
            "status_unknown",
            "status",
            "7",
            "status_id",
        ),
        (
            "Telefon;Konsultant\n509708024;Kowalsky\n845400588;Kowalsky\n",
            "agent_unknown",
            "agent_login",
            "j.kowalski",
            "agent_login",
        ),
    ],
)
def test_an_unknown_status_or_agent_can_be_set_for_these_rows_once_without_a_rule(
    client: Client,
    supervisor: Any,
    campaign: Any,
    api: thulium.ThuliumClient,
    rules: Any,
    data: str,
    code: str,
    target: str,
    value: str,
    column: str,
) -> None:
    grid = grid_of(campaign, api, data)
    (group,) = groups_by_code(grid, rules)[code]
    client.force_login(supervisor)
    page = client.get(reverse("campaigns:grid_detail", args=[grid.pk]), {"problem": group.key})
    assert "Set for these 2 rows only" in page.content.decode()

    response = client.post(
        reverse("campaigns:grid_group_fix", args=[grid.pk]),
        {
            "action": "rule",
            "remember": "once",
            "problem": group.key,
            "target": target,
            "source": group.source,
            "value": value,
        },
    )

    assert response.status_code == 302
    assert {row.values[column] for row in grid.rows.all()} == {value}
    assert code not in groups_by_code(grid, rules)
    assert not ValueRule.objects.exists()  # nothing remembered for later files
    grid_undo(grid=grid, rules=rules)
    assert groups_by_code(grid, rules)[code][0].count == 2


def test_a_group_fix_that_cannot_be_made_says_why_and_changes_nothing(
    client: Client, supervisor: Any, campaign: Any, api: thulium.ThuliumClient
) -> None:
    grid = grid_of(campaign, api)
    client.force_login(supervisor)

    response = client.post(
        reverse("campaigns:grid_group_fix", args=[grid.pk]),
        {"problem": "status_needs_agent_and_date-0000000000", "agent_login": "j.kowalski"},
        follow=True,
    )

    assert "No row has this problem any more" in response.content.decode()
    assert not grid.edits.exists()


@pytest.mark.parametrize(("keep", "kept"), [("first", [2, 4, 5]), ("last", [3, 4, 6])])
def test_copies_of_a_phone_keep_the_first_or_the_last_in_one_edit_and_one_undo(
    client: Client,
    supervisor: Any,
    campaign: Any,
    api: thulium.ThuliumClient,
    rules: Any,
    keep: str,
    kept: list[int],
) -> None:
    grid = grid_of(
        campaign,
        api,
        "Telefon;Status\n509708024;Nowy\n509 708 024;Nie dzwonić\n845400588;Nowy\n"
        "111222333;Nowy\n111222333;Nie dzwonić\n",
    )
    (copies,) = groups_by_code(grid, rules)["phone_duplicate"]
    client.force_login(supervisor)
    page = client.get(reverse("campaigns:grid_detail", args=[grid.pk]), {"problem": copies.key})
    assert "Keep the first copy, delete the rest" in page.content.decode()

    response = client.post(
        reverse("campaigns:grid_group_fix", args=[grid.pk]),
        {"action": f"keep_{keep}", "problem": copies.key},
        follow=True,
    )

    assert "2 copies were deleted; Undo puts them back." in response.content.decode()
    assert sorted(grid.rows.values_list("number", flat=True)) == kept
    assert "phone_duplicate" not in groups_by_code(grid, rules)
    assert Edit.objects.filter(grid=grid).count() == 1
    grid_undo(grid=grid, rules=rules)
    assert sorted(grid.rows.values_list("number", flat=True)) == [2, 3, 4, 5, 6]


def test_dates_without_a_time_get_one_time_each_keeping_its_day(
    client: Client, supervisor: Any, campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    grid = grid_of(
        campaign,
        api,
        "Telefon;Status;Następny kontakt\n"
        "555123321;Kontakt ponowny;24.12.2030\n"
        "111222333;Kontakt ponowny;25.12.2030\n",
    )
    (group,) = groups_by_code(grid, rules)["date_without_time"]
    client.force_login(supervisor)
    page = client.get(reverse("campaigns:grid_detail", args=[grid.pk]), {"problem": group.key})
    assert "Set this time for these 2 rows, each keeping its date" in page.content.decode()
    fix = reverse("campaigns:grid_group_fix", args=[grid.pk])

    refused = client.post(
        fix, {"action": "time", "problem": group.key, "time": "25:00"}, follow=True
    )
    assert "“25:00” is not a time of day. Write it like 09:30." in refused.content.decode()
    assert Edit.objects.count() == 0

    assert (
        client.post(fix, {"action": "time", "problem": group.key, "time": "9.30"}).status_code
        == 302
    )

    dates = dict(grid.rows.values_list("phone", "values__next_call_date"))
    assert dates == {"555123321": "2030-12-24 09:30", "111222333": "2030-12-25 09:30"}
    assert "date_without_time" not in groups_by_code(grid, rules)
    assert Edit.objects.count() == 1  # one edit, one Undo
    grid_undo(grid=grid, rules=rules)
    assert groups_by_code(grid, rules)["date_without_time"][0].count == 2


def test_a_number_the_campaign_holds_twice_can_change_every_record_in_one_step(
    client: Client, supervisor: Any, campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    grid = grid_of(campaign, api, "Telefon;Status\n441;Kontakt ponowny\n")
    grid_compare(grid=grid, client=api)
    (group,) = groups_by_code(grid, rules)["phone_held_more_than_once"]
    client.force_login(supervisor)
    page = client.get(reverse("campaigns:grid_detail", args=[grid.pk]), {"problem": group.key})
    assert "Change every record with the number" in page.content.decode()

    response = client.post(
        reverse("campaigns:grid_group_fix", args=[grid.pk]),
        {"action": "every_record", "problem": group.key},
    )

    assert response.status_code == 302
    grid.refresh_from_db()
    assert grid.duplicates == "every_record"
    assert [m["code"] for m in grid.rows.get().messages] == ["phone_held_every_record"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SENDING_OPTIONS).exists()


def test_a_clear_thulium_cannot_make_is_left_blank_in_one_step(
    client: Client, supervisor: Any, campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    grid = grid_of(campaign, api, "Telefon;Status;Miasto\n555123321;[wyczyść];Łódź\n")
    (group,) = groups_by_code(grid, rules)["cannot_clear"]
    client.force_login(supervisor)
    page = client.get(reverse("campaigns:grid_detail", args=[grid.pk]), {"problem": group.key})
    assert "Leave these cells blank in 1 row: Thulium keeps its value" in page.content.decode()

    response = client.post(
        reverse("campaigns:grid_group_fix", args=[grid.pk]),
        {"action": "column", "problem": group.key},
    )

    assert response.status_code == 302
    row = grid.rows.get()
    assert "status_id" not in row.values
    assert row.values["record_fields"] == {"miasto": "Łódź"}
    assert "cannot_clear" not in groups_by_code(grid, rules)
    grid_undo(grid=grid, rules=rules)
    assert "cannot_clear" in groups_by_code(grid, rules)


def test_a_column_of_a_field_thulium_will_not_take_is_ignored_in_one_step(
    client: Client, supervisor: Any, campaign: Any, api: thulium.ThuliumClient
) -> None:
    grid = grid_of(campaign, api, "Telefon;Status;Miasto\n555123321;3;Łódź\n111222333;3;Gdańsk\n")
    campaign.fields.filter(name="miasto").delete()  # an administrator's change of the list
    rules = campaign_rules(campaign=campaign, client=api)
    grid_validate(grid=grid, rules=rules)
    (group,) = groups_by_code(grid, rules)["field_unknown"]
    assert group.count == 2

    client.force_login(supervisor)
    response = client.post(
        reverse("campaigns:grid_group_fix", args=[grid.pk]),
        {"action": "column", "problem": group.key},
    )

    assert response.status_code == 302
    grid.refresh_from_db()
    assert grid.mapping == ["phone_number", "status", ""]
    assert "field_unknown" not in groups_by_code(grid, rules)
    assert grid.rows_error == 0
