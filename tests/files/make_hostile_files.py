"""Writes a corpus of hostile and awkward files, by class, for tests/test_hostile_files.py.

    python tests/files/make_hostile_files.py DIRECTORY

Each file is small on disk (the largest ~3 MB) and made here, not by hand: spreadsheets whose
used area explodes when a reader builds it densely (far cells, lying dimensions, cells without
references, prefixed tags, ODS repeats), archives that are bombs, truncated, encrypted or
missing parts, XML with entity tricks, and text files at the csv module's and our limits, in
UTF-16/32 and in mixed encodings. `build` returns what each file is and whether the intake
must read it ("read") or refuse it with a message ("refused"); "either" means both are right
as long as nothing breaks (the file is odd but not wrong).
"""

from __future__ import annotations

import io
import random
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

READ, REFUSED, EITHER = "read", "refused", "either"


@dataclass(frozen=True)
class Hostile:
    name: str
    expect: str
    what: str


# --- XLSX, written part by part ----------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/'
    'workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Rekordy" '
    'sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/'
    'sheet1.xml"/></Relationships>'
)


def text_cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


HEADER = f'<row r="1">{text_cell("A1", "Telefon")}{text_cell("B1", "Miasto")}</row>'
BODY = f'<row r="2">{text_cell("A2", "600100200")}{text_cell("B2", "Łódź")}</row>'


SHARED_TYPES = CONTENT_TYPES.replace(
    "</Types>",
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
)
SHARED_RELS = WORKBOOK_RELS.replace(
    "</Relationships>",
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
)


def xlsx_bytes(
    sheet_data: str,
    *,
    sheet: str | None = None,
    prolog: str = "",
    shared: list[str] | None = None,
) -> bytes:
    """A one-sheet workbook; with `shared`, a shared-string table its cells use by index
    (`<c t="s"><v>index</v></c>`)."""
    worksheet = sheet or (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN}">'
        f"<sheetData>{sheet_data}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES if shared is None else SHARED_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr(
            "xl/_rels/workbook.xml.rels", WORKBOOK_RELS if shared is None else SHARED_RELS
        )
        archive.writestr("xl/worksheets/sheet1.xml", worksheet)
        if shared is not None:
            archive.writestr(
                "xl/sharedStrings.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{len(shared)}">'
                + "".join(f"<si><t>{text}</t></si>" for text in shared)
                + "</sst>",
            )
    return out.getvalue()


def far_cell(ref: str, row: int) -> bytes:
    """The reported crash: cells in A1–A2 and one far away."""
    return xlsx_bytes(f'{HEADER}{BODY}<row r="{row}">{text_cell(ref, "x")}</row>')


def wide_row_without_references() -> bytes:
    # Without `r`, each cell is the next column: 20,000 of them in the header row.
    cells = '<c t="inlineStr"><is><t>h</t></is></c>' * 20_000
    return xlsx_bytes(f"<row>{cells}</row><row><c><v>600100200</v></c></row>")


def lying_dimension() -> bytes:
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><dimension ref="A1:B2"/>'
        f'<sheetData>{HEADER}{BODY}<row r="90000">{text_cell("ZZ90000", "x")}</row>'
        "</sheetData></worksheet>"
    )
    return xlsx_bytes("", sheet=sheet)


def prefixed_far_cell() -> bytes:
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Telefon</x:t></x:is></x:c></x:row>'
        '<x:row r="150000"><x:c r="XFD150000"><x:v>1</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    return xlsx_bytes("", sheet=sheet)


def single_quoted_far_cell() -> bytes:
    return xlsx_bytes(f"{HEADER}{BODY}<row r='3'><c r='XFD3'><v>1</v></c></row>")


def too_many_cells() -> bytes:
    # 30,000 rows × 190 columns: under the row and column limits, over the cells one.
    return xlsx_bytes(
        f'{HEADER}{BODY}<row r="3">{text_cell("GH3", "x")}</row>'
        f'<row r="30000">{text_cell("A30000", "600100201")}</row>'
    )


