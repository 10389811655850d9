"""`manage.py revert_sending (SENDING_ID | --grid GRID_ID) [--dry-run] [--report PATH]
[--system NAME] [--user USER]`: the page's revert, from the command line.

With --user the command holds that user's grants: a sending or grid of a campaign they do not
see is refused in the words used for one that does not exist, so ids do not leak; in one they see
without the right to send, it says so. --system names the sending's system (the ids are the
install's, so it only narrows them).

Builds the grid that puts back what one sending did, or every sending of a grid (each record as
it was before the first of them, rows not confirmed included), prints what it cannot put back and
its review, and, without --dry-run, sends it in this process. Exit codes follow `push_records`:
0 every record put back, 1 some row not put back (refused, not confirmed, not sent) or nothing to
revert, 2 usage or configuration errors.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.access import access_of
from campaigns.exceptions import ReviewProblem, SubmissionProblem, ThuliumProblem
from campaigns.management.acting import acting_system, acting_user, add_acting_arguments
from campaigns.management.sending_cli import USAGE_ERROR, SendsGrids, number
from campaigns.models import Grid, Submission
from campaigns.rules.validation import CampaignRules
from campaigns.services.connection import thulium_session
from campaigns.services.problems import grid_problem_groups
from campaigns.services.revert import grid_revert_grids, submission_revert_grids
from campaigns.services.review import grid_review_read
from campaigns.services.validation import campaign_rules


class Command(SendsGrids):
    help = "Build the grid that reverts a sending (or every sending of a grid), review it, send it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "sending_id", nargs="?", type=int, help="the sending to revert (its number, e.g. 12)"
        )
        parser.add_argument(
            "--grid",
            type=int,
            metavar="GRID_ID",
            help="revert every sending of this grid: each record as it was before the first",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="build and review the revert grid without sending anything to Thulium",
        )
        parser.add_argument("--report", type=Path, help="write a per-row report (.csv or .xlsx)")
        add_acting_arguments(
            parser,
            user_help="dashboard user the revert grid is attributed to; the command then holds "
            "that user's grants and may revert only where they may send",
        )
        self.add_sending_arguments(parser)

    def _handle(self, **options: Any) -> None:
        try:
            self.check_report_path(options["report"])
            wait_limit = self.wait_limit(options["wait_for_thulium"])
            user = acting_user(options["user"])
            reverts = self._build(
                options["sending_id"], options["grid"], user=user, system=options["system"]
            )
            if reverts is None:
                sys.exit(1)
            # An upsert grid's sending is undone by two grids (updated, added): each in turn.
            done: list[tuple[Grid, Submission | None]] = []
            for revert in reverts:
                review = self.print_review(revert)
                submission = None
                if not options["dry_run"]:
                    submission = self.send(
                        revert,
                        review,
                        wait_limit=wait_limit,
                        # Reverting additions removes them: asking for the revert is consent.
                        confirmed_count=review.rows if revert.mode == Grid.Mode.REMOVE else None,
                    )
                done.append((revert, submission))
        except CommandError as error:
            self.stderr.write(str(error))
            sys.exit(USAGE_ERROR)
        report: Path | None = options["report"]
        for index, (revert, _sent) in enumerate(done):
            if report:
                # The second grid's report beside the first's, named by its grid.
                where = report if not index else report.with_stem(f"{report.stem}-{revert.pk}")
                self.write_report(revert, where)
        for revert, submission in done[:-1]:
            if code := self.exit_code(revert, submission):
                sys.exit(code)
        self.exit_after_sending(*done[-1])

    def _build(
        self, sending_id: int | None, grid_id: int | None, *, user: User | None, system: str | None
    ) -> list[Grid] | None:
        """The revert grids (two for an upsert grid), read against the campaign as the page's
        review does; None when there is nothing to revert (said on stdout)."""
        if (sending_id is None) == (grid_id is None):
            raise CommandError(
                _("Name one sending (its number) or one grid (--grid GRID_ID) to revert.")
            )
        # Only what the acting user sees, in the system named: the rest is not there for them.
        seen = access_of(user).campaigns_q("campaign__") if user is not None else Q()
        if system:
            seen &= Q(campaign__system=acting_system(system, user=user))
        if sending_id is not None:
            sending = Submission.objects.select_related("grid", "campaign").filter(
                seen, pk=sending_id
            )
            if not sending.exists():
                raise CommandError(_("There is no sending #%(id)s.") % {"id": sending_id})
            grid = sending[0].grid
        elif grid_id is not None:
            found = Grid.objects.select_related("campaign").filter(seen, pk=grid_id).first()
            if found is None:
                raise CommandError(_("There is no grid #%(id)s.") % {"id": grid_id})
            grid = found
        if user is not None and not user.has_perm("campaigns.add_submission", grid.campaign):
            raise CommandError(
                _(
                    "%(user)s may not revert sendings in campaign %(id)s of Thulium system "
                    "%(system)s: that needs the Supervisor role there."
                )
                % {
                    "user": user.get_username(),
                    "id": grid.campaign.thulium_id,
                    "system": grid.campaign.system.name,
                }
            )
        try:
            with thulium_session(system=grid.campaign.system) as client:
                rules = campaign_rules(campaign=grid.campaign, client=client)
                try:
                    if sending_id is not None:
                        reverts = submission_revert_grids(
                            submission=sending[0], author=user, rules=rules
                        )
                    else:
                        reverts = grid_revert_grids(grid=grid, author=user, rules=rules)
                except SubmissionProblem as problem:
                    self.stdout.write(str(problem))
                    return None
                for revert in reverts:
                    grid_review_read(grid=revert, client=client)
        except ThuliumProblem as problem:
            raise CommandError(problem.text) from None
        except ReviewProblem as problem:
            raise CommandError(problem.text) from None
        for revert in reverts:
            revert.refresh_from_db()
            self._say_built(revert, rules)
        return reverts

    def _say_built(self, revert: Grid, rules: CampaignRules) -> None:
        self.stdout.write(
            ngettext(
                "Revert grid #%(id)s for campaign %(campaign)s: %(n)s record to put back.",
                "Revert grid #%(id)s for campaign %(campaign)s: %(n)s records to put back.",
                revert.rows_total,
            )
            % {
                "id": revert.pk,
                "campaign": revert.campaign.thulium_id,
                "n": number(revert.rows_total),
            }
        )
        for group in grid_problem_groups(revert, rules):
            self.stdout.write(f"  {group.text}")
