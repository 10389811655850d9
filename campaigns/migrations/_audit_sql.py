"""SQL for the audit table's append-only triggers, shared by the migration and the tests."""

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
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS campaigns_auditentry_append_only ON campaigns_auditentry;",
    "DROP FUNCTION IF EXISTS campaigns_audit_refuse();",
]


def set_triggers(schema_editor, *, on):
    """Put the append-only triggers on the audit table (on=True) or take them off, for the
    migrations that must rewrite entries once."""
    vendor = schema_editor.connection.vendor
    if on:
        statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor, [])
    else:
        statements = {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)
