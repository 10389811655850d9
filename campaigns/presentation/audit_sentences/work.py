"""The history's sentences for the work on grids and sendings: uploads, mappings, edits,
undo, sendings and their answers, reverts, exports, options and value rules."""

from __future__ import annotations

from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.intake.encodings import encoding_name
from campaigns.models import Duplicates, Edit, Grid, MatchBy
from campaigns.presentation.audit_sentences.said import (
    VALUE_CHARS,
    A,
    Change,
    Details,
    Renderer,
    Said,
    cell_text,
    choice_text,
    count_of,
    filters_text,
    in_key_order,
    joined_said,
    key_label,
    listed_said,
    names_text,
    number_text,
    quoted,
    request_id_text,
    request_number,
    row_numbers_text,
    said_lines,
    value_text,
)
from campaigns.presentation.outcome_words import no_answer_words, outcome_summary
from campaigns.rules.stored_values import cut_short, stored_text
from campaigns.rules.targets import label


def _upload(d: Details) -> Said:
    size = filesizeformat(d["size"] or 0)
    name = d["file_name"]
    file = _("File: %(name)s (%(size)s)") % {"name": quoted(name), "size": size} if name else ""
    fmt = str(d["format"] or "").upper()
    if d["delimiter"]:
        delimiter = _("tab") if d["delimiter"] == "\t" else quoted(d["delimiter"])
        shape = _("Format: %(format)s; encoding: %(encoding)s; delimiter: %(delimiter)s") % {
            "format": fmt,
            "encoding": encoding_name(str(d["encoding"] or "")),
            "delimiter": delimiter,
        }
    else:
        shape = _("Format: %(format)s") % {"format": fmt}
    mode = d["mode"]
    return said_lines(
        file or _("Size: %(size)s") % {"size": size},
        _("Rows in the file: %(n)s") % {"n": number_text(count_of(d["rows"]))},
        shape,
        _("Mode: %(mode)s") % {"mode": choice_text(Grid.Mode, mode)} if mode else "",
        f"SHA-256: {d['sha256']}" if d["sha256"] else "",
    )


def _mapping(d: Details) -> Said:
    counts = _("Rows valid: %(valid)s; with warnings: %(warnings)s; with errors: %(errors)s") % {
        "valid": number_text(count_of(d["valid"])),
        "warnings": number_text(count_of(d["warnings"])),
        "errors": number_text(count_of(d["errors"])),
    }
    columns = [
        f"{quoted(header)} → {label(target or '')}"
        for header, target in d.get("mapping", {}).items()
    ]
    return said_lines(counts, *columns)


def _fields(d: Details) -> Said:
    return said_lines(_("Fields: %(names)s") % {"names": names_text(d.get("fields", []))})


def _pull(d: Details) -> Said:
    return said_lines(
        _("Records read: %(n)s") % {"n": number_text(count_of(d["rows"]))},
        filters_text(d.get("filters")),
    )


def _edit(d: Details) -> Said:
    """Cells edited, in bulk, pasted, replaced, or rows added: which cells, before → after."""
    changes = d.get("changes", [])
    head = _("Edit #%(id)s") % {"id": d["edit"]}
    if changes:
        head = ngettext(
            "Edit #%(id)s: %(n)s cell changed", "Edit #%(id)s: %(n)s cells changed", len(changes)
        ) % {"id": d["edit"], "n": number_text(len(changes))}
    added = d.get("added_rows", [])
    rows = _("Rows added: %(rows)s") % {"rows": row_numbers_text(added)} if added else ""
    listed = listed_said(
        d,
        changes,
        lambda c: Change(
            what=_("Row %(n)s, %(column)s") % {"n": c[0] or "?", "column": quoted(c[1])},
            before=cell_text(c[2]),
            after=cell_text(c[3]),
        ),
    )
    return joined_said(said_lines(head, rows), listed)


def _rows_deleted(d: Details) -> Said:
    rows = d.get("rows", [])
    head = _("Edit #%(id)s") % {"id": d["edit"]}  # the rows are personal: erased with them
    if rows:
        head = ngettext(
            "Edit #%(id)s: %(n)s row deleted", "Edit #%(id)s: %(n)s rows deleted", len(rows)
        ) % {"id": d["edit"], "n": number_text(len(rows))}
    shown = [
        _("Row %(n)s: %(cells)s")
        % {"n": number, "cells": " · ".join(cell_text(c) for c in cells if c) or _("empty")}
        for number, cells in rows[: d.limit]
    ]
    left = len(rows) - len(shown)
    more = (
        ngettext("… and %(n)s more", "… and %(n)s more", left) % {"n": number_text(left)}
        if left
        else ""
    )
    return said_lines(head, *shown, more)


