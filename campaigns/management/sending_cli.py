"""What the commands that send a grid share (`push_records`, `revert_sending`): the review as the
page shows it, the sending run in this process (waiting for Thulium through an outage, each
pause printed), the closing line in the words the panel uses, the report and the exit code.

Exit codes: 0 every row sent was done, 1 some row was invalid, refused, not confirmed or not
sent (or the sending paused or stopped), 2 usage, file or configuration errors.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import thulium
from campaigns.exceptions import SubmissionProblem, ThuliumProblem
from campaigns.models import SUCCESS_OUTCOMES, Grid, Outcome, Submission
from campaigns.presentation.outcome_words import no_answer_words
from campaigns.selectors.sendings import sendings_summaries, submission_pause_counts
from campaigns.services.connection import thulium_session
from campaigns.services.exports import csv_delimiter, grid_export
from campaigns.services.review import Review, grid_review
from campaigns.services.rows import RowFilter
from campaigns.services.sending import submission_run
from campaigns.services.submissions import submission_create
from campaigns.services.validation import campaign_rules

USAGE_ERROR = 2


def number(value: float, decimals: int | None = None) -> str:
    """A figure as the reader writes it: 1 500 and 2,5 in Polish, 1,500 and 2.5 in English."""
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def moment(value: Any) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


class SendsGrids(BaseCommand):
    """A command that reviews a grid, sends it in this process and reports on it."""

    def handle(self, *args: Any, **options: Any) -> None:
        # It speaks LANGUAGE_CODE, whatever language the calling thread had active.
        with translation.override(settings.LANGUAGE_CODE):
            self._handle(**options)

    def _handle(self, **options: Any) -> None:
        raise NotImplementedError

    def add_sending_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--wait-for-thulium",
            type=float,
            metavar="MINUTES",
            default=None,
            help="while Thulium cannot be reached, keep trying (with growing pauses) for at most "
            "this many minutes before the rows not sent are given up (default: "
            "SUBMISSION_OUTAGE_HOURS)",
        )

    def wait_limit(self, minutes: float | None) -> float:
        """Seconds to wait for Thulium at most."""
        if minutes is None:
            return settings.SUBMISSION_OUTAGE_HOURS * 3600
        if minutes < 0:
            raise CommandError(
                _("--wait-for-thulium takes minutes, 0 or more, not %(value)s.")
                % {"value": number(minutes)}
            )
        return minutes * 60

    def print_review(self, grid: Grid) -> Review:
        """The same review as the page's, printed before anything is sent."""
        try:
            with thulium_session(system=grid.campaign.system) as client:
                rules = campaign_rules(campaign=grid.campaign, client=client)
        except ThuliumProblem as problem:
            raise CommandError(problem.text) from None
        review = grid_review(grid=grid, rules=rules)
        out = self.stdout
        out.write(
            ngettext("%(n)s row would be sent.", "%(n)s rows would be sent.", review.rows)
            % {"n": number(review.rows)}
        )
        for change in review.changes:
            out.write(
                _("  %(column)s → %(value)s: %(n)s")
                % {
                    "column": change.column,
                    # The page's words for a value that differs from row to row.
                    "value": change.to or _("set as in the grid"),
                    "n": number(change.count),
                }
            )
        for reason, count in review.left_out:
            out.write(_("  left out, %(reason)s: %(n)s") % {"reason": reason, "n": number(count)})
        if review.unchanged:
            out.write(_("  left out, no change: %(n)s") % {"n": number(review.unchanged)})
        for group in review.warnings:
            out.write(_("  going with a warning: %(group)s") % {"group": group.text})
        if review.read_at:
            out.write(
                _("Checked against the campaign's records as read at %(when)s.")
                % {"when": moment(review.read_at)}
            )
        for kind in review.kinds:
            out.write(_("%(group)s: %(n)s") % {"group": kind.label, "n": number(kind.rows)})
            out.write(_("The first rows, exactly as sent:"))
            out.write(kind.first_rows_json)
        if review.rows and not review.kinds:
            out.write(_("The first rows, exactly as sent:"))
            out.write(review.first_rows_json)
        return review

    def send(
        self,
        grid: Grid,
        review: Review,
        *,
        wait_limit: float,
        chunk_size: int | None = None,
        confirmed_count: int | None = None,
        live_check: bool = True,
    ) -> Submission:
        """Send in this process, no worker needed, and wait until every chunk is answered:
        through Thulium's own waits and through an outage, each pause printed."""
        try:
            with thulium_session(system=grid.campaign.system) as client:
                rules = campaign_rules(campaign=grid.campaign, client=client)
                submission = submission_create(
                    grid=grid,
                    author=grid.author,
                    rules=rules,
                    review=review.token,
                    chunk_size=chunk_size,
                    confirmed_count=confirmed_count,
                    live_check=live_check,
                    wait_limit=wait_limit,
                )
                while True:
                    result = submission_run(submission_id=submission.pk, client=client)
                    if result.retry_after is None:
                        break
                    self._print_wait(submission, result.retry_after)
                    time.sleep(result.retry_after)
        except SubmissionProblem as problem:
            self.stdout.write(str(problem))
            return Submission(state=Submission.State.FAILED)
        except ThuliumProblem as problem:
            raise CommandError(problem.text) from None
        submission.refresh_from_db()
        (story,) = sendings_summaries([submission])
        self.stdout.write(
            _("Sent: %(state)s; %(summary)s")
            % {"state": submission.get_state_display(), "summary": story.summary or "—"}
        )
        if submission.problem and submission.state != Submission.State.PAUSED:
            self.stderr.write(submission.problem)
        return submission

    def _print_wait(self, submission: Submission, seconds: float) -> None:
        submission.refresh_from_db()
        if submission.waits_for_outage and submission.retry_at is not None:
            self.stdout.write(
                _(
                    "Waiting for Thulium: %(cause)s. Nothing was refused. Trying again at "
                    "%(at)s (in %(seconds)s s); giving up at %(until)s."
                )
                % {
                    "cause": no_answer_words(submission.outage_status),
                    "at": moment(submission.retry_at),
                    "seconds": number(seconds, 0 if seconds >= 10 else 1),
                    "until": moment(submission.outage_gives_up_at),
                }
            )
        elif submission.state == Submission.State.WAITING:
            self.stdout.write(
                _("Waiting %(seconds)s s as Thulium asked…") % {"seconds": number(round(seconds))}
            )

    def paused_line(self, submission: Submission) -> str:
        """One line: why the sending paused, and how much of it was not sent."""
        cause = submission.pause_cause
        field = thulium.unknown_field(cause)
        counts = submission_pause_counts(submission)
        assert counts is not None  # the sending is paused
        what = (
            _("Thulium does not know the record field “%(field)s”") % {"field": field}
            if field
            else _("Thulium refused rows with “%(message)s”") % {"message": cause}
        )
        return _(
            "Paused: %(what)s (rows refused: %(refused)s of %(answered)s); rows not sent: "
            "%(not_sent)s. Fix the cause and run again."
        ) % {
            "what": what,
            "refused": number(counts.refused),
            "answered": number(counts.answered),
            "not_sent": number(counts.not_sent),
        }

    def write_report(self, grid: Grid, path: Path) -> None:
        """The same file as the grid page's export of every row, its CSV cells split as the
        page's download splits them in the command's language (";" in Polish, for Excel)."""
        fmt = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
        data = grid_export(
            grid=grid, filters=RowFilter(), fmt=fmt, actor=grid.author, delimiter=csv_delimiter()
        )
        path.write_bytes(data)
        self.stdout.write(_("Report: %(path)s") % {"path": path})

    def check_report_path(self, report: Path | None) -> None:
        if report and report.suffix.lower() not in {".csv", ".xlsx"}:
            raise CommandError(
                _("--report must end in .csv or .xlsx, not %(name)s.") % {"name": report.name}
            )

    def exit_after_sending(self, grid: Grid, submission: Submission | None) -> None:
        """Leave with the exit code the module says; a paused sending says why first."""
        sys.exit(self.exit_code(grid, submission))

    def exit_code(self, grid: Grid, submission: Submission | None) -> int:
        """The exit code the module says for the grid and its sending (a paused sending says
        why on stderr)."""
        if submission is None:
            return 1 if grid.rows_error else 0
        if submission.state == Submission.State.PAUSED:
            self.stderr.write(self.paused_line(submission))
            return 1
        # A number that was not there to remove is no failure; anything else short of success is.
        # Nor is a row left out because Thulium holds it as it is already.
        short = (
            grid.rows.exclude(outcome__in=[*SUCCESS_OUTCOMES, Outcome.NOT_EXIST])
            .exclude(outcome=Outcome.NONE, unchanged=True)
            .exists()
        )
        return 0 if not short and submission.state == Submission.State.FINISHED else 1
