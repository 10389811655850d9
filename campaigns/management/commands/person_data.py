"""`manage.py person_data PHONE --find | --export FILE | --erase --reason TEXT [--do-not-contact]
[--system NAME] [--user USER]`: a person's request by phone number, within one Thulium system,
as the administrators' page does it (and audited the same way). With --user, only in a system
that user administers. Exit 0 when done, 2 for a usage error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import roles
from campaigns.access import access_of
from campaigns.exceptions import DoNotContactProblem, PersonRequestProblem
from campaigns.management.acting import acting_system, acting_user, add_acting_arguments
from campaigns.models import ThuliumSystem
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
        parser.add_argument(
            "--do-not-contact",
            action="store_true",
            help="with --erase: also put the number on the system's do-not-contact list",
        )
        add_acting_arguments(
            parser,
            user_help="act as this dashboard user: only in a system they administer, audited "
            "as theirs",
        )

    def _system(self, options: dict[str, Any]) -> tuple[ThuliumSystem, Any]:
        user = acting_user(options["user"])
        system = acting_system(options["system"], user=user)
        if user is not None and access_of(user).role_in(system.pk) != roles.ADMINISTRATOR:
            raise CommandError(
                _(
                    "%(user)s does not administer the Thulium system “%(system)s”: a person's "
                    "request needs the Administrator role in the whole system."
                )
                % {"user": user.get_username(), "system": system.name}
            )
        return system, user

    def handle(self, *args: Any, **options: Any) -> None:
        phone = options["phone"]
        try:
            system, user = self._system(options)
        except CommandError as error:
            self.stderr.write(str(error))
            sys.exit(2)
        try:
            if options["find"]:
                found = person_find(phone=phone, system=system, actor=user)
                for finding in found.findings:
                    self.stdout.write(f"{PLACES[finding.kind]}\t{finding.where}")
                n = len(found.findings)
                self.stdout.write(
                    ngettext("%(n)s place holds the number.", "%(n)s places hold the number.", n)
                    % {"n": n}
                )
            elif options["export"]:
                data = person_export(phone=phone, system=system, actor=user)
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
                erasure = person_erase(
                    phone=phone,
                    system=system,
                    reason=options["reason"],
                    actor=user,
                    do_not_contact=options["do_not_contact"],
                )
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
                if erasure.do_not_contact:
                    self.stdout.write(
                        _("The number is on the do-not-contact list of “%(system)s”.")
                        % {"system": system.name}
                    )
        except (PersonRequestProblem, DoNotContactProblem) as problem:
            self.stderr.write(str(problem))
            sys.exit(2)
