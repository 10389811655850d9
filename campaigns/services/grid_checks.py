"""Checking a grid's rows: each row's values and messages rebuilt from its cells, the grid's
mapping and the campaign's rules, stored anew, and the grid's counts and fingerprint kept."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import batched, chain
from typing import Any

from django.db import transaction
from django.db.models import Count, F

from campaigns.collector import cycle_collector_paused
from campaigns.database.bulk_sql import (
    analyze_after_insert,
    as_text,
    insert_many,
    json_text,
    json_value,
    update_many,
)
from campaigns.models import (
    LOST_ANSWER_OUTCOMES,
    Duplicates,
    Grid,
    Row,
    ThuliumNow,
)
from campaigns.rules.messages import ERROR, Message, message
from campaigns.rules.problems import row_problems
from campaigns.rules.row_check import RowCheck, check_row
from campaigns.rules.validation import (
    CampaignRules,
    duplicate_messages,
    live_messages,
    revert_messages,
    row_state,
    upsert_kind,
)
from campaigns.services.listing import Listing, grid_thulium_now_store
from campaigns.services.uploads import upload_rows

# Rebuilding more rows than this one by one costs more than rebuilding the whole grid.
PARTIAL_LIMIT = 5000


# Rows are built once and never changed, yet these are not frozen: a frozen dataclass sets each
# field through object.__setattr__, which made a 100,000-row intake 5% slower (bench/run.py
# --only intake-csv); slotted ones cost 1%.
@dataclass(slots=True)
class RowCells:
    """A row as it comes to be checked: its id (None for a row read from the upload), number and
    cells, and the outcome of its last sending, which rides along."""

    pk: int | None
    number: int
    raw: list[str]
    outcome: str
    outcome_detail: dict[str, Any]
    # What the row holds now of what checking decides (Stored), when it is checked in place.
    stored: Stored | None = None


# A stored row's checked columns, to tell whether checking it again changed anything: values,
# messages, phone, state and kind.
Stored = tuple[dict[str, Any], list[Message], str, str, str]


@dataclass(slots=True)
class RowBuild:
    """A row as it is stored (see rows_store): its id (None lets the database give one), what
    validation made of its cells, and the outcome of its last sending."""

    pk: int | None
    number: int
    raw: list[str]
    values: dict[str, Any]
    messages: list[Message]
    phone: str
    state: str
    outcome: str = ""
    outcome_detail: dict[str, Any] = field(default_factory=dict)
    # How an upsert grid's row goes (see Row.kind).
    kind: str = ""
    stored: Stored | None = None

    def unchanged_from_stored(self) -> bool:
        return self.stored == (self.values, self.messages, self.phone, self.state, self.kind)


@cycle_collector_paused()
def grid_validate(
    *,
    grid: Grid,
    rules: CampaignRules,
    row_ids: Collection[int] | None = None,
    new_raw: Mapping[int, list[str]] | None = None,
    counted: bool = False,
    listing: Listing | None = None,
) -> Grid:
    """Rebuild rows' values and messages from their cells and the grid's mapping.

    With `row_ids`, only those rows — and every row sharing a phone with them before or after,
    whose duplicate messages may change — are rebuilt; otherwise the whole grid. `new_raw` gives
    rows new cells (row id → cells) as they are rebuilt. `counted` says every row rebuilt is in
    the grid's counts already, so they change by difference instead of by a recount. With a
    `listing` (whole grid only, under the grid's lock), the rows are compared with it first.

    In stages: the rows to check, each row checked alone, the rows checked together (copies,
    what Thulium holds), and the rows stored anew with the grid's counts and fingerprint.
    """
    if listing is not None and row_ids is not None:
        raise ValueError("A listing compares the whole grid: give no row_ids.")
    if row_ids is not None and (len(row_ids) > PARTIAL_LIMIT or grid.finds_by_identifier):
        # Rows sharing an identifier are not found by the phone index: check them all.
        row_ids = None
    from_upload = row_ids is None and grid.upload_blocks.exists()
    # The whole grid checked again with the same cells (a comparison with Thulium, rules that
    # changed): only the rows whose checked columns change are written.
    in_place = row_ids is None and not from_upload and not new_raw
    cells_of = _cells_reader(grid)
    rows = (
        _rows_stored(grid)
        if in_place
        else _rows_to_check(grid, rules, cells_of, row_ids, new_raw or {}, from_upload=from_upload)
    )
    checked = [(row, check_row(cells_of(row.raw), rules, grid.mode)) for row in rows]
    if listing is not None:
        grid_thulium_now_store(
            grid,
            listing,
            phones={check.phone for _row, check in checked},
            identifiers={str(check.values.get("identifier") or "") for _row, check in checked},
        )
    built = _rows_checked_together(grid, checked, whole=row_ids is None)
    with transaction.atomic():
        if in_place:
            _rows_update_changed(built)
            grid_recount(grid)
        else:
            _rows_replace(grid, built, row_ids, from_upload=from_upload, counted=counted)
        _fingerprint_keep(grid, rules, whole=row_ids is None)
    return grid


def _rows_stored(grid: Grid) -> list[RowCells]:
    """Every row of the grid with its cells and what checking made of them (its outcome's
    detail is left out: a row checked in place keeps its columns of sending as they are)."""
    rows = grid.rows.order_by("number", "id").values_list(
        "id",
        "number",
        as_text("raw"),
        "outcome",
        as_text("values"),
        as_text("messages"),
        "phone",
        "state",
        "kind",
    )
    return [
        RowCells(
            pk,
            number,
            json_value(raw),
            outcome,
            {},
            (json_value(values), json_value(messages), phone, state, kind),
        )
        for pk, number, raw, outcome, values, messages, phone, state, kind in rows.iterator(
            chunk_size=5000
        )
    ]


def _rows_update_changed(built: Iterable[RowBuild]) -> None:
    """Write the checked columns of the rows whose check changed them (see _stored)."""
    changed = [row for row in built if not row.unchanged_from_stored()]
    columns = ["values", "messages", "phone", "state", "status_id", "agent_login", "clears"]
    columns += ["unchanged", "problems", "kind"]
    casts = ["jsonb", "jsonb", "varchar", "varchar", "varchar", "varchar", "boolean"]
    casts += ["boolean", "text", "varchar"]
    for batch in batched(changed, 5000):
        update_many(
            Row._meta.db_table,
            columns,
            casts,
            [(*_checked_columns(row), row.kind, row.pk) for row in batch],
        )


def _rows_to_check(
    grid: Grid,
    rules: CampaignRules,
    cells_of: Callable[[Sequence[str]], dict[str, str]],
    row_ids: Collection[int] | None,
    new_raw: Mapping[int, list[str]],
    *,
    from_upload: bool,
) -> list[RowCells]:
    """The rows to check, with their new cells: the upload's rows when its mapping is being
    confirmed, every row of the grid, or the chosen ones and every row sharing a phone with
    them before or after."""
    if from_upload:
        # The mapping is being confirmed: the rows are checked and stored for the first time.
        return [RowCells(None, n, raw, "", {}) for n, raw in upload_rows(grid)]
    rows = grid.rows.order_by("number", "id")
    # Outcomes from sending ride along unchanged: re-validation is not a verdict.
    kept = ("id", "number", "raw", "outcome", "outcome_detail")  # RowCells' fields, in order
    if row_ids is None:
        return [
            RowCells(pk, n, new_raw.get(pk, raw), outcome, detail)
            for pk, n, raw, outcome, detail in rows.values_list(*kept)
        ]
    chosen = rows.filter(id__in=row_ids)
    stored = [
        RowCells(pk, n, new_raw.get(pk, raw), outcome, detail)
        for pk, n, raw, outcome, detail in chosen.values_list(*kept)
    ]
    phones = set(chosen.values_list("phone", flat=True))
    phones |= {check_row(cells_of(row.raw), rules, grid.mode).phone for row in stored}
    phones.discard("")
    if phones:
        # Unordered: ordered by number, SQLite walks the whole grid instead of the phone index.
        sharing = rows.filter(phone__in=phones).exclude(id__in=row_ids).order_by()
        stored += [RowCells(*row) for row in sharing.values_list(*kept)]
    return stored


def _rows_checked_together(
    grid: Grid, checked: list[tuple[RowCells, RowCheck]], *, whole: bool
) -> Iterator[RowBuild]:
    """Each row's messages with what only the rows together tell: copies of a number (or an
    identifier), what Thulium holds for it, and what a revert cannot put back."""
    by_identifier = grid.finds_by_identifier
    if by_identifier:
        keys = [_identifier_key(check.values) for _row, check in checked]
        duplicates = duplicate_messages(
            ((row.number, check.values.get("identifier", "")) for row, check in checked),
            field="identifier",
            code="identifier_duplicate",
        )
    else:
        keys = [check.phone for _row, check in checked]
        duplicates = duplicate_messages((row.number, check.phone) for row, check in checked)
    held = _held_in_thulium(grid, set(keys), whole=whole)
    # A revert grid knows what its rows cannot put back (see submission_revert).
    cannot_put_back = grid.pull_filters.get("cannot_put_back", {}) if grid.pull_filters else {}
    upsert = grid.mode == Grid.Mode.UPSERT
    for (row, check), key in zip(checked, keys, strict=True):
        number = row.number
        messages = check.messages + ([duplicates[number]] if number in duplicates else [])
        if by_identifier and not check.values.get("identifier"):
            messages.append(message("identifier", ERROR, "identifier_needed"))
        if key in held:
            count, now = held[key]
            messages += live_messages(
                grid.mode,
                count,
                # "No change" is news only about a row that could be sent.
                values=None if row_state(messages) == Row.State.ERROR else check.values,
                now=now,
                search_additional=grid.search_additional,
                every_record=grid.duplicates == Duplicates.EVERY_RECORD,
                answer_lost=row.outcome in LOST_ANSWER_OUTCOMES,
                by_identifier=by_identifier,
            )
            if any(m["code"] == "no_change" for m in messages):
                # Said better by "no change", which also says the row stays out.
                messages = [m for m in messages if m["code"] != "nothing_to_change"]
        if notes := cannot_put_back.get(check.phone):
            messages += revert_messages(notes)
        yield RowBuild(
            pk=row.pk,
            number=number,
            raw=row.raw,
            values=check.values,
            messages=messages,
            phone=check.phone,
            state=row_state(messages),
            outcome=row.outcome,
            outcome_detail=row.outcome_detail,
            kind=upsert_kind(held[key][0] if key in held else None) if upsert else "",
            stored=row.stored,
        )


def _rows_replace(
    grid: Grid,
    built: Iterable[RowBuild],
    row_ids: Collection[int] | None,
    *,
    from_upload: bool,
    counted: bool,
) -> None:
    """Store the rows anew and keep the grid's counts. Recreating rows (ids kept) is far
    cheaper than updating each: bulk_update writes one CASE per row and value
    (docs/adr/0002)."""
    was: Counter[str] = Counter()
    if row_ids is not None:
        built = list(built)  # read three times below; a whole grid's streams into the store
    if from_upload:
        grid.upload_blocks.all().delete()
    elif row_ids is None:
        grid.rows.all().delete()
    else:
        for chunk in batched([row.pk for row in built if row.pk is not None], 500):
            was.update(Row.objects.filter(id__in=chunk).values_list("state", flat=True))
            Row.objects.filter(id__in=chunk).delete()
    rows_store(grid=grid, rows=built)
    if row_ids is None or not counted:
        grid_recount(grid)
        return
    # A cell edit on a large grid: counting every row again cost more than the edit.
    # F() so that two edits at once both count.
    now = Counter(row.state for row in built)
    Grid.objects.filter(pk=grid.pk).update(
        **{
            f"rows_{name}": F(f"rows_{name}") + now[state] - was[state]
            for name, state in (
                ("valid", Row.State.VALID),
                ("warning", Row.State.WARNING),
                ("error", Row.State.ERROR),
            )
        }
    )
    grid.refresh_from_db(fields=["rows_valid", "rows_warning", "rows_error"])


def _fingerprint_keep(grid: Grid, rules: CampaignRules, *, whole: bool) -> None:
    """The rules the grid's rows were checked with, kept only when all of them were."""
    checked_with = grid_rules_fingerprint(grid, rules)
    stamped = Grid.objects.filter(pk=grid.pk)
    if whole:
        stamped.update(validated_with=checked_with)
    else:
        # Some rows checked with these rules: the grid keeps its fingerprint only if the
        # rest were checked with the same ones (as stored, not as this object last saw it).
        stamped.exclude(validated_with=checked_with).update(validated_with="")
    grid.refresh_from_db(fields=["validated_with"])


