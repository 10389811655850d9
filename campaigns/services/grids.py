"""Making grids: from a file (then a confirmed mapping), from a Thulium pull, or empty."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from itertools import batched
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils.translation import gettext as _

from campaigns import thulium
from campaigns.bulk_sql import analyze_after_insert, insert_many, json_text
from campaigns.headers import normalise_header
from campaigns.messages import ERROR, message
from campaigns.models import (
    LOST_ANSWER_OUTCOMES,
    AuditEntry,
    Campaign,
    CampaignField,
    Duplicates,
    Grid,
    Row,
    Submission,
    ThuliumNow,
    UploadBlock,
)
from campaigns.problems import row_problems
from campaigns.services.audit import audit
from campaigns.services.connection import Problem
from campaigns.services.listing import (
    Listing,
    campaign_agent_names_learn,
    campaign_listing_fetch,
    campaign_listing_fresh,
    grid_thulium_now_store,
)
from campaigns.services.locking import grid_lock
from campaigns.services.mapping import mapping_suggest
from campaigns.services.uploads import (
    FIRST_VALUES,
    SAMPLE_ROWS,
    read_upload,
    upload_rows,
    upload_rows_at,
)
from campaigns.services.validation import campaign_rules
from campaigns.targets import FIELD_PREFIX, RECORD_TARGETS, field_target
from campaigns.text import without_nul
from campaigns.validation import (
    CampaignRules,
    check_row,
    duplicate_messages,
    live_messages,
    revert_messages,
    row_state,
)

PULL_HEADERS = ["phone_number", "status", "agent_login", "next_call_date", "identifier"]
BULK_BATCH = 2000
# Rebuilding more rows than this one by one costs more than rebuilding the whole grid.
PARTIAL_LIMIT = 5000


class MappingProblem(Problem):
    """The confirmed mapping cannot build a grid; the message says what to change."""


@dataclass(frozen=True)
class PullFilters:
    status_ids: Sequence[str] = field(default_factory=tuple)
    system_statuses: Sequence[str] = field(default_factory=tuple)
    created_from: date | None = None
    created_to: date | None = None
    called_from: date | None = None
    called_to: date | None = None


def campaign_for(*, thulium_id: str, name: str = "") -> Campaign:
    """Our record of a Thulium campaign, made on first use; keeps the name current."""
    campaign, created = Campaign.objects.get_or_create(
        thulium_id=thulium_id, defaults={"name": name}
    )
    if name and not created and campaign.name != name:
        campaign.name = name
        campaign.save(update_fields=["name"])
    return campaign


def campaign_fields_add(
    *, campaign: Campaign, names: Sequence[str], actor: AbstractBaseUser | None = None
) -> list[str]:
    """Add names to the campaign's field list; returns those that were new."""
    with transaction.atomic():
        return _fields_add(campaign, names, actor)


def _fields_add(
    campaign: Campaign, names: Sequence[str], actor: AbstractBaseUser | None
) -> list[str]:
    existing = set(campaign.field_names())
    position = campaign.fields.aggregate(top=Max("position"))["top"] or 0
    added = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        if name not in existing:
            position += 1
            CampaignField.objects.create(campaign=campaign, name=name, position=position)
            added.append(name)
    if added:
        audit(
            action=AuditEntry.Action.FIELDS,
            actor=actor,
            campaign=campaign.thulium_id,
            fields=added,
        )
    return added


def grid_create_from_file(
    *,
    campaign: Campaign,
    author: AbstractBaseUser | None,
    data: bytes,
    filename: str,
    delimiter: str | None = None,
    encoding: str | None = None,
    mode: str = Grid.Mode.EDIT,
) -> Grid:
    """Read the file into a grid waiting for its column mapping. Raises FileProblem."""
    upload = read_upload(data, filename, delimiter=delimiter, encoding=encoding)
    table = upload.table
    with transaction.atomic():
        grid = Grid.objects.create(
            campaign=campaign,
            author=author,
            mode=mode,
            source=Grid.Source.FILE,
            state=Grid.State.MAPPING,
            file_name=without_nul(filename)[:255],
            file_size=len(data),
            file_sha256=hashlib.sha256(data).hexdigest(),
            file_format=table.format,
            file_encoding=table.encoding,
            file_delimiter=table.delimiter,
            header_row_number=table.header_row_number,
            headers=table.headers,
            mapping=mapping_suggest(
                campaign=campaign, headers=table.headers, samples=table.rows[:SAMPLE_ROWS]
            ),
            rows_total=upload.rows,
            column_fill=upload.columns,
            column_types=table.column_types,
        )
        audit(
            action=AuditEntry.Action.UPLOAD,
            actor=author,
            campaign=campaign.thulium_id,
            grid_id=grid.pk,
            file_name=grid.file_name,
            size=grid.file_size,
            sha256=grid.file_sha256,
            mode=mode,
            format=table.format,
            encoding=table.encoding,
            delimiter=table.delimiter,
            rows=upload.rows,
        )
        insert_many(
            UploadBlock._meta.db_table,
            ["grid_id", "index", "rows"],
            [(grid.pk, index, block) for index, block in enumerate(upload.blocks)],
        )
    return grid


