"""The Polish reads as a Polish supervisor writes it (docs: ../shared/polish.md, issue 28 item 10):
one word per concept, no "we" voice, no number glued to a noun outside `ngettext`, and numbers and
dates written the reader's way in every message."""

from __future__ import annotations

import ast
import re

import polib
from django.utils import translation

from campaigns.intake.file_limits import megabytes
from campaigns.rules.messages import message, render
from tests.helpers import ROOT

PO_FILE = ROOT / "locale" / "pl" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = r"%\(\w+\)[sd]"

# (a word the catalogue must not use, the word to use instead). Patterns, case-insensitive.
GLOSSARY: list[tuple[str, str]] = [
    (r"konsultant", "agent"),
    (r"cofając", "siatka przywracająca (a revert, not an undo)"),
    (r"cofnięci\w* (?:wysyłk|siatk)|do cofnięcia", "przywrócenie (a revert, not an undo)"),
    (r"dziennik|wpis\w* audytu", "historia / wpis historii"),
    (r"przeglądający", "Obserwator (the Viewer role)"),
    (r"piaskownic", "środowisko testowe (sandbox)"),
    (r"#\s*%\(", "nr %(…)s for an ordinal"),
    (r"hurtowo|zmiana wielu wierszy", "zmiana zbiorcza, zbiorczo"),
    (r"\bczoł", "ostatnie ogniwo (the chain head)"),
    (r"następnego połączenia", "data następnego kontaktu"),
    (r"obowiązek prawny", "blokada usuwania z przyczyn prawnych"),
    (r"(?-i:(?<!\()\b(?:id|Id)\b(?!\)))", "ID / identyfikator"),
    (r"\bcel\b|\bcelu\b|skieruj", "pole docelowe, przypisanie"),
    (r"Użyj jednego z|wpisz jedno z", "Dostępne wartości: …"),
    (r"Zbuduj", "Utwórz"),
]

# The "we" voice: a first person plural verb (czytamy, umiemy, zapytaliśmy, przechowujemy), or
# "us" and "our" (pozwól nam, naszego użytkownika).
WE_VOICE = re.compile(r"\b(?:\w+(?:amy|emy|imy|ymy|liśmy|łyśmy)|nam|nas|nasz\w*)\b", re.IGNORECASE)
NOT_WE_VOICE = {"problemy", "systemy"}

# Polish count nouns a number may only stand before inside `ngettext` (stems).
COUNT_NOUNS = re.compile(
    PLACEHOLDER + r"[ \u00a0](?:"
    r"wiersz\w*|kolumn\w*|znak\w*|komór\w*|dni|dzień|rekord\w*|wpis\w*|raz|razy|żądań|żądania|"
    r"numer\w*|godzin\w*|minut\w*|sekund\w*"
    r")\b",
    re.IGNORECASE,
)
# The English ones: "1 rows match" is as wrong as „3 kolumn”.
ENGLISH_COUNT_NOUNS = re.compile(
    PLACEHOLDER + r"[ \u00a0](?:rows|columns|characters|cells|days|records|entries|times|"
    r"requests|numbers|hours|minutes|seconds|files|grids|sendings|edits|changes)\b"
)
# English messages whose number is never 1, so the plural always fits: a limit, a count of
# duplicates (2 or more), a cell or a file past the limit. Polish has no such excuse (2, 5 and
# 22 take three forms), so this list holds English only.
NEVER_ONE = (
    "CSV, XLSX or ODS; up to %(rows)s rows",
    "Cell %(cell)s holds %(chars)s characters",
    "Identifier %(value)s is in %(count)s rows",
    "Phone number %(value)s is in this grid %(count)s times",
    "Row %(row)s has a cell longer than %(limit)s characters",
    "Row %(row)s of the file has %(columns)s columns; we read at most",
    "The campaign holds this number %(count)s times",
    "The file has more than %(limit)s rows",
    "The file spans %(rows)s rows",
    "The first sheet has something in column",
    "The first sheet holds more than %(limit)s characters",
    "The first sheet reaches row",
)


def texts(entry: polib.POEntry) -> list[str]:
    return [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())


