"""SQL for the audit table's append-only triggers, shared by the migrations and the product.

The triggers are made by migrations (0002, and 0021 after 0017's table rebuild on SQLite), and
again after every `migrate` (campaigns/database/audit_triggers.py). The system check reads which ones are
there; nothing else creates them.
"""

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

TABLE = "campaigns_auditentry"

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS campaigns_auditentry_no_update BEFORE UPDATE ON "
    "campaigns_auditentry BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;",
    "CREATE TRIGGER IF NOT EXISTS campaigns_auditentry_no_delete BEFORE DELETE ON "
    "campaigns_auditentry BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS campaigns_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS campaigns_auditentry_no_delete;",
]
SQLITE_TRIGGERS = ("campaigns_auditentry_no_update", "campaigns_auditentry_no_delete")
POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION campaigns_audit_refuse() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit entries are append-only';
    END;
    $$ LANGUAGE plpgsql;
    """,
    "DROP TRIGGER IF EXISTS campaigns_auditentry_append_only ON campaigns_auditentry;",
    "CREATE TRIGGER campaigns_auditentry_append_only BEFORE UPDATE OR DELETE ON "
    "campaigns_auditentry FOR EACH ROW EXECUTE FUNCTION campaigns_audit_refuse();",
    # Row triggers never see TRUNCATE, which empties the table in one statement.
    "DROP TRIGGER IF EXISTS campaigns_auditentry_no_truncate ON campaigns_auditentry;",
    "CREATE TRIGGER campaigns_auditentry_no_truncate BEFORE TRUNCATE ON "
    "campaigns_auditentry FOR EACH STATEMENT EXECUTE FUNCTION campaigns_audit_refuse();",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS campaigns_auditentry_append_only ON campaigns_auditentry;",
    "DROP TRIGGER IF EXISTS campaigns_auditentry_no_truncate ON campaigns_auditentry;",
    "DROP FUNCTION IF EXISTS campaigns_audit_refuse();",
]
POSTGRES_TRIGGERS = ("campaigns_auditentry_append_only", "campaigns_auditentry_no_truncate")

# The triggers a database must have, by vendor (other databases are not supported).
REQUIRED = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}


def statements(vendor: str, *, on: bool) -> list[str]:
    """What puts the triggers on (on=True) or takes them off, for this database vendor."""
    if on:
        return {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor, [])
    return {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(vendor, [])


def set_triggers(schema_editor: BaseDatabaseSchemaEditor, *, on: bool) -> None:
    """Put the append-only triggers on the audit table (on=True) or take them off, for the
    migrations that must rewrite entries once."""
    for statement in statements(schema_editor.connection.vendor, on=on):
        schema_editor.execute(statement)
