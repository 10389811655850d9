"""File intake: formats, encodings, delimiters, header detection, cells as text, hostile files."""

from __future__ import annotations

import io
import zipfile

import pytest

from campaigns.intake.file_limits import IntakeLimits
from campaigns.intake.spreadsheets import FileProblem, Table, read_table
from tests.files.make_hostile_files import (
    BODY,
    HEADER,
    encrypted_xlsx,
    far_cell,
    text_cell,
    xlsx_bytes,
)
from tests.helpers import FILES

LIMITS = IntakeLimits(max_rows=1000, max_bytes=5_000_000, max_unpacked_bytes=50_000_000)
POLISH = "Łukasz Żółć, Gdańsk, Źdźbło, Śląsk"


def read(data: bytes, name: str = "file.csv", **kwargs: object) -> Table:
    return read_table(data, name, limits=kwargs.pop("limits", LIMITS), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1250", "iso-8859-2"])
def test_csv_encodings_are_detected_and_polish_letters_survive(encoding: str) -> None:
    data = f"Telefon;Imię\n600100200;{POLISH}\n".encode(encoding)

    table = read(data)

    assert table.headers == ["Telefon", "Imię"]
    assert table.rows == [["600100200", POLISH]]
    assert table.encoding == encoding


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters_are_detected(delimiter: str) -> None:
    data = delimiter.join(["Telefon", "Status", "Miasto"]) + "\n"
    data += (
        delimiter.join(["600100200", "Nowy", "Łódź, Bałuty"])
        if delimiter != ","
        else ('600100200,Nowy,"Łódź, Bałuty"')
    )

    table = read(data.encode())

    assert table.delimiter == delimiter
    assert table.rows == [["600100200", "Nowy", "Łódź, Bałuty"]]


def test_manual_delimiter_and_encoding_override_detection() -> None:
    data = "Telefon|Imię\n600100200|Łucja\n".encode("cp1250")

    table = read(data, delimiter="|", encoding="cp1250")

    assert table.rows == [["600100200", "Łucja"]]


def test_a_wrong_manual_encoding_says_so() -> None:
    with pytest.raises(FileProblem, match="cannot be read as utf-8"):
        read("Telefon\nŁucja\n".encode("cp1250"), encoding="utf-8")


def test_header_is_found_below_title_lines_and_blank_rows_are_skipped() -> None:
    data = (
        "Eksport z CRM;;\n;;\nTelefon;Status;Miasto\n"
        "600100200;Nowy;Łódź\n;;\n600100201;Nowy;Kraków\n"
    )

    table = read(data.encode())

    assert table.header_row_number == 3
    assert table.headers == ["Telefon", "Status", "Miasto"]
    assert table.row_numbers == [4, 6]


def test_missing_and_repeated_headers_get_names() -> None:
    table = read(b"Telefon;;Telefon\n1;2;3\n")

    assert table.headers == ["Telefon", "Column B", "Telefon (2)"]


def test_office_files_were_written_by_libreoffice() -> None:
    with zipfile.ZipFile(FILES / "crm_export.xlsx") as xlsx:
        assert b"LibreOffice" in xlsx.read("docProps/app.xml")
    with zipfile.ZipFile(FILES / "crm_export.ods") as ods:
        assert b"LibreOffice" in ods.read("meta.xml")


@pytest.mark.parametrize("name", ["crm_export.xlsx", "crm_export.ods", "crm_export_cp1250.csv"])
def test_the_three_files_read_alike(name: str) -> None:
    table = read((FILES / name).read_bytes(), name)

    assert table.header_row_number == 3
    assert table.headers[:4] == ["Numer telefonu", "Status", "Konsultant", "Następny kontakt"]
    assert len(table.rows) == 16
    assert table.rows[2][0] == "767215179"  # a number in the office files: no ".0"
    assert table.rows[12][6] == "Kraków"  # a formula in the office files: its value


@pytest.mark.parametrize("name", ["crm_export.xlsx", "crm_export.ods"])
def test_date_cells_become_thulium_dates(name: str) -> None:
    table = read((FILES / name).read_bytes(), name)

    assert table.rows[1][3] == "2030-12-24 09:30"


def test_office_files_keep_what_the_spreadsheet_made_of_plus_48() -> None:
    # LibreOffice read "+48 509 708 024" as the number 48509708024: the digits survive.
    table = read((FILES / "crm_export.xlsx").read_bytes(), "crm_export.xlsx")

    assert table.rows[0][0] == "48509708024"


def test_empty_file() -> None:
    with pytest.raises(FileProblem, match="The file is empty"):
        read(b"  \n")


def test_header_only_file() -> None:
    with pytest.raises(FileProblem, match="header row but no records"):
        read(b"Telefon;Status\n")


def test_file_over_the_byte_limit_is_refused_before_parsing() -> None:
    small = IntakeLimits(max_rows=10, max_bytes=1_000_000, max_unpacked_bytes=1000)

    with pytest.raises(FileProblem, match="The file is 1.5 MB; the limit is 1 MB"):
        read(b"Telefon\n" + b"600100200\n" * 150_000, limits=small)


def test_file_over_the_row_limit_is_refused() -> None:
    small = IntakeLimits(max_rows=10, max_bytes=10_000, max_unpacked_bytes=100_000)

    with pytest.raises(FileProblem, match="more than 10 rows"):
        read(b"Telefon\n" + b"600100200\n" * 11, limits=small)


def test_spreadsheet_over_the_row_limit_is_refused_before_reading_cells() -> None:
    small = IntakeLimits(max_rows=5, max_bytes=1_000_000, max_unpacked_bytes=10_000_000)

    with pytest.raises(FileProblem, match="more than 5 rows"):
        read((FILES / "crm_export.xlsx").read_bytes(), "crm_export.xlsx", limits=small)


def test_zip_bomb_is_refused() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * 60_000_000)

    with pytest.raises(FileProblem, match="unpacks to 60"):
        read(bomb.getvalue(), "bomb.xlsx")


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (b"Telefon;Status\n600100200;Nowy\n", "records.xlsx", "it is a text \\(CSV\\) file"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "records.xls", "We read CSV, XLSX and ODS"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "records.xlsx", "old Excel 97"),
        (b"%PDF-1.4 ...", "records.csv", "it is a PDF document"),
        (b"PK\x03\x04broken", "records.ods", "damaged or incomplete"),
        (b"Telefon\n600100200\n", "records.docx", "We read CSV, XLSX and ODS"),
    ],
)
def test_files_that_are_not_what_their_name_says(data: bytes, name: str, says: str) -> None:
    with pytest.raises(FileProblem, match=says):
        read(data, name)


