"""Validation's pure parts: phones to the form Thulium keeps, dates as people write them,
and duplicates in a file (tests/flows/test_validation.py checks rows against the live campaign)."""

from __future__ import annotations

import pytest

from campaigns.models import PhoneFormat
from campaigns.rules.dates import parse_cell_date_time
from campaigns.rules.row_check import check_row
from campaigns.rules.validation import (
    CampaignRules,
    GridMode,
    duplicate_messages,
    normalise_phone,
    phone_canonical,
)
from campaigns.thulium.vocabulary import Status


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("600100200", "600100200"),
        ("600 100 200", "600100200"),
        ("600-100-200", "600100200"),
        ("(60) 010 02 00", "600100200"),
        ("+48 600 100 200", "600100200"),
        ("0048600100200", "600100200"),
        ("48600100200", "600100200"),
        ("+44 20 7946 0958", "+442079460958"),
        ("441", "441"),
    ],
)
def test_polish_numbers_become_the_national_form(text: str, expected: str) -> None:
    assert normalise_phone(text, PhoneFormat.POLISH_NATIONAL) == expected


def test_as_given_keeps_the_prefix() -> None:
    assert normalise_phone("+48 600 100 200", PhoneFormat.AS_GIVEN) == "+48600100200"


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("24.12.2026 09:30", "2026-12-24 09:30", True),
        ("24-12-2026 9:30", "2026-12-24 09:30", True),
        ("2026-12-24 09:30", "2026-12-24 09:30", True),
        ("2026-12-24T09:30", "2026-12-24 09:30", True),
        ("2026-12-24 09:30:00", "2026-12-24 09:30", True),
        ("24/12/2026 09:30", "2026-12-24 09:30", True),
        ("24.12.2026", "2026-12-24 00:00", False),
        ("46380.395833333", "2026-12-24 09:30", True),  # an Excel serial
    ],
)
def test_date_forms(text: str, expected: str, has_time: bool) -> None:
    moment, timed = parse_cell_date_time(text)

    assert moment is not None
    assert moment.strftime("%Y-%m-%d %H:%M") == expected
    assert timed is has_time


@pytest.mark.parametrize("text", ["32.13.2026 10:00", "jutro", "2026-12-24 25:00", "12/24/26"])
def test_unreadable_dates(text: str) -> None:
    assert parse_cell_date_time(text) == (None, False)


def test_duplicates_flag_every_copy() -> None:
    found = duplicate_messages([(2, "600100200"), (3, "600100201"), (7, "600100200"), (9, "")])

    assert set(found) == {2, 7}
    assert found[2]["params"] == {"value": "600100200", "count": 2, "rows": "2, 7"}


@pytest.mark.parametrize(
    "text", ["600100200", "+48 600 100 200", "0048600100200", "48600100200", "(60) 010-02-00"]
)
def test_a_number_has_one_canonical_form_for_the_do_not_contact_list(text: str) -> None:
    assert phone_canonical(text) == "600100200"


LISTED_RULES = CampaignRules(
    campaign_type="outbound",
    statuses=(
        Status("3", "Kontakt ponowny", "CALL", 3),
        Status("5", "Nie dzwonić", "NO_CALL", 5),
        Status("6", "Odrzucony po 5 próbach", "ABANDONED_AFTER_N_TRIES", 6),
        Status("8", "Nowy status", "SOMETHING_THULIUM_ADDS", 8),
    ),
    agents=(),
    fields=("miasto",),
    phone_format=PhoneFormat.POLISH_NATIONAL,
    do_not_contact=frozenset({"listed:600100200"}),
    do_not_contact_digest=lambda canonical: f"listed:{canonical}",
)


@pytest.mark.parametrize(
    ("mode", "cells", "refused"),
    [
        (GridMode.ADD, {}, "do_not_contact_add"),
        (GridMode.EDIT, {"status": "3"}, "do_not_contact_edit"),
        (GridMode.EDIT, {"dictionary_status_id": "3"}, "do_not_contact_edit"),
        (GridMode.EDIT, {"status": "8"}, "do_not_contact_edit"),  # an unknown system status
        (GridMode.EDIT, {"next_call_date": "24.12.2030 09:30"}, "do_not_contact_edit"),
        (GridMode.EDIT, {"status": "5"}, None),
        (GridMode.EDIT, {"status": "6"}, None),
        (GridMode.EDIT, {"field:miasto": "Łódź"}, None),
        (GridMode.REMOVE, {}, None),
    ],
)
def test_a_listed_number_is_refused_only_where_it_would_be_called(
    mode: str, cells: dict[str, str], refused: str | None
) -> None:
    listed = check_row({"phone_number": "+48 600 100 200", **cells}, LISTED_RULES, mode)
    other = check_row({"phone_number": "600100201", **cells}, LISTED_RULES, mode)

    codes = {m["code"] for m in listed.messages} & {"do_not_contact_add", "do_not_contact_edit"}
    assert codes == ({refused} if refused else set())
    assert not {m["code"] for m in other.messages} & {"do_not_contact_add", "do_not_contact_edit"}


def test_the_list_is_part_of_the_rules_fingerprint() -> None:
    emptier = CampaignRules(
        campaign_type=LISTED_RULES.campaign_type,
        statuses=LISTED_RULES.statuses,
        agents=(),
        fields=LISTED_RULES.fields,
        phone_format=LISTED_RULES.phone_format,
    )

    assert emptier.fingerprint != LISTED_RULES.fingerprint
