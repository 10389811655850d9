"""Writing many rows in few statements, the fastest way each database offers.

Django's bulk_create and bulk_update compile SQL for every value (bulk_update a CASE per row) and
took most of the time of an intake or a chunk's outcomes. Inserts are COPY on PostgreSQL (half
the time of an executemany for a chunk's outcomes) and one executemany on SQLite. Updates by id
are one executemany on SQLite, and one UPDATE … FROM unnest(arrays) on PostgreSQL.
Values must already be adapted: JSON as text (`json_text`), datetimes through `connection.ops`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import batched
from typing import Any

import orjson
import psycopg
from django.db import connection
from django.db.models import BigAutoField, Lookup, TextField
from django.db.models.functions import Cast

# Rows an executemany takes at once (SQLite).
BATCH = 2000


def json_text(value: Any) -> str:
    """A JSON column's value as text, which both databases take as it is (jsonb parses it on
    PostgreSQL); the empty list and object, most rows' messages and answers, cost nothing."""
    if not value and isinstance(value, (list, dict)):
        return "[]" if isinstance(value, list) else "{}"
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # what orjson will not write (a lone surrogate, a huge int): as json does
        return json.dumps(value)


def json_value(text: str | bytes | None) -> Any:
    """A JSON column read as text (`as_text`), decoded: orjson, or json for what orjson refuses
    (an escaped lone surrogate, which json reads back as it was written)."""
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def as_text(column: str) -> Cast:
    """A JSON column read as its text, for json_value: Django's own decoding of 100,000 rows'
    JSON cost more than checking them."""
    return Cast(column, TextField())


def insert_many(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """INSERT every row (a tuple of adapted values in `columns`' order); how many there were.

    On PostgreSQL one COPY takes them all as they come: the server stores and indexes what has
    arrived while the caller builds the next rows (a COPY per batch waited for each batch).
    Elsewhere one executemany per BATCH rows."""
    if isinstance(rows, Sequence) and not rows:
        return 0
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY takes text for every type, JSON included; psycopg writes the rows as they come.
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"
        for batch in batched(rows, BATCH):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def update_many(
    table: str, columns: Sequence[str], casts: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """UPDATE `columns` of each row by id; each row is (value, …, id). `casts` are the columns'
    PostgreSQL types, which the arrays are cast to."""
    if not rows:
        return
    quote = connection.ops.quote_name
    if connection.vendor != "postgresql":
        sets = ", ".join(f"{quote(c)} = %s" for c in columns)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {quote(table)} SET {sets} WHERE {quote('id')} = %s", rows)
        return
    # One array a column, unnested into rows: a statement of a few parameters, where a
    # VALUES list of 1,500 placeholders cost psycopg more to parse than the server to run.
    names = [f"v{i}" for i in range(len(columns))]
    sets = ", ".join(f"{quote(c)} = v.{n}" for c, n in zip(columns, names, strict=True))
    arrays = ", ".join(f"%s::{cast}[]" for cast in [*casts, "bigint"])
    with bound_cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(table)} SET {sets} FROM unnest({arrays})"
            f" AS v({', '.join(names)}, id) WHERE {quote(table)}.{quote('id')} = v.id",
            [array_text(column) for column in zip(*rows, strict=True)],
        )


@contextmanager
def bound_cursor() -> Iterator[psycopg.Cursor[Any]]:
    """A cursor of Django's PostgreSQL connection (its transaction) that sends parameters apart
    from the statement: Django's own quotes each into the SQL text in Python, which for the
    megabytes of a sending's before-values cost three times the CPU."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def array_text(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal of the values (text, numbers, booleans, None), for a
    parameter cast to an array type: psycopg adapted a 500-element array element by element in
    Python, a tenth of a sending's time; this is a few string operations in C."""
    return "{" + ",".join(_array_element(value) for value in values) + "}"


def _array_element(value: Any) -> str:
    if value is None:
        return "NULL"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


# PostgreSQL plans from table statistics that autovacuum refreshes only later. Right after a big
# grid is stored they still say the grid has no rows, and the planner walks the whole grid by its
# foreign key for a one-row lookup (a cell save: 23 → 196 ms at 100,000 rows). A big insert
# refreshes them at once; ANALYZE reads a fixed-size sample, so this costs ~0.1-0.3 s.
ANALYZE_AFTER = 5_000


def analyze_after_insert(table: str, inserted: int) -> None:
    if connection.vendor == "postgresql" and inserted >= ANALYZE_AFTER:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


@BigAutoField.register_lookup
class AnyOf(Lookup):
    """`id__any_of=[…]`: on PostgreSQL `id = ANY(%s)` with the list as one parameter — `__in`
    with a request's 500 ids made a statement psycopg spent longer parsing than the server
    running it; elsewhere the `IN (…)` it stands for."""

    lookup_name = "any_of"
    prepare_rhs = False  # a list of ids, not one

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        ids = [int(pk) for pk in self.rhs]
        if not ids:
            return "1 = 0", ()
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", (*params, ids)
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", (*params, *ids)