def glossary_problems(po: polib.POFile) -> list[str]:
    found = []
    for entry in po:
        for text in texts(entry):
            found += [
                f"{entry.msgid!r}: {match.group(0)!r} → {use}"
                for pattern, use in GLOSSARY
                for match in [re.search(pattern, text, re.IGNORECASE)]
                if match
            ]
            found += [
                f"{entry.msgid!r}: {word!r} is the 'we' voice"
                for word in WE_VOICE.findall(text)
                if word.lower() not in NOT_WE_VOICE
            ]
    return sorted(set(found))


def glued_numbers(po: polib.POFile) -> list[str]:
    found = []
    for entry in po:
        if entry.msgid_plural:
            continue
        found += [f"{entry.msgid!r}: {m.group(0)!r}" for m in COUNT_NOUNS.finditer(entry.msgstr)]
        if not entry.msgid.startswith(NEVER_ONE):
            found += [
                f"{entry.msgid!r}: {m.group(0)!r}"
                for m in ENGLISH_COUNT_NOUNS.finditer(entry.msgid)
            ]
    return sorted(set(found))


def test_the_glossary_check_finds_the_words_a_supervisor_would_not_write() -> None:
    po = polib.POFile()
    for msgstr in [
        "Agent „%(value)s” — konsultant",
        "Siatka cofająca nr %(id)s",
        "Czytamy pliki CSV",
        "czego nie umiemy odczytać",
        "Dziennik audytu jest nienaruszony",
        "Przeglądający: ogląda kampanie",
        "działa na piaskownicy Thulium",
        "Wpis #%(id)s został zmieniony.",
        "Wybierz inne kodowanie albo pozwól nam je wykryć.",
    ]:
        po.append(polib.POEntry(msgid=msgstr, msgstr=msgstr))
    po.append(polib.POEntry(msgid="fine", msgstr="Problemy oznaczone w siatce"))

    assert len(glossary_problems(po)) == 9


def test_the_polish_catalogue_uses_the_glossary_words() -> None:
    assert glossary_problems(polib.pofile(str(PO_FILE))) == []


def test_the_glued_number_check_finds_a_number_before_a_noun_outside_ngettext() -> None:
    po = polib.POFile()
    po.append(
        polib.POEntry(
            msgid="The block is %(width)s columns wide", msgstr="Blok ma %(width)s kolumn"
        )
    )
    po.append(polib.POEntry(msgid="Row %(row)s has", msgstr="Wiersz %(row)s ma"))
    po.append(
        polib.POEntry(
            msgid="%(n)s row",
            msgid_plural="%(n)s rows",
            msgstr_plural={
                0: "%(n)s wiersz",
                1: "%(n)s wiersze",
                2: "%(n)s wierszy",
                3: "%(n)s wiersza",
            },
        )
    )

    assert glued_numbers(po) == [
        "'The block is %(width)s columns wide': '%(width)s columns'",
        "'The block is %(width)s columns wide': '%(width)s kolumn'",
    ]


def test_no_number_stands_glued_to_a_noun_outside_ngettext() -> None:
    """„3 kolumn” is wrong Polish for most numbers: a count goes through `ngettext` (four forms) or
    the label form that fits any number, „Kolumn w bloku: 3”. Heuristic: a placeholder followed by
    a count noun (Polish, or English where the number can be 1) in an entry that is not plural."""
    assert glued_numbers(polib.pofile(str(PO_FILE))) == []


# --- numbers and dates the reader's way ---------------------------------------------------------

GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext"}
FLOAT_SPEC = re.compile(r"\.\d*[1-9]\d*f|\.[1-9]f")  # a fixed point with decimals: `.1f`, `.2f`
PERCENT_FLOAT = re.compile(r"%(?:\(\w+\))?[-+ 0#]*\d*\.[1-9]\d*f")
DATE_METHODS = {"strftime", "isoformat"}


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _is_gettext(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _name(node) in GETTEXT_NAMES


def _is_stdout_write(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "write"
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr in {"stdout", "stderr"}
    )


def _unlocalised(node: ast.AST, helpers: dict[str, ast.FunctionDef]) -> str | None:
    """Why this expression writes a number or date without the locale, or None. A date method
    whose result goes straight into another call (`reader_moment(day.isoformat())`) is taken as
    converted there."""
    passed_on = {
        id(arg) for call in ast.walk(node) if isinstance(call, ast.Call) for arg in call.args
    }
    for inner in ast.walk(node):
        if isinstance(inner, ast.FormattedValue) and inner.format_spec is not None:
            spec = "".join(
                part.value for part in ast.walk(inner.format_spec) if isinstance(part, ast.Constant)
            )
            if FLOAT_SPEC.search(spec):
                return f"f-string `:{spec}`"
        if (
            isinstance(inner, ast.Constant)
            and isinstance(inner.value, str)
            and (match := PERCENT_FLOAT.search(inner.value))
        ):
            return f"`{match.group(0)}`"
        if isinstance(inner, ast.Call):
            if _name(inner) in DATE_METHODS and id(inner) not in passed_on:
                return f"`{_name(inner)}()`"
            helper = helpers.get(_name(inner))
            if helper is not None and _unlocalised(helper, {}) is not None:
                return f"{_name(inner)}() writes {_unlocalised(helper, {})}"
    return None


def unlocalised_formats(source: str) -> list[tuple[int, str]]:
    """(line, why) for each message formatting a number or a date for the reader without the
    locale. Heuristic: it looks at a gettext message's own text (`%(size).1f`), at the values
    `%`-formatted into a gettext message, and at whatever is written to `self.stdout`/`stderr`;
    there it flags a fixed point with decimals (`:.1f`, `%.1f`, which write „52.3” and never
    „52,3”), and `strftime()`/`isoformat()` (an ISO date in the reader's text). A helper function
    of the same module called there is looked into one level deep. Thulium's wire format, CSV
    cells and SVG coordinates are not messages, so they are not looked at."""
    tree = ast.parse(source)
    helpers = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        looked_at: list[ast.AST] = []
        if _is_gettext(node):
            looked_at += [arg for arg in node.args if isinstance(arg, ast.Constant)]  # type: ignore[attr-defined]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_gettext(node.left):
            looked_at.append(node.right)
        if isinstance(node, ast.Call) and _name(node) == "ValidationError":
            looked_at += [kw.value for kw in node.keywords if kw.arg == "params"]
        if _is_stdout_write(node):
            looked_at += node.args  # type: ignore[attr-defined]
        for part in looked_at:
            if why := _unlocalised(part, helpers):
                found.append((node.lineno, why))  # type: ignore[attr-defined]
    return sorted(set(found))


def test_the_locale_check_finds_numbers_and_dates_written_without_the_locale() -> None:
    source = (
        "def _megabytes(size):\n"
        "    return f'{size / 1_000_000:.1f}'\n"
        "a = _('The file is %(size).1f MB') % {'size': size}\n"
        "b = _('The file is %(size)s MB') % {'size': _megabytes(size)}\n"
        "c = _('so %(parsed)s') % {'parsed': moment.strftime('%Y-%m-%d')}\n"
        "self.stdout.write(f'{ratio:.2f} done at {when.isoformat()}')\n"
        "d = _('%(n)s s') % {'n': f'{seconds:.0f}'}\n"
        "e = _('%(size)s MB') % {'size': formats.number_format(size, 1)}\n"
    )

    assert unlocalised_formats(source) == [
        (3, "`%(size).1f`"),
        (4, "_megabytes() writes f-string `:.1f`"),
        (5, "`strftime()`"),
        (6, "f-string `:.2f`"),
    ]


def test_messages_write_numbers_and_dates_the_readers_way() -> None:
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {why}"
        for path in sorted((ROOT / "campaigns").rglob("*.py"))
        if "migrations" not in path.parts
        for line, why in unlocalised_formats(path.read_text(encoding="utf-8"))
    ]

    assert problems == []


def test_a_date_without_time_warning_writes_the_date_the_readers_way() -> None:
    """„…so 2026-12-24 00:00 (midnight)” was the wire format in a Polish sentence."""
    entry = message(
        "next_call_date",
        "warning",
        "date_without_time",
        value="24.12.2026",
        parsed="2026-12-24 00:00",
    )
    with translation.override("pl"):
        assert "24.12.2026 00:00" in render(entry)


def test_a_file_size_is_written_the_readers_way() -> None:
    """„The file is 52.3 MB” was the decimal point in a Polish sentence."""
    with translation.override("pl"):
        assert megabytes(52_300_000) == "52,3"
        assert megabytes(20_000_000) == "20"
    with translation.override("en"):
        assert megabytes(52_300_000) == "52.3"