def grid_samples(grid: Grid, count: int = SAMPLE_ROWS) -> list[list[str]]:
    """The first rows' cells, for the mapping page: from the upload while it waits for its
    mapping, else from the grid's rows."""
    if grid.state == Grid.State.MAPPING:
        return [cells for _number, cells in upload_rows(grid, limit=count)]
    return list(grid.rows.order_by("number").values_list("raw", flat=True)[:count])


@dataclass(frozen=True)
class ColumnSample:
    """A column of the file on the mapping page: its first filled cells, and how many of the
    file's rows fill it (None for a grid read before that was counted)."""

    values: list[str]
    filled: int | None


def grid_column_samples(grid: Grid) -> list[ColumnSample]:
    """Each column's first filled cells, wherever they are in the file, and its filled rows:
    from what the intake counted, reading only the rows that hold those cells."""
    fill = grid.column_fill
    if len(fill) != len(grid.headers):
        rows = grid_samples(grid)
        return [
            ColumnSample([r[i] for r in rows if i < len(r) and r[i]][:FIRST_VALUES], None)
            for i in range(len(grid.headers))
        ]
    places = [place for column in fill for place in column["first"]]
    if grid.state == Grid.State.MAPPING:
        by_position = upload_rows_at(grid, {position for position, _number in places})
        cells_at = {(p, n): by_position.get(p, []) for p, n in places}
    else:
        numbers = {number for _position, number in places}
        by_number = dict(grid.rows.filter(number__in=numbers).values_list("number", "raw"))
        cells_at = {(p, n): by_number.get(n, []) for p, n in places}
    samples = []
    for i, column in enumerate(fill):
        cells = (cells_at[(p, n)] for p, n in column["first"])
        # A cell erased or edited since the file was read is left out rather than shown empty.
        values = [c[i] for c in cells if i < len(c) and c[i]]
        samples.append(ColumnSample(values, column["filled"]))
    return samples