def entity_bomb() -> bytes:
    lol = '<!ENTITY a "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    return xlsx_bytes(
        f'{HEADER}<row r="2">{text_cell("A2", "600100200")}{text_cell("B2", "&j;")}</row>',
        prolog=f"<!DOCTYPE worksheet [{lol}]>",
    )


def external_entity() -> bytes:
    return xlsx_bytes(
        f'{HEADER}<row r="2">{text_cell("A2", "600100200")}{text_cell("B2", "&x;")}</row>',
        prolog='<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    )


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * 300_000_000 + b">")
    return out.getvalue()


def missing_sheet_part() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
    return out.getvalue()


def many_members() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for n in range(20_000):
            archive.writestr(f"junk/{n}.xml", "<x/>")
    return xlsx_bytes(f"{HEADER}{BODY}")[:-22] + out.getvalue()  # two archives glued: broken


def encrypted_xlsx() -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = OOXMLFile(io.BytesIO(xlsx_bytes(f"{HEADER}{BODY}")))
    out = io.BytesIO()
    plain.encrypt("tajne hasło", out)
    return out.getvalue()


# --- ODS -----------------------------------------------------------------------------------------


def ods_bytes(rows: str, *, manifest_extra: str = "", content: bytes | None = None) -> bytes:
    office = "urn:oasis:names:tc:opendocument:xmlns"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        f'xmlns:office="{office}:office:1.0" xmlns:table="{office}:table:1.0" '
        f'xmlns:text="{office}:text:1.0" office:version="1.2"><office:body><office:spreadsheet>'
        f'<table:table table:name="Rekordy">{rows}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
        'names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        f'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        f"{manifest_extra}</manifest:file-entry></manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("content.xml", content if content is not None else body)
        archive.writestr("META-INF/manifest.xml", manifest)
    return out.getvalue()


def ods_cell(value: str, attributes: str = "") -> str:
    return (
        f'<table:table-cell office:value-type="string" {attributes}>'
        f"<text:p>{value}</text:p></table:table-cell>"
    )


ODS_HEADER = f"<table:table-row>{ods_cell('Telefon')}{ods_cell('Miasto')}</table:table-row>"
ODS_BODY = f"<table:table-row>{ods_cell('600100200')}{ods_cell('Łódź')}</table:table-row>"
ODS_TRAILING = (  # what LibreOffice writes after the data in every file
    '<table:table-row table:number-rows-repeated="1048574"><table:table-cell '
    'table:number-columns-repeated="1024"/></table:table-row>'
)


def ods_repeated_columns() -> bytes:
    wide = ods_cell("x", 'table:number-columns-repeated="16000"')
    return ods_bytes(f"{ODS_HEADER}{ODS_BODY}<table:table-row>{wide}</table:table-row>")


def ods_repeated_rows() -> bytes:
    repeated = (
        f'<table:table-row table:number-rows-repeated="1000000">{ods_cell("600100200")}'
        "</table:table-row>"
    )
    return ods_bytes(f"{ODS_HEADER}{repeated}")


def ods_content_after_empty_repeats() -> bytes:
    empty = (
        '<table:table-row table:number-rows-repeated="900000"><table:table-cell '
        'table:number-columns-repeated="300"/></table:table-row>'
    )
    late = (
        '<table:table-row><table:table-cell table:number-columns-repeated="250"/>'
        f"{ods_cell('x')}</table:table-row>"
    )
    return ods_bytes(f"{ODS_HEADER}{ODS_BODY}{empty}{late}")


def ods_as_libreoffice_writes() -> bytes:
    return ods_bytes(f"{ODS_HEADER}{ODS_BODY}{ODS_TRAILING}")


def ods_encrypted() -> bytes:
    extra = (
        '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x">'
        '<manifest:algorithm manifest:algorithm-name="Blowfish CFB" '
        'manifest:initialisation-vector="x"/></manifest:encryption-data>'
    )
    return ods_bytes("", manifest_extra=extra, content=random.Random(1).randbytes(4000))


# --- text ----------------------------------------------------------------------------------------


def csv_text(rows: list[list[str]], delimiter: str = ";") -> str:
    return "".join(delimiter.join(row) + "\r\n" for row in rows)


ROWS = [["Telefon", "Miasto", "Imię"], ["600100200", "Łódź", "Łukasz"], ["600100201", "Kraków", ""]]


