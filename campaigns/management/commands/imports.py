"""`manage.py imports add|list|run|pause|resume|remove`: recurring imports of CRM exports.

    imports add NAME --campaign ID (--folder PATH | --url URL | --sftp URL) --pattern GLOB
        --policy review|send-when-clean|send-valid [--mode edit|add|remove]
        (--every MINUTES | --daily HH:MM) [--system NAME] [--user OWNER]
        [--max-left-out N] [--pause-after N] [--bearer-env VAR | --basic-user U --password-env VAR]

The scheduler runs each when due; `run NAME` runs one now, sending in this process. Credentials
come from the environment, never from arguments, and are kept sealed.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import time as day_time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from campaigns.exceptions import ThuliumProblem
from campaigns.management.acting import acting_system, acting_user
from campaigns.models import Grid, Import
from campaigns.services.campaigns import campaign_for
from campaigns.services.connection import thulium_session
from campaigns.services.import_sources import ImportProblem
from campaigns.services.imports import import_add, import_run


class Command(BaseCommand):
    help = "Recurring imports: add, list, run, pause, resume, remove."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.allow_abbrev = False
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="add an import")
        add.allow_abbrev = False
        add.add_argument("name")
        add.add_argument("--campaign", required=True, metavar="ID")
        where = add.add_mutually_exclusive_group(required=True)
        where.add_argument("--folder", metavar="PATH")
        where.add_argument("--url", metavar="URL")
        where.add_argument("--sftp", metavar="URL")
        add.add_argument("--pattern", required=True, metavar="GLOB")
        add.add_argument(
            "--policy", required=True, choices=[p.value for p in Import.Policy], metavar="POLICY"
        )
        add.add_argument("--mode", default=Grid.Mode.EDIT, choices=[m.value for m in Grid.Mode])
        when = add.add_mutually_exclusive_group(required=True)
        when.add_argument("--every", type=int, metavar="MINUTES")
        when.add_argument("--daily", metavar="HH:MM")
        add.add_argument("--system", metavar="NAME")
        add.add_argument("--user", metavar="USER", help="the import's owner, mailed each run")
        add.add_argument("--max-left-out", type=int, default=0, metavar="N")
        add.add_argument("--pause-after", type=int, default=3, metavar="N")
        add.add_argument("--bearer-env", metavar="VAR")
        add.add_argument("--basic-user", metavar="USER")
        add.add_argument("--password-env", metavar="VAR")
        add.add_argument("--key-file", metavar="PATH", help="SFTP: the private key (kept sealed)")
        add.add_argument(
            "--host-key",
            metavar="KEY",
            help="SFTP: the server's host key, e.g. 'ssh-ed25519 AAAA…' (else learnt when added)",
        )
        actions.add_parser("list", help="list the imports")
        for name in ("run", "pause", "resume", "remove"):
            one = actions.add_parser(name)
            one.add_argument("name")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            try:
                getattr(self, f"_{action}")(**options)
            except (ImportProblem, ThuliumProblem) as problem:
                self.stderr.write(problem.text)
                sys.exit(2)
            except CommandError as error:
                self.stderr.write(str(error))
                sys.exit(2)

    def _named(self, name: str) -> Import:
        found = Import.objects.select_related("campaign__system").filter(name=name).first()
        if found is None:
            raise CommandError(_("There is no import “%(name)s”.") % {"name": name})
        return found

    def _add(self, **o: Any) -> None:
        owner = acting_user(o["user"])
        system = acting_system(o["system"], user=owner)
        daily = None
        if o["daily"] is not None:
            if not re.fullmatch(r"\d{1,2}:\d{2}", o["daily"]):
                raise CommandError(_("--daily takes a time of day as HH:MM, e.g. 02:00."))
            hours, minutes = (int(x) for x in o["daily"].split(":"))
            if hours > 23 or minutes > 59:
                raise CommandError(_("--daily takes a time of day from 00:00 to 23:59."))
            daily = day_time(hours, minutes)
        basic = None
        sftp_password = sftp_key = ""
        if o["sftp"] is not None:
            if o["key_file"]:
                try:
                    sftp_key = Path(o["key_file"]).read_text(encoding="ascii")
                except (OSError, UnicodeError) as error:
                    raise CommandError(
                        _("Cannot read the key file %(path)s: %(why)s.")
                        % {"path": o["key_file"], "why": getattr(error, "strerror", error)}
                    ) from None
            elif o["password_env"]:
                sftp_password = self._secret(o["password_env"])
        elif o["basic_user"]:
            basic = (o["basic_user"], self._secret(o["password_env"]))
        bearer = self._secret(o["bearer_env"]) if o["bearer_env"] else ""
        source, location = next(
            (kind, o[kind]) for kind in ("folder", "url", "sftp") if o[kind] is not None
        )
        campaign = campaign_for(system=system, thulium_id=o["campaign"])
        needed = (
            "campaigns.add_grid"
            if o["policy"] == Import.Policy.REVIEW
            else ("campaigns.add_submission")
        )
        if owner is not None and not owner.has_perm(needed, campaign):
            raise CommandError(
                _("%(user)s may not %(what)s in campaign %(id)s of Thulium system %(system)s.")
                % {
                    "user": owner.get_username(),
                    "what": _("make grids") if needed.endswith("grid") else _("send"),
                    "id": campaign.thulium_id,
                    "system": system.name,
                }
            )
        made = import_add(
            name=o["name"],
            campaign=campaign,
            source=source,
            location=location,
            pattern=o["pattern"],
            policy=o["policy"],
            owner=owner,
            mode=o["mode"],
            every_minutes=o["every"],
            daily_at=daily,
            max_left_out=o["max_left_out"],
            pause_after=o["pause_after"],
            basic=basic,
            bearer=bearer,
            sftp_password=sftp_password,
            sftp_key=sftp_key,
            host_key=o["host_key"] or "",
        )
        self.stdout.write(
            _("Import %(name)s added; first run %(when)s.")
            % {"name": made.name, "when": _moment(made.due_at)}
        )

    def _secret(self, variable: str | None) -> str:
        if not variable:
            raise CommandError(_("--password-env VAR names the variable that holds the password."))
        value = os.environ.get(variable, "")
        if not value:
            raise CommandError(
                _("The environment variable %(var)s is not set.") % {"var": variable}
            )
        return value

    def _list(self, **o: Any) -> None:
        imports = list(Import.objects.select_related("campaign__system"))
        if not imports:
            self.stdout.write(_("No imports yet: add one with manage.py imports add."))
        for imp in imports:
            last = imp.runs.first()
            self.stdout.write(
                _(
                    "%(name)s  %(system)s/%(campaign)s  %(source)s %(where)s %(pattern)s  "
                    "%(policy)s  next %(next)s%(paused)s  last: %(last)s"
                )
                % {
                    "name": imp.name,
                    "system": imp.campaign.system.name,
                    "campaign": imp.campaign.thulium_id,
                    "source": imp.source,
                    "where": imp.location,
                    "pattern": imp.pattern,
                    "policy": imp.policy,
                    "next": _moment(imp.due_at),
                    "paused": " " + _("PAUSED") if imp.paused else "",
                    "last": f"{last.get_state_display()} ({_moment(last.started_at)})"
                    if last
                    else "—",
                }
            )

    def _run(self, **o: Any) -> None:
        imp = self._named(o["name"])
        with thulium_session(system=imp.campaign.system) as client:
            runs = import_run(imp=imp, client=client, send_now=True)
        if not runs:
            self.stdout.write(_("Nothing new since the last run."))
        for run in runs:
            self.stdout.write(
                f"{run.get_state_display()}: {run.file_name or '—'} · {run.said}".strip()
            )

    def _pause(self, **o: Any) -> None:
        imp = self._named(o["name"])
        Import.objects.filter(pk=imp.pk).update(
            paused=True, paused_why=_("Paused from the command line.")
        )
        self.stdout.write(_("Import %(name)s paused.") % {"name": imp.name})

    def _resume(self, **o: Any) -> None:
        imp = self._named(o["name"])
        Import.objects.filter(pk=imp.pk).update(
            paused=False, paused_why="", failures_in_a_row=0, due_at=timezone.now()
        )
        self.stdout.write(_("Import %(name)s resumed; it runs at once.") % {"name": imp.name})

    def _remove(self, **o: Any) -> None:
        imp = self._named(o["name"])
        imp.delete()
        self.stdout.write(
            _("Import %(name)s removed; its grids and sendings stay.") % {"name": imp.name}
        )


def _moment(value: Any) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