def test_an_ods_named_xlsx_is_refused_with_a_clear_message() -> None:
    with pytest.raises(FileProblem, match="it is an OpenDocument spreadsheet"):
        read((FILES / "crm_export.ods").read_bytes(), "crm_export.xlsx")


def test_excel_unicode_text_is_read_as_utf16() -> None:
    data = "\ufeffTelefon\tImię\r\n600100200\tŁukasz\r\n".encode("utf-16-le")

    table = read(data, "export.txt")

    assert table.encoding == "utf-16-le"
    assert table.delimiter == "\t"
    assert table.rows == [["600100200", "Łukasz"]]


def test_a_file_mixing_utf8_and_windows_1250_lines_reads_each_line_right() -> None:
    data = "Telefon;Imię\r\n600100200;Łukasz\r\n".encode() + "600100201;Żaneta\r\n".encode("cp1250")

    table = read(data)

    assert table.encoding == "utf-8+cp1250"
    assert table.headers == ["Telefon", "Imię"]
    assert [row[1] for row in table.rows] == ["Łukasz", "Żaneta"]


def test_a_windows_1250_line_that_is_also_valid_utf8_stays_polish() -> None:
    data = "Telefon;Nazwisko\r\n600100200;Łukasz\r\n".encode() + "600100201;GÓŁKA\r\n".encode(
        "cp1250"
    )

    assert [row[1] for row in read(data).rows] == ["Łukasz", "GÓŁKA"]


def test_a_password_protected_workbook_is_named_as_such() -> None:
    with pytest.raises(FileProblem, match="protected with a password"):
        read(encrypted_xlsx(), "secret.xlsx")


def test_a_sheet_over_the_column_limit_names_the_far_cell() -> None:
    with pytest.raises(FileProblem, match=r"cell XFD2000\), and we read at most 200 columns"):
        read(far_cell("XFD2000", 2000), "far.xlsx")


def test_a_styled_empty_cell_far_out_is_no_reason_to_refuse() -> None:
    data = xlsx_bytes(f'{HEADER}{BODY}<row r="5000"><c r="XFD5000" s="1"/></row>')

    assert read(data, "styled.xlsx").rows == [["600100200", "Łódź"]]


def test_cyrillic_names_in_a_utf8_file_stay_cyrillic() -> None:
    data = "Telefon;Imię\r\n600100200;Ірина\r\n600100201;Олена\r\n".encode()

    table = read(data)

    assert table.encoding == "utf-8"
    assert [row[1] for row in table.rows] == ["Ірина", "Олена"]


NUL_CSV = "Telefon;Miasto\r\n" + "600100201;Kraków\r\n" * 300 + "600100200;Łó\x00dź\r\n"


# The CSV's NUL comes past the first 4 KB: one near the start makes the file binary.
@pytest.mark.parametrize(("data", "name"), [(NUL_CSV.encode(), "nul.csv"), (None, "nul.xlsx")])
def test_nul_characters_are_dropped_from_cells(data: bytes | None, name: str) -> None:
    if data is None:
        row = f'<row r="2">{text_cell("A2", "600100200")}{text_cell("B2", "Łó_x0000_dź")}</row>'
        data = xlsx_bytes(HEADER + row)

    assert read(data, name).rows[-1] == ["600100200", "Łódź"]


@pytest.mark.parametrize(
    "name",
    ["ʤon Smith", "Σωκράτης Παπαδόπουλος", "Иван Петров", "Nguyễn Văn Anh", "Zażółć Gęślą"],
)
def test_valid_utf8_in_any_script_is_read_as_written(name: str) -> None:
    table = read(f"Telefon;Imię\n600100200;{name}\n600100201;Ala\n".encode(), "a.csv")

    assert table.rows[0][1] == name
    assert table.encoding == "utf-8"


def test_polish_mis_saved_as_windows_1250_beside_utf8_lines_is_read_per_line() -> None:
    data = "Telefon;Imię\n600100200;Иван\n".encode() + "600100201;GÓŁKA\n".encode("cp1250")

    table = read(data, "a.csv")

    assert [row[1] for row in table.rows] == ["Иван", "GÓŁKA"]
    assert table.encoding == "utf-8+cp1250"


def test_a_bom_before_a_header_below_title_lines_hides_no_column() -> None:
    table = read("Raport z CRM\n\n\ufeffTelefon;Miasto\n600100200;Łódź\n".encode(), "a.csv")

    assert table.headers == ["Telefon", "Miasto"]
