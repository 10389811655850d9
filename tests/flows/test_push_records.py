"""`manage.py push_records --dry-run`: the same intake from the command line, with exit codes."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import polib
import pytest
from django.core.management import call_command
from django.utils import translation
from python_calamine import CalamineWorkbook

from campaigns.models import Grid, Row
from tests.helpers import FILES, ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_sandbox(sandbox: Any) -> None:
    """Every run reads the campaign's records: each test starts from the demo world, not from
    what an earlier test's sending left in it."""


def push(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("push_records", *args, stdout=out, stderr=err)
    return exited.value.code, out.getvalue(), err.getvalue()


def test_dry_run_stores_the_grid_prints_a_summary_and_exits_1_on_errors(
    campaign: Any, tmp_path: Path, sandbox: Any
) -> None:
    report = tmp_path / "report.csv"

    code, out, _err = push(
        "00001", str(FILES / "crm_export_cp1250.csv"), "--dry-run", "--report", str(report)
    )

    assert code == 1
    # The phone-only row changes nothing in Thulium: valid, and left out of a sending.
    assert "rows: 16, valid: 6, warnings: 2, errors: 8" in out
    assert "7 rows would be sent." in out
    assert "left out, no change: 1" in out
    grid = Grid.objects.get()
    assert grid.author is None
    assert grid.author_name == "command line"
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 16
    assert rows[0]["Row in file [row]"] == "4"
    assert rows[0]["To send: Phone number [sent:phone_number]"] == "509708024"
    assert rows[0]["Imię [field:imię]"] == "Łukasz"
    assert rows[2]["Row state [state]"] == "Has errors"
    assert "needs an agent and a next call date" in rows[2]["Messages [messages]"]


def test_exit_0_when_every_row_is_valid(campaign: Any, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("Telefon;Status;Miasto\n555123321;3;Łódź\n111222333;Nie dzwonić;\n")

    code, out, _err = push("00001", str(good), "--dry-run")

    assert code == 0
    assert "errors: 0" in out


def test_xlsx_report(campaign: Any, tmp_path: Path) -> None:
    report = tmp_path / "report.xlsx"

    push("00001", str(FILES / "crm_export.ods"), "--dry-run", "--report", str(report))

    rows = CalamineWorkbook.from_path(str(report)).get_sheet_by_index(0).to_python()
    assert rows[0][:2] == ["Row in file [row]", "Numer telefonu [phone_number]"]
    assert len(rows) == 17


def test_user_and_learn_fields(campaign: Any, supervisor: Any) -> None:
    push("00001", str(FILES / "crm_export.xlsx"), "--dry-run", "--user", "ewa", "--learn-fields")

    grid = Grid.objects.get()
    assert grid.author == supervisor
    assert "Uwagi" in campaign.field_names()
    assert grid.rows.get(number=4).values["record_fields"]["Uwagi"] == "VIP"


def test_the_remembered_mapping_is_used(campaign: Any, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("Kontakt;Co\n555123321;Łódź\n")
    campaign.remembered_mapping = {"kontakt": "phone_number", "co": "field:miasto"}
    campaign.save()

    code, _out, _err = push("00001", str(odd), "--dry-run")

    assert code == 0
    assert Grid.objects.get().rows.get().values["record_fields"] == {"miasto": "Łódź"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["00001", "missing.csv", "--dry-run"], "Cannot read"),
        (["99999", str(FILES / "crm_export.xlsx"), "--dry-run"], "Thulium has no campaign 99999"),
        (
            ["00001", str(FILES / "crm_export.xlsx"), "--dry-run", "--user", "nobody"],
            "There is no dashboard user",
        ),
        (
            ["00001", str(FILES / "crm_export.xlsx"), "--dry-run", "--report", "r.pdf"],
            "must end in .csv or .xlsx",
        ),
    ],
)
def test_usage_and_configuration_errors_exit_2(campaign: Any, args: list[str], says: str) -> None:
    code, _out, err = push(*args)

    assert code == 2
    assert says in err


def test_a_file_problem_exits_2(campaign: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    code, _out, err = push("00001", str(empty), "--dry-run")

    assert code == 2
    assert "The file is empty" in err


def test_thulium_unreachable_exits_2(campaign: Any, settings: Any, closed_port: int) -> None:
    settings.THULIUM = settings.THULIUM | {"BASE_URL": f"http://127.0.0.1:{closed_port}/api/"}

    code, _out, err = push("00001", str(FILES / "crm_export.xlsx"), "--dry-run")

    assert code == 2
    assert "is not answering right now" in err


def test_no_mapping_for_the_phone_exits_2(campaign: Any, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("Kolumna;Inna\n555123321;x\n")

    code, _out, err = push("00001", str(odd), "--dry-run")

    assert code == 2
    assert "Map exactly one column to “Phone number”" in err


def test_sending_writes_thuliums_answers_and_exits_1_when_rows_are_refused(
    campaign: Any, tmp_path: Path, sandbox: Any
) -> None:
    report = tmp_path / "report.csv"

    code, out, _err = push(
        "00001", str(FILES / "crm_export_cp1250.csv"), "--report", str(report), "--chunk-size", "3"
    )

    assert code == 1
    assert "Sent: Finished; 7 updated" in out
    report_rows = csv.DictReader(io.StringIO(report.read_text("utf-8-sig")))
    rows = {r["Row in file [row]"]: r for r in report_rows}
    assert rows["4"]["Outcome [outcome]"] == "Updated"
    assert rows["4"]["HTTP status [http_status]"] == "204"
    assert rows["4"]["request_id [request_id]"]
    assert rows["6"]["Outcome [outcome]"] == "Not sent"
    assert sandbox.record("00001", "509708024")["record_fields"]["miasto"] == "Łódź"


def test_sending_a_clean_file_exits_0(campaign: Any, tmp_path: Path, sandbox: Any) -> None:
    good = tmp_path / "good.csv"
    good.write_text("Telefon;Status\n555123321;5\n111222333;Nie dzwonić\n")

    code, out, _err = push("00001", str(good))

    assert code == 0
    assert "Sent: Finished; 2 updated" in out
    assert sandbox.record("00001", "555123321")["status_id"] == "5"


def test_a_row_thulium_refuses_exits_1(campaign: Any, tmp_path: Path, sandbox: Any) -> None:
    refused = tmp_path / "refused.csv"
    refused.write_text("Telefon;Status\n555123321;5\n123123123;5\n")

    # Past the live check, which would flag 123123123 before sending: Thulium's own refusal.
    code, out, _err = push("00001", str(refused), "--no-live-check")

    assert code == 1
    assert "Sent: Finished; 1 updated, 1 refused" in out


def test_add_mode_from_the_command_line(campaign: Any, tmp_path: Path, sandbox: Any) -> None:
    source = tmp_path / "new.csv"
    source.write_text("Telefon;Status;Identyfikator\n700100200;3;CRM-1\n", encoding="utf-8")
    again = tmp_path / "again.csv"
    again.write_text("Telefon;Status\n700100200;3\n", encoding="utf-8")

    code, out, _err = push("00001", str(source), "--mode", "add")
    second, _out, _err = push("00001", str(again), "--mode", "add", "--no-live-check")

    assert code == 0
    assert "Sent: Finished; 1 added" in out
    assert sandbox.record("00001", "700100200")["identifier"] == "CRM-1"
    assert second == 1  # it exists now: Thulium refuses it, and the exit code says so
    assert Grid.objects.order_by("id").last().rows.get().outcome == "already_exists"


def test_remove_mode_needs_its_confirmation_and_reports_each_phone(
    campaign: Any, tmp_path: Path, sandbox: Any
) -> None:
    source = tmp_path / "gone.csv"
    source.write_text("Telefon\n441\n123123123\n", encoding="utf-8")
    in_call = tmp_path / "in_call.csv"
    in_call.write_text("Telefon\n600100200\n", encoding="utf-8")

    refused, _out, err = push("00001", str(source), "--mode", "remove")
    code, out, _err = push("00001", str(source), "--mode", "remove", "--confirm-remove")
    busy, _out, _err = push("00001", str(in_call), "--mode", "remove", "--confirm-remove")

    assert refused == 2
    assert "--confirm-remove" in err
    assert Grid.objects.filter(mode="remove").count() == 2  # the refused run stored nothing
    assert code == 0  # one removed (both its records), one not there: nothing failed
    assert "Sent: Finished; 1 removed, 1 did not exist" in out
    assert "441" not in {r["phone_number"] for r in sandbox.records("00001")}
    assert busy == 1  # in a call: a resend later removes it


def test_the_dry_run_reads_the_campaign_and_flags_phones_it_lacks_or_holds_twice(
    campaign: Any, tmp_path: Path, sandbox: Any
) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("Telefon;Status\n555123321;3\n123123123;3\n441;3\n", encoding="utf-8")

    code, out, _err = push("00001", str(odd), "--dry-run")

    assert code == 1
    assert "Read the campaign's 1,500 records in" in out
    assert "rows: 3, valid: 1, warnings: 0, errors: 2" in out
    assert "1 row would be sent." in out
    assert "  Status → Kontakt ponowny: 1" in out
    assert "left out, Thulium has no record with this number: 1" in out
    assert "left out, the campaign holds the number more than once: 1" in out
    assert '"phone_number": "555123321"' in out  # the exact JSON of the first rows
    grid = Grid.objects.get()
    codes = {row.phone: [m["code"] for m in row.messages] for row in grid.rows.all()}
    assert codes == {
        "555123321": [],
        "123123123": ["phone_not_in_campaign"],
        "441": ["phone_held_more_than_once"],
    }


def test_no_live_check_skips_the_read_and_says_so(campaign: Any, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("Telefon;Status\n123123123;3\n", encoding="utf-8")

    code, out, _err = push("00001", str(odd), "--dry-run", "--no-live-check")

    assert code == 0
    assert "Warning: --no-live-check" in out
    assert "errors: 0" in out


def phones_held_once(sandbox: Any, count: int) -> list[str]:
    records = sandbox.records("00001")
    held = Counter(r["phone_number"] for r in records)
    found = [r["phone_number"] for r in records if r["status_id"] != "5"]
    return [p for p in found if held[p] == 1][:count]


def test_a_field_thulium_does_not_know_pauses_after_the_canary_and_exits_1_with_one_line(
    campaign: Any, tmp_path: Path, sandbox: Any
) -> None:
    data = tmp_path / "crm.csv"
    rows = "".join(f"{p};5;zielony\n" for p in phones_held_once(sandbox, 30))
    data.write_text("Telefon;Status;Kolor\n" + rows, encoding="utf-8")

    code, out, err = push("00001", str(data), "--learn-fields")

    assert code == 1
    assert err.strip().splitlines() == [
        "Paused: Thulium does not know the record field “Kolor” (rows refused: 20 of 20); "
        "rows not sent: 10. Fix the cause and run again."
    ]
    puts = [r for r in sandbox.requests() if r["method"] == "PUT"]
    assert [len(r["body"]["records"]) for r in puts] == [20]
    # Thulium's answer taught the field list: the next run no longer maps the column to it.
    code, out, _err = push("00001", str(data), "--dry-run")
    assert code == 0
    assert "  Kolor → — ignore this column —" in out
    assert Grid.objects.order_by("-id").first().mapping == ["phone_number", "status", ""]


def test_numbers_held_twice_and_additional_numbers_from_the_command_line(
    campaign: Any, tmp_path: Path, sandbox: Any
) -> None:
    data = tmp_path / "crm.csv"
    data.write_text("Telefon;Status\n441;5\n689665537;5\n", encoding="utf-8")

    refused = push("00001", str(data), "--dry-run")
    code, out, _err = push(
        "00001",
        str(data),
        "--duplicates",
        "every-record",
        "--search-in-additional-numbers",
    )

    assert refused[0] == 1
    assert "2 rows would be sent." in out
    assert code == 0
    assert {r["status_id"] for r in sandbox.records("00001") if r["phone_number"] == "441"} == {"5"}
    assert sandbox.record("00001", "111222333")["status_id"] == "5"  # 689665537 is its second


def test_records_found_by_identifier_from_the_command_line(
    campaign: Any, tmp_path: Path, sandbox: Any
) -> None:
    data = tmp_path / "crm.csv"
    data.write_text(
        "Telefon;Identyfikator;Status\n441;00001-00003;5\n441;00001-00004;8\n", encoding="utf-8"
    )

    by_phone = push("00001", str(data), "--dry-run")
    code, out, _err = push("00001", str(data), "--match-by", "identifier")

    assert by_phone[0] == 1  # by phone: the number twice in the file and in the campaign
    assert code == 0
    assert "2 rows would be sent." in out
    by_id = {r["identifier"]: r["status_id"] for r in sandbox.records("00001")}
    assert (by_id["00001-00003"], by_id["00001-00004"]) == ("5", "8")


def words(text: str) -> set[str]:
    """The words of a text, lower case, without placeholders, option names (--dry-run) or
    names_with_underscores (JSON keys)."""
    text = re.sub(r"%\(\w+\)\w|--[\w-]+", " ", text)
    return {w.lower() for w in re.findall(r"\w+", text) if w.isalpha() and len(w) > 1}


def english_words() -> set[str]:
    """Words of the English messages that no Polish message uses: in Polish output, each one is
    a message left untranslated (or never extracted, as `_('set')` inside an f-string was)."""
    po = polib.pofile(str(ROOT / "locale" / "pl" / "LC_MESSAGES" / "django.po"))
    english = {w for e in po for w in words(f"{e.msgid} {e.msgid_plural}")}
    polish = {w for e in po for w in words(" ".join([e.msgstr, *e.msgstr_plural.values()]))}
    return english - polish


def english_lines(output: str, *, data: str) -> list[str]:
    """The lines of a command's output with an English word outside `data` (the paths, file
    contents and the like the command only repeats)."""
    english = english_words() - words(data)
    return [line for line in output.splitlines() if words(line) & english]


def test_in_polish_every_line_push_records_prints_is_polish(
    campaign: Any, tmp_path: Path, sandbox: Any, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "pl"
    changes = tmp_path / "zmiany.csv"
    changes.write_text(
        "Telefon;Status;Imię\n555123321;5;Anna\n123123123;5;Jan\n111222333;99;Ola\n",
        encoding="utf-8",
    )
    report = tmp_path / "raport.csv"

    # Checked against the campaign's records, then sent past that check, so that Thulium
    # itself refuses the number it lacks.
    checked = push("00001", str(changes), "--dry-run")
    sent = push("00001", str(changes), "--no-live-check", "--report", str(report))

    output = "\n".join([*checked[1:], *sent[1:]])
    assert english_lines(output, data=f"{tmp_path} {changes.read_text(encoding='utf-8')}") == []
    assert "Pole „imię” → ustawiane jak w siatce: 2" in output
    assert "Wysłano: Zakończona; 1 zmieniony, 1 odrzucony" in output


def test_the_words_check_finds_an_english_word_in_a_polish_line() -> None:
    printed = "\n".join(
        [
            "Pole „imię” → set: 2",
            "Pole „imię” → ustawiane jak w siatce: 2",
            "Raport: /tmp/report.csv",
        ]
    )

    assert english_lines(printed, data="/tmp/report.csv") == ["Pole „imię” → set: 2"]


@pytest.mark.parametrize(("language", "delimiter"), [("pl", ";"), ("en", ",")])
def test_the_csv_report_splits_cells_as_the_pages_download_does_in_each_language(
    campaign: Any, tmp_path: Path, settings: Any, language: str, delimiter: str
) -> None:
    settings.LANGUAGE_CODE = language
    report = tmp_path / "report.csv"

    push("00001", str(FILES / "crm_export_cp1250.csv"), "--dry-run", "--report", str(report))

    header, first, *_rest = csv.reader(
        io.StringIO(report.read_text(encoding="utf-8-sig")), delimiter=delimiter
    )
    assert header[0].endswith(" [row]")
    assert header[-1] == "request_id [request_id]"
    assert len(first) == len(header)


@pytest.mark.parametrize(("language", "delimiter"), [("pl", ";"), ("en", ",")])
def test_a_row_thulium_refused_is_never_reported_valid(
    campaign: Any, tmp_path: Path, sandbox: Any, settings: Any, language: str, delimiter: str
) -> None:
    settings.LANGUAGE_CODE = language
    refused = tmp_path / "refused.csv"
    refused.write_text("Telefon;Status\n555123321;5\n123123123;5\n", encoding="utf-8")
    report = tmp_path / "report.csv"

    code, _out, _err = push("00001", str(refused), "--no-live-check", "--report", str(report))

    assert code == 1
    header, *rows = csv.reader(
        io.StringIO(report.read_text(encoding="utf-8-sig")), delimiter=delimiter
    )
    state = next(i for i, h in enumerate(header) if h.endswith("[state]"))
    by_phone = {cells[1]: cells for cells in rows}
    with translation.override(language):
        valid = str(Row.State.VALID.label)
    assert by_phone["555123321"][state] == valid  # updated: the check held
    assert valid not in delimiter.join(by_phone["123123123"])  # Thulium said “not found”
    if language == "en":
        assert by_phone["123123123"][state] == "Refused by Thulium"


def test_agents_written_by_their_names_are_read_from_the_listing_in_a_dry_run(
    campaign: Any, tmp_path: Path
) -> None:
    assert campaign.agent_names == {}  # the listing was never read for this campaign
    names = tmp_path / "names.csv"
    names.write_text(
        "Telefon;Status;Konsultant;Następny kontakt\n"
        "555123321;Mój rekord;Jan Kowalski;24.12.2030 09:30\n"
        "600100200;Mój rekord;maria wisniewska;24.12.2030 10:00\n"
        "111222333;Mój rekord;Nikt Taki;24.12.2030 11:00\n",
        encoding="utf-8",
    )

    code, out, _err = push("00001", str(names), "--dry-run")

    assert code == 1  # the name nobody has
    assert "rows: 3, valid: 2, warnings: 0, errors: 1" in out
    assert '"agent_login": "j.kowalski"' in out
    assert '"agent_login": "m.wisniewska"' in out
    grid = Grid.objects.get()
    found = {
        row.phone: (row.agent_login, [m["code"] for m in row.messages]) for row in grid.rows.all()
    }
    assert found["555123321"] == ("j.kowalski", ["agent_by_name"])
    assert found["600100200"] == ("m.wisniewska", ["agent_by_name"])
    assert "agent_unknown" in found["111222333"][1]
