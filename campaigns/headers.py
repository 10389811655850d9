"""Column headers as supervisors write them: which Thulium target each names, compared
insensitive to case, spacing, punctuation and Polish diacritics, in Polish and English."""

from __future__ import annotations

import re
import unicodedata

from campaigns.targets import KEY_RE, RECORD_TARGETS

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
