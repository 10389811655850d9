"""`manage.py person_data PHONE --find | --export FILE | --erase --reason TEXT`: a person's
request by phone number, as the administrators' page does it (and audited the same way).
Exit 0 when done, 2 for a usage error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.exceptions import PersonRequestProblem
from campaigns.presentation.labels import PLACES
from campaigns.services.person import person_erase, person_export, person_find


class Command(BaseCommand):
    help = "Find, export or erase everything the dashboard holds about one phone number."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("phone", help="the number as the person gave it")
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--find", action="store_true", help="list every place holding it")
        what.add_argument("--export", metavar="FILE", help="write all of it to FILE (JSON)")
        what.add_argument("--erase", action="store_true", help="erase all of it (needs --reason)")
        parser.add_argument("--reason", default="", help="why it is erased (kept, without it)")

    def handle(self, *args: Any, **options: Any) -> None:
        phone = options["phone"]
        try:
            if options["find"]:
                found = person_find(phone=phone, actor=None)
                for finding in found.findings:
                    self.stdout.write(f"{PLACES[finding.kind]}\t{finding.where}")
                n = len(found.findings)
                self.stdout.write(
                    ngettext("%(n)s place holds the number.", "%(n)s places hold the number.", n)
                    % {"n": n}
                )
            elif options["export"]:
                data = person_export(phone=phone, actor=None)
                try:
                    Path(options["export"]).write_bytes(data)
                except OSError as error:
                    self.stderr.write(
                        _("Cannot write %(file)s: %(error)s. Choose a folder you can write to.")
                        % {"file": options["export"], "error": error.strerror}
                    )
                    sys.exit(2)
                self.stdout.write(_("Written to %(file)s.") % {"file": options["export"]})
            else:
                erasure = person_erase(phone=phone, reason=options["reason"], actor=None)
                for kind, n in erasure.erased.items():
                    self.stdout.write(f"{PLACES[kind]}\t{n}")
                if erasure.left:
                    self.stderr.write(
                        _("A second search still finds the number: %(left)s.")
                        % {"left": ", ".join(str(PLACES[k]) for k in erasure.left)}
                    )
                    sys.exit(1)
                self.stdout.write(
                    _("Erased; a second search finds the number nowhere (audit entry #%(id)s).")
                    % {"id": erasure.entry_id}
                )
        except PersonRequestProblem as problem:
            self.stderr.write(str(problem))
            sys.exit(2)
