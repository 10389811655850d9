"""A grid with its outcomes as a file: for managers, for the CRM team, and to upload again.

Every column is headed with a label in the exporter's language and a key in brackets:
`Telefon [phone_number]`, `Miasto [field:miasto]`, `Outcome [outcome]`. Uploaded again, the
keys map the input columns back to what they fed and leave the result columns out
(`export_column_target`), whatever language the file was exported in.

In an XLSX, an input column the uploaded spreadsheet held as numbers or dates (Grid.column_types)
gives them back as numbers and dates, as long as a cell still reads as one (edited in the grid
to "5561,06" it is still a number; to "n/a" it is text). Phones stay text whatever the file held,
and so does the whole CSV.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from import_export import resources
from import_export.fields import Field

from campaigns.intake.headers import target_for_header
from campaigns.intake.safe_files import dataset_bytes
from campaigns.intake.spreadsheets import DATE, DATETIME, EXACT_FLOAT_LIMIT, NUMBER, TEXT
from campaigns.models import NOT_CONFIRMED_OUTCOMES, REFUSED_OUTCOMES, AuditEntry, Grid, Row
from campaigns.rules import messages
from campaigns.rules.dates import DATE_RE, date_of_match
from campaigns.rules.stored_values import one_render, shown_as_stored, stored_text
from campaigns.rules.targets import FIELD_PREFIX, SENT_PREFIX, keyed_header, label
from campaigns.services.audit import audit
from campaigns.services.rows import RowFilter, grid_rows

CSV_DELIMITERS = {"semicolon": ";", "comma": ","}
SENT_KEYS = (
    "phone_number",
    "status_id",
    "dictionary_status_id",
    "agent_login",
    "next_call_date",
    "identifier",
    "order",
)


if TYPE_CHECKING:
    _RowsResource = resources.Resource[Row]
else:  # generic in its stubs only: the class itself takes no [Row]
    _RowsResource = resources.Resource


class GridRowsResource(_RowsResource):
    """One line per row: source row number, every input cell as it stands in the grid, the
    values to send, validation messages, and Thulium's verdict."""

    def __init__(self, grid: Grid, *, typed: bool = False) -> None:
        """`typed`: input columns give numbers and dates as the uploaded spreadsheet held them
        (for a spreadsheet; a CSV is text)."""
        super().__init__()
        self.grid = grid
        types = grid.column_types if typed else []
        columns: list[tuple[str, Callable[[Row], Any]]] = [
            (keyed_header(_("Row in file"), "row"), lambda row: row.number)
        ]
        for position, (header, target) in enumerate(zip(grid.headers, grid.mapping, strict=True)):
            shown = label(target) if header == target else header
            kind = types[position] if position < len(types) else TEXT
            if "phone_number" in {target, target_for_header(header)}:
                kind = TEXT  # a phone is text, whatever the file held: "+48…", "0048…"
            read = _raw(position) if kind == TEXT else _typed_raw(position, kind)
            columns.append((keyed_header(shown, target) if target else shown, read))
        fields = [t.removeprefix(FIELD_PREFIX) for t in grid.mapping if t.startswith(FIELD_PREFIX)]
        mapped = {"status_id" if t == "status" else t for t in grid.mapping}
        for key in SENT_KEYS:
            if key == "phone_number" or key in mapped:
                columns.append(
                    (
                        keyed_header(
                            _("To send: %(what)s")
                            % {"what": _("Status id") if key == "status_id" else label(key)},
                            SENT_PREFIX + key,
                        ),
                        _sent(key),
                    )
                )
        for name in fields:
            columns.append(
                (
                    keyed_header(
                        _("To send: %(what)s") % {"what": name}, f"{SENT_PREFIX}field:{name}"
                    ),
                    _sent_field(name),
                )
            )
        columns += [
            (keyed_header(_("Row state"), "state"), _row_state),
            (
                keyed_header(_("Messages"), "messages"),
                lambda row: " | ".join(messages.render(m) for m in row.messages),
            ),
            (keyed_header(_("Outcome"), "outcome"), lambda row: row.get_outcome_display()),
            (
                keyed_header(_("Thulium status"), "thulium_status"),
                lambda row: row.outcome_detail.get("status", ""),
            ),
            (
                keyed_header(_("HTTP status"), "http_status"),
                lambda row: row.outcome_detail.get("http_status") or "",
            ),
            (
                keyed_header(_("Thulium's message"), "thulium_message"),
                lambda row: row.outcome_detail.get("message", ""),
            ),
            (
                keyed_header("request_id", "request_id"),
                lambda row: row.outcome_detail.get("request_id", ""),
            ),
        ]
        self.fields = OrderedDict()
        for i, (header, read) in enumerate(columns):
            self.fields[f"c{i}"] = Field(
                column_name=header,
                dehydrate_method=_total(read, header),  # type: ignore[arg-type]  # import-export calls a callable; its stubs say str
            )

    def get_export_order(self) -> tuple[str, ...]:
        return tuple(self.fields)


# Numbers an export writes as numbers; past these, as text (a spreadsheet rounds an integer
# past 2**53, and openpyxl refuses one past a float's range).
EXACT_INTEGER = 2**53