def long_cell() -> bytes:
    return csv_text([*ROWS, ["600100202", "x" * 200_000, ""]]).encode()


def unclosed_quote() -> bytes:
    rest = "".join(f"6001003{n:02};Miasto {n};\r\n" for n in range(100)) * 60
    return (csv_text(ROWS) + '600100299;"Gdańsk;\r\n' + rest).encode()


def nul_in_the_middle() -> bytes:
    return csv_text(ROWS * 200).encode() + b"\x00\x00\x00" + csv_text(ROWS).encode()


def mixed_encodings() -> bytes:
    utf8 = csv_text(ROWS).encode("utf-8")
    cp1250 = csv_text([["600100203", "Gdańsk", "Łucja"], ["600100204", "Żary", "Świętopełk"]])
    return utf8 + cp1250.encode("cp1250")


def wide_csv(columns: int, *, header: bool) -> bytes:
    names = [f"Kolumna {n}" for n in range(columns)] if header else [""] * columns
    return csv_text([["Telefon", *names], ["600100200", *["x"] * columns]]).encode()


def too_many_rows() -> bytes:
    return ("Telefon\r\n" + "".join(f"{600000000 + n}\r\n" for n in range(200_001))).encode()


# --- text that multiplies: what a reader builds, not what the file holds ----------------------


