"""Putting records back: a grid that undoes one sending, or every sending of a grid, made to be
reviewed and sent like any grid.

Each record goes back to its before-value: the values read before the first request that could
have changed it (see `before_values`). Rows whose answer never came are included: putting
a record back to what it was is safe whether or not the change landed. What Thulium cannot undo
(an agent or a date where there was none, a record field we had never sent) is said per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from campaigns.exceptions import SubmissionProblem
from campaigns.models import LOST_ANSWER_OUTCOMES, AuditEntry, Grid, RowOutcome, Submission
from campaigns.rules.targets import field_target
from campaigns.rules.validation import CLEAR_MARKER, CampaignRules
from campaigns.selectors.sendings import REVERTED_OUTCOMES
from campaigns.services.audit import audit
from campaigns.services.grids import PULL_HEADERS, grid_create_from_rows


def submission_revert(*, submission: Submission, author: User | None, rules: CampaignRules) -> Grid:
    """A new grid that undoes what this sending did (rows not confirmed included): records it
    updated get back their status, agent, next call date and the record fields as we last sent
    them before; records it added are removed; records it removed are added back. For an
    upsert grid, the first of `submission_revert_grids`."""
    return submission_revert_grids(submission=submission, author=author, rules=rules)[0]


def submission_revert_grids(
    *, submission: Submission, author: User | None, rules: CampaignRules
) -> list[Grid]:
    """The grids that undo this sending: one, or for an upsert grid (whose rows were edits and
    additions) up to two — one putting back what was updated, one removing what was added."""
    return _revert(
        grid=submission.grid,
        outcomes=submission.outcomes.all(),
        author=author,
        rules=rules,
        reverts={"reverts_submission": submission.pk},
        submission_id=submission.pk,
    )


def grid_revert(*, grid: Grid, author: User | None, rules: CampaignRules) -> Grid:
    """A new grid that puts every record any sending of this grid touched back as it was before
    the first of them. For an upsert grid, the first of `grid_revert_grids`."""
    return grid_revert_grids(grid=grid, author=author, rules=rules)[0]


def grid_revert_grids(*, grid: Grid, author: User | None, rules: CampaignRules) -> list[Grid]:
    """`grid_revert`'s grids: one, or two for an upsert grid (see submission_revert_grids)."""
    return _revert(
        grid=grid,
        outcomes=RowOutcome.objects.filter(submission__grid=grid),
        author=author,
        rules=rules,
        reverts={"reverts_grid": grid.pk},
        submission_id=None,
    )


@dataclass
class _RevertRows:
    """One revert grid's makings: its mode, headers, rows and what its rows cannot put back."""

    mode: str
    headers: list[str]
    raw_rows: list[list[str]]
    kept: dict[str, list[list[str]]]


def _revert(
    *,
    grid: Grid,
    outcomes: QuerySet[RowOutcome],
    author: User | None,
    rules: CampaignRules,
    reverts: dict[str, int],
    submission_id: int | None,
) -> list[Grid]:
    mode = grid.mode
    touched = outcomes.filter(
        outcome__in=[*REVERTED_OUTCOMES[mode], *LOST_ANSWER_OUTCOMES]
    ).order_by("submission_id", "id")
    # Per record (by phone), every answer in order: the first holds the values from before.
    by_phone: dict[str, list[RowOutcome]] = {}
    for outcome in touched.only("phone", "sent", "before", "outcome", "submission_id"):
        by_phone.setdefault(outcome.phone, []).append(outcome)
    if mode == Grid.Mode.UPSERT:
        # A row went as an edit where the campaign held its phone (it has before-values) and as
        # an addition where it did not: each is undone as its kind's own revert would.
        added = {p: answers for p, answers in by_phone.items() if not answers[0].before}
        updated = {p: answers for p, answers in by_phone.items() if answers[0].before}
        parts = [_revert_rows(Grid.Mode.EDIT, updated), _revert_rows(Grid.Mode.ADD, added)]
    else:
        parts = [_revert_rows(mode, by_phone)]
    parts = [part for part in parts if part.raw_rows]
    if not parts:
        raise SubmissionProblem(
            _("Nothing to revert: no record was changed whose earlier values are known.")
        )
    made = []
    with transaction.atomic():
        for part in parts:
            revert = grid_create_from_rows(
                campaign=grid.campaign,
                author=author,
                source=Grid.Source.REVERT,
                mode=part.mode,
                headers=part.headers,
                raw_rows=part.raw_rows,
                rules=rules,
                pull_filters={**reverts, "of_grid": grid.pk, "cannot_put_back": part.kept},
            )
            whole: dict[str, Any] = {"whole_grid": True} if submission_id is None else {}
            audit(
                action=AuditEntry.Action.REVERT,
                actor=author,
                campaign=grid.campaign,
                grid_id=revert.pk,
                submission_id=submission_id,
                rows=len(part.raw_rows),
                reverts_grid=grid.pk,
                **whole,
            )
            made.append(revert)
    return made


