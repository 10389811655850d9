"""Pre-flight validation: what Thulium would refuse, found before anything is sent.

A row's cells (text, keyed by target) become the values to send plus messages, by rules alone:
the campaign's statuses, agents, field list and phone format (`CampaignRules`, read from Thulium
by services.validation.campaign_rules), and what a read of its records says. No I/O here.
Here: the rules, phone numbers, and the messages of rows together (copies, what Thulium holds);
one row by its cells is row_check.py's.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from django.utils import timezone

from campaigns.intake.headers import normalise_header
from campaigns.intake.text import (
    fold_digits,
)
from campaigns.rules.messages import ERROR, INFO, WARNING, Message, message
from campaigns.rules.suggest import fold
from campaigns.rules.targets import FIELD_PREFIX
from campaigns.thulium import vocabulary as thulium

# Typed in a cell, these clear the field in Thulium (a blank cell leaves it unchanged).
CLEAR_MARKERS = frozenset({"[clear]", "[wyczyść]", "[wyczysc]"})


class GridMode(StrEnum):
    """What a grid does with its rows. `models.Grid.Mode` takes its values from here, so the
    rules compare with members, not strings, and still read no models."""

    EDIT = "edit"
    ADD = "add"
    REMOVE = "remove"
    # Add or update: each row is an edit where the campaign holds its phone and an addition
    # where it does not, decided by the review's read (`upsert_kind`).
    UPSERT = "upsert"


# A campaign's phone format as stored (`models.PhoneFormat`): the rules read no models.
POLISH_NATIONAL = "pl"
CLEAR_MARKER = "[clear]"  # the one we write ourselves
PHONE_JUNK_RE = re.compile(r"[\s\u00a0\-\u2010-\u2015\u2212()./]")
PHONE_RE = re.compile(r"^\+?\d{3,15}$", re.ASCII)
# Raised when what decides a row's messages changes in code rather than in the campaign's rules
# (2: a year outside FIRST_YEAR..LAST_YEAR is an error), so that rows stored by an earlier
# version are checked again before they are sent.
CHECKS_VERSION = 2


@dataclass(frozen=True)
class CampaignRules:
    """Everything validation needs to know about one campaign."""

    campaign_type: str
    statuses: tuple[thulium.Status, ...]
    agents: tuple[thulium.Agent, ...]
    fields: tuple[str, ...]
    phone_format: str
    # Fields of our list that Thulium answered it does not have.
    unknown_fields: frozenset[str] = frozenset()
    now: datetime = field(default_factory=timezone.localtime)
    # (target, text normalised) → status id or agent login: how this campaign's files write
    # Thulium's values (models.ValueRule).
    value_rules: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # login → name, from the campaign's listing (the agents endpoint names no one).
    agent_names: Mapping[str, str] = field(default_factory=dict)
    # The campaign's system's do-not-contact list: keyed hashes of numbers, and how a number
    # becomes one (services/do_not_contact.py holds the key; the rules never see it).
    do_not_contact: frozenset[str] = frozenset()
    do_not_contact_digest: Callable[[str], str] | None = None

    @cached_property
    def fingerprint(self) -> str:
        """What the rules would decide, in a few characters: rows checked with rules of the same
        fingerprint need not be checked again. Left out: `now`, which only moves the warning on
        a date in the past. Agents' names count: an agent may be written by the name Thulium
        gives."""
        material = (
            CHECKS_VERSION,
            self.campaign_type,
            self.statuses,
            self.agents,
            self.fields,
            str(self.phone_format),  # a model's choice or its text: the same format
            sorted(self.unknown_fields),
            sorted(self.value_rules.items()),
            sorted(self.agent_names.items()),
            sorted(self.do_not_contact),
        )
        return hashlib.sha256(repr(material).encode()).hexdigest()[:20]

    def on_do_not_contact(self, phone: str) -> bool:
        """Is the number (as a row stores it) on the system's do-not-contact list?"""
        if not (phone and self.do_not_contact and self.do_not_contact_digest):
            return False
        return self.do_not_contact_digest(phone_canonical(phone)) in self.do_not_contact

    def ruled(self, target: str, text: str) -> str | None:
        """What a value rule reads the text as, if one does."""
        return self.value_rules.get((target, normalise_header(text))) if self.value_rules else None

    def status(self, text: str) -> thulium.Status | None:
        """A status by its id, or by its name written any way (case, spaces, diacritics)."""
        # A file writes the same few statuses on every row: each text is normalised once.
        try:
            return self._status_of_text[text]
        except KeyError:
            found = self._statuses_by_id.get(text) or self._statuses_by_name.get(
                normalise_header(text)
            )
            self._status_of_text[text] = found
            return found

    @cached_property
    def _status_of_text(self) -> dict[str, thulium.Status | None]:
        return {}

    @cached_property
    def cells_checked(self) -> dict[tuple[str, str], Any]:
        """(target, text) → what the cell decides under these rules (row_check.CellCheck)."""
        return {}

    @cached_property
    def status_rules_checked(self) -> dict[tuple[Any, ...], tuple[Message, ...]]:
        """(status, dictionary status, has an agent, has a date) → what the status demands."""
        return {}

    @cached_property
    def local_now(self) -> datetime:
        """`now` as a naive local time, to compare dates read from cells with (making each of
        100,000 dates aware looked up the current time zone every time)."""
        return timezone.localtime(self.now).replace(tzinfo=None)

    @cached_property
    def _statuses_by_id(self) -> dict[str, thulium.Status]:
        return {s.status_id: s for s in self.statuses}

    @cached_property
    def _statuses_by_name(self) -> dict[str, thulium.Status]:
        return {normalise_header(s.name): s for s in reversed(self.statuses)}

    def status_choices(self) -> str:
        return ", ".join(f"{s.status_id} ({s.name})" for s in self.statuses)

    def agent(self, login: str) -> thulium.Agent | None:
        return self._agents_by_login.get(login.lower())

    @cached_property
    def _agents_by_login(self) -> dict[str, thulium.Agent]:
        return {a.login.lower(): a for a in reversed(self.agents)}

    def agent_by_name(self, text: str) -> thulium.Agent | None:
        """The agent whose name in Thulium's listing this is, whatever the case, spacing or
        diacritics ("jan  KOWALSKI" → j.kowalski); None when no agent or several have it."""
        return self._agents_by_name.get(fold(text)) if self.agent_names else None

    @cached_property
    def _agents_by_name(self) -> dict[str, thulium.Agent | None]:
        found: dict[str, thulium.Agent | None] = {}
        for agent in self.agents:
            if name := fold(self.agent_names.get(agent.login, "")):
                found[name] = None if name in found else agent  # a name two agents share
        return found

    def agent_choices(self) -> str:
        return ", ".join(a.login for a in self.agents if a.active)