def shared_fan_out(length: int, cells: int, *, columns: int = 5) -> bytes:
    """One shared string of `length` characters used by `cells` cells (rows of `columns`)."""
    rows = ['<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>']
    for number in range(2, cells // columns + 2):
        refs = "".join(
            f'<c r="{chr(65 + c)}{number}" t="s"><v>2</v></c>' for c in range(1, columns)
        )
        rows.append(
            f'<row r="{number}"><c r="A{number}"><v>{600100000 + number}</v></c>{refs}</row>'
        )
    return xlsx_bytes("".join(rows), shared=["Telefon", "Uwagi", "x" * length])


def ods_space_run(count: int) -> bytes:
    """One cell whose text is a run of `count` spaces (`<text:s text:c>`), a few bytes."""
    cell = (
        '<table:table-cell office:value-type="string"><text:p>a<text:s '
        f'text:c="{count}"/>b</text:p></table:table-cell>'
    )
    return ods_bytes(
        f"{ODS_HEADER}<table:table-row>{ods_cell('600100200')}{cell}</table:table-row>"
    )


def ods_repeated_text(length: int, columns: int, rows: int) -> bytes:
    """A row of `columns` repeated cells of `length` characters, repeated `rows` times."""
    cell = ods_cell("y" * length, f'table:number-columns-repeated="{columns}"')
    repeated = (
        f'<table:table-row table:number-rows-repeated="{rows}">{ods_cell("600100200")}{cell}'
        "</table:table-row>"
    )
    return ods_bytes(f"{ODS_HEADER}{repeated}")


def bom_before_header() -> bytes:
    """Title lines, then a header that begins with a BOM (two exports glued together)."""
    return ("Raport z CRM\r\n\r\n\ufeff" + csv_text(ROWS)).encode()


CORPUS: list[tuple[Hostile, Callable[[], bytes]]] = [
    (
        Hostile("far_cell_xfd200000.xlsx", REFUSED, "one cell at XFD200000"),
        lambda: far_cell("XFD200000", 200_000),
    ),
    (
        Hostile("far_cell_xfd2000.xlsx", REFUSED, "one cell at XFD2000"),
        lambda: far_cell("XFD2000", 2000),
    ),
    (
        Hostile("far_row.xlsx", REFUSED, "one cell at A1048576"),
        lambda: far_cell("A1048576", 1_048_576),
    ),
    (
        Hostile("wide_row_without_references.xlsx", REFUSED, "20,000 cells without r"),
        wide_row_without_references,
    ),
    (
        Hostile("lying_dimension.xlsx", REFUSED, "dimension A1:B2, a cell at ZZ90000"),
        lying_dimension,
    ),
    (Hostile("prefixed_far_cell.xlsx", REFUSED, "x:c at XFD150000"), prefixed_far_cell),
    (Hostile("single_quoted_far_cell.xlsx", REFUSED, "r='XFD3'"), single_quoted_far_cell),
    (Hostile("too_many_cells.xlsx", REFUSED, "30,000 × 190"), too_many_cells),
    (Hostile("entity_bomb.xlsx", EITHER, "billion laughs in the sheet"), entity_bomb),
    (Hostile("external_entity.xlsx", EITHER, "XXE to /etc/passwd"), external_entity),
    (Hostile("zip_bomb.xlsx", REFUSED, "300 MB of spaces in 300 KB"), zip_bomb),
    (
        Hostile("truncated.xlsx", REFUSED, "first half of a workbook"),
        lambda: xlsx_bytes(f"{HEADER}{BODY}")[:700],
    ),
    (
        Hostile("missing_sheet_part.xlsx", REFUSED, "no worksheet in the archive"),
        missing_sheet_part,
    ),
    (
        Hostile("glued_archives.xlsx", REFUSED, "an archive with 20,000 members glued on"),
        many_members,
    ),
    (Hostile("encrypted.xlsx", REFUSED, "password-protected by Excel's scheme"), encrypted_xlsx),
    (
        Hostile("png_named.xlsx", REFUSED, "a PNG"),
        lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    ),
    (
        Hostile("pdf_named.xlsx", REFUSED, "a PDF"),
        lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
    ),
    (
        Hostile("old_excel_named.xlsx", REFUSED, "an OLE2 file"),
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
    ),
    (
        Hostile("xlsx_named.ods", REFUSED, "a workbook named .ods"),
        lambda: xlsx_bytes(f"{HEADER}{BODY}"),
    ),
    (
        Hostile("ods_repeated_columns.ods", REFUSED, "a cell repeated 16,000 times"),
        ods_repeated_columns,
    ),
    (
        Hostile("ods_repeated_rows.ods", REFUSED, "a row repeated 1,000,000 times"),
        ods_repeated_rows,
    ),
    (
        Hostile("ods_content_after_empty_repeats.ods", REFUSED, "content below 900,000 empty rows"),
        ods_content_after_empty_repeats,
    ),
    (
        Hostile("ods_as_libreoffice_writes.ods", READ, "trailing empty repeats"),
        ods_as_libreoffice_writes,
    ),
    (Hostile("ods_encrypted.ods", REFUSED, "password-protected ODS"), ods_encrypted),
    (Hostile("long_cell.csv", REFUSED, "a 200,000-character cell"), long_cell),
    (Hostile("unclosed_quote.csv", REFUSED, "a quote never closed"), unclosed_quote),
    (Hostile("nul_in_the_middle.csv", READ, "NUL bytes after 4 KB"), nul_in_the_middle),
    (
        Hostile("nul_escape.xlsx", READ, "_x0000_ in a cell: a NUL, which PostgreSQL refuses"),
        lambda: xlsx_bytes(
            f'{HEADER}<row r="2">{text_cell("A2", "600100200")}'
            f"{text_cell('B2', 'Łó_x0000_dź')}</row>"
        ),
    ),
    (
        Hostile("excel_unicode_text.txt", READ, "UTF-16 LE with BOM, tabs"),
        lambda: ("\ufeff" + csv_text(ROWS, "\t")).encode("utf-16-le"),
    ),
    (
        Hostile("utf16_big_endian.csv", READ, "UTF-16 BE, no BOM"),
        lambda: csv_text(ROWS).encode("utf-16-be"),
    ),
    (Hostile("utf32.csv", READ, "UTF-32 with BOM"), lambda: csv_text(ROWS).encode("utf-32")),
    (Hostile("mixed_encodings.csv", READ, "UTF-8 lines, then Windows-1250 lines"), mixed_encodings),
    (
        Hostile("wide_line.csv", REFUSED, "100,000 delimiters on a line"),
        lambda: b"Telefon" + b";x" * 100_000 + b"\r\n600100200\r\n",
    ),
    (Hostile("columns_600.csv", REFUSED, "600 named columns"), lambda: wide_csv(600, header=True)),
    (
        Hostile("columns_200.csv", READ, "200 columns, the limit"),
        lambda: wide_csv(199, header=True),
    ),
    (Hostile("only_delimiters.csv", REFUSED, "nothing but ;"), lambda: b";;;;\r\n;;;\r\n" * 1000),
    (
        Hostile("random_binary.csv", REFUSED, "random bytes"),
        lambda: random.Random(2).randbytes(20_000),
    ),
    (
        Hostile("random_high_bytes.csv", EITHER, "bytes 0x80–0xFF, no NUL"),
        lambda: bytes(random.Random(3).randrange(128, 256) for _ in range(20_000)),
    ),
    (Hostile("bom_only.csv", REFUSED, "a BOM and nothing else"), lambda: b"\xef\xbb\xbf"),
    (
        Hostile("blank_lines.csv", REFUSED, "a header and a million blank lines"),
        lambda: b"Telefon\r\n" + b"\r\n" * 1_000_000,
    ),
    (
        Hostile("old_mac_line_ends.csv", READ, "CR only"),
        lambda: csv_text(ROWS).replace("\r\n", "\r").encode(),
    ),
    (Hostile("too_many_rows.csv", REFUSED, "200,001 rows"), too_many_rows),
    (
        Hostile("ods_space_run_1e9.ods", REFUSED, "text:c of a billion spaces"),
        lambda: ods_space_run(1_000_000_000),
    ),
    (
        Hostile("ods_space_run_over_a_cell.ods", REFUSED, "text:c just over a cell's 32,767"),
        lambda: ods_space_run(40_000),
    ),
    (Hostile("ods_space_run_short.ods", READ, "text:c of 500"), lambda: ods_space_run(500)),
    (
        Hostile("ods_repeated_long_text.ods", REFUSED, "1,000 characters × 150 cols × 1,000 rows"),
        lambda: ods_repeated_text(1000, 150, 1000),
    ),
    (
        Hostile("ods_repeated_short_text.ods", READ, "10 characters × 3 cols × 50 rows"),
        lambda: ods_repeated_text(10, 3, 50),
    ),
    (
        Hostile("shared_2mb_5000_cells.xlsx", REFUSED, "a 2 MB shared string in 5,000 cells"),
        lambda: shared_fan_out(2_000_000, 5000),
    ),
    (
        Hostile("shared_30k_5000_cells.xlsx", REFUSED, "a 30,000-character string, 5,000 cells"),
        lambda: shared_fan_out(30_000, 5000),
    ),
    (
        Hostile("shared_short_5000_cells.xlsx", READ, "a 20-character string in 5,000 cells"),
        lambda: shared_fan_out(20, 5000),
    ),
    (
        Hostile("inline_long_cell.xlsx", REFUSED, "an inline string of 100,000 characters"),
        lambda: xlsx_bytes(
            f'{HEADER}<row r="2">{text_cell("A2", "600100200")}{text_cell("B2", "z" * 100_000)}'
            "</row>"
        ),
    ),
    (
        Hostile("cell_over_excel_limit.csv", REFUSED, "a 40,000-character cell"),
        lambda: csv_text([*ROWS, ["600100202", "w" * 40_000, ""]]).encode(),
    ),
    (
        Hostile("bom_before_header.csv", READ, "title lines, then a BOM and the header"),
        bom_before_header,
    ),
    (
        Hostile("utf8_ipa_letter.csv", READ, "UTF-8 whose one non-ASCII letter is ʤ"),
        lambda: "Telefon;Imię\r\n600100200;ʤon\r\n".encode(),
    ),
    (
        Hostile("fullwidth_phone.csv", READ, "fullwidth and Arabic-Indic digits"),
        lambda: "Telefon;Miasto\r\n６００１００２０３;Łódź\r\n٦٠٠١٠٠٢٠٤;Gdańsk\r\n".encode(),
    ),
]


def build(directory: Path) -> list[Hostile]:
    directory.mkdir(parents=True, exist_ok=True)
    for hostile, make in CORPUS:
        (directory / hostile.name).write_bytes(make())
    return [hostile for hostile, _make in CORPUS]


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    for hostile in build(target):
        print(f"{hostile.expect:8} {hostile.name:40} {hostile.what}")
