"""The grid's rows as HTML: what each cell shows, and the row markup, in one place.

A page of 100 rows has a thousand cells. Through the template engine every lookup, `{% url %}`,
`{% translate %}` and permission check ran per cell and per row (~48 ms a page); here they are
resolved once per page (`RowRenderer`) and each row is joined from escaped strings (a few ms).
Every value that comes from a file, Thulium or a person goes through `escape`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from campaigns import thulium
from campaigns.models import Grid, Outcome, Row
from campaigns.rules import messages, problems
from campaigns.rules.stored_values import cut_short, one_render, shown_as_stored, stored_text
from campaigns.rules.targets import FIELD_PREFIX, label

# Reversed once with this id, then the row's own id goes in its place.
_ROW_ID_SLOT = 987654321


@dataclass(frozen=True)
class Cell:
    """One cell of a row as the grid page shows it."""

    target: str
    raw: str
    value: Any  # what will be sent; None when nothing will
    messages: list[messages.Message]
    # What Thulium holds now (from the grid's last comparison); None when not known.
    now: str | None = None

    @property
    def clears(self) -> bool:
        return self.value == ""

    @property
    def changes(self) -> bool:
        """The value sent differs from what Thulium holds now (both known)."""
        return self.now is not None and self.value is not None and str(self.value) != self.now

    @property
    def level(self) -> str:
        levels = {m["level"] for m in self.messages}
        return "error" if "error" in levels else "warning" if "warning" in levels else ""


def row_cells(row: Row, columns: list[str], mapping: list[str]) -> list[Cell]:
    """For each shown column: its source text, the value to send, and its messages."""
    positions = {target: i for i, target in enumerate(mapping) if target}
    fields = row.values.get("record_fields", {})
    # Set by rows_attach_thulium_now when the grid was compared with Thulium.
    compared = getattr(row, "thulium_now", None)
    now = compared.values if compared is not None else {}
    cells = []
    for target in columns:
        position = positions.get(target)
        if target.startswith(FIELD_PREFIX):
            value = fields.get(target.removeprefix(FIELD_PREFIX))
            current = now.get("record_fields", {}).get(target.removeprefix(FIELD_PREFIX))
        else:
            value = row.values.get("status_id" if target == "status" else target)
            current = now.get("status_id" if target == "status" else target)
        cells.append(
            Cell(
                target=target,
                raw=row.raw[position] if position is not None and position < len(row.raw) else "",
                value=value,
                messages=[m for m in row.messages if m["field"] == target],
                now=current,
            )
        )
    return cells


@dataclass(frozen=True)
class ShownCell:
    """One cell as the grid shows it: the text, and what hovering it tells."""

    target: str
    level: str  # "error", "warning" or ""
    text: str
    note: str = ""  # what the file said, when it differs from what is sent
    title: str = ""  # the id or raw value, on hover and focus
    was: str | None = None  # what Thulium holds, when the grid was compared and it changes
    clears: bool = False
    cut: bool = False  # longer than SHOWN_CHARS: the page shows its start


def shown_cells(
    row: Row,
    grid: Grid,
    columns: Sequence[str],
    *,
    status_names: Mapping[str, str],
    agent_names: Mapping[str, str],
) -> list[ShownCell]:
    """Each shown cell of the row: statuses by name, agents with their name, dates in the
    reader's format; the id or the raw value Thulium gets in the title. A cell whose stored
    value cannot be formatted shows it as stored (see campaigns.rules.stored_values)."""
    shown = []
    cells = stored_cells(row, columns, grid.mapping)
    for cell in cells:
        try:
            one = _shown_cell(cell, status_names=status_names, agent_names=agent_names)
        except Exception as error:  # e.g. a date "226-12-24 09:30", a dict for a status
            value = cell.value if cell.value is not None else cell.raw
            one = ShownCell(
                target=cell.target,
                level=messages.ERROR,
                text=shown_as_stored(f"row {row.number} {cell.target}", value, error),
            )
        shown.append(_cut(one))
    return shown


def _shown_cell(
    cell: Cell, *, status_names: Mapping[str, str], agent_names: Mapping[str, str]
) -> ShownCell:
    text, note, title = cell.value, "", ""
    was = (cell.now or "—") if cell.changes else None
    if cell.target == "status" and cell.value:
        text, title = status_names.get(str(cell.value), cell.value), f"id {cell.value}"
        if was is not None:
            was = status_names.get(str(cell.now), was)
        if cell.raw and cell.raw not in {str(cell.value), text}:
            note = cell.raw
    elif cell.target == "agent_login" and cell.value:
        name = agent_names.get(str(cell.value), "")
        title = name
        if cell.raw and cell.raw.lower() != str(cell.value).lower():
            note = cell.raw
    elif cell.target == "next_call_date" and cell.value:
        text = _reader_date(cell.value)
        # What Thulium gets, and what the file said when it said it another way.
        written = cell.raw.strip()
        title = str(cell.value) + (f" · {written}" if written not in _same_date(text) else "")
        if was is not None and cell.now:
            was = _reader_date(cell.now)
    elif cell.target == "phone_number":
        # As it will be sent; as the file wrote it on hover (the column stays narrow).
        text = cell.value or cell.raw or "—"
        if cell.raw != cell.value and cell.value:
            title = cell.raw or _("empty")
    elif cell.clears:
        text = _("will be cleared")
    elif cell.value is None:
        text = cell.raw
    elif cell.raw and cell.raw != str(cell.value):
        note = cell.raw
    if isinstance(text, bool) or not isinstance(text, str | int | float | None):
        raise TypeError(f"{type(text).__name__} where text belongs")
    if not isinstance(note, str):
        raise TypeError(f"{type(note).__name__} where the file's text belongs")
    text = "" if text is None else str(text)  # str() refuses an int of 4,300+ digits
    if not title and len(text) > LONG_TEXT:
        title = text  # cut short on screen (CSS): the whole value on hover, when not too long
    return ShownCell(
        target=cell.target,
        level=cell.level,
        text=text,
        note=note,
        title=str(title),
        was=None if was is None else stored_text(was),
        clears=cell.clears,
    )


def whole_cell_text(row: Row, grid: Grid, target: str) -> str:
    """A cell's whole text, as stored: the value sent, or the file's text when nothing is sent
    (or the field is cleared); "" for a column the grid does not have."""
    cell = stored_cells(row, [target], grid.mapping)[0]
    if cell.value is None or cell.value == "":
        return stored_text(cell.raw)
    return stored_text(cell.value)


def stored_cells(row: Row, columns: Sequence[str], mapping: Sequence[str]) -> list[Cell]:
    """`row_cells`, never raising: a row whose JSON is not of the shape this code writes gives
    its cells as stored text, without messages (logged)."""
    try:
        return row_cells(row, list(columns), list(mapping))
    except Exception as error:  # values, raw or messages not of the shape this code writes
        shown_as_stored(f"row {row.number}", {"values": row.values, "raw": row.raw}, error)
        return _cells_as_stored(row, columns, mapping)


def _cells_as_stored(row: Row, columns: Sequence[str], mapping: Sequence[str]) -> list[Cell]:
    """The row's cells read from whatever its JSON holds, when row_cells could not read it."""
    values = row.values if isinstance(row.values, dict) else {}
    fields = values.get("record_fields")
    fields = fields if isinstance(fields, dict) else {}
    raw = row.raw if isinstance(row.raw, list) else []
    positions = {target: i for i, target in enumerate(mapping) if target}
    found = []
    for target in columns:
        position = positions.get(target)
        if target.startswith(FIELD_PREFIX):
            value = fields.get(target.removeprefix(FIELD_PREFIX))
        else:
            value = values.get("status_id" if target == "status" else target)
        text = raw[position] if position is not None and position < len(raw) else ""
        found.append(
            Cell(
                target=target,
                raw=stored_text(text),
                value=None if value is None else stored_text(value),
                messages=[],
            )
        )
    return found