def _undo(d: Details) -> Said:
    return said_lines(
        _("Edit #%(id)s (%(kind)s) undone")
        % {"id": d["edit"], "kind": choice_text(Edit.Kind, d["undone"])}
    )


def _redo(d: Details) -> Said:
    return said_lines(
        _("Edit #%(id)s (%(kind)s) made again")
        % {"id": d["edit"], "kind": choice_text(Edit.Kind, d["redone"])}
    )


def _queued(d: Details) -> Said:
    rows = count_of(d["rows"])
    parts = [
        ngettext("%(sending)s: %(n)s row queued", "%(sending)s: %(n)s rows queued", rows)
        % {"sending": d.sending, "n": number_text(rows)}
    ]
    if d["resend"]:
        parts.append(_("a resend"))
    if d["resumes"]:
        parts.append(_("resumes the paused sending #%(id)s") % {"id": d["resumes"]})
    return said_lines("; ".join(parts))


def _started(d: Details) -> Said:
    return said_lines(d.sending)


def _finished(d: Details) -> Said:
    summary = outcome_summary(d.get("outcomes", {})) or _("no rows")
    return said_lines(f"{d.sending}: {summary}")


def _cancelled(d: Details) -> Said:
    if d["paused"]:
        return said_lines(
            _("%(sending)s was paused when it was cancelled.") % {"sending": d.sending}
        )
    return said_lines(d.sending)


def _failed(d: Details) -> Said:
    problem = stored_text(d["problem"])
    cause = no_answer_words(d["http_status"]) if d["cause"] == "unreachable" else ""
    outcomes = outcome_summary(d.get("outcomes", {}))
    not_sent = count_of(d["not_sent"])
    return said_lines(
        f"{d.sending}: {problem}" if problem else d.sending,
        cause,
        outcomes,
        outcome_summary({"not_sent": not_sent}) if not_sent and not outcomes else "",
    )


def _waiting(d: Details) -> Said:
    retry = d["retry_at"]
    return said_lines(
        f"{d.sending}: {no_answer_words(d['http_status'])}",
        _("Next try: %(when)s") % {"when": value_text(retry)} if retry else "",
        request_id_text(d["request_id"]),
    )


def _outcomes(d: Details) -> Said:
    counts = d.get("outcomes", {})
    rows = count_of(d["rows"])
    d.get("rows_digest")  # the chain's; verify_audit compares it with the stored answers
    summary = outcome_summary(counts) or ngettext("%(n)s row", "%(n)s rows", rows) % {
        "n": number_text(rows)
    }
    return said_lines(
        _("%(sending)s, request %(chunk)s: %(outcomes)s")
        # Requests are counted from 1 for the reader (stored from 0, as the chunks are).
        % {"sending": d.sending, "chunk": request_number(d["chunk"]), "outcomes": summary},
        request_id_text(d["request_id"]),
    )


def _paused(d: Details) -> Said:
    rows = count_of(d["of"])
    not_sent = count_of(d["not_sent"])
    return said_lines(
        ngettext(
            "%(sending)s: Thulium refused %(refused)s of %(rows)s row with %(cause)s",
            "%(sending)s: Thulium refused %(refused)s of %(rows)s rows with %(cause)s",
            rows,
        )
        % {
            "sending": d.sending,
            "refused": number_text(count_of(d["refused"])),
            "rows": number_text(rows),
            "cause": quoted(d["cause"]),
        },
        outcome_summary({"not_sent": not_sent}),
    )


def _revert(d: Details) -> Said:
    rows = count_of(d["rows"])
    if d.has("whole_grid") and d["whole_grid"]:
        return said_lines(
            ngettext(
                "Reverts every sending of grid #%(grid)s: %(n)s row",
                "Reverts every sending of grid #%(grid)s: %(n)s rows",
                rows,
            )
            % {"grid": d["reverts_grid"] or "?", "n": number_text(rows)}
        )
    return said_lines(
        ngettext(
            "Reverts sending #%(sending)s of grid #%(grid)s: %(n)s row",
            "Reverts sending #%(sending)s of grid #%(grid)s: %(n)s rows",
            rows,
        )
        % {
            "sending": d.entry.submission_id or "?",
            "grid": d["reverts_grid"] or "?",
            "n": number_text(rows),
        }
    )


def _export(d: Details) -> Said:
    """The history or a grid taken out: the file, its rows, the filters."""
    rows = count_of(d["rows"])
    fmt = str(d["format"] or "").upper()
    file = ngettext("%(format)s file, %(n)s row", "%(format)s file, %(n)s rows", rows) % {
        "format": fmt,
        "n": number_text(rows),
    }
    return said_lines(file, filters_text(d["filters"]) if d.has("filters") else "")


