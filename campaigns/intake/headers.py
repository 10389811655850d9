"""Column headers as supervisors write them: which Thulium target each names, compared
insensitive to case, spacing, punctuation and Polish diacritics, in Polish and English."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext_lazy as _

from campaigns.intake.sheet_extent import column_letters
from campaigns.rules.targets import KEY_RE, RECORD_TARGETS

HEADER_SEARCH_ROWS = 20

# What each Thulium target is called in the files supervisors bring, compared after
# `normalise_header` (lower case, no diacritics, single spaces).
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "phone_number": (
        "phone_number",
        "phone",
        "phone number",
        "telephone",
        "mobile",
        "number",
        "telefon",
        "nr telefonu",
        "numer telefonu",
        "numer",
        "tel",
        "tel.",
        "nr tel",
        "nr tel kom",
        "tel kom",
        "telefon kom",
        "telefon kontaktowy",
        "numer kontaktowy",
        "nr kontaktowy",
        "nr komorki",
        "gsm",
        "msisdn",
        "komorka",
        "telefon komorkowy",
    ),
    "status": ("status", "status_id", "status id", "status rekordu", "id statusu", "stan"),
    "dictionary_status_id": (
        "dictionary_status_id",
        "dictionary status",
        "dictionary status id",
        "status slownikowy",
        "id statusu slownikowego",
    ),
    "agent_login": (
        "agent_login",
        "agent",
        "agent login",
        "login agenta",
        "konsultant",
        "login konsultanta",
        "doradca",
        "opiekun",
    ),
    "next_call_date": (
        "next_call_date",
        "next call date",
        "next call",
        "call date",
        "nastepny kontakt",
        "data nastepnego kontaktu",
        "data kontaktu",
        "termin kontaktu",
        "data nastepnego polaczenia",
        "oddzwonic",
    ),
    "identifier": ("identifier", "id", "record id", "identyfikator", "id rekordu", "external id"),
    "order": ("order", "kolejnosc", "priority", "priorytet"),
}


def normalise_header(text: str) -> str:
    """Header text compared insensitive to case, spacing, punctuation and Polish diacritics."""
    text = text.replace("ł", "l").replace("Ł", "L")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-.:]+", "", text.lower())


_SYNONYM_TARGETS = {
    normalise_header(name): target for target, names in HEADER_SYNONYMS.items() for name in names
}


def target_for_header(header: str) -> str | None:
    keyed = KEY_RE.match(header.strip())
    if keyed and keyed["key"] in RECORD_TARGETS:
        return keyed["key"]
    return _SYNONYM_TARGETS.get(normalise_header(header))


def header_row_index(rows: Sequence[Sequence[str]]) -> int:
    """Which of the first rows is the header: title lines above it are skipped."""
    candidates = rows[:HEADER_SEARCH_ROWS]
    for index, row in enumerate(candidates):
        if any(target_for_header(cell) == "phone_number" for cell in row if cell):
            return index
    filled = [sum(1 for c in row if c) for row in rows]
    widths = Counter(f for f in filled if f > 1)
    if not widths:
        return 0
    width = widths.most_common(1)[0][0]
    for index, count in enumerate(filled[: len(candidates)]):
        if count >= max(2, round(width * 0.6)):
            return index
    return 0


def unique_headers(row: Iterable[str], width: int) -> list[str]:
    headers: list[str] = []
    seen: Counter[str] = Counter()
    cells = list(row) + [""] * width
    for position in range(width):
        name = cells[position].strip() or str(
            _("Column %(letter)s") % {"letter": column_letters(position + 1)}
        )
        seen[name] += 1
        headers.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return headers
