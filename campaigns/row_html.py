"""The grid's rows as HTML: what each cell shows, and the row markup, in one place.

A page of 100 rows has a thousand cells. Through the template engine every lookup, `{% url %}`,
`{% translate %}` and permission check ran per cell and per row (~48 ms a page); here they are
resolved once per page (`RowRenderer`) and each row is joined from escaped strings (a few ms).
Every value that comes from a file, Thulium or a person goes through `escape`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from campaigns import messages, thulium
from campaigns.models import Grid, Outcome, Row

# Reversed once with this id, then the row's own id goes in its place.
_ROW_ID_SLOT = 987654321


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


def shown_cells(
    row: Row,
    grid: Grid,
    columns: Sequence[str],
    *,
    status_names: Mapping[str, str],
    agent_names: Mapping[str, str],
) -> list[ShownCell]:
    """Each shown cell of the row: statuses by name, agents with their name, dates in the
    reader's format; the id or the raw value Thulium gets in the title."""
    shown = []
    for cell in row.cells(list(columns), grid.mapping):
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
            text = _reader_date(str(cell.value))
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
        text = "" if text is None else str(text)
        if not title and len(text) > LONG_TEXT:
            title = text  # truncated in the cell: the whole value on hover
        shown.append(
            ShownCell(
                target=cell.target,
                level=cell.level,
                text=text,
                note=note,
                title=title,
                was=was,
                clears=cell.clears,
            )
        )
    return shown


# Past this many characters a cell is cut short on screen (CSS), so its title holds it whole.
LONG_TEXT = 24


def _same_date(shown: str) -> set[str]:
    """Ways of writing a date that say nothing more than the shown one (24.12.2030 10:30)."""
    return {"", shown, shown.replace("/", "."), shown.replace("-", ".")}


def _reader_date(value: str) -> str:
    moment = datetime.strptime(value, thulium.DATE_TIME_FORMAT)
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
        }
        self.states = {value: escape(label) for value, label in Row.State.choices}
        self.outcomes = {value: escape(label) for value, label in Outcome.choices}

    def row_url(self, row: Row) -> str:
        return f"{self._row_url[0]}{row.pk}{self._row_url[1]}"

    def rows(self, rows: Iterable[Row]) -> SafeString:
        return mark_safe("".join(self._row(row) for row in rows))

    def row(self, row: Row) -> SafeString:
        return mark_safe(self._row(row))

    def _row(self, row: Row) -> str:
        words = self.words
        url = self.row_url(row)
        tick = escape(words["tick"] % {"n": row.number})
        # The row's addresses are the table's data-rows + its id (grid.js), and each cell's
        # column is its header's data-target: a 100-row page is a thousand cells, so what
        # every cell would repeat is said once.
        parts = [
            f'<tr class="row--{row.state}" id="row-{row.pk}" data-row="{row.pk}">'
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
        parts.append(self._messages(row, url))
        parts.append("</tr>")
        return "".join(parts)

    def _number(self, row: Row, url: str) -> str:
        """The row number; for an editor, the link to the whole row as one form (the way to
        edit without JavaScript)."""
        if not self.can_edit:
            return str(row.number)
        return f'<a href="{url}edit/" title="{self.words["edit_row"]}">{row.number}</a>'

    def _cell(self, cell: ShownCell) -> str:
        classes = f' class="cell--{cell.level}"' if cell.level else ""
        title = f' title="{escape(cell.title)}"' if cell.title else ""
        text = escape(cell.text)
        body = f'<span class="badge badge--clear">{text}</span>' if cell.clears else text
        if cell.was is not None:
            body = f'<del class="was">{escape(cell.was)}</del> → {body}'
        if cell.note:
            body += f' <span class="muted">({escape(cell.note)})</span>'
        return f"<td{classes}{title}>{body}</td>"

    def _messages(self, row: Row, url: str) -> str:
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
                f' <span class="badge badge--{row.outcome}" title="{title}">'
                f"{self.outcomes.get(row.outcome, escape(row.outcome))}</span>"
            )
        texts = [(m["level"], messages.render(m)) for m in row.messages]
        answer = row.thulium_message
        first = texts[0][1] if texts else (answer if answer else "")
        if first:
            level = texts[0][0] if texts else "error"
            out.append(f' <span class="messages__first message--{level}">{escape(first)}</span>')
        out.append("</span>")
        # Folded: every message, Thulium's answer with what to do; grid.js adds the row's
        # links and loads the JSON Thulium gets when it is opened (and names the marker).
        count = len(texts) + (1 if answer else 0)
        more = [
            f'<details class="notes"><summary>{count or "⋯"}</summary><div class="notes__panel">'
        ]
        if len(texts) > 1:
            # The first message is on the row's line, which unfolds with the panel.
            more.append("<ul>")
            more.extend(
                f'<li class="message message--{level}">{escape(text)}</li>'
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