def grid_rules_fingerprint(grid: Grid, rules: CampaignRules) -> str:
    """The fingerprint of what decides a row's messages besides its cells: the campaign's rules,
    the grid's mode, mapping and sending options (`Grid.validated_with`)."""
    options = (grid.mode, grid.mapping, grid.duplicates, grid.match_by, grid.search_additional)
    return hashlib.sha256(repr((rules.fingerprint, options)).encode()).hexdigest()[:20]


def _identifier_key(values: Mapping[str, Any]) -> str:
    """The ThuliumNow key of a row found by identifier ("" when the row has none)."""
    identifier = values.get("identifier", "")
    return ThuliumNow.IDENTIFIER_KEY + identifier if identifier else ""


def _held_in_thulium(
    grid: Grid, phones: set[str], *, whole: bool
) -> dict[str, tuple[int, dict[str, Any]]]:
    """How many records the campaign held for each phone when the grid was last compared with
    Thulium, and what the only one held (phones not compared since they were typed are absent:
    nothing is known)."""
    if grid.compared_at is None:
        return {}
    known = ThuliumNow.objects.filter(grid=grid)
    if not whole:
        known = known.filter(phone__in=phones - {""})
    return {
        phone: (count, json_value(values))
        for phone, count, values in known.values_list("phone", "count", as_text("values"))
    }