def normalise_phone(text: str, phone_format: str) -> str:
    """The number as Thulium stores it: no spaces, dashes or brackets, ASCII digits (fullwidth
    or Arabic-Indic digits are folded), and for Polish numbers no country prefix."""
    # Most files write plain digits: nothing to fold or strip (a tenth of checking a row).
    phone = text if text.isdigit() and text.isascii() else PHONE_JUNK_RE.sub("", fold_digits(text))
    if phone_format == POLISH_NATIONAL and len(phone) > 10:
        # "48" alone is what a spreadsheet leaves of +48 or 0048 once it reads the number as a
        # number: 11 digits starting 48 are a Polish number with its prefix.
        for prefix in ("+48", "0048", "48"):
            if phone.startswith(prefix) and len(phone) == len(prefix) + 9:
                return phone[len(prefix) :]
    return phone


def phone_canonical(text: str) -> str:
    """The one form a number is kept on the do-not-contact list in, whatever the campaign's phone
    format: its digits, and for a Polish number the nine without the country prefix (as a
    person's request matches numbers)."""
    digits = re.sub(r"\D", "", fold_digits(text), flags=re.ASCII)
    return normalise_phone(digits, POLISH_NATIONAL)


def duplicate_messages(
    numbered_phones: Iterable[tuple[int, str]],
    *,
    field: str = "phone_number",
    code: str = "phone_duplicate",
) -> dict[int, Message]:
    """For each row number whose phone (or, for a grid that finds records by identifier, whose
    identifier) is in the grid more than once, its message."""
    numbered = [(number, phone) for number, phone in numbered_phones if phone]
    # Most grids hold each number once: only the numbers held twice are gathered.
    counted = Counter(phone for _number, phone in numbered)
    rows_by_phone: dict[str, list[int]] = defaultdict(list)
    if len(counted) < len(numbered):
        for number, phone in numbered:
            if counted[phone] > 1:
                rows_by_phone[phone].append(number)
    found = {}
    for phone, numbers in rows_by_phone.items():
        if len(numbers) > 1:
            numbers.sort()  # rows may come in any order; the message lists them in the grid's
            listed = ", ".join(str(n) for n in numbers[:10]) + ("…" if len(numbers) > 10 else "")
            for number in numbers:
                found[number] = message(
                    field,
                    ERROR,
                    code,
                    value=phone,
                    count=len(numbers),
                    rows=listed,
                )
    return found


