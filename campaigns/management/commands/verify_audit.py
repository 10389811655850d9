"""`manage.py verify_audit [--head N:MAC ...]`: check the audit log's keyed chain.

Prints the head (`N:MAC`) for operators to keep outside the database; `--head` checks a head
kept earlier against today's chain. Exit 0 when intact, 1 at the first problem, 2 for usage.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from campaigns.services.audit import AuditHeadLine, audit_verify


class Command(BaseCommand):
    help = "Verify that no audit entry was altered, removed or inserted; print the head."

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
        if settings.AUDIT_KEY == settings.DEVELOPMENT_AUDIT_KEY:
            self.stderr.write(_("AUDIT_KEY is not set: the development key is used (DEBUG is on)."))
        check = audit_verify(heads=heads)
        if not check.ok:
            self.stderr.write(check.problem)
            sys.exit(1)
        self.stdout.write(_("Audit log intact: %(n)s entries.") % {"n": check.checked})
        if check.erased:
            # Retention and people's requests, each recorded in the log: not tampering.
            self.stdout.write(
                _("Personal details erased: %(n)s, by erasures recorded in the log: %(m)s.")
                % {"n": check.erased, "m": check.erasures}
            )
        for head in heads:
            self.stdout.write(_("Head %(head)s is in the chain.") % {"head": head})
        self.stdout.write(_("Head: %(head)s") % {"head": check.head})