def grid_recount(grid: Grid) -> None:
    states = Counter(dict(grid.rows.values_list("state").annotate(n=Count("id")).order_by()))
    grid.rows_error = states[Row.State.ERROR]
    grid.rows_warning = states[Row.State.WARNING]
    grid.rows_valid = states[Row.State.VALID]
    grid.rows_total = grid.rows_valid + grid.rows_warning + grid.rows_error
    grid.save(update_fields=["rows_total", "rows_error", "rows_warning", "rows_valid"])


def rows_store(*, grid: Grid, rows: Iterable[RowBuild]) -> None:
    """Insert rows into the grid as they come (see bulk_sql: one COPY on PostgreSQL, executemany
    on SQLite; on 100,000 rows several times faster than bulk_create). A row with an id keeps
    it. JSON is written as text, the empty list and object without encoding them. The grid's
    counts are the caller's to keep (grid_recount, or grid_validate after)."""
    columns = ["grid_id", "number", "raw", "values", "messages", "phone", "state"]
    columns += ["status_id", "agent_login", "clears", "unchanged", "problems"]
    columns += ["outcome", "outcome_detail", "kind"]
    # A store is rows read from a file (no ids) or rows rebuilt (ids kept): the rows of the
    # first one's sort stream in, any of the other are kept aside and stored after.
    coming = iter(rows)
    head = next(coming, None)
    if head is None:
        return
    with_id = head.pk is not None
    aside: list[RowBuild] = []

    def streamed() -> Iterator[tuple[Any, ...]]:
        for row in chain([head], coming):
            if (row.pk is not None) is with_id:
                yield _stored(grid, row, with_id=with_id)
            else:
                aside.append(row)

    inserted = insert_many(Row._meta.db_table, _id_first(columns, with_id), streamed())
    inserted += insert_many(
        Row._meta.db_table,
        _id_first(columns, not with_id),
        [_stored(grid, row, with_id=not with_id) for row in aside],
    )
    analyze_after_insert(Row._meta.db_table, inserted)


