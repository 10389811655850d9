"""`manage.py verify_audit [--head N:MAC ...]`: check the audit log's keyed chain, and the
outcome rows each request's entry recorded.

Each intact run records the head (`N:MAC`) in AUDIT_HEAD_FILE, outside the database, and each
run checks the log against the head recorded last: a log cut short, emptied or rewritten since
is reported even when its head row was wound back or deleted with it. `--head` checks heads kept
elsewhere too. Exit 0 when intact, 1 at the first problem, 2 when the head cannot be recorded or
for usage.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.services.audit import AuditHeadLine, audit_verify


class Command(BaseCommand):
    help = "Verify that no audit entry was altered, removed or inserted; record the head."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--head",
            action="append",
            default=[],
            metavar="N:MAC",
            help="a head printed earlier (and kept elsewhere): check it is still in the chain",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            heads = tuple(AuditHeadLine.parse(text) for text in options["head"])
        except ValueError as error:
            self.stderr.write(
                _("--head takes N:MAC as verify_audit printed it, not “%(text)s”.")
                % {"text": error}
            )
            sys.exit(2)
        if settings.AUDIT_KEY_FILE is not None:
            self.stderr.write(
                _(
                    "AUDIT_KEY is not set: this install's development key is used (DEBUG is "
                    "on), kept in %(path)s."
                )
                % {"path": settings.AUDIT_KEY_FILE}
            )
        head_file: Path | None = settings.AUDIT_HEAD_FILE
        recorded = self.recorded_head(head_file) if head_file is not None else None
        check = audit_verify(heads=heads + ((recorded,) if recorded else ()))
        if not check.ok:
            self.stderr.write(check.problem)
            if recorded is not None:
                self.stderr.write(
                    _("The head recorded in %(path)s stays %(head)s until the log is restored.")
                    % {"path": head_file, "head": recorded}
                )
            sys.exit(1)
        self.stdout.write(_("Audit log intact (entries: %(n)s).") % {"n": check.checked})
        if check.erased:
            # Retention and people's requests, each recorded in the log: not tampering.
            self.stdout.write(
                _("Personal details erased: %(n)s, by erasures recorded in the log: %(m)s.")
                % {"n": check.erased, "m": check.erasures}
            )
        for head in heads:
            self.stdout.write(_("Head %(head)s is in the chain.") % {"head": head})
        if recorded is not None:
            self.stdout.write(
                _("The head recorded earlier, %(head)s, is in the chain.") % {"head": recorded}
            )
        self.stdout.write(_("Head: %(head)s") % {"head": check.head})
        if head_file is None:
            self.stderr.write(
                _(
                    "The head was not recorded: AUDIT_HEAD_FILE is not set. Set it to a file "
                    "the database's users cannot write, so the next run can tell a log that "
                    "was cut short or emptied."
                )
            )
            return
        self.record_head(head_file, check.head)

    def recorded_head(self, path: Path) -> AuditHeadLine | None:
        """The head the last intact run recorded: the last line's last word. None before the
        first run."""
        try:
            lines = path.read_text(encoding="ascii").split("\n")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            self.stderr.write(
                _(
                    "AUDIT_HEAD_FILE (%(path)s) cannot be read: %(error)s. Make it readable by "
                    "this user, or restore it from where it is backed up."
                )
                % {"path": path, "error": error}
            )
            sys.exit(2)
        last = next((line for line in reversed(lines) if line.strip()), "")
        try:
            return AuditHeadLine.parse(last.split()[-1]) if last else None
        except ValueError:
            self.stderr.write(
                _(
                    "AUDIT_HEAD_FILE (%(path)s) does not end with a head verify_audit wrote "
                    "(“%(line)s”): it was altered. Restore it from where it is backed up."
                )
                % {"path": path, "line": last}
            )
            sys.exit(1)

    def record_head(self, path: Path, head: AuditHeadLine | None) -> None:
        """One line per run, appended: when, and the head."""
        line = f"{timezone.now().isoformat(timespec='seconds')} {head}\n"
        try:
            with path.open("a", encoding="ascii") as file:
                file.write(line)
                file.flush()
                os.fsync(file.fileno())
        except OSError as error:
            self.stderr.write(
                _(
                    "The head could not be recorded in AUDIT_HEAD_FILE (%(path)s): %(error)s. "
                    "Make the file writable by this user, or set AUDIT_HEAD_FILE to another "
                    "file."
                )
                % {"path": path, "error": error}
            )
            sys.exit(2)
        self.stdout.write(_("Head recorded in %(path)s.") % {"path": path})
