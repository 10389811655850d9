"""`manage.py do_not_contact add|remove|check PHONE [--reason TEXT] [--system NAME] [--user USER]`
and `do_not_contact import FILE --reason TEXT`: a Thulium system's do-not-contact list, as the
admin keeps it (and audited the same way, without the number). With --user, only in a system
that user administers. Exit 0 when done (`check`: 0 when the number is on the list, 1 when it is
not), 2 for a usage error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from campaigns import roles
from campaigns.access import access_of
from campaigns.exceptions import DoNotContactProblem, FileProblem
from campaigns.management.acting import acting_system, acting_user, add_acting_arguments
from campaigns.services.do_not_contact import (
    do_not_contact_add,
    do_not_contact_check,
    do_not_contact_import,
    do_not_contact_remove,
)


class Command(BaseCommand):
    help = "Add, remove or check a number on a system's do-not-contact list, or import a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["add", "remove", "check", "import"])
        parser.add_argument("target", help="the phone number; for import, the CSV/XLSX/ODS file")
        parser.add_argument(
            "--reason", default="", help="why (needed to add, remove or import; no number in it)"
        )
        add_acting_arguments(
            parser, user_help="act as this dashboard user: only in a system they administer"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = acting_user(options["user"])
            system = acting_system(options["system"], user=user)
            if user is not None and access_of(user).role_in(system.pk) != roles.ADMINISTRATOR:
                raise CommandError(
                    _(
                        "%(user)s does not administer the Thulium system “%(system)s”: its "
                        "do-not-contact list needs the Administrator role in the whole system."
                    )
                    % {"user": user.get_username(), "system": system.name}
                )
        except CommandError as error:
            self.stderr.write(str(error))
            sys.exit(2)
        action, target, reason = options["action"], options["target"], options["reason"]
        names = {"system": system.name}
        try:
            if action == "add":
                if do_not_contact_add(system=system, phone=target, reason=reason, actor=user):
                    self.stdout.write(
                        _("Added to the do-not-contact list of “%(system)s”.") % names
                    )
                else:
                    self.stdout.write(
                        _("Already on the do-not-contact list of “%(system)s”.") % names
                    )
            elif action == "remove":
                if do_not_contact_remove(system=system, phone=target, reason=reason, actor=user):
                    self.stdout.write(
                        _("Removed from the do-not-contact list of “%(system)s”.") % names
                    )
                else:
                    self.stdout.write(_("Not on the do-not-contact list of “%(system)s”.") % names)
            elif action == "check":
                if do_not_contact_check(system=system, phone=target, actor=user):
                    self.stdout.write(_("On the do-not-contact list of “%(system)s”.") % names)
                else:
                    self.stdout.write(_("Not on the do-not-contact list of “%(system)s”.") % names)
                    sys.exit(1)
            else:
                self._import(system=system, path=Path(target), reason=reason, user=user)
        except (DoNotContactProblem, FileProblem) as problem:
            self.stderr.write(str(problem))
            sys.exit(2)

    def _import(self, *, system: Any, path: Path, reason: str, user: Any) -> None:
        try:
            data = path.read_bytes()
        except OSError as error:
            self.stderr.write(
                _("Cannot read %(file)s: %(error)s.") % {"file": path, "error": error.strerror}
            )
            sys.exit(2)
        done = do_not_contact_import(
            system=system, data=data, filename=path.name, reason=reason, actor=user
        )
        self.stdout.write(
            _(
                "Do-not-contact list of “%(system)s”: added %(added)s; already on it: "
                "%(already)s; not a phone number: %(bad)s."
            )
            % {
                "system": system.name,
                "added": done.added,
                "already": done.already,
                "bad": done.not_numbers,
            }
        )
