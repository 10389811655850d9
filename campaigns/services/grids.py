"""Making grids: from a file (then a confirmed mapping), from a Thulium pull, or empty; and
checking the grids that waited for the campaign's listing once it is read. Checking a grid's
rows is services/grid_checks.py."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns import thulium
from campaigns.database.bulk_sql import insert_many
from campaigns.exceptions import MappingProblem
from campaigns.intake.headers import normalise_header
from campaigns.intake.text import without_nul
from campaigns.models import (
    AuditEntry,
    Campaign,
    Grid,
    Row,
    Submission,
    UploadBlock,
)
from campaigns.rules.targets import FIELD_PREFIX, RECORD_TARGETS, field_target
from campaigns.rules.validation import CampaignRules
from campaigns.services.audit import audit
from campaigns.services.campaigns import campaign_fields_add
from campaigns.services.grid_checks import RowBuild, grid_validate, rows_store
from campaigns.services.listing import (
    Listing,
    campaign_agent_names_learn,
    campaign_listing_fetch,
    campaign_listing_fresh,
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

PULL_HEADERS = ["phone_number", "status", "agent_login", "next_call_date", "identifier"]


@dataclass(frozen=True)
class PullFilters:
    status_ids: Sequence[str] = field(default_factory=tuple)
    system_statuses: Sequence[str] = field(default_factory=tuple)
    created_from: date | None = None
    created_to: date | None = None
    called_from: date | None = None
    called_to: date | None = None


def grid_create_from_file(
    *,
    campaign: Campaign,
    author: User | None,
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
            campaign=campaign,
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
    actor: User | None = None,
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
            campaign=campaign,
            grid_id=grid.pk,
            mapping=dict(zip(grid.headers, mapping, strict=True)),
            valid=grid.rows_valid,
            warnings=grid.rows_warning,
            errors=grid.rows_error,
        )
    return grid


def campaign_listing_read(*, campaign: Campaign, client: thulium.ThuliumClient) -> Listing | None:
    """Read the campaign's listing, keep it (services/listing.py), and check against it the
    grids whose mapping was confirmed while it was read (one still waiting for its mapping
    takes it then). None when Thulium could not be read."""
    read = campaign_listing_fetch(campaign=campaign, client=client)
    if read is not None:
        for grid_id in read.waiting:
            grid_validate_against_listing(grid_id=grid_id, listing=read, client=client)
    return read


def grid_validate_against_listing(
    *, grid_id: int, listing: Listing, client: thulium.ThuliumClient
) -> bool:
    """Check a grid whose mapping was confirmed while the campaign's listing was being read
    against that listing, as its mapping would have; whether it was. A grid still waiting for
    its mapping, being sent, or emptied by retention is left as it is, and so is one compared
    with Thulium since, by a review's own read: whether that read began before this one or
    after (the worker came late), the review stands, and checking the grid again would make
    the sending it reviewed refuse as changed."""
    with transaction.atomic():
        try:
            grid = grid_lock(grid_id, write=False)
        except Grid.DoesNotExist:  # deleted meanwhile
            return False
        if (
            grid.state != Grid.State.READY
            or grid.compared_at is not None
            or grid.personal_data_removed_at is not None
            or grid.submissions.filter(state__in=Submission.ACTIVE_STATES).exists()
        ):
            return False
        grid = grid_lock(grid_id)  # a write after all: a review made before it is stale
        rules = campaign_rules(campaign=grid.campaign, client=client)
        grid_validate(grid=grid, rules=_with_fields(rules, grid.campaign), listing=listing)
    return True


def grid_create_from_thulium(
    *,
    campaign: Campaign,
    author: User | None,
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
    campaign_agent_names_learn(campaign=campaign, names=names)
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
            campaign=campaign,
            grid_id=grid.pk,
            filters=grid.pull_filters,
            rows=len(raw_rows),
        )
    return grid


def grid_create_from_rows(
    *,
    campaign: Campaign,
    author: User | None,
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
    rows_store(
        grid=grid,
        rows=(
            RowBuild(
                pk=None, number=n, raw=raw, values={}, messages=[], phone="", state=Row.State.VALID
            )
            for n, raw in enumerate(raw_rows, start=1)
        ),
    )
    return grid_validate(grid=grid, rules=rules)


def grid_create_empty(
    *, campaign: Campaign, author: User | None, mode: str = Grid.Mode.EDIT
) -> Grid:
    headers = PULL_HEADERS[:4] + [field_target(name) for name in campaign.field_names()]
    if mode in (Grid.Mode.ADD, Grid.Mode.UPSERT):
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
            campaign=campaign,
            grid_id=grid.pk,
        )
    return grid


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