def _total(read: Callable[[Row], Any], header: str) -> Callable[[Row], Any]:
    """The column's reader, never raising: a stored value it cannot read, or one a file cannot
    hold as it is (a dict, a huge number), goes in as stored text
    (campaigns.rules.stored_values)."""

    def total(row: Row) -> Any:
        try:
            value = read(row)
        except Exception as error:  # values, raw or messages not of the shape we write
            return shown_as_stored(f"row {row.number} {header}", error=error, value=row.values)
        if value is None or isinstance(value, str | bool):
            return value
        if isinstance(value, int) and -EXACT_INTEGER <= value <= EXACT_INTEGER:
            return value
        if isinstance(value, float) and math.isfinite(value):
            return value
        if isinstance(value, date):  # and datetime: only _typed_raw gives them
            return value
        return stored_text(value)

    return total


def _row_state(row: Row) -> str:
    """The check before sending, unless Thulium's verdict overrules it: a row Thulium refused,
    or whose answer never came, is not “Valid” to a supervisor reading the file (the Outcome
    column says which refusal, or why unconfirmed). A row with errors says so whatever its last
    sending did: fixing it comes first."""
    if row.state == Row.State.ERROR:
        return row.get_state_display()
    if row.outcome in REFUSED_OUTCOMES:
        return _("Refused by Thulium")
    if row.outcome in NOT_CONFIRMED_OUTCOMES:
        return _("Not confirmed")
    return row.get_state_display()


def _raw(position: int) -> Callable[[Row], str]:
    return lambda row: row.raw[position] if position < len(row.raw) else ""


def _typed_raw(position: int, kind: str) -> Callable[[Row], Any]:
    read = _raw(position)
    return lambda row: typed_value(read(row), kind)


# What a number column's cell may read as: "5561.06", "5561,06", "-3", "1e+20" (how the intake
# writes a float past 15 digits). No "+" and no leading zero: "+48…" and "0048…" are phones or
# codes, never numbers, and no grouping: "1,234.5" is text rather than a guess.
NUMBER_RE = re.compile(r"^-?(?P<whole>\d+)(?P<part>[.,]\d+)?(?P<exp>[eE][+-]?\d+)?$", re.ASCII)
# Excel's dates begin in 1900: an earlier one cannot be a date cell.
FIRST_SHEET_YEAR = 1900


def typed_value(text: str, kind: str) -> Any:
    """A cell of an input column as the column's type (NUMBER, DATE, DATETIME), or the text
    itself when it does not read as one (edited to "n/a", a date with a time in a date
    column). A date in a date-and-time column is its midnight: the reader gives a date-and-time
    at midnight as a date."""
    cleaned = text.strip()
    if kind == NUMBER:
        match = NUMBER_RE.match(cleaned)
        if match is None or (len(match["whole"]) > 1 and match["whole"].startswith("0")):
            return text
        if match["part"] is None and match["exp"] is None:
            number = int(cleaned)
            return number if abs(number) < EXACT_FLOAT_LIMIT else text
        value = float(cleaned.replace(",", "."))
        return value if math.isfinite(value) else text
    if kind in {DATE, DATETIME}:
        match = DATE_RE.match(" ".join(cleaned.split()))
        if match is None:
            return text
        moment = date_of_match(match)
        if moment is None or moment.year < FIRST_SHEET_YEAR:
            return text
        if kind == DATETIME:
            return moment
        return moment.date() if match["H"] is None else text
    return text


def _sent(key: str) -> Callable[[Row], Any]:
    return lambda row: row.values.get(key, "")


def _sent_field(name: str) -> Callable[[Row], Any]:
    return lambda row: row.values.get("record_fields", {}).get(name, "")


def csv_delimiter(choice: str = "") -> str:
    """ "semicolon" or "comma" as asked; else what Excel expects in the reader's language (";"
    in Polish)."""
    if choice in CSV_DELIMITERS:
        return CSV_DELIMITERS[choice]
    return ";" if (get_language() or "").startswith("pl") else ","


def grid_export(
    *,
    grid: Grid,
    filters: RowFilter,
    fmt: str,
    actor: User | None,
    delimiter: str = ",",
) -> bytes:
    """The grid's rows that pass the filters, as CSV (UTF-8 with BOM, `delimiter` between
    cells, every cell text) or XLSX (numbers and dates typed as the upload had them). Audited."""
    rows = grid_rows(grid, filters).order_by("number", "id")
    with one_render():
        dataset = GridRowsResource(grid, typed=fmt == "xlsx").export(rows)
    dataset.title = _("Grid %(id)s") % {"id": grid.pk}
    audit(
        action=AuditEntry.Action.GRID_EXPORT,
        actor=actor,
        campaign=grid.campaign,
        grid_id=grid.pk,
        format=fmt,
        rows=dataset.height,
        filters=filters.query_params(),
    )
    return dataset_bytes(dataset, fmt, delimiter=delimiter)


def grid_export_name(grid: Grid, fmt: str) -> str:
    stem = (grid.file_name.rsplit(".", 1)[0] if grid.file_name else "") or "grid"
    results = _("results")  # outside the f-string, where xgettext can find it
    return f"{stem}-{grid.pk}-{results}.{fmt}"