# How a row's messages are listed: what stops it being sent first.
LEVEL_ORDER = {messages.ERROR: 0, messages.WARNING: 1, messages.INFO: 2}

# Past this many characters a cell is cut short on screen (CSS), and its title holds it whole.
LONG_TEXT = 24
# Past this many, the page carries only this many (and no title): a 20 MB cell was 40 MB of
# page. The whole value is on the row's panel, on demand (`cell_full`).
SHOWN_CHARS = 200


def _cut(cell: ShownCell) -> ShownCell:
    """The cell with every text it shows cut to SHOWN_CHARS."""
    if max(len(cell.text), len(cell.note), len(cell.title), len(cell.was or "")) <= SHOWN_CHARS:
        return cell
    return replace(
        cell,
        text=cut_short(cell.text, SHOWN_CHARS),
        note=cut_short(cell.note, SHOWN_CHARS),
        title="" if len(cell.title) > SHOWN_CHARS else cell.title,
        was=None if cell.was is None else cut_short(cell.was, SHOWN_CHARS),
        cut=True,
    )


def _same_date(shown: str) -> set[str]:
    """Ways of writing a date that say nothing more than the shown one (24.12.2030 10:30)."""
    return {"", shown, shown.replace("/", "."), shown.replace("-", ".")}


def _reader_date(value: object) -> str:
    moment = datetime.strptime(str(value), thulium.DATE_TIME_FORMAT)
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


