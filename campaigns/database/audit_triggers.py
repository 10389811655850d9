"""The audit table's append-only triggers as the running product sees them: which are missing
(the system check), making sure of them after every migrate, and `manage.py flush`'s one
permitted way past them.

The SQL itself lives in campaigns/migrations/_audit_sql.py, beside the migrations that make the
triggers. Other database vendors than SQLite and PostgreSQL are not supported.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder

from campaigns.migrations import _audit_sql

# From this migration on, a database must have every trigger of _audit_sql.REQUIRED.
GUARANTEED_FROM = ("campaigns", "0021_audit_triggers_again")


def triggers_expected(connection: BaseDatabaseWrapper) -> bool:
    """Whether this database should have the triggers: its audit table exists and the
    migration that guarantees them has run (before that, `migrate` must be free to run)."""
    if connection.vendor not in _audit_sql.REQUIRED:
        return False
    if _audit_sql.TABLE not in connection.introspection.table_names():
        return False
    return GUARANTEED_FROM in MigrationRecorder(connection).applied_migrations()


def triggers_missing(connection: BaseDatabaseWrapper) -> list[str]:
    """The required triggers that are absent — or, on PostgreSQL, disabled."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [_audit_sql.TABLE],
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'",
                [_audit_sql.TABLE],
            )
        present = {name for (name,) in cursor.fetchall()}
    return [name for name in _audit_sql.REQUIRED[connection.vendor] if name not in present]


def triggers_ensure(connection: BaseDatabaseWrapper) -> list[str]:
    """After a migrate: put back any trigger a migration's table rebuild dropped (SQLite drops
    a table's triggers with it). Returns the names it had to put back."""
    if not triggers_expected(connection):
        return []
    missing = triggers_missing(connection)
    if missing:
        with connection.cursor() as cursor:
            for statement in _audit_sql.statements(connection.vendor, on=True):
                cursor.execute(statement)
    return missing


@contextmanager
def triggers_lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Lift the triggers that are there for the statements inside, and put back exactly those,
    as they were: never one that was not there before. Only `manage.py flush` uses it."""
    if connection.vendor not in _audit_sql.REQUIRED or (
        _audit_sql.TABLE not in connection.introspection.table_names()
    ):
        yield
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # SQLite cannot disable a trigger: its definition, as stored, is dropped and
            # executed again.
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [_audit_sql.TABLE],
            )
            stored = cursor.fetchall()
            lift = [f'DROP TRIGGER "{name}"' for name, _sql in stored]
            put_back = [sql for _name, sql in stored]
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'",
                [_audit_sql.TABLE],
            )
            names = [name for (name,) in cursor.fetchall()]
            table = connection.ops.quote_name(_audit_sql.TABLE)
            lift = [
                f"ALTER TABLE {table} DISABLE TRIGGER {connection.ops.quote_name(name)}"
                for name in names
            ]
            put_back = [
                f"ALTER TABLE {table} ENABLE TRIGGER {connection.ops.quote_name(name)}"
                for name in names
            ]
        for statement in lift:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in put_back:
                cursor.execute(statement)