def _login_failed(d: Details) -> Said:
    name = d["username"]
    return said_lines(_("User name tried: %(name)s") % {"name": quoted(name)} if name else "")


def _chain(d: Details, head: str, chain: str) -> list[str]:
    state = d[chain]
    return [
        _("Last link before: %(head)s") % {"head": d[head]} if d[head] else "",
        _("The chain before: %(state)s")
        % {"state": _("intact") if state in (None, "intact") else state},
    ]


def _rekeyed(d: Details) -> Said:
    return said_lines(
        _("Entries keyed: %(n)s") % {"n": number_text(count_of(d["entries"]))},
        *_chain(d, "plain_head", "plain_chain"),
    )


def _details_split(d: Details) -> Said:
    return said_lines(
        _("Entries: %(n)s; personal details moved out of the chain: %(moved)s")
        % {
            "n": number_text(count_of(d["entries"])),
            "moved": number_text(count_of(d["details_moved"])),
        },
        *_chain(d, "previous_head", "previous_chain"),
    )


def _fields_learned(d: Details) -> Said:
    confirmed, unknown = d.get("confirmed", []), d.get("unknown", [])
    return said_lines(
        _("Thulium took: %(names)s") % {"names": names_text(confirmed)} if confirmed else "",
        _("Unknown to Thulium: %(names)s") % {"names": names_text(unknown)} if unknown else "",
    )


def _remap(d: Details) -> Said:
    released = d.get("released", [])
    return Said(
        sentences=tuple(
            s
            for s in (
                _("Edit #%(id)s") % {"id": d["edit"]},
                _("Columns now ignored: %(columns)s") % {"columns": names_text(released)}
                if released
                else "",
            )
            if s
        ),
        changes=(
            Change(
                what=_("Column %(column)s") % {"column": quoted(d["column"])},
                before=label(d["before"] or ""),
                after=label(d["after"] or ""),
            ),
        ),
    )


def _sending_options(d: Details) -> Said:
    old, new = d.get("old", {}), d.get("new", {})
    return Said(
        changes=tuple(
            Change(key_label(key), _option(key, old.get(key)), _option(key, new.get(key)))
            for key in in_key_order(old | new)
            if old.get(key) != new.get(key)
        )
    )


def _option(key: str, value: Any) -> str:
    if key == "duplicates":
        return choice_text(Duplicates, value)
    if key == "match_by":
        return choice_text(MatchBy, value)
    return value_text(value)


def _value_rule(d: Details) -> Said:
    words = _("“%(text)s” is read as “%(value)s”")
    return said_lines(f"{_rule_target(d)}: {_rule(d, words)}")


def _value_rule_forgotten(d: Details) -> Said:
    words = _("“%(text)s” is no longer read as “%(value)s”")
    return said_lines(f"{_rule_target(d)}: {_rule(d, words)}")


def _rule_target(d: Details) -> str:
    target = d["target"]
    return _("Agent") if target == "agent_login" else _("Status") if target == "status" else target


def _rule(d: Details, words: str) -> str:
    return words % {
        "text": cut_short(stored_text(d["text"]), VALUE_CHARS),
        "value": cut_short(stored_text(d["value"]), VALUE_CHARS),
    }


WORK_RENDERERS: dict[str, Renderer] = {
    A.UPLOAD: _upload,
    A.MAPPING: _mapping,
    A.FIELDS: _fields,
    A.PULL: _pull,
    A.CELL_EDIT: _edit,
    A.BULK_EDIT: _edit,
    A.PASTE: _edit,
    A.REPLACE: _edit,
    A.ROWS_ADDED: _edit,
    A.ROWS_DELETED: _rows_deleted,
    A.UNDO: _undo,
    A.REDO: _redo,
    A.SUBMISSION_QUEUED: _queued,
    A.SUBMISSION_STARTED: _started,
    A.SUBMISSION_FINISHED: _finished,
    A.SUBMISSION_CANCELLED: _cancelled,
    A.SUBMISSION_FAILED: _failed,
    A.OUTCOMES: _outcomes,
    A.REVERT: _revert,
    A.EXPORT: _export,
    A.GRID_EXPORT: _export,
    A.LOGIN_FAILED: _login_failed,
    A.AUDIT_REKEYED: _rekeyed,
    A.FIELDS_LEARNED: _fields_learned,
    A.REMAP: _remap,
    A.SUBMISSION_PAUSED: _paused,
    "submission_waiting": _waiting,
    A.SENDING_OPTIONS: _sending_options,
    A.VALUE_RULE: _value_rule,
    A.VALUE_RULE_FORGOTTEN: _value_rule_forgotten,
    A.AUDIT_DETAILS_SPLIT: _details_split,
}
