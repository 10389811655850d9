"""The shape of a request, per mode: the rows a chunk sends (each built once, for Thulium and
for history), one request for them — an edit by phone, by identifier or of every record holding
a phone, an addition, a removal — and each row's verdict; and, before an addition is sent again,
the lookup that finds the rows a lost answer had added (POST is not idempotent)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import thulium
from campaigns.database.bulk_sql import as_text, json_value
from campaigns.models import Chunk, Grid, Outcome, Row, Submission
from campaigns.services.listing import campaign_records_by_phone
from campaigns.services.rows import record_payload, values_record
from campaigns.services.verdicts import (
    Verdict,
    Verdicts,
    addition_verdict,
    edit_verdict,
    removal_verdict,
)


@dataclass(slots=True)
class _SendRow:
    """What sending needs of a row, read as values (Row objects cost three times as much), with
    its request built once: the same record goes to Thulium and its payload into history."""

    pk: int
    number: int
    phone: str
    values: dict[str, Any]
    outcome: str
    outcome_detail: dict[str, Any]
    record: thulium.RecordEdit | thulium.NewRecord | None
    payload: dict[str, Any]
    # The mode the row goes in: the grid's, or an upsert row's kind (Grid.sends_as).
    mode: str


def _record_edit(row: _SendRow) -> thulium.RecordEdit:
    """The row's record of an edit grid (values_record built it for the grid's mode)."""
    if not isinstance(row.record, thulium.RecordEdit):
        raise TypeError(f"row {row.pk} of an edit grid carries {row.record!r}")
    return row.record


def _new_record(row: _SendRow) -> thulium.NewRecord:
    """The row's record of an add grid (values_record built it for the grid's mode)."""
    if not isinstance(row.record, thulium.NewRecord):
        raise TypeError(f"row {row.pk} of an add grid carries {row.record!r}")
    return row.record


def _send_rows(grid: Grid, row_ids: Sequence[int]) -> list[_SendRow]:
    rows = []
    # Only an addition looks at the last answer (was it lost?): elsewhere it is not read.
    adding = grid.takes_new_records
    fields: list[Any] = ["id", "number", "phone", as_text("values"), "outcome", "kind"]
    fields += [as_text("outcome_detail")] if adding else []
    found = Row.objects.filter(id__any_of=row_ids).order_by("number", "id").values_list(*fields)
    for pk, number, phone, values_text, outcome, kind, *last in found:
        values = json_value(values_text)
        detail = json_value(last[0]) if last else {}
        if grid.mode == Grid.Mode.REMOVE:
            record, payload = None, {"phone_number": values.get("phone_number", "")}
        else:
            record = values_record(grid, values, kind=kind)
            payload = record_payload(grid, record)
        mode = grid.sends_as(kind)
        rows.append(_SendRow(pk, number, phone, values, outcome, detail, record, payload, mode))
    return rows


def _chunk_mode(grid: Grid, rows: Sequence[_SendRow]) -> str:
    """The mode of a chunk's request: the grid's, or for an upsert grid its rows' one kind
    (submission_create never mixes kinds in a chunk)."""
    modes = {row.mode for row in rows}
    if len(modes) > 1:
        raise ValueError(f"a chunk of grid {grid.pk} mixes {sorted(modes)}")
    return modes.pop() if modes else grid.mode


def _send(
    submission: Submission, chunk: Chunk, rows: Sequence[_SendRow], client: thulium.ThuliumClient
) -> tuple[Verdicts, str | None]:
    """One request for the rows, in the grid's mode; each row's verdict, and the request id.
    Rows whose phone several records share go one request per record, by identifier."""
    if not rows:
        return {}, None
    grid, campaign_id = submission.grid, submission.campaign.thulium_id
    mode = _chunk_mode(grid, rows)
    if mode == Grid.Mode.REMOVE:
        removed = client.batch_delete(
            campaign_id,
            [row.phone for row in rows],
            search_in_additional_numbers=grid.search_additional,
        )
        return {row.pk: removal_verdict(removed.rows.get(row.phone)) for row in rows}, (
            removed.request_id
        )
    if mode == Grid.Mode.ADD:
        added = client.batch_add(campaign_id, [_new_record(row) for row in rows])
        return {row.pk: addition_verdict(added.rows.get(row.phone)) for row in rows}, (
            added.request_id
        )
    if grid.finds_by_identifier:
        return {row.pk: _by_identifier(campaign_id, grid, row, client) for row in rows}, None
    shared = {row.pk for row in rows if "records" in chunk.before.get(str(row.pk), {})}
    verdicts = {
        row.pk: _every_record(campaign_id, grid, row, chunk.before[str(row.pk)], client)
        for row in rows
        if row.pk in shared
    }
    by_phone = [row for row in rows if row.pk not in shared]
    if not by_phone:
        return verdicts, None
    edited = client.batch_edit(
        campaign_id,
        [_record_edit(row) for row in by_phone],
        search_in_additional_numbers=grid.search_additional,
    )
    verdicts |= {row.pk: edit_verdict(edited.rows.get(row.phone)) for row in by_phone}
    return verdicts, edited.request_id


def _by_identifier(
    campaign_id: str, grid: Grid, row: _SendRow, client: thulium.ThuliumClient
) -> Verdict:
    """Edit the one record the row's identifier names (the grid finds records so)."""
    try:
        client.edit_record_by_identifier(
            campaign_id,
            row.values["identifier"],
            _record_edit(row),
        )
    except thulium.ThuliumNotFound as error:
        # The record, not the campaign: Thulium's 404 here names the identifier.
        return Verdict(Outcome.NOT_FOUND, 404, "", "; ".join(error.messages))
    except thulium.ThuliumRejected as error:
        return Verdict(Outcome.REJECTED, error.http_status, "", "; ".join(error.messages))
    return Verdict(Outcome.UPDATED, 204)