def grid_confirm_mapping(
    *,
    grid: Grid,
    mapping: Sequence[str],
    learn_fields: Sequence[str] = (),
    client: thulium.ThuliumClient,
    actor: AbstractBaseUser | None = None,
    listing: Listing | None = None,
) -> Grid:
    """Apply the supervisor's mapping, remember it, and validate every row against Thulium.

    `learn_fields` are headers of unmapped columns that become campaign fields (and are mapped
    to themselves). The rows are compared with `listing`, or else with the campaign's kept
    listing while it is fresh. Raises MappingProblem, or ThuliumError when the campaign cannot
    be read.
    """
    campaign = grid.campaign
    mapping = list(mapping)
    if len(mapping) != len(grid.headers):
        raise MappingProblem(_("The mapping does not match the file's columns. Upload again."))
    # Thulium matches field names exactly: a header that is a known field written another way
    # ("Imię" for "imię") is that field, never a second one.
    known = {normalise_header(name): name for name in campaign.field_names()}
    learn = []
    for position, header in enumerate(grid.headers):
        if header in learn_fields and not mapping[position]:
            name = known.get(normalise_header(header)) or header.strip()
            mapping[position] = field_target(name)
            if name not in known.values():
                learn.append(name)
    mapping_check(mapping, campaign, extra_fields=set(learn))
    rules = campaign_rules(campaign=campaign, client=client)
    with transaction.atomic():
        # The caller's grid is the one changed below (and returned): the lock only serialises.
        grid.version = grid_lock(grid).version
        campaign_fields_add(campaign=campaign, names=learn, actor=actor)
        campaign.remembered_mapping = campaign.remembered_mapping | {
            normalise_header(header): target
            for header, target in zip(grid.headers, mapping, strict=True)
        }
        campaign.save(update_fields=["remembered_mapping"])
        grid.mapping = mapping
        grid.state = Grid.State.READY
        grid.save(update_fields=["mapping", "state"])
        # Read in the background since the upload (services/listing.py): the first view knows
        # which numbers the campaign lacks or holds twice, and the agents' names.
        listing = listing or campaign_listing_fresh(campaign)
        campaign.refresh_from_db(fields=["agent_names"])
        rules = replace(rules, agent_names=campaign.agent_names)
        grid_validate(grid=grid, rules=_with_fields(rules, campaign), listing=listing)
        audit(
            action=AuditEntry.Action.MAPPING,
            actor=actor,
            campaign=campaign.thulium_id,
            grid_id=grid.pk,
            mapping=dict(zip(grid.headers, mapping, strict=True)),
            valid=grid.rows_valid,
            warnings=grid.rows_warning,
            errors=grid.rows_error,
        )
    return grid


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
    """
    if listing is not None and row_ids is not None:
        raise ValueError("A listing compares the whole grid: give no row_ids.")
    new_raw = new_raw or {}
    by_identifier = grid.finds_by_identifier
    if row_ids is not None and (len(row_ids) > PARTIAL_LIMIT or by_identifier):
        # Rows sharing an identifier are not found by the phone index: check them all.
        row_ids = None
    cells_of = _cells_reader(grid)
    rows = grid.rows.order_by("number", "id")
    # Outcomes from sending ride along unchanged: re-validation is not a verdict.
    kept = ("id", "number", "raw", "outcome", "outcome_detail")
    from_upload = row_ids is None and grid.upload_blocks.exists()
    if from_upload:
        # The mapping is being confirmed: the rows are checked and stored for the first time.
        stored = [(None, n, raw, "", {}) for n, raw in upload_rows(grid)]
    elif row_ids is None:
        stored = [
            (pk, n, new_raw.get(pk, raw), *rest) for pk, n, raw, *rest in rows.values_list(*kept)
        ]
    else:
        chosen = rows.filter(id__in=row_ids)
        stored = [
            (pk, n, new_raw.get(pk, raw), *rest) for pk, n, raw, *rest in chosen.values_list(*kept)
        ]
        phones = set(chosen.values_list("phone", flat=True))
        phones |= {check_row(cells_of(row[2]), rules, grid.mode).phone for row in stored}
        phones.discard("")
        if phones:
            # Unordered: ordered by number, SQLite walks the whole grid instead of the phone index.
            sharing = rows.filter(phone__in=phones).exclude(id__in=row_ids).order_by()
            stored += sharing.values_list(*kept)
    checked = [(row, check_row(cells_of(row[2]), rules, grid.mode)) for row in stored]
    if by_identifier:
        keys = [_identifier_key(check.values) for _row, check in checked]
        duplicates = duplicate_messages(
            ((row[1], check.values.get("identifier", "")) for row, check in checked),
            field="identifier",
            code="identifier_duplicate",
        )
    else:
        keys = [check.phone for _row, check in checked]
        duplicates = duplicate_messages((row[1], check.phone) for row, check in checked)
    if listing is not None:
        grid_thulium_now_store(
            grid,
            listing,
            phones={check.phone for _row, check in checked},
            identifiers={str(check.values.get("identifier") or "") for _row, check in checked},
        )
    held = _held_in_thulium(grid, set(keys), whole=row_ids is None)
    # A revert grid knows what its rows cannot put back (see submission_revert).
    cannot_put_back = grid.pull_filters.get("cannot_put_back", {}) if grid.pull_filters else {}
    written = []
    for ((pk, number, raw, outcome, detail), check), key in zip(checked, keys, strict=True):
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
                answer_lost=outcome in LOST_ANSWER_OUTCOMES,
                by_identifier=by_identifier,
            )
            if any(m["code"] == "no_change" for m in messages):
                # Said better by "no change", which also says the row stays out.
                messages = [m for m in messages if m["code"] != "nothing_to_change"]
        if notes := cannot_put_back.get(check.phone):
            messages += revert_messages(notes)
        state = row_state(messages)
        written.append(
            (pk, number, raw, check.values, messages, check.phone, state, outcome, detail)
        )
    # Recreating rows (ids kept) is far cheaper than updating each: bulk_update writes one CASE
    # per row and value.
    with transaction.atomic():
        was: Counter[str] = Counter()
        if from_upload:
            grid.upload_blocks.all().delete()
        elif row_ids is None:
            grid.rows.all().delete()
        else:
            for chunk in batched([row[0] for row in written], 500):
                was.update(Row.objects.filter(id__in=chunk).values_list("state", flat=True))
                Row.objects.filter(id__in=chunk).delete()
        _insert_rows(grid, written)
        if row_ids is not None and counted:
            # A cell edit on a large grid: counting every row again cost more than the edit.
            # F() so that two edits at once both count.
            now = Counter(row[6] for row in written)
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
        else:
            grid_recount(grid)
        checked_with = grid_rules_fingerprint(grid, rules)
        stamped = Grid.objects.filter(pk=grid.pk)
        if row_ids is None:
            stamped.update(validated_with=checked_with)
        else:
            # Some rows checked with these rules: the grid keeps its fingerprint only if the
            # rest were checked with the same ones (as stored, not as this object last saw it).
            stamped.exclude(validated_with=checked_with).update(validated_with="")
        grid.refresh_from_db(fields=["validated_with"])
    return grid


def campaign_listing_read(*, campaign: Campaign, client: thulium.ThuliumClient) -> Listing | None:
    """Read the campaign's listing, keep it (services/listing.py), and check against it the
    grids whose mapping was confirmed while it was read (one still waiting for its mapping
    takes it then). None when Thulium could not be read."""
    read = campaign_listing_fetch(campaign=campaign, client=client)
    for grid_id in read.waiting if read is not None else ():
        grid_validate_against_listing(grid_id=grid_id, listing=read, client=client)
    return read


def grid_validate_against_listing(
    *, grid_id: int, listing: Listing, client: thulium.ThuliumClient
) -> bool:
    """Check a grid whose mapping was confirmed while the campaign's listing was being read
    against that listing, as its mapping would have; whether it was. A grid still waiting for
    its mapping, compared since, being sent, or emptied by retention is left as it is."""
    with transaction.atomic():
        try:
            grid = grid_lock(grid_id, write=False)
        except Grid.DoesNotExist:  # deleted meanwhile
            return False
        if (
            grid.state != Grid.State.READY
            or (grid.compared_at is not None and grid.compared_at >= listing.read_at)
            or grid.personal_data_removed_at is not None
            or grid.submissions.filter(state__in=Submission.ACTIVE_STATES).exists()
        ):
            return False
        grid = grid_lock(grid_id)  # a write after all: a review made before it is stale
        rules = campaign_rules(campaign=grid.campaign, client=client)
        grid_validate(grid=grid, rules=_with_fields(rules, grid.campaign), listing=listing)
    return True


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
        phone: (count, values)
        for phone, count, values in known.values_list("phone", "count", "values")
    }


def grid_recount(grid: Grid) -> None:
    states = Counter(dict(grid.rows.values_list("state").annotate(n=Count("id")).order_by()))
    grid.rows_error = states[Row.State.ERROR]
    grid.rows_warning = states[Row.State.WARNING]
    grid.rows_valid = states[Row.State.VALID]
    grid.rows_total = grid.rows_valid + grid.rows_warning + grid.rows_error
    grid.save(update_fields=["rows_total", "rows_error", "rows_warning", "rows_valid"])


def grid_create_from_thulium(
    *,
    campaign: Campaign,
    author: AbstractBaseUser | None,
    filters: PullFilters,
    client: thulium.ThuliumClient,
) -> Grid:
    """A grid of the campaign's current records (the listing has no record fields)."""
    seen: set[int] = set()
    raw_rows = []
    names: dict[str, str] = {}
    # Paging by offset can repeat a record that moves while we read: keep each record once.
    for record in client.iter_records(campaign.thulium_id, **asdict(filters)):
        if record.record_id in seen:
            continue
        seen.add(record.record_id)
        if record.agent_name and record.agent_login:
            names[record.agent_login] = record.agent_name
        next_call = thulium.format_date_time(record.next_call_date) if record.next_call_date else ""
        raw_rows.append(
            [
                record.phone_number,
                record.status_id,
                record.agent_login,
                next_call,
                record.identifier,
            ]
        )
    campaign_agent_names_learn(campaign_id=campaign.thulium_id, names=names)
    campaign.refresh_from_db()
    rules = campaign_rules(campaign=campaign, client=client)
    with transaction.atomic():
        grid = grid_create_from_rows(
            campaign=campaign,
            author=author,
            source=Grid.Source.THULIUM,
            headers=PULL_HEADERS,
            raw_rows=raw_rows,
            rules=rules,
            pull_filters=_jsonable(asdict(filters)),
        )
        audit(
            action=AuditEntry.Action.PULL,
            actor=author,
            campaign=campaign.thulium_id,
            grid_id=grid.pk,
            filters=grid.pull_filters,
            rows=len(raw_rows),
        )
    return grid


