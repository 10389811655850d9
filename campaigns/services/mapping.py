"""Which file column feeds which target, suggested: remembered for the campaign, by the header's
name, or by what the column's first cells look like. Reads only."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from campaigns.intake.headers import normalise_header, target_for_header
from campaigns.models import Campaign
from campaigns.rules.dates import impossible_date, parse_cell_date_time
from campaigns.rules.targets import RECORD_TARGETS, export_column_target, field_target
from campaigns.rules.validation import PHONE_JUNK_RE, PHONE_RE, CampaignRules
from campaigns.services.validation import campaign_rules_cached


def mapping_suggest(
    *, campaign: Campaign, headers: Sequence[str], samples: Sequence[Sequence[str]] = ()
) -> list[str]:
    """A target for each header: remembered for this campaign, else by synonyms, else a field.
    A field Thulium said the campaign lacks is never suggested, even when remembered. When no
    header names the phone, a column whose `samples` (the first rows' cells) look like phone
    numbers is taken for it."""
    unknown = campaign.unknown_field_names()
    fields = {normalise_header(n): n for n in campaign.field_names() if n not in unknown}
    remembered = campaign.remembered_mapping
    valid = set(RECORD_TARGETS) | {field_target(name) for name in fields.values()}
    suggestion: list[str] = []
    for header in headers:
        exported = export_column_target(header, set(fields.values()))
        if exported is not None:
            # A column of our own export says what it is; it beats what was remembered.
            suggestion.append("" if exported and exported in suggestion else exported)
            continue
        key = normalise_header(header)
        target = remembered.get(key)
        if target is None or (target and target not in valid):
            target = target_for_header(header) or (
                field_target(fields[key]) if key in fields else ""
            )
        suggestion.append("" if target in suggestion else target)
    for column, guess in mapping_value_guesses(
        suggestion=suggestion, samples=samples, rules=campaign_rules_cached(campaign=campaign)
    ).items():
        suggestion[column] = guess.target
    return suggestion


@dataclass(frozen=True)
class ValueGuess:
    """A column taken for a target by what its cells hold: `matching` of `cells` look right."""

    target: str
    matching: int
    cells: int


BARE_NUMBER_RE = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def _value_tests(rules: CampaignRules | None) -> dict[str, Any]:
    """What a cell must look like to be taken for each target, by its value alone."""
    tests: dict[str, Any] = {
        "phone_number": lambda cell: PHONE_RE.match(PHONE_JUNK_RE.sub("", cell)),
        # A bare number is an amount or a count far more often than an Excel date serial
        # (spreadsheet date cells arrive as dates): "676,06" must not suggest the date column.
        "next_call_date": lambda cell: (
            not BARE_NUMBER_RE.fullmatch(cell)
            and (parse_cell_date_time(cell)[0] or impossible_date(cell))
        ),
    }
    if rules is not None:
        tests["status"] = rules.status
        tests["agent_login"] = rules.agent
    return tests


def column_value_guess(
    target: str, column: int, samples: Sequence[Sequence[str]], rules: CampaignRules | None
) -> ValueGuess | None:
    """How many of a column's filled sample cells look like the target, when it can tell."""
    looks_right = _value_tests(rules).get(target)
    if looks_right is None:
        return None
    cells = [row[column].strip() for row in samples if column < len(row) and row[column].strip()]
    return ValueGuess(target, sum(1 for cell in cells if looks_right(cell)), len(cells))


def mapping_value_guesses(
    *,
    suggestion: Sequence[str],
    samples: Sequence[Sequence[str]],
    rules: CampaignRules | None = None,
) -> dict[int, ValueGuess]:
    """For targets no header named: the first unmapped column where at least 4 in 5 of at
    least 3 filled sample cells look like phone numbers, dates and times, the campaign's
    statuses or its agents' logins (the last two when its rules are at hand)."""
    guesses: dict[int, ValueGuess] = {}
    for target in _value_tests(rules):
        if target in suggestion:
            continue
        for column, mapped in enumerate(suggestion):
            if mapped or column in guesses:
                continue
            guess = column_value_guess(target, column, samples, rules)
            if guess and guess.cells >= 3 and guess.matching * 5 >= guess.cells * 4:
                guesses[column] = guess
                break
    return guesses
