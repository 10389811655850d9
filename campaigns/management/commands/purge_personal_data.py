"""`manage.py purge_personal_data [--dry-run]`: erase personal data kept past its retention
(run it daily from cron). `--dry-run` says what would go and changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.services.retention import PurgePlan, personal_data_purge, purge_plan


class Command(BaseCommand):
    help = "Erase personal data kept longer than RETENTION_DAYS (or a campaign's hold)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be erased, erase nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        plan = purge_plan() if options["dry_run"] else personal_data_purge()
        for grid in plan.grids:
            self.stdout.write(
                _(
                    "Grid #%(grid)s (campaign %(campaign)s): rows: %(rows)s, last sent or "
                    "edited %(when)s, kept (days): %(days)s."
                )
                % {
                    "grid": grid.grid_id,
                    "campaign": grid.campaign,
                    "rows": formats.number_format(grid.rows, force_grouping=True),
                    "when": formats.date_format(grid.last_activity, "SHORT_DATE_FORMAT"),
                    "days": grid.days,
                }
            )
        self.stdout.write(self._summary(plan, dry_run=options["dry_run"]))

    @staticmethod
    def _summary(plan: PurgePlan, *, dry_run: bool) -> str:
        if plan.empty:
            return _("Nothing is past its retention: nothing to erase.")
        figures = {
            "grids": len(plan.grids),
            "rows": plan.rows,
            "outcomes": plan.outcomes,
            "edits": plan.edits,
            "sent": plan.sent_fields,
            "details": plan.details,
        }
        text = (
            ngettext(
                "%(grids)s grid: %(rows)s rows, %(outcomes)s outcomes, %(edits)s edits; "
                "%(sent)s sent record fields; %(details)s audit details.",
                "%(grids)s grids: %(rows)s rows, %(outcomes)s outcomes, %(edits)s edits; "
                "%(sent)s sent record fields; %(details)s audit details.",
                len(plan.grids),
            )
            % figures
        )
        if dry_run:
            return _("Would erase %(what)s Nothing was changed (--dry-run).") % {"what": text}
        return _("Erased %(what)s") % {"what": text}
