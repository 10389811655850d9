"""A grid's problems in groups, and the fixes that take one decision for a whole group: set an
agent or a date for its rows, read an unknown text as a status or agent (a value rule the
campaign keeps for later files), drop its rows."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Min
from django.utils.translation import gettext as _

from campaigns import thulium
from campaigns.exceptions import EditProblem
from campaigns.intake.headers import normalise_header
from campaigns.models import AuditEntry, Edit, Grid, Row, ValueRule
from campaigns.rules import messages, problems
from campaigns.rules.suggest import Suggestion, agent_for, status_for
from campaigns.rules.validation import CampaignRules
from campaigns.services.audit import audit
from campaigns.services.editing import grid_bulk_set, grid_cells_set, grid_delete_rows, grid_remap
from campaigns.services.grid_checks import grid_validate
from campaigns.services.locking import grid_check_editable, grid_lock
from campaigns.services.validation import campaign_value_rule_map

# What a group can be fixed with, by code: the columns one decision fills, or a value rule.
SETS_COLUMNS = {
    "status_needs_agent_and_date": ("agent_login", "next_call_date"),
    "status_needs_agent": ("agent_login",),
    "status_needs_date": ("next_call_date",),
    "date_invalid": ("next_call_date",),
    "date_impossible": ("next_call_date",),
    "date_past": ("next_call_date",),
    "agent_inactive": ("agent_login",),
}
VALUE_RULE_TARGET = {"status_unknown": "status", "agent_unknown": "agent_login"}
# Dropping the rows is offered where the row cannot be sent as it is and nothing else fixes it
# in one decision.
DROPPABLE = {
    "phone_missing",
    "phone_invalid",
    "phone_scientific",
    "phone_not_in_campaign",
    "phone_held_more_than_once",
    "phone_exists",
    "phone_nothing_to_remove",
    "nothing_to_change",
    "do_not_contact_add",
    "do_not_contact_edit",
}
DROPPABLE |= {
    "identifier_needed",
    "identifier_not_in_campaign",
    "dictionary_status_unknown",
    "order_invalid",
    "text_lost_letters",
}
# Groups fixed by their column: the column of a field Thulium will not take is ignored (every
# field column, in a CRM campaign); a clear marker where Thulium cannot clear is left blank,
# which keeps the value Thulium holds.
COLUMN_FIXES = {
    "field_unknown": "ignore",
    "field_refused": "ignore",
    "crm_fields": "ignore",
    "cannot_clear": "blank",
}
# The page lists this many groups; the rest are counted in one line.
GROUPS_SHOWN = 8


@dataclass(frozen=True)
class ProblemGroup:
    key: str
    code: str
    level: str  # "error" or "warning"
    count: int
    text: str  # "12 rows: status “Zamknięty” does not exist"
    sets: tuple[str, ...] = ()  # columns one decision fills for the group
    rule_target: str = ""  # "status" / "agent_login": the unknown text can become a value rule
    source: str = ""  # that text
    suggestion: Suggestion | None = None
    column_fix: str = ""  # "ignore" the column, or leave its cells "blank" (COLUMN_FIXES)
    droppable: bool = False


def grid_problem_groups(
    grid: Grid, rules: CampaignRules | None, *, rows: Any = None
) -> list[ProblemGroup]:
    """The grid's problems by kind, errors first, then by how many rows each holds; of `rows`
    only (a queryset of the grid's rows), when given. Two queries at any size: rows are
    grouped in the database by their stored keys, and each group is worded from the first row
    of a combination that holds it."""
    counts: Counter[str] = Counter()
    first_of: dict[str, int] = {}
    combos = (
        # Only rows with errors or warnings have keys: the state index finds them.
        (grid.rows.all() if rows is None else rows)
        .filter(state__in=[Row.State.ERROR, Row.State.WARNING])
        .exclude(problems="")
        .values_list("problems")
        .annotate(n=Count("id"), first=Min("id"))
        .order_by()
    )
    for combo, n, first in combos:
        for key in combo.strip("|").split("|"):
            counts[key] += n
            first_of.setdefault(key, first)
    examples: dict[str, messages.Message] = {}
    for entries in Row.objects.filter(id__in=set(first_of.values())).values_list(
        "messages", flat=True
    ):
        for entry in entries:
            examples.setdefault(problems.problem_key(entry), entry)
    found = [
        _group(key, count, examples[key], rules) for key, count in counts.items() if key in examples
    ]
    found.sort(key=lambda g: (g.level != messages.ERROR, -g.count, g.text))
    return found


def _group(
    key: str, count: int, entry: messages.Message, rules: CampaignRules | None
) -> ProblemGroup:
    code = entry["code"]
    source = str(entry.get("params", {}).get("value", ""))
    rule_target = VALUE_RULE_TARGET.get(code, "")
    suggestion = None
    if rules is not None and rule_target == "status":
        suggestion = status_for(source, rules.statuses)
    elif rules is not None and rule_target == "agent_login":
        suggestion = agent_for(source, rules.agents, rules.agent_names)
    return ProblemGroup(
        key=key,
        code=code,
        level=entry["level"],
        count=count,
        text=problems.group_text(entry, count, messages.render(entry)),
        sets=SETS_COLUMNS.get(code, ()),
        rule_target=rule_target,
        source=source,
        suggestion=suggestion,
        droppable=code in DROPPABLE,
        column_fix=COLUMN_FIXES.get(code, ""),
    )


def grid_problem_row_ids(grid: Grid, key: str) -> list[int]:
    return list(
        grid.rows.filter(problems__contains=f"|{key}|").values_list("id", flat=True).order_by()
    )


def grid_group_set(
    *,
    grid: Grid,
    key: str,
    cells: dict[str, str],
    author: User | None,
    rules: CampaignRules,
) -> Edit:
    """Fill the same cells in every row of a group (one edit, one Undo)."""
    cells = {target: text.strip() for target, text in cells.items() if text.strip()}
    if not cells:
        raise EditProblem(_("Fill in what these rows should get, then apply it."))
    ids = grid_problem_row_ids(grid, key)
    if not ids:
        raise EditProblem(_("No row has this problem any more: the page was out of date."))
    return grid_bulk_set(grid=grid, row_ids=ids, cells=cells, author=author, rules=rules)


def grid_group_drop(*, grid: Grid, key: str, author: User | None, rules: CampaignRules) -> Edit:
    """Delete every row of a group (Undo puts them back)."""
    ids = grid_problem_row_ids(grid, key)
    if not ids:
        raise EditProblem(_("No row has this problem any more: the page was out of date."))
    return grid_delete_rows(grid=grid, row_ids=ids, author=author, rules=rules)


# A time of day as a supervisor types it: 9:30, 09:30, 9.30.
TIME_RE = re.compile(r"^(?P<h>\d{1,2})[:.](?P<m>\d{2})$", re.ASCII)


def grid_group_time(
    *, grid: Grid, key: str, time: str, author: User | None, rules: CampaignRules
) -> Edit:
    """Give every row of a "date without a time" group that time, each keeping its own day:
    one edit, one Undo."""
    match = TIME_RE.match(time.strip())
    if match is None or int(match["h"]) > 23 or int(match["m"]) > 59:
        raise EditProblem(
            _("“%(time)s” is not a time of day. Write it like 09:30.") % {"time": time.strip()}
        )
    at = f"{int(match['h']):02d}:{match['m']}"
    ids = grid_problem_row_ids(grid, key)
    cells = {
        (pk, "next_call_date"): f"{str(values['next_call_date'])[:10]} {at}"
        for pk, values in Row.objects.filter(id__in=ids).values_list("id", "values")
        if values.get("next_call_date")
    }
    return grid_cells_set(grid=grid, cells=cells, author=author, rules=rules)


def grid_group_column_fix(
    *, grid: Grid, key: str, author: User | None, rules: CampaignRules
) -> list[Edit]:
    """Fix a group by its columns (COLUMN_FIXES): map the columns of fields Thulium will not
    take to nothing, or leave blank the cells that ask to clear what Thulium cannot clear.
    The edits made: one per column ignored (each remembered, audited, undone by Undo), or one
    for the cells left blank."""
    code = key.split("-", 1)[0]
    if code not in COLUMN_FIXES:
        raise EditProblem(_("This problem is not fixed by its column."))
    ids = grid_problem_row_ids(grid, key)
    found = [
        (pk, entry)
        for pk, entries in Row.objects.filter(id__in=ids).values_list("id", "messages")
        for entry in entries
        if problems.problem_key(entry) == key and entry.get("field")
    ]
    if not found:
        raise EditProblem(_("No row has this problem any more: the page was out of date."))
    if COLUMN_FIXES[code] == "blank":
        cells = {(pk, str(entry["field"])): "" for pk, entry in found}
        return [grid_cells_set(grid=grid, cells=cells, author=author, rules=rules)]
    targets = sorted({str(entry["field"]) for _pk, entry in found})
    return [
        grid_remap(
            grid=grid,
            column=grid.mapping.index(target),
            target="",
            rules=rules,
            author=author,
        )
        for target in targets
        if target in grid.mapping
    ]


# Groups of copies (the same phone, or identifier, in several rows) and what tells them apart.
COPIES_BY = {"phone_duplicate": "phone", "identifier_duplicate": "values__identifier"}


def grid_copies_keep(
    *, grid: Grid, key: str, keep: str, author: User | None, rules: CampaignRules
) -> Edit:
    """Of each set of copies in the group, keep the first row (by its number in the file) or
    the last, and delete the rest: one edit, one Undo."""
    code = key.split("-", 1)[0]
    if code not in COPIES_BY or keep not in ("first", "last"):
        raise EditProblem(_("Only rows that repeat a phone number or an identifier have copies."))
    ids = grid_problem_row_ids(grid, key)
    copies: dict[str, list[tuple[int, int]]] = {}
    rows = Row.objects.filter(id__in=ids).values_list(COPIES_BY[code], "number", "id")
    for value, number, pk in rows:
        copies.setdefault(str(value), []).append((number, pk))
    dropped = []
    for found in copies.values():
        found.sort()
        kept = found[0] if keep == "first" else found[-1]
        dropped += [pk for _number, pk in found if pk != kept[1]]
    if not dropped:
        raise EditProblem(_("No row has this problem any more: the page was out of date."))
    return grid_delete_rows(grid=grid, row_ids=dropped, author=author, rules=rules)


def value_rule_set(
    *,
    grid: Grid,
    target: str,
    source: str,
    value: str,
    author: User | None,
    rules: CampaignRules,
) -> ValueRule:
    """Read `source` as `value` in this campaign's `target` column from now on — in this grid
    (its rows are checked again) and in every later file."""
    if target not in VALUE_RULE_TARGET.values():
        raise EditProblem(_("Only statuses and agents can be read through a value rule."))
    known = rules.status(value) if target == "status" else rules.agent(value)
    if known is None or not source.strip():
        raise EditProblem(
            _("Choose one of the campaign's statuses or agents for “%(value)s”.")
            % {"value": source}
        )
    value = known.status_id if isinstance(known, thulium.Status) else known.login
    with transaction.atomic():
        grid = grid_lock(grid)
        grid_check_editable(grid)
        rule, _created = ValueRule.objects.update_or_create(
            campaign=grid.campaign,
            target=target,
            source=normalise_header(source),
            defaults={"source_text": source.strip(), "value": value, "author": author},
        )
        audit(
            action=AuditEntry.Action.VALUE_RULE,
            actor=author,
            campaign=grid.campaign,
            grid_id=grid.pk,
            target=target,
            text=rule.source_text,
            value=value,
        )
        grid_validate(grid=grid, rules=_with_rules(grid, rules))
    return rule


def value_rule_forget(
    *, grid: Grid, rule_id: int, author: User | None, rules: CampaignRules
) -> None:
    """Forget one of the campaign's value rules; the grid's rows are checked again."""
    with transaction.atomic():
        grid = grid_lock(grid)
        grid_check_editable(grid)
        rule = ValueRule.objects.filter(campaign=grid.campaign, pk=rule_id).first()
        if rule is None:
            raise EditProblem(_("This value rule is already forgotten."))
        rule.delete()
        audit(
            action=AuditEntry.Action.VALUE_RULE_FORGOTTEN,
            actor=author,
            campaign=grid.campaign,
            grid_id=grid.pk,
            target=rule.target,
            text=rule.source_text,
            value=rule.value,
        )
        grid_validate(grid=grid, rules=_with_rules(grid, rules))


def _with_rules(grid: Grid, rules: CampaignRules) -> CampaignRules:
    """The same rules with the campaign's value rules as they are now."""
    return replace(rules, value_rules=campaign_value_rule_map(campaign=grid.campaign))


def campaign_value_rules(grid: Grid) -> list[ValueRule]:
    """The value rules of the grid's campaign, to show (and forget) beside its problems."""
    return list(grid.campaign.value_rules.all())
