"""The interface exists in Polish: every message has a Polish translation."""

from __future__ import annotations

import re

import polib

from tests.conftest import ROOT

PO_FILE = ROOT / "locale" / "pl" / "LC_MESSAGES" / "django.po"


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]", text))


def test_every_message_has_a_polish_translation() -> None:
    po = polib.pofile(str(PO_FILE))

    assert len(po) > 0
    assert [entry.msgid for entry in po.untranslated_entries()] == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []


def test_placeholders_survive_translation() -> None:
    po = polib.pofile(str(PO_FILE))

    for entry in po.translated_entries():
        if entry.msgid_plural:
            for form in entry.msgstr_plural.values():
                assert placeholders(entry.msgid_plural) == placeholders(form), entry.msgid
        else:
            assert placeholders(entry.msgid) == placeholders(entry.msgstr), entry.msgid
