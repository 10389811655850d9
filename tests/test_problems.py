"""Problems grouped by kind, the fixes that take one decision for a group, value rules that
later files apply by themselves, "did you mean" suggestions, and the escaped row renderer."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.models import AuditEntry, Edit, Grid, ValueRule
from campaigns.row_html import RowRenderer
from campaigns.services.grid_checks import grid_validate
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.problems import (
    grid_group_drop,
    grid_group_set,
    grid_problem_groups,
    value_rule_forget,
    value_rule_set,
)
from campaigns.services.rows import RowFilter, grid_rows
from campaigns.services.thulium_now import grid_compare
from campaigns.services.undo import grid_undo
from campaigns.services.validation import campaign_rules
from campaigns.suggest import agent_for, status_for

MESSY = (
    "Nr tel.;Status;Konsultant;Następny kontakt\n"
    "509708024;Mój rekord;;\n"
    "845400588;Mój rekord;;\n"
    "111222333;Oddzwonić;;\n"
    "555123321;ODDZWONIĆ;;\n"
    "600100200;NOWY!!;;\n"
    "700100200;Nowy;Anna Nowak;\n"
    "700100201;Nowy;Anna Nowak;31.02.2027 10:00\n"
)


def grid_of(campaign: Any, api: thulium.ThuliumClient, text: str = MESSY) -> Grid:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=text.encode(), filename="eksport.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def groups_by_code(grid: Grid, rules: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for group in grid_problem_groups(grid, rules):
        found.setdefault(group.code, []).append(group)
    return found


def test_problems_are_grouped_by_kind_and_by_what_the_decision_is_about(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    grid = grid_of(campaign, api)

    groups = groups_by_code(grid, rules)

    # "Oddzwonić" and "ODDZWONIĆ" are one text written two ways: one decision, one group
    unknown = sorted((g.source, g.count) for g in groups["status_unknown"])
    assert [count for _source, count in unknown] == [1, 2]
    assert groups["status_needs_agent_and_date"][0].count == 2
    assert groups["status_needs_agent_and_date"][0].text == (
        "2 rows: “Mój rekord” needs an agent and a next call date"
    )
    assert groups["agent_unknown"][0].count == 2
    assert groups["date_impossible"][0].count == 1
    # errors first, then the biggest groups
    levels = [g.level for g in grid_problem_groups(grid, rules)]
    assert levels == sorted(levels, key=lambda level: level != "error")


def test_a_group_is_a_filter_of_exactly_its_rows(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    grid = grid_of(campaign, api)
    needs = groups_by_code(grid, rules)["status_needs_agent_and_date"][0]

    rows = grid_rows(grid, RowFilter(problem=needs.key))

    assert sorted(rows.values_list("number", flat=True)) == [2, 3]


def test_unknown_texts_come_with_a_suggestion_close_in_spelling_or_by_name(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    groups = groups_by_code(grid_of(campaign, api), rules)

    statuses = {g.source: g.suggestion.text for g in groups["status_unknown"] if g.suggestion}
    assert statuses == {
        "Oddzwonić": "Oddzwonić nie wcześniej niż",
        "NOWY!!": "Nowy",
    }
    assert groups["agent_unknown"][0].suggestion.value == "a.nowak"


@pytest.mark.parametrize(
    ("text", "login"),
    [
        ("Anna Nowak", "a.nowak"),
        ("Nowak Anna", "a.nowak"),
        ("kowalsky", "j.kowalski"),
        ("Piotr Zieliński", "p.zielinski"),
        ("Zofia Nieznana", None),
        ("", None),
    ],
)
def test_an_agent_is_suggested_from_a_name_or_a_misspelt_login(
    rules: Any, text: str, login: str | None
) -> None:
    found = agent_for(text, rules.agents, {})
    assert (found.value if found else None) == login


def test_an_agent_is_found_by_the_name_thulium_gives_even_when_the_login_says_nothing(
    rules: Any,
) -> None:
    agents = [thulium.Agent("agent301", "301", True, True, 1), *rules.agents]

    found = agent_for("Barbara Kwiatkowska", agents, {"agent301": "Barbara Kwiatkowska"})

    assert found is not None
    assert found.value == "agent301"
    assert found.text == "agent301 (Barbara Kwiatkowska)"


def test_an_inactive_agent_is_named_as_such_and_never_chosen_for_the_supervisor(
    campaign: Any, api: thulium.ThuliumClient, logged_in: Client
) -> None:
    """Found by a new user: "Katarzyna Wójcik" pre-chose the inactive k.wojcik, and one click
    remembered it for the campaign."""
    grid = grid_of(campaign, api, "Telefon;Status;Konsultant\n555123321;Nowy;Katarzyna Wójcik\n")
    rules = campaign_rules(campaign=campaign, client=api)
    [group] = groups_by_code(grid, rules)["agent_unknown"]
    assert group.suggestion is not None
    assert (group.suggestion.value, group.suggestion.inactive) == ("k.wojcik", True)

    page = logged_in.get(
        reverse("campaigns:grid_detail", args=[grid.pk]), {"problem": group.key}
    ).content.decode()

    assert "but that agent is inactive in Thulium and takes no calls" in page
    assert 'value="k.wojcik" selected' not in page
    assert '<option value="">(choose)</option>' in page


def test_a_status_far_from_every_name_gets_no_suggestion(rules: Any) -> None:
    assert status_for("Zadzwonić do prezesa w sprawie faktury", rules.statuses) is None
    assert status_for("umowa podpisana!", rules.statuses).text == "Umowa podpisana"


def test_a_value_rule_fixes_every_row_with_the_text_and_later_files_apply_it(
    campaign: Any, api: thulium.ThuliumClient, rules: Any, supervisor: Any
) -> None:
    grid = grid_of(campaign, api)

    value_rule_set(
        grid=grid, target="status", source="oddzwonić", value="3", author=supervisor, rules=rules
    )

    grid.refresh_from_db()
    assert {g.source for g in groups_by_code(grid, rules).get("status_unknown", [])} == {"NOWY!!"}
    row = grid.rows.get(number=5)  # ODDZWONIĆ
    assert row.values["status_id"] == "3"
    assert [m["code"] for m in row.messages if m["field"] == "status"] == ["value_rule"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VALUE_RULE).count() == 1

    later = grid_of(campaign, api, "Telefon;Status\n509708024;Oddzwonic\n")
    assert later.rows.get().values["status_id"] == "3"
    assert later.rows.get().state == "valid"


def test_forgetting_a_value_rule_checks_the_rows_again(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    grid = grid_of(campaign, api)
    rule = value_rule_set(
        grid=grid,
        target="agent_login",
        source="Anna Nowak",
        value="a.nowak",
        author=None,
        rules=rules,
    )
    assert grid.rows.get(number=7).values["agent_login"] == "a.nowak"

    value_rule_forget(grid=grid, rule_id=rule.pk, author=None, rules=rules)

    assert not ValueRule.objects.exists()
    assert "agent_login" not in grid.rows.get(number=7).values
    assert grid.rows.get(number=7).state == "error"


def test_a_value_rule_must_name_a_status_or_agent_of_the_campaign(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    from campaigns.services.editing import EditProblem

    grid = grid_of(campaign, api)
    with pytest.raises(EditProblem, match="Choose one of the campaign's statuses"):
        value_rule_set(
            grid=grid, target="status", source="NOWY!!", value="99", author=None, rules=rules
        )


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


def test_a_listing_read_teaches_the_agents_names_shown_beside_their_logins(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    grid = grid_of(campaign, api, "Telefon;Agent\n509708024;a.nowak\n")

    grid_compare(grid=grid, client=api)

    campaign.refresh_from_db()
    assert campaign.agent_names["a.nowak"] == "Anna Nowak"
    html = RowRenderer(
        grid,
        ["phone_number", "agent_login"],
        can_edit=True,
        can_see_history=True,
        status_names={},
        agent_names=campaign.agent_names,
    ).rows(grid.rows.all())
    assert '<td title="Anna Nowak">a.nowak</td>' in html


def test_the_row_renderer_escapes_everything_a_file_brings(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    hostile = '<img src=x onerror=alert(1)>"&'
    grid = grid_of(
        campaign, api, f'Telefon;Status;imię\n509708024;{hostile};"{hostile}{"x" * 30}"\n'
    )

    html = RowRenderer(
        grid,
        ["phone_number", "status", "field:imię"],
        can_edit=False,
        can_see_history=False,
        status_names={},
        agent_names={},
    ).rows(grid.rows.all())

    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&amp;" in html
    assert 'title="&lt;img' in html  # the long value, whole, on hover
    # a reader who may not edit gets no edit link
    assert "/edit/" not in html


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