def grid_create_from_rows(
    *,
    campaign: Campaign,
    author: AbstractBaseUser | None,
    source: str,
    headers: list[str],
    raw_rows: Sequence[list[str]],
    rules: CampaignRules,
    pull_filters: dict[str, Any] | None = None,
    mode: str = Grid.Mode.EDIT,
) -> Grid:
    """A ready grid of cells we made ourselves (headers are targets), validated. The caller
    owns the transaction and the audit entry."""
    grid = Grid.objects.create(
        campaign=campaign,
        author=author,
        mode=mode,
        source=source,
        headers=headers,
        mapping=headers,
        pull_filters=pull_filters or {},
    )
    _insert_rows(
        grid,
        ((None, n, raw, {}, [], "", Row.State.VALID) for n, raw in enumerate(raw_rows, start=1)),
    )
    return grid_validate(grid=grid, rules=rules)


def grid_create_empty(
    *, campaign: Campaign, author: AbstractBaseUser | None, mode: str = Grid.Mode.EDIT
) -> Grid:
    headers = PULL_HEADERS[:4] + [field_target(name) for name in campaign.field_names()]
    if mode == Grid.Mode.ADD:
        headers[1:1] = ["identifier", "order"]
    elif mode == Grid.Mode.REMOVE:
        headers = ["phone_number"]
    with transaction.atomic():
        grid = Grid.objects.create(
            campaign=campaign,
            author=author,
            mode=mode,
            source=Grid.Source.EMPTY,
            headers=headers,
            mapping=headers,
        )
        audit(
            action=AuditEntry.Action.GRID_CREATED,
            actor=author,
            campaign=campaign.thulium_id,
            grid_id=grid.pk,
        )
    return grid


