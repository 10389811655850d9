"""The interface exists in Polish: every message has a Polish translation."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

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


def test_every_string_in_the_code_and_templates_is_in_the_polish_file(tmp_path: Path) -> None:
    """Extract the strings anew (`make messages` on a copy of the sources): a string added to a
    template or to the code without a Polish translation fails here, by name."""
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "staticfiles", "results", "*.sqlite3*", "node_modules", "*.png"
        ),
    )
    done = subprocess.run(
        ["make", "-s", "-C", str(copy), "messages", f"VENV={ROOT / '.venv'}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr

    extracted = polib.pofile(str(copy / "locale" / "pl" / "LC_MESSAGES" / "django.po"))
    committed = polib.pofile(str(PO_FILE))
    assert [e.msgid for e in extracted.untranslated_entries()] == []
    assert [e.msgid for e in extracted.fuzzy_entries()] == []
    assert {e.msgid for e in committed} == {e.msgid for e in extracted}  # nothing stale either