def _revert_rows(mode: str, by_phone: dict[str, list[RowOutcome]]) -> _RevertRows:
    """What undoes a sending of a grid in `mode` (edit, add or remove), from each phone's
    answers in order."""
    kept: dict[str, list[list[str]]] = {}
    raw_rows: list[list[str]] = []
    if mode == Grid.Mode.ADD:
        # A number the campaign held before the sending was not ours to add: it stays.
        raw_rows = [[phone] for phone, answers in by_phone.items() if not answers[0].before]
        return _RevertRows(Grid.Mode.REMOVE, ["phone_number"], raw_rows, kept)
    # A record that was not there before was not changed; a number several records share
    # was changed record by record, which no grid row puts back.
    firsts = {
        phone: answers
        for phone, answers in by_phone.items()
        if answers[0].before and "records" not in answers[0].before
    }
    revert_mode = Grid.Mode.EDIT if mode == Grid.Mode.EDIT else Grid.Mode.ADD
    names = sorted(
        {name for answers in firsts.values() for name in answers[0].before.get("record_fields", {})}
    )
    headers = PULL_HEADERS[:4] + [field_target(name) for name in names]
    if revert_mode == Grid.Mode.ADD:
        headers.append("identifier")
    for phone, answers in firsts.items():
        before = answers[0].before
        fields = before.get("record_fields", {})
        if revert_mode == Grid.Mode.EDIT and (notes := _cannot_put_back(before, answers)):
            kept[phone] = notes
        raw_rows.append(
            [
                phone,
                before.get("status_id", ""),
                before.get("agent_login", ""),
                before.get("next_call_date", ""),
                # A field we last sent empty is cleared again; one never sent stays as it is.
                *[_revert_cell(fields.get(name)) for name in names],
            ]
            + ([before.get("identifier", "")] if revert_mode == Grid.Mode.ADD else [])
        )
    return _RevertRows(revert_mode, headers, raw_rows, kept)


def _cannot_put_back(before: dict[str, Any], answers: Sequence[RowOutcome]) -> list[list[str]]:
    """What a revert row cannot undo, as [target, the value that stays]: Thulium cannot clear
    an agent or a next call date, and a record field we never sent before has no earlier
    value we know (Thulium does not list record fields). The last value sent stands."""
    stays: dict[str, str] = {}
    known = before.get("record_fields", {})
    for answer in answers:
        sent = answer.sent
        for target in ("agent_login", "next_call_date"):
            if sent.get(target) and not before.get(target):
                stays[target] = str(sent[target])
        for name, value in (sent.get("record_fields") or {}).items():
            if name not in known and value:
                stays[field_target(name)] = value
    return [[target, value] for target, value in stays.items()]


def _revert_cell(value: str | None) -> str:
    if value is None:
        return ""
    return value or CLEAR_MARKER