def _every_record(
    campaign_id: str,
    grid: Grid,
    row: _SendRow,
    before: Mapping[str, Any],
    client: thulium.ThuliumClient,
) -> Verdict:
    """Edit each record holding the row's phone by its identifier (the supervisor chose to
    change every one). The row keeps every record's answer, as a removal does."""
    changes = _record_edit(row)
    answers = []
    for record in before["records"]:
        answer = {"record_id": record.get("record_id"), "identifier": record["identifier"]}
        if not record["identifier"]:
            answers.append(answer | {"http_status": None, "status": "NO_IDENTIFIER"})
            continue
        try:
            client.edit_record_by_identifier(campaign_id, record["identifier"], changes)
        except thulium.ThuliumNotFound as error:
            answers.append(answer | {"http_status": 404, "message": "; ".join(error.messages)})
        except thulium.ThuliumRejected as error:
            answers.append(
                answer | {"http_status": error.http_status, "message": "; ".join(error.messages)}
            )
        else:
            answers.append(answer | {"http_status": 204})
    done = [a for a in answers if a["http_status"] == 204]
    missing = [a for a in answers if a.get("status") == "NO_IDENTIFIER"]
    refused = [a for a in answers if a not in done and a not in missing]
    messages = [a["message"] for a in refused if a.get("message")]
    if missing:
        messages.append(
            ngettext(
                "%(n)s record with this number has no identifier, so it cannot be told apart: "
                "edit it in Thulium.",
                "%(n)s records with this number have no identifier, so they cannot be told "
                "apart: edit them in Thulium.",
                len(missing),
            )
            % {"n": len(missing)}
        )
    extra = {"records": answers}
    if not refused and not missing:
        return Verdict(Outcome.UPDATED, 204, extra=extra)
    if not done and not refused:
        return Verdict(Outcome.NOT_SENT, None, "NO_IDENTIFIER", "; ".join(messages), extra)
    status = (
        Outcome.NOT_FOUND
        if refused and all(a["http_status"] == 404 for a in refused)
        else (Outcome.REJECTED)
    )
    return Verdict(
        status, refused[0]["http_status"] if refused else None, "", "; ".join(messages), extra
    )


def _reconcile_added(
    submission: Submission,
    chunk: Chunk,
    rows: Sequence[_SendRow],
    client: thulium.ThuliumClient,
    seen: dict[str, list[thulium.Record]],
) -> Verdicts:
    """POST is not idempotent: before sending rows whose earlier answer was lost (a worker died
    with the chunk, or a resend of a transport error), look in Thulium. A record that matches
    what we sent and was not there before this sending was added by us; one that was there
    before already existed. Rows not found are sent."""
    lost = [r for r in rows if chunk.attempts > 1 or r.outcome_detail.get("answer_lost")]
    if not lost:
        return {}
    if not seen:
        seen.update(campaign_records_by_phone(client, submission.campaign))
    verdicts: Verdicts = {}
    for row in lost:
        payload = row.payload
        found = [r for r in seen.get(row.phone, []) if _matches(r, payload)]
        if not found:
            continue
        if str(row.pk) in chunk.before and not row.outcome_detail.get("answer_lost"):
            verdicts[row.pk] = Verdict(Outcome.ALREADY_EXISTS, None, thulium.ALREADY_EXISTS)
        else:
            verdicts[row.pk] = Verdict(
                Outcome.ADDED,
                None,
                "RECONCILED",
                _(
                    "Thulium's answer was lost; the record was found in Thulium as sent, "
                    "so it counts as added and was not sent again."
                ),
                {"record_id": found[0].record_id},
            )
    return verdicts


def _matches(record: thulium.Record, payload: dict[str, Any]) -> bool:
    """Does the record carry what we sent? (The listing has no record fields to compare.)"""
    moment = record.next_call_date
    listed = {
        "identifier": record.identifier,
        "status_id": record.status_id,
        "agent_login": record.agent_login,
        "next_call_date": thulium.format_date_time(moment) if moment else "",
    }
    return all(str(payload[key]) == value for key, value in listed.items() if key in payload)
