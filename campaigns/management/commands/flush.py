"""`manage.py flush`, Django's, able to empty the audit log too.

The audit table refuses UPDATE, DELETE and (PostgreSQL) TRUNCATE, so Django's flush, which
empties every table, would fail on it. Flushing a database wipes everything — the log, its head
and whatever it was about — so this is the one path allowed past the triggers: it lifts the
triggers that are there for its own statements and puts back exactly those, never one that was
not there (a database without them stays without them, and `manage.py check` still says so).
Test runs flush through it between transactional tests.

A flushed log starts again from nothing; a head kept in AUDIT_HEAD_FILE then reports it.
"""

from __future__ import annotations

from contextlib import suppress
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.core.management.commands import flush
from django.core.management.sql import emit_post_migrate_signal, sql_flush
from django.db import connections
from django.utils.translation import gettext as _

from campaigns.database.audit_triggers import triggers_lifted


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options["database"]
        connection = connections[database]
        verbosity, interactive = options["verbosity"], options["interactive"]
        self.style = no_style()
        # As Django's flush: each app's management module registers its receivers.
        for app_config in apps.get_app_configs():
            with suppress(ImportError):
                import_module(".management", app_config.name)
        sql_list = sql_flush(
            self.style,
            connection,
            reset_sequences=options.get("reset_sequences", True),
            allow_cascade=options.get("allow_cascade", False),
        )
        if interactive:
            confirm = input(
                _(
                    "This empties every table of the “%(name)s” database, the audit log "
                    "included, and cannot be undone. Type “yes” to go on: "
                )
                % {"name": connection.settings_dict["NAME"]}
            )
            if confirm != "yes":
                self.stdout.write(_("Flush cancelled."))
                return
        try:
            with triggers_lifted(connection):
                connection.ops.execute_sql_flush(sql_list)
        except Exception as exc:
            raise CommandError(
                _(
                    "The database %(name)s could not be emptied: %(error)s. Check that it "
                    "runs and is migrated (manage.py migrate)."
                )
                % {"name": connection.settings_dict["NAME"], "error": exc}
            ) from exc
        # After the triggers are back: post_migrate receivers see the database as it stays.
        if sql_list and not options.get("inhibit_post_migrate", False):
            emit_post_migrate_signal(verbosity, interactive, database)