def live_messages(
    mode: str,
    held: int,
    *,
    values: Mapping[str, Any] | None = None,
    now: Mapping[str, Any] | None = None,
    search_additional: bool = False,
    every_record: bool = False,
    answer_lost: bool = False,
    by_identifier: bool = False,
) -> list[Message]:
    """What Thulium would answer a row, knowing how many records of the campaign hold its phone
    (from the campaign's listing) and, for one record, what it holds `now`. The listing shows
    main numbers only: with `search_additional` an absent phone may still be found. A row
    added before whose answer was lost (`answer_lost`) may have made the record it finds. With
    `by_identifier`, `held` counts the records with the row's identifier instead."""
    if mode == GridMode.UPSERT:
        return _upsert_messages(
            held, values=values, now=now, every_record=every_record, by_identifier=by_identifier
        )
    if mode == GridMode.EDIT and by_identifier:
        if held == 0:
            return [message("identifier", ERROR, "identifier_not_in_campaign")]
        if values is not None and now and changes_nothing(values, now):
            return [message("identifier", INFO, "no_change")]
        return []
    if mode == GridMode.EDIT and held == 0:
        if search_additional:
            return [message("phone_number", WARNING, "phone_maybe_additional")]
        return [message("phone_number", ERROR, "phone_not_in_campaign")]
    if mode == GridMode.EDIT and held > 1:
        if every_record:
            return [message("phone_number", WARNING, "phone_held_every_record", count=held)]
        return [message("phone_number", ERROR, "phone_held_more_than_once", count=held)]
    if mode == GridMode.EDIT and values is not None and now and changes_nothing(values, now):
        return [message("phone_number", INFO, "no_change")]
    if mode == GridMode.ADD and held and answer_lost:
        return [message("phone_number", WARNING, "phone_exists_maybe_ours")]
    if mode == GridMode.ADD and held:
        return [message("phone_number", ERROR, "phone_exists")]
    if mode == GridMode.REMOVE and held == 0:
        return [message("phone_number", WARNING, "phone_nothing_to_remove")]
    return []


def _upsert_messages(
    held: int,
    *,
    values: Mapping[str, Any] | None,
    now: Mapping[str, Any] | None,
    every_record: bool,
    by_identifier: bool,
) -> list[Message]:
    """An upsert row's news: added where the campaign lacks the phone (or identifier), edited
    where it holds it once, and as an edit where it holds a phone more than once (Thulium edits
    by phone)."""
    if held == 0:
        return []
    if by_identifier:
        changes = values is not None and now and changes_nothing(values, now)
        return [message("identifier", INFO, "no_change")] if changes else []
    if held > 1:
        if every_record:
            return [message("phone_number", WARNING, "phone_held_every_record", count=held)]
        return [message("phone_number", ERROR, "phone_held_more_than_once", count=held)]
    if values is not None and now and changes_nothing(values, now):
        return [message("phone_number", INFO, "no_change")]
    return []


def upsert_kind(held: int | None) -> str:
    """How an upsert row goes, from how many records the review's read found with its phone:
    an edit (batch PUT) when the campaign holds it, an addition (batch POST) when it does not,
    "" when the phone was not read (nothing is known, so nothing can go)."""
    if held is None:
        return ""
    return GridMode.EDIT if held else GridMode.ADD


def revert_messages(notes: Iterable[Sequence[str]]) -> list[Message]:
    """Warnings for what a revert row cannot put back: [target, the value that stays]."""
    found = []
    for target, value in notes:
        if target == "agent_login":
            found.append(message(target, WARNING, "revert_keeps_agent", value=value))
        elif target == "next_call_date":
            found.append(message(target, WARNING, "revert_keeps_date", value=value))
        else:
            name = target.removeprefix(FIELD_PREFIX)
            found.append(message(target, WARNING, "revert_keeps_field", name=name, value=value))
    return found


def changes_nothing(values: Mapping[str, Any], now: Mapping[str, Any]) -> bool:
    """Does an edit row set only what the record holds already (and no record field)?"""
    if values.get("record_fields") or "dictionary_status_id" in values:
        return False
    return all(
        str(values[key]) == str(now.get(key, ""))
        for key in ("status_id", "agent_login", "next_call_date")
        if key in values
    )


def row_state(messages: Iterable[Mapping[str, Any]]) -> str:
    if not messages:
        return "valid"
    levels = {m["level"] for m in messages}
    if ERROR in levels:
        return "error"
    if WARNING in levels:
        return "warning"
    return "valid"
