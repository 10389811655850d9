"""`manage.py thulium_system add | list | test | remove | rekey`: the Thulium systems this install
serves, as the admin's pages keep them (and audited the same way), for the server's operator.

- `add NAME --base-url URL --api-user USER`: the password from `--password-env VAR`, or from
  standard input (asked for, unseen, on a terminal); never an argument, where `ps` and the shell's
  history would keep it.
- `list`: each system with where its connection comes from; never a password.
- `test NAME`: asks the system for its campaigns; exit 0 when it answers, 1 when not, with the
  words of the campaign list's banner.
- `remove NAME [--force]`: refused while the system has grids, unless --force.
- `rekey`: every kept password sealed again under the first key of CONNECTIONS_KEY, after a new
  key was put first; then the old key can be dropped.

Exit 2 for a usage error or a change refused.
"""

from __future__ import annotations

import getpass
import os
import sys
from argparse import SUPPRESS
from typing import Any, TextIO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.management.acting import acting_system
from campaigns.models import ThuliumSystem
from campaigns.services.connection import system_address
from campaigns.services.systems import (
    SystemProblem,
    thulium_system_add,
    thulium_system_remove,
    thulium_system_test,
    thulium_systems_reseal,
)

USAGE_ERROR = 2
FAILED = 1


class Command(BaseCommand):
    help = "Add, list, test and remove the Thulium systems this install serves; reseal passwords."
    # Tests hand the password in as standard input (as createsuperuser's do).
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
        # No abbreviations: `--password X` must not be taken for `--password-env X`.
        add = commands.add_parser(
            "add", help="add a system (the password is asked for)", allow_abbrev=False
        )
        add.add_argument("name", help="short, as addresses name it: lowercase, digits, dashes")
        add.add_argument("--base-url", required=True, metavar="URL", help="the API root, .../api/")
        add.add_argument("--api-user", required=True, metavar="USER", help="the API user")
        add.add_argument(
            "--password-env",
            metavar="VAR",
            help="read the API password from this environment variable (else: standard input)",
        )
        # Caught to be refused in our words: argparse's own would repeat the password.
        add.add_argument(
            "--password", "--pass", dest="password_given", nargs="?", const="", help=SUPPRESS
        )
        commands.add_parser("list", help="list the systems (never their passwords)")
        test = commands.add_parser("test", help="ask a system for its campaigns")
        test.add_argument("name")
        remove = commands.add_parser("remove", help="remove a system (refused while it has grids)")
        remove.add_argument("name")
        remove.add_argument(
            "--force", action="store_true", help="remove it with its campaigns and grids"
        )
        commands.add_parser(
            "rekey", help="seal every kept password again under the first key of CONNECTIONS_KEY"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['subcommand']}")(**options)
        except SystemProblem as problem:
            raise CommandError(problem.text, returncode=USAGE_ERROR) from None
        except CommandError as error:
            raise CommandError(str(error), returncode=USAGE_ERROR) from None

    def _add(self, **options: Any) -> None:
        if options["password_given"] is not None:
            raise CommandError(
                _(
                    "The password is never given as an argument: the shell's history and the "
                    "list of processes keep it. Give --password-env VAR, or type it when asked "
                    "(or pipe it to standard input); and change the password you just typed."
                )
            )
        password = self._password(options["password_env"], options.get("stdin") or sys.stdin)
        system = thulium_system_add(
            name=options["name"],
            base_url=options["base_url"],
            api_user=options["api_user"],
            password=password,
            actor=None,
        )
        self.stdout.write(
            _(
                "Thulium system %(name)s added; its password is kept sealed. Check it with "
                "`manage.py thulium_system test %(name)s`."
            )
            % {"name": system.name}
        )

    def _password(self, variable: str | None, stdin: TextIO) -> str:
        if variable:
            if variable not in os.environ:
                raise CommandError(
                    _(
                        "The environment variable %(var)s is not set. Set it to the API "
                        "password, or leave out --password-env and type the password."
                    )
                    % {"var": variable}
                )
            password = os.environ[variable]
        elif stdin.isatty():
            password = getpass.getpass(_("API password (not shown): "))
        else:
            password = stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(
                _(
                    "The API password is empty. Give the API user's password in --password-env "
                    "or on standard input."
                )
            )
        return password

    def _list(self, **options: Any) -> None:
        systems = ThuliumSystem.objects.annotate(
            campaigns_n=Count("campaigns", distinct=True),
            grids_n=Count("campaigns__grids", distinct=True),
        )
        if not systems:
            self.stdout.write(
                _(
                    "No Thulium system is set up. Add one with `manage.py thulium_system add`, or "
                    "set THULIUM_BASE_URL and run `manage.py migrate`."
                )
            )
            return
        header = [_("name"), _("API address"), _("API user"), _("connection"), _("campaigns")]
        self.stdout.write("\t".join([*header, _("grids")]))
        for system in systems:
            kept = _("from the environment") if system.from_environment else _("kept here")
            self.stdout.write(
                "\t".join(
                    [
                        system.name,
                        system_address(system) or "—",
                        _api_user(system) or "—",
                        kept,
                        str(getattr(system, "campaigns_n", 0)),
                        str(getattr(system, "grids_n", 0)),
                    ]
                )
            )

    def _test(self, **options: Any) -> None:
        tested = thulium_system_test(system=acting_system(options["name"]))
        if not tested.ok:
            self.stderr.write(tested.text)
            sys.exit(FAILED)
        self.stdout.write(tested.text)

    def _remove(self, **options: Any) -> None:
        system = acting_system(options["name"])
        grids = thulium_system_remove(system=system, actor=None, force=options["force"])
        self.stdout.write(
            ngettext(
                "Thulium system %(name)s removed, with %(n)s grid.",
                "Thulium system %(name)s removed, with %(n)s grids.",
                grids,
            )
            % {"name": system.name, "n": grids}
        )

    def _rekey(self, **options: Any) -> None:
        resealed = thulium_systems_reseal(actor=None)
        if not resealed:
            self.stdout.write(_("No password is kept here: nothing to seal again."))
            return
        self.stdout.write(
            _(
                "Passwords sealed again under the first key of CONNECTIONS_KEY: %(names)s. The "
                "other keys can now be dropped from CONNECTIONS_KEY."
            )
            % {"names": ", ".join(resealed)}
        )


def _api_user(system: ThuliumSystem) -> str:
    if system.from_environment:
        return settings.THULIUM.get("API_USER") or ""
    return system.api_user