class RowRenderer:
    """Renders rows of one grid for one reader: permissions, addresses and words are worked out
    once, here, not per row or cell."""

    def __init__(
        self,
        grid: Grid,
        columns: Sequence[str],
        *,
        can_edit: bool,
        can_see_history: bool,
        status_names: Mapping[str, str],
        agent_names: Mapping[str, str],
    ) -> None:
        self.grid = grid
        self.columns = list(columns)
        self.can_edit = can_edit
        self.can_see_history = can_see_history
        self.status_names = status_names
        self.agent_names = agent_names
        row_url = reverse("campaigns:row", args=[grid.pk, _ROW_ID_SLOT])
        self._row_url = row_url.split(str(_ROW_ID_SLOT))
        history = reverse("campaigns:phone_history", args=["0"])
        self._history_url = history.removesuffix("0/")
        self.words = {
            "tick": _("Tick row %(n)s"),
            "no_change": escape(_("No change")),
            "edit_row": escape(_("Edit row")),
            "history": escape(_("History")),
            "thulium": escape(_("Thulium:")),
            "record": _("record %(id)s: %(status)s"),
            "records": escape(_("Records with this number")),
            "whole": _("The whole value of “%(column)s”"),
        }
        self.states = {value: escape(label) for value, label in Row.State.choices}
        self.outcomes = {value: escape(label) for value, label in Outcome.choices}

    def row_url(self, row: Row) -> str:
        return f"{self._row_url[0]}{row.pk}{self._row_url[1]}"

    def rows(self, rows: Iterable[Row]) -> SafeString:
        with one_render():
            return mark_safe("".join(self._row(row) for row in rows))

    def row(self, row: Row) -> SafeString:
        with one_render():
            return mark_safe(self._row(row))

    def _row(self, row: Row) -> str:
        words = self.words
        url = self.row_url(row)
        tick = escape(words["tick"] % {"n": row.number})
        # The row's addresses are the table's data-rows + its id (grid.js), and each cell's
        # column is its header's data-target: a 100-row page is a thousand cells, so what
        # every cell would repeat is said once.
        state = row.state if row.state in self.states else Row.State.ERROR
        parts = [
            f'<tr class="row--{state}" id="row-{row.pk}" data-row="{row.pk}">'
            f'<td class="pick"><input type="checkbox" name="rows" value="{row.pk}" form="bulk" '
            f'aria-label="{tick}"></td><td class="num">{self._number(row, url)}</td>'
        ]
        cells = shown_cells(
            row,
            self.grid,
            self.columns,
            status_names=self.status_names,
            agent_names=self.agent_names,
        )
        parts.extend(self._cell(cell) for cell in cells)
        cut = [cell.target for cell in cells if cell.cut]
        try:
            parts.append(self._messages(row, url, cut))
        except Exception as error:  # messages or Thulium's answer not of the shape we write
            text = shown_as_stored(f"row {row.number} messages", row.messages, error)
            parts.append(
                '<td class="messages"><span class="messages__line">'
                f"{escape(cut_short(text, SHOWN_CHARS))}</span>{self._whole_values(url, cut)}</td>"
            )
        parts.append("</tr>")
        return "".join(parts)

    def _number(self, row: Row, url: str) -> str:
        """The row number; for an editor, the link to the whole row as one form (the way to
        edit without JavaScript)."""
        if not self.can_edit:
            return str(row.number)
        return f'<a href="{url}edit/" title="{self.words["edit_row"]}">{row.number}</a>'

    def _cell(self, cell: ShownCell) -> str:
        names = " ".join(
            name
            for name, on in ((f"cell--{cell.level}", cell.level), ("cell--cut", cell.cut))
            if on
        )
        classes = f' class="{names}"' if names else ""
        title = f' title="{escape(cell.title)}"' if cell.title else ""
        text = escape(cell.text)
        body = f'<span class="badge badge--clear">{text}</span>' if cell.clears else text
        if cell.was is not None:
            body = f'<del class="was">{escape(cell.was)}</del> → {body}'
        if cell.note:
            body += f' <span class="muted">({escape(cell.note)})</span>'
        return f"<td{classes}{title}>{body}</td>"

    def _whole_values(self, url: str, cut: Sequence[str]) -> str:
        """For each cell cut short, a link to its whole value: loaded into the panel with htmx,
        a page of its own without."""
        if not cut:
            return ""
        links = []
        for target in cut:
            address = escape(f"{url}cell/full/?{urlencode({'target': target})}")
            text = escape(self.words["whole"] % {"column": label(target)})
            links.append(
                f'<p class="notes__links"><a href="{address}" hx-get="{address}" '
                f'hx-target="next .cell-full" hx-swap="innerHTML">{text}</a></p>'
                '<div class="cell-full"></div>'
            )
        return "".join(links)

    def _messages(self, row: Row, url: str, cut: Sequence[str] = ()) -> str:
        """The row's verdict as a badge, its first message on the line, and everything else
        folded in place behind a marker (so a row stays one line)."""
        words = self.words
        out = ['<td class="messages"><span class="messages__line">']
        if row.unchanged and not row.outcome:
            out.append(f'<span class="badge badge--unchanged">{words["no_change"]}</span>')
        elif not row.refused or row.state == Row.State.ERROR:
            out.append(f'<span class="badge badge--{row.state}">{self.states[row.state]}</span>')
        if row.outcome:
            title = escape(outcome_title(row.outcome_detail))
            out.append(
                f' <span class="badge badge--{escape(row.outcome)}" title="{title}">'
                f"{self.outcomes.get(row.outcome, escape(row.outcome))}</span>"
            )
        # Errors first, then warnings, then notes: the line shows what stops the row being
        # sent, not a note that "Anna Nowak" was read as a.nowak (in file order otherwise).
        ordered = sorted(row.messages, key=lambda m: LEVEL_ORDER.get(m["level"], len(LEVEL_ORDER)))
        texts = [(m["level"], messages.render(m)) for m in ordered]
        answer = row.thulium_message
        first = texts[0][1] if texts else (answer if answer else "")
        if first:
            level = texts[0][0] if texts else "error"
            out.append(
                f' <span class="messages__first message--{escape(level)}">{escape(first)}</span>'
            )
        out.append("</span>")
        # Folded: every message, Thulium's answer with what to do; grid.js adds the row's
        # links and loads the JSON Thulium gets when it is opened (and names the marker).
        count = len(texts) + (1 if answer else 0)
        more = [
            f'<details class="notes"><summary>{count or "⋯"}</summary><div class="notes__panel">',
            self._whole_values(url, cut),
        ]
        if len(texts) > 1:
            # The first message is on the row's line, which unfolds with the panel.
            more.append("<ul>")
            more.extend(
                f'<li class="message message--{escape(level)}">{escape(text)}</li>'
                for level, text in texts[1:]
            )
            more.append("</ul>")
        if answer:
            fix = messages.thulium_fix(answer)
            more.append(
                f'<p class="answer">{words["thulium"]} “{escape(answer)}”'
                + (f" — {escape(fix)}" if fix else "")
                + "</p>"
            )
        records = row.thulium_records
        if len(records) > 1:
            more.append(f'<ul class="answer" aria-label="{words["records"]}">')
            for record in records:
                line = words["record"] % {
                    "id": record.get("record_id") or "—",
                    "status": record.get("status", ""),
                }
                more.append(f"<li>{escape(line)}</li>")
            more.append("</ul>")
        if row.outcome and row.phone and self.can_see_history:
            more.append(
                f'<p class="notes__links"><a class="row-edit" '
                f'href="{self._history_url}{escape(row.phone)}/">{words["history"]}</a></p>'
            )
        more.append("</div></details>")
        out.extend(more)
        out.append("</td>")
        return "".join(out)


def problem_column(rows: Iterable[Row], key: str) -> str:
    """The column a problem group is about, from the first of these rows that has it ("" when
    none does): the page opened on a group brings that column into view and marks it."""
    if not key:
        return ""
    for row in rows:
        for entry in row.messages:
            if problems.problem_key(entry) == key:
                return str(entry.get("field", ""))
    return ""


def outcome_title(detail: Mapping[str, Any]) -> str:
    """Thulium's raw answer for a row, for the badge's tooltip."""
    if not detail:
        return ""
    parts = [
        f"HTTP {detail.get('http_status') or '—'}",
        detail.get("status", ""),
        detail.get("message", ""),
    ]
    if detail.get("request_id"):
        parts.append(f"request_id {detail['request_id']}")
    return " · ".join(str(p) for p in parts if p)
