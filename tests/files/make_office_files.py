"""Writes the intake test files: a CRM export as Windows-1250 CSV, and the same rows saved by a
real office suite (LibreOffice, headless) as XLSX and ODS — phones as numbers, dates as date
cells, one value produced by a formula.

    python tests/files/make_office_files.py      (needs Debian's libreoffice-calc-nogui)

The outputs are committed, so the tests need no office suite. `EXPECTED` says, row by row, what
validation must find; tests/test_intake.py checks it for every format.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADERS = [
    "Numer telefonu",
    "Status",
    "Konsultant",
    "Następny kontakt",
    "Imię",
    "Nazwisko",
    "Miasto",
    "Uwagi",
]
TITLE = "Eksport z CRM — kampania odnowień, 20.11.2026"

# (cells, expected state, expected message codes). Phones are records of demo campaign 00001.
ROWS: list[tuple[list[str], str, list[str]]] = [
    (["+48 509 708 024", "Kontakt ponowny", "", "", "Łukasz", "", "Łódź", "VIP"], "valid", []),
    (["845-400-588", "Mój rekord", "a.nowak", "24.12.2030 09:30", "", "", "", ""], "valid", []),
    (
        ["767215179", "Mój rekord", "", "", "", "", "", "brak agenta"],
        "error",
        ["status_needs_agent_and_date"],
    ),
    (["537274838", "Nieznany status", "", "", "", "", "", ""], "error", ["status_unknown"]),
    (["742384762", "Kontakt ponowny", "j.doe", "", "", "", "", ""], "error", ["agent_unknown"]),
    (
        ["852620160", "kontakt PONOWNY", "k.wojcik", "", "", "", "", ""],
        "warning",
        ["agent_inactive"],
    ),
    (
        ["776622112", "Oddzwonić nie wcześniej niż", "", "", "", "", "", ""],
        "error",
        ["status_needs_date"],
    ),
    (
        ["667986795", "Oddzwonić nie wcześniej niż", "", "2030-12-24 09:30", "", "", "", ""],
        "valid",
        [],
    ),
    (
        ["604075238", "Kontakt ponowny", "", "32.13.2030 10:00", "", "", "", ""],
        "error",
        ["date_impossible"],  # "there is no month 13"
    ),
    (["891501488", "", "", "", "", "[wyczyść]", "Gdańsk", ""], "valid", []),
    (
        ["647219111", "Kontakt ponowny", "", "01.01.2020 10:00", "", "", "", ""],
        "warning",
        ["date_past"],
    ),
    (["nie mam", "Kontakt ponowny", "", "", "", "", "", ""], "error", ["phone_invalid"]),
    (["0048772789562", "5", "", "", "Żaneta", "Woźniak", "Kraków", ""], "valid", []),
    (
        ["525856575", "Dzwonić w trybie progressive", "", "", "", "", "", "raz"],
        "error",
        ["phone_duplicate"],
    ),
    (["525 856 575", "Nowy", "", "", "", "", "", "dwa"], "error", ["phone_duplicate"]),
    (["753304737", "", "", "", "", "", "", "tylko uwaga"], "warning", ["nothing_to_change"]),
]
# Row 13's city comes from a formula in the office files: =UPPER("k")&"raków" shows "Kraków".
FORMULA_ROW, FORMULA_COLUMN, FORMULA = 12, 6, '=UPPER("k")&"raków"'

# LibreOffice's CSV import: ';' separated, '"' quoted, UTF-8, from line 1, Polish locale (1045)
# so 24.12.2030 09:30 becomes a date cell, special numbers detected, formulas evaluated.
CSV_FILTER = "CSV:59,34,76,1,,1045,false,true,,,,,true"


def table_rows() -> list[list[str]]:
    return [[TITLE] + [""] * (len(HEADERS) - 1), [""] * len(HEADERS), HEADERS] + [
        cells for cells, _state, _codes in ROWS
    ]


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def main() -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        raise SystemExit("LibreOffice is needed: apt-get install libreoffice-calc-nogui")
    write_csv(HERE / "crm_export_cp1250.csv", table_rows(), "cp1250")
    office_rows = table_rows()
    office_rows[3 + FORMULA_ROW][FORMULA_COLUMN] = FORMULA
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "crm_export.csv"
        write_csv(source, office_rows, "utf-8")
        for target in ("xlsx", "ods"):
            subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation=file://{tmp}/profile",
                    "--headless",
                    f"--infilter={CSV_FILTER}",
                    "--convert-to",
                    target,
                    "--outdir",
                    tmp,
                    str(source),
                ],
                check=True,
                capture_output=True,
            )
            shutil.copy(Path(tmp) / f"crm_export.{target}", HERE / f"crm_export.{target}")
    print("wrote crm_export_cp1250.csv, crm_export.xlsx and crm_export.ods in", HERE)


if __name__ == "__main__":
    main()
