"""Validation's pure parts: phones to the form Thulium keeps, dates as people write them,
and duplicates in a file (tests/flows/test_validation.py checks rows against the live campaign)."""

from __future__ import annotations

import pytest

from campaigns.models import PhoneFormat
from campaigns.rules.dates import parse_cell_date_time
from campaigns.rules.validation import duplicate_messages, normalise_phone


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
