"""Problems grouped by kind, the fixes that take one decision for a group, value rules that
later files apply by themselves, "did you mean" suggestions, and the escaped row renderer."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.exceptions import EditProblem
from campaigns.models import AuditEntry, ValueRule
from campaigns.presentation.row_html import RowRenderer
from campaigns.rules.suggest import agent_for, status_for
from campaigns.services.problems import (
    grid_problem_groups,
    value_rule_forget,
    value_rule_set,
)
from campaigns.services.rows import RowFilter, grid_rows
from campaigns.services.thulium_now import grid_compare
from campaigns.services.validation import campaign_rules
from tests.helpers import grid_of, groups_by_code


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
    grid = grid_of(campaign, api)
    with pytest.raises(EditProblem, match="Choose one of the campaign's statuses"):
        value_rule_set(
            grid=grid, target="status", source="NOWY!!", value="99", author=None, rules=rules
        )


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