def _insert_rows(grid: Grid, rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert (id or None, number, raw, values, messages, phone, state[, outcome, outcome_detail])
    rows, in batches (see bulk_sql: COPY on PostgreSQL, one executemany on SQLite; on 100,000
    rows several times faster than bulk_create). JSON is written as text, the empty list and
    object without encoding them."""
    columns = ["grid_id", "number", "raw", "values", "messages", "phone", "state"]
    columns += ["status_id", "agent_login", "clears", "unchanged", "problems"]
    columns += ["outcome", "outcome_detail"]
    inserted = 0
    for batch in batched(rows, BULK_BATCH):
        inserted += len(batch)
        for with_id in (False, True):
            insert_many(
                Row._meta.db_table,
                (["id"] if with_id else []) + columns,
                [
                    ((pk,) if with_id else ())
                    + (
                        grid.pk,
                        number,
                        json_text(raw),
                        json_text(values),
                        json_text(messages),
                        phone,
                        state,
                        values.get("status_id", ""),
                        values.get("agent_login", ""),
                        "" in values.get("record_fields", {}).values(),
                        bool(messages) and any(m["code"] == "no_change" for m in messages),
                        row_problems(messages) if messages else "",
                        outcome[0] if outcome else "",
                        json_text(outcome[1] if outcome else {}),
                    )
                    for pk, number, raw, values, messages, phone, state, *outcome in batch
                    if (pk is not None) is with_id
                ],
            )
    analyze_after_insert(Row._meta.db_table, inserted)


def mapping_check(mapping: Sequence[str], campaign: Campaign, extra_fields: set[str]) -> None:
    """Raise MappingProblem when the mapping cannot build a grid."""
    used = [target for target in mapping if target]
    if used.count("phone_number") != 1:
        raise MappingProblem(
            _("Map exactly one column to “Phone number”: Thulium finds records by phone number.")
        )
    doubled = sorted({t for t in used if used.count(t) > 1})
    if doubled:
        raise MappingProblem(
            _("Each target takes one column; these have more: %(targets)s.")
            % {"targets": ", ".join(doubled)}
        )
    known_fields = set(campaign.field_names()) | extra_fields
    for target in used:
        name = target.removeprefix(FIELD_PREFIX)
        if target.startswith(FIELD_PREFIX) and name not in known_fields:
            raise MappingProblem(_("“%(name)s” is not a field of this campaign.") % {"name": name})
        if not target.startswith(FIELD_PREFIX) and target not in RECORD_TARGETS:
            raise MappingProblem(_("Unknown target “%(target)s”.") % {"target": target})


def _cells_reader(grid: Grid) -> Any:
    pairs = [(i, target) for i, target in enumerate(grid.mapping) if target]

    def cells_of(raw: Sequence[str]) -> dict[str, str]:
        return {target: (raw[i] if i < len(raw) else "") for i, target in pairs}

    return cells_of


def _with_fields(rules: CampaignRules, campaign: Campaign) -> CampaignRules:
    """The same rules, with the field list as it is now (fields may just have been added)."""
    return replace(
        rules,
        fields=tuple(campaign.field_names()),
        unknown_fields=campaign.unknown_field_names(),
    )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat()
        if isinstance(value, date)
        else list(value)
        if isinstance(value, (list, tuple))
        else value
        for key, value in values.items()
    }
