"""The interface exists in Polish: every message has a Polish translation."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import polib

from tests.helpers import ROOT

PO_FILE = ROOT / "locale" / "pl" / "LC_MESSAGES" / "django.po"


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]", text))


def test_every_message_has_a_polish_translation() -> None:
    po = polib.pofile(str(PO_FILE))

    assert len(po) > 0
    assert [entry.msgid for entry in po.untranslated_entries()] == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []


def test_placeholders_survive_translation() -> None:
    """Form [0] (n == 1 only) may drop a placeholder, the count: „Ostatni dzień”, not „Ostatni 1
    dzień”. It may never bring one the English lacks."""
    po = polib.pofile(str(PO_FILE))

    for entry in po.translated_entries():
        if entry.msgid_plural:
            for index, form in entry.msgstr_plural.items():
                if int(index) == 0:
                    assert set(placeholders(form)) <= set(placeholders(entry.msgid)), entry.msgid
                else:
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
            ".venv",
            ".git",
            "staticfiles",
            "results",
            "*.sqlite3*",
            "node_modules",
            "*.png",
            # Caches other test processes write while this one copies.
            ".hypothesis",
            "__pycache__",
            ".pytest_cache",
            ".ruff_cache",
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


# The names xgettext extracts messages from in Python (its own and those `makemessages` adds),
# with the positions of the arguments it reads as messages.
MESSAGE_ARGUMENTS: dict[str, tuple[int, ...]] = {
    "_": (0,),
    "gettext": (0,),
    "gettext_lazy": (0,),
    "gettext_noop": (0,),
    "ngettext": (0, 1),
    "ngettext_lazy": (0, 1),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
    "dgettext": (1,),
    "dngettext": (1, 2),
}
TRANSLATION_MODULES = {"django.utils.translation", "gettext"}
NOT_SOURCE = {".venv", "node_modules", "staticfiles"}


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def unextractable_messages(source: str) -> list[tuple[int, str]]:
    """(line, why) for each translation xgettext cannot extract, so that the Polish file never
    gets it and the reader sees English: a call inside an f-string (xgettext reads an f-string
    as one literal and never looks inside), a message that is not a plain string literal, and a
    translation function imported under a name xgettext does not know."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            found += [
                (call.lineno, f"{_called_name(call)}() inside an f-string")
                for call in ast.walk(node)
                if isinstance(call, ast.Call) and _called_name(call) in MESSAGE_ARGUMENTS
            ]
        elif isinstance(node, ast.Call) and _called_name(node) in MESSAGE_ARGUMENTS:
            positions = MESSAGE_ARGUMENTS[_called_name(node)]
            if any(i < len(node.args) and not _is_text(node.args[i]) for i in positions):
                found.append((node.lineno, f"{_called_name(node)}() of something not a literal"))
        elif isinstance(node, ast.ImportFrom) and node.module in TRANSLATION_MODULES:
            found += [
                (node.lineno, f"{alias.name} imported as {alias.asname}, a name xgettext skips")
                for alias in node.names
                if "gettext" in alias.name and alias.asname not in (None, *MESSAGE_ARGUMENTS)
            ]
    return sorted(set(found))


def python_sources() -> list[Path]:
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in NOT_SOURCE]
        found += [Path(folder) / name for name in files if name.endswith(".py")]
    return sorted(found)


def test_the_check_finds_what_xgettext_cannot_extract() -> None:
    source = (
        "from django.utils.translation import gettext as _, ngettext as plural\n"
        "line = f\"  {column} → {to or _('set')}: {n}\"\n"
        "name = f'{stem}-{gettext(\"results\")}.csv'\n"
        "said = _(reason)\n"
        "glued = ngettext('one row', f'{n} rows', n)\n"
        "fine = _('%(column)s → %(value)s: %(n)s') % {'column': c, 'value': v, 'n': n}\n"
    )

    assert unextractable_messages(source) == [
        (1, "ngettext imported as plural, a name xgettext skips"),
        (2, "_() inside an f-string"),
        (3, "gettext() inside an f-string"),
        (4, "_() of something not a literal"),
        (5, "ngettext() of something not a literal"),
    ]


def test_every_translation_in_the_code_can_be_extracted() -> None:
    """A message xgettext cannot extract never reaches the Polish file, and the test above that
    extracts the strings anew cannot see it either: `_('set')` in an f-string printed
    “Pole „imię” → set: 2” from push_records in Polish."""
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {why}"
        for path in python_sources()
        for line, why in unextractable_messages(path.read_text(encoding="utf-8"))
    ]

    assert problems == []
