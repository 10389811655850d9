"""The bulk writers (campaigns/database/bulk_sql.py) store any text exactly, on each database:
quotes, backslashes, braces and commas (an array literal's own characters), Polish letters,
JSON with escapes, empty text and nothing at all."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.database.bulk_sql import as_text, insert_many, json_text, json_value, update_many
from campaigns.models import Chunk, Grid, Row, Submission
from campaigns.services.grids import grid_create_empty

AWKWARD = [
    'say "hello"',
    "back\\slash and \\\\ two",
    "{brace}, comma",
    "NULL",
    "",
    "Zażółć gęślą jaźń",
    "tab\tand\nnewline",
    "' single",
]


@pytest.fixture
def empty_grid(campaign: Any) -> Grid:
    return grid_create_empty(campaign=campaign, author=None)


def test_rows_keep_every_awkward_text_through_insert_and_update(empty_grid: Grid) -> None:
    columns = ["grid_id", "number", "raw", "values", "messages", "phone", "state", "status_id"]
    columns += ["agent_login", "clears", "unchanged", "problems", "outcome", "outcome_detail"]
    columns += ["kind"]
    rows = (
        (empty_grid.pk, n, json_text([text]), json_text({"record_fields": {"note": text}}))
        + ("[]", f"60000000{n}", "valid", "", text, False, False, "", "", "{}", "")
        for n, text in enumerate(AWKWARD, start=1)
    )
    assert insert_many(Row._meta.db_table, columns, rows) == len(AWKWARD)
    stored = dict(empty_grid.rows.values_list("number", "agent_login"))
    assert [stored[n] for n in range(1, len(AWKWARD) + 1)] == AWKWARD

    ids = dict(empty_grid.rows.values_list("number", "id"))
    update_many(
        Row._meta.db_table,
        ["outcome", "outcome_detail", "clears"],
        ["varchar", "jsonb", "boolean"],
        [
            (text[:20], json_text({"message": text}), n % 2 == 0, ids[n])
            for n, text in enumerate(AWKWARD, start=1)
        ],
    )
    after = {
        number: (outcome, json_value(detail), clears, raw)
        for number, outcome, detail, clears, raw in empty_grid.rows.values_list(
            "number", "outcome", as_text("outcome_detail"), "clears", "raw"
        )
    }
    for n, text in enumerate(AWKWARD, start=1):
        assert after[n] == (text[:20], {"message": text}, n % 2 == 0, [text])


def test_an_empty_update_or_insert_writes_nothing(empty_grid: Grid) -> None:
    assert insert_many(Row._meta.db_table, ["grid_id", "number"], []) == 0
    update_many(Chunk._meta.db_table, ["state"], ["varchar"], [])
    assert not empty_grid.rows.exists()
    assert not Submission.objects.exists()
