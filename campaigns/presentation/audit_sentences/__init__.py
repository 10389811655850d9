"""The history in words: each audit entry's details as short sentences in the reader's language
(a phone number's timeline is in `timeline_words`).

Every `AuditEntry.Action` has one renderer here (a test fails for an action without one). A
renderer takes the detail keys it knows; whatever is left — a key an older or newer version
wrote — is said as "label: value", its value flattened into text. Never a dict or JSON: the
history is read by supervisors, not by the chain (`verify_audit` checks that). Pure
presentation: nothing here writes or asks Thulium.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from campaigns.models import AuditEntry
from campaigns.presentation.audit_sentences.house import HOUSE_RENDERERS
from campaigns.presentation.audit_sentences.said import (
    SHOWN_CHANGES,
    A,
    Details,
    Renderer,
    Said,
    key_sentence,
    said_nothing,
)
from campaigns.presentation.audit_sentences.work import WORK_RENDERERS
from campaigns.rules.stored_values import one_render, shown_as_stored

# Every action's renderer (a test fails for an action without one).
RENDERERS: dict[str, Renderer] = {
    A.GRID_CREATED: said_nothing,
    A.LOGIN: said_nothing,
    **WORK_RENDERERS,
    **HOUSE_RENDERERS,
}


def entry_said(entry: AuditEntry, *, limit: int = SHOWN_CHANGES) -> Said:
    """The entry's details as sentences in the active language. Its personal details are
    said while they are kept; once erased, a sentence says so."""
    details = Details(entry, limit=limit)
    renderer = RENDERERS.get(entry.action, said_nothing)
    try:
        said = renderer(details)
    except Exception as error:  # details of a shape no renderer expects: said key by key
        shown_as_stored(f"audit entry {entry.pk} details of", entry.action, error)
        details.read.clear()
        said = Said()
    rest = [key_sentence(key, value) for key, value in details.left().items()]
    erased = [_("Its personal details were removed (retention or a person's request).")]
    return Said(
        sentences=(*said.sentences, *rest, *(erased if entry.personal is None else [])),
        changes=said.changes,
        more=said.more,
    )


@dataclass(frozen=True)
class ShownEntry:
    entry: AuditEntry
    said: Said
    system: str = ""  # the name of the Thulium system the entry is about ("" for the install's)


def entries_said(
    entries: Iterable[AuditEntry],
    *,
    systems: Mapping[int, str] | None = None,
    earlier: str = "",
) -> list[ShownEntry]:
    """A page of the history: each entry with what it says, and its system's name (`systems`
    by id; `earlier` for the entries about a campaign from before systems)."""
    names = systems or {}

    def system_of(entry: AuditEntry) -> str:
        if entry.system_id is not None:
            return names.get(entry.system_id, "")
        return earlier if entry.campaign else ""

    with one_render():
        return [ShownEntry(entry, entry_said(entry), system_of(entry)) for entry in entries]
