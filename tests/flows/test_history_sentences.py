"""The history reads as sentences: every audit entry's details, the history export and a phone
number's timeline say what happened in the reader's language, never as a dict or JSON."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from campaigns.models import AuditEntry
from campaigns.presentation.audit_sentences import RENDERERS, entry_said
from campaigns.services.audit import audit, audit_details_erase
from campaigns.services.campaigns import campaign_for
from campaigns.services.systems import system_from_environment_ensure
from tests.helpers import assert_plain

pytestmark = pytest.mark.django_db

A = AuditEntry.Action


def written(action: str, *, submission_id: int | None = 3, **details: Any) -> AuditEntry:
    """An entry as the services write it, read back as the history reads it."""
    system = system_from_environment_ensure()
    assert system is not None, "the flows' settings name the sandbox as THULIUM_BASE_URL"
    entry = audit(
        action=action,
        actor=None,
        campaign=campaign_for(system=system, thulium_id="00001", name="Odnowienia"),
        grid_id=5,
        submission_id=submission_id,
        **details,
    )
    return AuditEntry.objects.select_related("detail").get(pk=entry.pk)


def lines(entry: AuditEntry, language: str) -> list[str]:
    with translation.override(language):
        said = entry_said(entry).lines
    for line in said:
        assert_plain(line)
    return said


EDIT_CHANGES = [[338, "Data następnego kontaktu", "29.02.2027 12:00", "28.02.2027 12:00"]]
ADMIN_FIELD = {
    "model": "campaigns.CampaignField",
    "object_id": "12",
    "object": "miasto",
}
# action: (details, sentences in English, sentences in Polish) — each sentence must be said.
CASES: dict[str, tuple[dict[str, Any], list[str], list[str]]] = {
    A.UPLOAD: (
        {
            "file_name": "crm_export_cp1250.csv",
            "size": 1536,
            "sha256": "ab" * 32,
            "mode": "edit",
            "format": "csv",
            "encoding": "cp1250",
            "delimiter": ";",
            "rows": 1400,
        },
        [
            "File: “crm_export_cp1250.csv” (1.5\xa0KB)",
            "Rows in the file: 1,400",
            "Format: CSV; encoding: Windows-1250 (Polish Windows); delimiter: “;”",
            "Mode: Edit records",
        ],
        [
            "Plik: „crm_export_cp1250.csv” (1,5\xa0KB)",
            "Wierszy w pliku: 1\xa0400",
            "Format: CSV; kodowanie: Windows-1250 (polski Windows); separator: „;”",
            "Tryb: Edycja rekordów",
        ],
    ),
    A.MAPPING: (
        {
            "mapping": {"Nr tel.": "phone_number", "Status": "status", "Uwagi": ""},
            "valid": 380,
            "warnings": 12,
            "errors": 8,
        },
        [
            "Rows valid: 380; with warnings: 12; with errors: 8",
            "“Nr tel.” → Phone number",
            "“Uwagi” → — ignore this column —",
        ],
        [
            "Wiersze poprawne: 380; z ostrzeżeniami: 12; z błędami: 8",
            "„Nr tel.” → Numer telefonu",
        ],
    ),
    A.FIELDS: (
        {"fields": ["miasto", "Uwagi 2"]},
        ["Fields: “miasto”, “Uwagi 2”"],
        ["Pola: „miasto”, „Uwagi 2”"],
    ),
    A.PULL: (
        {
            "filters": {
                "status_ids": ["3", "7"],
                "system_statuses": [],
                "created_from": "2026-11-01",
                "created_to": None,
                "called_from": None,
                "called_to": None,
            },
            "rows": 120,
        },
        ["Records read: 120", "Filters: Statuses: 3, 7; Created from: 01/11/2026"],
        ["Odczytane rekordy: 120", "Filtry: Statusy: 3, 7; Utworzone od: 01.11.2026"],
    ),
    A.GRID_CREATED: ({}, [], []),
    A.CELL_EDIT: (
        {"edit": 8, "changes": EDIT_CHANGES, "added_rows": []},
        [
            "Edit #8: 1 cell changed",
            "Row 338, “Data następnego kontaktu”: 29.02.2027 12:00 → 28.02.2027 12:00",
        ],
        [
            "Zmiana nr 8: zmieniono 1 komórkę",
            "Wiersz 338, „Data następnego kontaktu”: 29.02.2027 12:00 → 28.02.2027 12:00",
        ],
    ),
    A.BULK_EDIT: (
        {
            "edit": 9,
            "changes": [[n, "Status", "Nowy", "Kontakt ponowny"] for n in (4, 5, 6)],
            "added_rows": [],
        },
        ["Edit #9: 3 cells changed", "Row 5, “Status”: Nowy → Kontakt ponowny"],
        ["Zmiana nr 9: zmieniono 3 komórki", "Wiersz 5, „Status”: Nowy → Kontakt ponowny"],
    ),
    A.PASTE: (
        {"edit": 10, "changes": [[4, "Field: miasto", "", "Łódź"]], "added_rows": []},
        ["Row 4, “Field: miasto”: empty → Łódź"],
        ["Wiersz 4, „Field: miasto”: puste → Łódź"],
    ),
    A.REPLACE: (
        {"edit": 11, "changes": [[7, "Agent", "a.nowak", "j.kowalski"]], "added_rows": []},
        ["Edit #11: 1 cell changed", "Row 7, “Agent”: a.nowak → j.kowalski"],
        ["Zmiana nr 11: zmieniono 1 komórkę"],
    ),
    A.ROWS_ADDED: (
        {"edit": 12, "changes": [[401, "Phone number", "", "600100200"]], "added_rows": [401]},
        ["Rows added: 401", "Row 401, “Phone number”: empty → 600100200"],
        ["Dodane wiersze: 401"],
    ),
    A.ROWS_DELETED: (
        {"edit": 13, "rows": [[12, ["845400588", "Mój rekord", "a.nowak", ""]]]},
        ["Edit #13: 1 row deleted", "Row 12: 845400588 · Mój rekord · a.nowak"],
        ["Zmiana nr 13: usunięto 1 wiersz", "Wiersz 12: 845400588 · Mój rekord · a.nowak"],
    ),
    A.UNDO: (
        {"edit": 8, "undone": "cell"},
        ["Edit #8 (Cell edit) undone"],
        ["Cofnięto zmianę nr 8 (Zmiana komórki)"],
    ),
    A.REDO: (
        {"edit": 8, "redone": "cell"},
        ["Edit #8 (Cell edit) made again"],
        ["Ponowiono zmianę nr 8 (Zmiana komórki)"],
    ),
    A.SUBMISSION_QUEUED: (
        {"rows": 390, "resend": True, "resumes": 2},
        ["Sending #3: 390 rows queued; a resend; resumes the paused sending #2"],
        ["Wysyłka nr 3: w kolejce 390 wierszy; ponowna wysyłka; wznawia wstrzymaną wysyłkę nr 2"],
    ),
    A.SUBMISSION_STARTED: ({}, ["Sending #3"], ["Wysyłka nr 3"]),
    A.SUBMISSION_FINISHED: (
        {"outcomes": {"updated": 18, "transport_error": 370}},
        ["Sending #3: 18 updated, 370 not confirmed"],
        ["Wysyłka nr 3: "],
    ),
    A.SUBMISSION_CANCELLED: (
        {"paused": True},
        ["Sending #3 was paused when it was cancelled."],
        ["Wysyłka nr 3 była wstrzymana, gdy ją anulowano."],
    ),
    A.SUBMISSION_FAILED: (
        {"problem": "Thulium refused the API user and password."},
        ["Sending #3: Thulium refused the API user and password."],
        ["Wysyłka nr 3: Thulium refused the API user and password."],
    ),
    A.OUTCOMES: (
        {
            "chunk": 2,
            "request_id": "req-7f3a",
            "rows": 100,
            "outcomes": {"updated": 98, "not_found": 2},
            "rows_digest": "0" * 64,
        },
        ["Sending #3, request 3: 98 updated, 2 refused", "Thulium request ID: req-7f3a"],
        ["ID żądania Thulium: req-7f3a"],
    ),
    A.REVERT: (
        {"rows": 7, "reverts_grid": 4},
        ["Reverts sending #3 of grid #4: 7 rows"],
        ["Przywraca stan sprzed wysyłki nr 3 siatki nr 4: 7 wierszy"],
    ),
    A.EXPORT: (
        {
            "format": "csv",
            "rows": 120,
            "filters": {
                "campaign": "00001",
                "user": "",
                "action": "outcomes",
                "since": "2026-11-01",
                "until": None,
            },
        },
        [
            "CSV file, 120 rows",
            "Filters: Campaign: 00001; Action: Thulium answered; From: 01/11/2026",
        ],
        [
            "Plik CSV, 120 wierszy",
            "Filtry: Kampania: 00001; Działanie: Thulium odpowiedział; Od: 01.11.2026",
        ],
    ),
    A.GRID_EXPORT: (
        {"format": "xlsx", "rows": 1, "filters": {"show": "errors", "phone": "8454"}},
        ["XLSX file, 1 row", "Filters: Rows: Errors; Phone number: 8454"],
        ["Plik XLSX, 1 wiersz", "Filtry: Wiersze: Błędy; Numer telefonu: 8454"],
    ),
    A.LOGIN: ({}, [], []),
    A.LOGIN_FAILED: (
        {"username": "ewa.k"},
        ["User name tried: “ewa.k”"],
        ["Wpisana nazwa użytkownika: „ewa.k”"],
    ),
    A.AUDIT_REKEYED: (
        {"entries": 120, "plain_head": "120:9f2c", "plain_chain": "intact"},
        ["Entries keyed: 120", "Last link before: 120:9f2c", "The chain before: intact"],
        ["Wpisy objęte kluczem: 120", "Łańcuch wcześniej: nienaruszony"],
    ),
    A.FIELDS_LEARNED: (
        {"confirmed": ["miasto"], "unknown": ["kolor"]},
        ["Thulium took: “miasto”", "Unknown to Thulium: “kolor”"],
        ["Thulium przyjął: „miasto”", "Nieznane Thulium: „kolor”"],
    ),
    A.REMAP: (
        {
            "edit": 14,
            "column": "Konsultant",
            "before": "",
            "after": "agent_login",
            "released": ["Agent 2"],
        },
        [
            "Edit #14",
            "Columns now ignored: “Agent 2”",
            "Column “Konsultant”: — ignore this column — → Agent",
        ],
        ["Zmiana nr 14", "Kolumna „Konsultant”: — pomiń tę kolumnę — → Agent"],
    ),
    A.SUBMISSION_PAUSED: (
        {"cause": "Status not found.", "refused": 9, "of": 10, "not_sent": 380},
        ["Sending #3: Thulium refused 9 of 10 rows with “Status not found.”", "380 not sent"],
        ["Wysyłka nr 3: Thulium odrzucił 9 z 10 wierszy z komunikatem „Status not found.”"],
    ),
    "submission_waiting": (
        {"http_status": 503, "request_id": "", "retry_at": "2026-12-05T10:45:00+01:00"},
        ["Sending #3: Thulium did not answer (503)", "Next try: 05/12/2026 10:45"],
        ["Następna próba: 05.12.2026 10:45"],
    ),
    A.SENDING_OPTIONS: (
        {
            "old": {"search_additional": False, "duplicates": "skip", "match_by": "phone"},
            "new": {"search_additional": True, "duplicates": "every_record", "match_by": "phone"},
        },
        [
            "Also match the records' additional numbers: no → yes",
            "A number the campaign holds more than once: Leave it out → "
            "Change every record with this number",
        ],
        ["Dopasowuj także dodatkowe numery rekordów: nie → tak"],
    ),
    A.VALUE_RULE: (
        {"target": "status", "text": "Oddzwonić", "value": "7"},
        ["Status: “Oddzwonić” is read as “7”"],
        ["Status: „Oddzwonić” oznacza „7”"],
    ),
    A.VALUE_RULE_FORGOTTEN: (
        {"target": "agent_login", "text": "Anna Nowak", "value": "a.nowak"},
        ["Agent: “Anna Nowak” is no longer read as “a.nowak”"],
        ["Agent: „Anna Nowak” nie oznacza już „a.nowak”"],
    ),
    A.AUDIT_DETAILS_SPLIT: (
        {
            "entries": 500,
            "details_moved": 120,
            "previous_head": "500:77aa",
            "previous_chain": "intact",
        },
        ["Entries: 500; personal details moved out of the chain: 120"],
        ["Wpisy: 500; dane osobowe przeniesione poza łańcuch: 120"],
    ),
    A.PERSON_FOUND: (
        {"items": 4, "phone": "845400588"},
        ["Phone number: 845400588", "Places found: 4"],
        ["Numer telefonu: 845400588", "Znalezione miejsca: 4"],
    ),
    A.PERSON_EXPORTED: (
        {"items": 4, "phone": "845400588"},
        ["Phone number: 845400588", "Places found: 4"],
        ["Znalezione miejsca: 4"],
    ),
    A.ADMIN_ADDED: (
        ADMIN_FIELD | {"values": {"name": "miasto", "position": "3"}},
        ["Campaign field “miasto” (ID 12)", "Field name: miasto", "Position: 3"],
        ["Pole kampanii „miasto” (ID 12)"],
    ),
    A.ADMIN_CHANGED: (
        {
            "model": "campaigns.Campaign",
            "object_id": "1",
            "object": "00001 Odnowienia",
            "changes": {"retention_days": ["", "400"]},
        },
        ["Campaign “00001 Odnowienia” (ID 1)", "Keep personal data (days): empty → 400"],
        ["Kampania „00001 Odnowienia” (ID 1)"],
    ),
    A.ADMIN_DELETED: (
        ADMIN_FIELD | {"values": {"name": "miasto"}, "also_deleted": {}},
        ["Campaign field “miasto” (ID 12)", "Field name: miasto"],
        ["Pole kampanii „miasto” (ID 12)"],
    ),
    A.PASSWORD_CHANGED: (
        {"model": "auth.User", "object_id": "3", "object": "ewa"},
        ["User “ewa” (ID 3)"],
        ["Użytkownik „ewa” (ID 3)"],
    ),
    A.USER_ADDED: (
        {
            "user": "anna",
            "role": "Viewer",
            "is_staff": False,
            "is_superuser": False,
            "grants": [
                {"system": "klient-a", "role": "Supervisor", "campaigns": ["00001", "00002"]},
                {"system": "klient-b", "role": "Administrator", "campaigns": []},
            ],
        },
        [
            "User “anna”, role “Viewer”",
            "Access: “Supervisor” in campaigns 00001, 00002 of klient-a",
            "Access: “Administrator” in every campaign of klient-b",
            "Staff status: no; superuser status: no",
        ],
        ["Użytkownik „anna”, rola „Obserwator”", "w kampaniach 00001, 00002 systemu klient-a"],
    ),
    A.ROLE_RIGHTS_CHANGED: (
        {
            "role": "Viewer",
            "changes": {
                "permissions": [
                    ["campaigns.view_grid", "campaigns.export_grid"],
                    ["campaigns.view_campaign", "campaigns.view_grid"],
                ]
            },
        },
        [
            "Role: “Viewer”",
            "Rights given: campaigns.view_campaign",
            "Rights taken away: campaigns.export_grid",
        ],
        ["Rola: „Viewer”", "Nadane uprawnienia: campaigns.view_campaign"],
    ),
    A.SYSTEM_ADDED: (
        {
            "name": "client-b",
            "base_url": "https://client-b.thulium.com/api/",
            "api_user": "dashboard",
        },
        [
            "Thulium system “client-b”",
            "API address: https://client-b.thulium.com/api/",
            "API user: dashboard",
        ],
        ["„client-b”", "https://client-b.thulium.com/api/"],
    ),
    A.SYSTEM_CHANGED: (
        {
            "name": "client-b",
            "changes": {
                "api_user": ["dashboard", "panel"],
                "retention_days": [None, 400],
                "password": ["…", "…"],
                "from_environment": [True, False],
            },
        },
        [
            "Thulium system “client-b”",
            "API user: dashboard → panel",
            "Keep personal data (days): — → 400",
            "API password: kept before → set anew",
            "Connection from the environment: yes → no",
        ],
        ["„client-b”", "dashboard → panel"],
    ),
    A.SYSTEM_REMOVED: (
        {"name": "client-b", "grids": 3},
        ["Thulium system “client-b”", "Grids removed with it: 3"],
        ["„client-b”"],
    ),
    A.CONNECTIONS_RESEALED: (
        {"systems": ["client-a", "client-b"]},
        ["Passwords sealed again under the first key of CONNECTIONS_KEY: “client-a”, “client-b”"],
        ["„client-a”, „client-b”"],
    ),
    A.DO_NOT_CONTACT_ADDED: (
        {"count": 2, "already": 1, "not_numbers": 1, "from_file": True, "reason": "sprzeciw"},
        [
            "From a file",
            "Numbers added: 2",
            "Already on the list: 1",
            "Not a phone number: 1",
            "Reason: “sprzeciw”",
        ],
        ["Z pliku", "Dodane numery: 2", "Już na liście: 1", "Powód: „sprzeciw”"],
    ),
    A.DO_NOT_CONTACT_REMOVED: (
        {"count": 1, "reason": "pomyłka"},
        ["Numbers removed: 1", "Reason: “pomyłka”"],
        ["Usunięte numery: 1", "Powód: „pomyłka”"],
    ),
    A.DO_NOT_CONTACT_CHECKED: (
        {"found": False},
        ["The number was not on the list"],
        ["Numeru nie było na liście"],
    ),
    A.API_TOKEN_CREATED: (
        {"token_id": 4, "name": "CRM nightly", "prefix": "thd_Xy3kP0aq"},
        ["API token “CRM nightly” (starts thd_Xy3kP0aq)"],
        ["„CRM nightly”", "thd_Xy3kP0aq"],
    ),
    A.API_TOKEN_REVOKED: (
        {"token_id": 4, "name": "CRM nightly", "prefix": "thd_Xy3kP0aq"},
        ["API token “CRM nightly” (starts thd_Xy3kP0aq)"],
        ["„CRM nightly”", "thd_Xy3kP0aq"],
    ),
}
# Written by audit_details_erase, which adds how many details it erased and their digest.
ERASURES: dict[str, tuple[dict[str, Any], list[str], list[str]]] = {
    A.PERSONAL_DATA_PURGED: (
        {"grids": [4, 5], "rows": 30, "outcomes": 28, "edits": 2, "sent_fields": 10},
        [
            "Grids: #4, #5",
            "Removed — rows: 30; Thulium's answers: 28; edits: 2; record fields last sent: 10; "
            "personal details of history entries: 0",
        ],
        ["Siatki: #4, #5"],
    ),
    A.PERSON_ERASED: (
        {"reason": "Wniosek klienta z 3 grudnia", "items": {"row": 2, "outcome": 1}},
        [
            "Reason: “Wniosek klienta z 3 grudnia”",
            "Removed: grid row: 2; Thulium's answer on a row: 1",
        ],
        ["Powód: „Wniosek klienta z 3 grudnia”", "Usunięto: wiersz siatki: 2"],
    ),
}


def test_every_action_has_its_own_renderer() -> None:
    missing = [action for action in AuditEntry.Action.values if action not in RENDERERS]

    assert missing == []


def test_every_action_is_tried_here_with_the_details_its_service_writes() -> None:
    assert set(AuditEntry.Action.values) <= set(CASES) | set(ERASURES)


@pytest.mark.parametrize("action", list(CASES))
@pytest.mark.parametrize("language", ["en", "pl"])
def test_each_action_reads_as_sentences(action: str, language: str) -> None:
    details, english, polish = CASES[action]
    entry = written(action, **details)

    said = lines(entry, language)

    for sentence in english if language == "en" else polish:
        assert any(sentence in line for line in said), (sentence, said)
    assert bool(said) == bool(english)


@pytest.mark.parametrize("action", list(ERASURES))
@pytest.mark.parametrize("language", ["en", "pl"])
def test_an_erasure_reads_as_sentences_without_its_digest(action: str, language: str) -> None:
    details, english, polish = ERASURES[action]
    made = audit_details_erase(entry_ids=[], action=action, actor=None, **details)
    entry = AuditEntry.objects.get(pk=made.pk)

    said = lines(entry, language)

    for sentence in english if language == "en" else polish:
        assert any(sentence in line for line in said), (sentence, said)
    assert entry.details["details_digest"] not in "\n".join(said)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_key_no_renderer_knows_is_said_as_label_and_value(language: str) -> None:
    entry = written(A.SUBMISSION_STARTED, workers=3, last_try={"at": "2026-12-05", "tries": [1, 2]})

    said = lines(entry, language)

    assert "Workers: 3" in said
    date = "05/12/2026" if language == "en" else "05.12.2026"
    assert f"Last try: At: {date}; Tries: 1, 2" in said


def test_an_edit_whose_personal_details_were_erased_says_so() -> None:
    entry = written(A.CELL_EDIT, edit=8, changes=EDIT_CHANGES, added_rows=[])
    audit_details_erase(entry_ids=[entry.pk], action=A.PERSON_ERASED, actor=None, reason="x")
    entry = AuditEntry.objects.select_related("detail").get(pk=entry.pk)

    assert lines(entry, "en") == [
        "Edit #8",
        "Its personal details were removed (retention or a person's request).",
    ]
    assert lines(entry, "pl")[-1] == (
        "Jego dane osobowe usunięto (okres przechowywania lub wniosek osoby)."
    )


def test_a_large_edit_lists_its_first_changes_and_counts_the_rest() -> None:
    changes = [[n, "Status", "Nowy", "Kontakt ponowny"] for n in range(1, 2501)]
    entry = written(A.BULK_EDIT, edit=9, changes=changes, added_rows=[])

    with translation.override("en"):
        said = entry_said(entry, limit=20)
    with translation.override("pl"):
        polish = entry_said(entry, limit=20)

    assert len(said.changes) == 20
    assert said.more == "… and 2,480 more"
    assert polish.more == "… i jeszcze 2\xa0480"
    assert said.long


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "Reverts every sending of grid #4: 30 rows"),
        ("pl", "Przywraca stan sprzed wszystkich wysyłek siatki nr 4: 30 wierszy"),
    ],
)
def test_a_revert_of_a_whole_grid_says_so(language: str, sentence: str) -> None:
    entry = written(A.REVERT, submission_id=None, rows=30, reverts_grid=4, whole_grid=True)

    assert lines(entry, language) == [sentence]
