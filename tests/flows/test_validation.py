"""Pre-flight validation against the live campaign (statuses and agents from the sandbox)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest
from django.utils import translation

from campaigns import thulium
from campaigns.rules.dates import parse_cell_date_time
from campaigns.rules.messages import render
from campaigns.rules.row_check import check_row
from campaigns.rules.validation import CampaignRules, row_state
from campaigns.services.campaigns import campaign_for
from campaigns.services.validation import campaign_rules

pytestmark = pytest.mark.django_db


def codes(cells: dict[str, str], rules: CampaignRules) -> list[str]:
    return [m["code"] for m in check_row(cells, rules).messages]


def test_a_valid_row_becomes_exactly_what_thulium_gets(rules: CampaignRules) -> None:
    check = check_row(
        {
            "phone_number": "+48 555 123 321",
            "status": "mój REKORD",
            "agent_login": "A.Nowak",
            "next_call_date": "24.12.2030 9:30",
            "field:imię": "Łucja",
            "field:nazwisko": "",
            "field:miasto": "[wyczyść]",
        },
        rules,
    )

    assert check.messages == []
    assert check.values == {
        "phone_number": "555123321",
        "status_id": "4",
        "agent_login": "a.nowak",
        "next_call_date": "2030-12-24 09:30",
        "record_fields": {"imię": "Łucja", "miasto": ""},
    }


def test_status_by_id(rules: CampaignRules) -> None:
    check = check_row({"phone_number": "555123321", "status": "5"}, rules)

    assert check.values["status_id"] == "5"


def test_my_record_needs_agent_and_date_with_a_fix_it_message(rules: CampaignRules) -> None:
    check = check_row({"phone_number": "555123321", "status": "Mój rekord"}, rules)

    assert [render(m) for m in check.messages] == [
        "Status “Mój rekord” needs an agent and a next call date."
    ]


def test_my_record_rules_one_at_a_time(rules: CampaignRules) -> None:
    row = {"phone_number": "555123321", "status": "4"}

    assert codes(row | {"agent_login": "a.nowak"}, rules) == ["status_needs_date"]
    assert codes(row | {"next_call_date": "24.12.2030 10:00"}, rules) == ["status_needs_agent"]


def test_call_no_sooner_than_needs_a_date(rules: CampaignRules) -> None:
    assert codes({"phone_number": "555123321", "status": "7"}, rules) == ["status_needs_date"]


def test_dictionary_status_decides_the_rules_too(rules: CampaignRules) -> None:
    assert codes({"phone_number": "555123321", "dictionary_status_id": "4"}, rules) == [
        "status_needs_agent_and_date"
    ]
    assert codes({"phone_number": "555123321", "dictionary_status_id": "77"}, rules) == [
        "dictionary_status_unknown"
    ]


def test_unknown_status_lists_the_valid_ones(rules: CampaignRules) -> None:
    check = check_row({"phone_number": "555123321", "status": "Zamknięty"}, rules)

    assert check.messages[0]["code"] == "status_unknown"
    assert "4 (Mój rekord)" in check.messages[0]["params"]["choices"]


def test_agents_unknown_is_an_error_inactive_a_warning(rules: CampaignRules) -> None:
    unknown = check_row({"phone_number": "555123321", "agent_login": "j.doe"}, rules)
    inactive = check_row({"phone_number": "555123321", "agent_login": "k.wojcik"}, rules)

    assert [(m["level"], m["code"]) for m in unknown.messages] == [("error", "agent_unknown")]
    assert "k.wojcik" not in unknown.messages[0]["params"]["choices"]
    assert [(m["level"], m["code"]) for m in inactive.messages] == [("warning", "agent_inactive")]
    assert inactive.values["agent_login"] == "k.wojcik"


def test_an_agent_written_as_thuliums_name_for_them_is_that_agent_with_a_note(
    rules: CampaignRules,
) -> None:

    named = dataclasses.replace(
        rules,
        agent_names={
            "j.kowalski": "Jan Kowalski",
            "k.wojcik": "Katarzyna Wójcik",
            "a.nowak": "Anna Nowak",
            "m.wisniewska": "Anna Nowak",  # a name two agents share decides nothing
        },
    )

    def check(text: str) -> Any:
        return check_row({"phone_number": "555123321", "agent_login": text}, named)

    for written in ("Jan Kowalski", "jan  KOWALSKI", "Ján Kowalski"):
        found = check(written)
        assert found.values["agent_login"] == "j.kowalski", written
        assert [(m["level"], m["code"]) for m in found.messages] == [("info", "agent_by_name")]
        assert row_state(found.messages) == "valid"
    inactive = check("katarzyna wojcik")
    assert inactive.values["agent_login"] == "k.wojcik"
    assert [m["code"] for m in inactive.messages] == ["agent_by_name", "agent_inactive"]
    assert [m["code"] for m in check("Anna Nowak").messages] == ["agent_unknown"]
    assert [m["code"] for m in check("Jan Kowalsky").messages] == ["agent_unknown"]
    assert named.fingerprint != rules.fingerprint  # rows are checked again when names change


def test_a_past_date_is_a_warning_and_a_date_alone_says_midnight(rules: CampaignRules) -> None:
    past = check_row({"phone_number": "555123321", "next_call_date": "01.01.2020 10:00"}, rules)
    day = check_row({"phone_number": "555123321", "next_call_date": "24.12.2030"}, rules)

    assert [(m["level"], m["code"]) for m in past.messages] == [("warning", "date_past")]
    assert [(m["level"], m["code"]) for m in day.messages] == [("warning", "date_without_time")]
    assert day.values["next_call_date"] == "2030-12-24 00:00"


def test_phone_problems(rules: CampaignRules) -> None:
    assert codes({"phone_number": "", "status": "3"}, rules) == ["phone_missing"]
    assert codes({"phone_number": "6,00123E+08", "status": "3"}, rules) == ["phone_scientific"]
    assert codes({"phone_number": "600 100 20x", "status": "3"}, rules) == ["phone_invalid"]
    assert codes({"phone_number": "12", "status": "3"}, rules) == ["phone_invalid"]


def test_fields_outside_the_field_list_and_in_crm_campaigns(
    rules: CampaignRules, api: thulium.ThuliumClient, system: Any
) -> None:

    crm = campaign_rules(campaign=campaign_for(system=system, thulium_id="00004"), client=api)

    assert codes({"phone_number": "555123321", "field:kolor": "zielony"}, rules) == [
        "field_unknown"
    ]
    assert codes({"phone_number": "555123321", "field:imię": "Ola"}, crm) == ["crm_fields"]


def test_clearing_works_only_for_record_fields(rules: CampaignRules) -> None:
    assert codes({"phone_number": "555123321", "agent_login": "[clear]"}, rules) == ["cannot_clear"]


def test_blank_cells_are_never_sent(rules: CampaignRules) -> None:
    check = check_row(
        {"phone_number": "555123321", "status": "3", "agent_login": " ", "field:imię": ""}, rules
    )

    assert check.values == {"phone_number": "555123321", "status_id": "3"}


def test_a_row_that_changes_nothing_is_a_warning(rules: CampaignRules) -> None:
    assert codes({"phone_number": "555123321", "field:imię": ""}, rules) == ["nothing_to_change"]


def test_rules_are_cached_briefly(campaign: Any, api: thulium.ThuliumClient, sandbox: Any) -> None:
    campaign_rules(campaign=campaign, client=api)
    campaign_rules(campaign=campaign, client=api)

    assert len(sandbox.requests()) == 3  # outbounds, statuses, agents: once


def test_now_is_warsaw_time(rules: CampaignRules) -> None:
    assert rules.now.tzinfo is not None
    assert rules.now.utcoffset() == datetime.now(thulium.THULIUM_TZ).utcoffset()


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("６００１００２０３", "600100203"),  # fullwidth
        ("٦٠٠١٠٠٢٠٣", "600100203"),  # Arabic-Indic
        ("۶۰۰۱۰۰۲۰۳", "600100203"),  # Extended Arabic-Indic (Persian)
        ("＋４８ ６００ １００ ２０３", "600100203"),
    ],
)
def test_phones_in_other_digits_are_sent_as_ascii_and_never_valid_unsaid(
    text: str, sent: str, rules: CampaignRules
) -> None:
    check = check_row({"phone_number": text, "status": "3"}, rules)

    assert check.values["phone_number"] == sent
    assert check.values["phone_number"].isascii()
    assert "phone_converted" in [m["code"] for m in check.messages]
    assert row_state(check.messages) == "warning"


def test_invisible_marks_and_unicode_dashes_in_a_phone_are_dropped(rules: CampaignRules) -> None:
    check = check_row({"phone_number": "\u200e600\u2013100\u2011200", "status": "3"}, rules)

    assert check.values["phone_number"] == "600100200"


@pytest.mark.parametrize("text", ["²", "٣", "1²"])
def test_orders_and_dates_in_other_digits_never_raise(text: str, rules: CampaignRules) -> None:
    check = check_row(
        {"phone_number": "600100200", "order": text, "next_call_date": text}, rules, mode="add"
    )

    assert "phone_number" in check.values  # it got this far, no ValueError


def test_a_date_in_fullwidth_digits_means_the_date_it_shows(rules: CampaignRules) -> None:
    moment, has_time = parse_cell_date_time("２４.１２.２０３０ ０９:３０")

    assert moment == datetime(2030, 12, 24, 9, 30)
    assert has_time


def test_text_that_lost_letters_is_an_error(rules: CampaignRules) -> None:
    check = check_row({"phone_number": "600100200", "field:imię": "\u0139\ufffdukasz"}, rules)

    assert [m["code"] for m in check.messages if m["level"] == "error"] == ["text_lost_letters"]


@pytest.mark.parametrize(
    ("mangled", "meant"),
    [("ZaĹĽĂłĹ‚Ä‡ gÄ™Ĺ›lÄ…", "Zażółć gęślą"), ("GdaĹ„sk", "Gdańsk"), ("KrakÃ³w", "Kraków")],
)
def test_mis_decoded_text_is_a_warning_that_says_what_was_meant(
    mangled: str, meant: str, rules: CampaignRules
) -> None:
    check = check_row({"phone_number": "600100200", "field:miasto": mangled}, rules)

    warning = next(m for m in check.messages if m["code"] == "text_mojibake")
    assert warning["params"]["repaired"] == meant
    assert row_state(check.messages) == "warning"


@pytest.mark.parametrize("text", ["Łódź", "ZAŻÓŁĆ GĘŚLĄ JAŹŃ", "GÓŁKA", "Müller", "Noël"])
def test_genuine_text_is_not_called_mis_decoded(text: str, rules: CampaignRules) -> None:
    check = check_row({"phone_number": "600100200", "field:miasto": text}, rules)

    assert "text_mojibake" not in [m["code"] for m in check.messages]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("31.02.2027 10:00", "“31.02.2027 10:00” cannot be: February 2027 has 28 days."),
        ("30.02.2028", "February 2028 has 29 days"),
        ("2027-13-01 10:00", "there is no month 13"),
        ("24.12.2027 25:00", "there is no time 25:00"),
    ],
)
def test_a_date_that_cannot_exist_says_why(rules: Any, text: str, says: str) -> None:

    check = check_row({"phone_number": "509708024", "next_call_date": text}, rules)

    (problem,) = [m for m in check.messages if m["field"] == "next_call_date"]
    assert problem["code"] == "date_impossible"
    assert says in render(problem)


def test_a_date_that_cannot_exist_says_why_in_polish(rules: Any) -> None:

    check = check_row({"phone_number": "509708024", "next_call_date": "31.02.2027"}, rules)
    with translation.override("pl"):
        text = render(check.messages[0])

    assert "luty 2027 ma 28 dni" in text


@pytest.mark.parametrize(
    "written", ["24.12.0226 09:30", "0226-12-24 09:30", "24.12.1899 09:30", "2101-01-01 10:00"]
)
def test_a_year_thulium_cannot_mean_is_an_error_with_the_fix(written: str, rules: Any) -> None:

    check = check_row({"phone_number": "509708024", "next_call_date": written}, rules)

    assert "next_call_date" not in check.values
    problem = next(m for m in check.messages if m["field"] == "next_call_date")
    assert problem["code"] == "date_impossible"
    assert problem["params"]["why"] == "year"
    assert "Write the year with four digits, from 1900 to 2100" in render(problem)


def test_a_date_is_written_with_a_four_digit_zero_padded_year(rules: Any) -> None:
    check = check_row({"phone_number": "509708024", "next_call_date": "1.2.1900 9:05"}, rules)

    assert check.values["next_call_date"] == "1900-02-01 09:05"