def _id_first(columns: list[str], with_id: bool) -> list[str]:
    return ["id", *columns] if with_id else columns


def _stored(grid: Grid, row: RowBuild, *, with_id: bool) -> tuple[Any, ...]:
    """The row as rows_store writes it, in its columns' order."""
    return (
        ((row.pk,) if with_id else ())
        + (grid.pk, row.number, json_text(row.raw))
        + _checked_columns(row)
        + (row.outcome, json_text(row.outcome_detail), row.kind)
    )


def _checked_columns(row: RowBuild) -> tuple[Any, ...]:
    """What checking decides of a row, as stored: values, messages, phone, state, status_id,
    agent_login, clears, unchanged and problems."""
    values, messages = row.values, row.messages
    return (
        json_text(values),
        json_text(messages),
        row.phone,
        row.state,
        values.get("status_id", ""),
        values.get("agent_login", ""),
        "" in values.get("record_fields", {}).values(),
        bool(messages) and any(m["code"] == "no_change" for m in messages),
        row_problems(messages) if messages else "",
    )


def _cells_reader(grid: Grid) -> Callable[[Sequence[str]], dict[str, str]]:
    pairs = [(i, target) for i, target in enumerate(grid.mapping) if target]

    def cells_of(raw: Sequence[str]) -> dict[str, str]:
        return {target: (raw[i] if i < len(raw) else "") for i, target in pairs}

    return cells_of
