"""`manage.py push_records CAMPAIGN_ID FILE --dry-run`: the web intake, from the command line.

Same intake, mapping (the campaign's remembered mapping, else automatic) and validation as the
dashboard; the grid is stored and appears there. Without --dry-run the valid rows are sent, in this
process, and the report carries Thulium's answers. Exit codes: 0 every row valid (and, when
sending, updated), 1 some row invalid or refused, 2 usage, file or configuration errors.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from campaigns.models import SUCCESS_OUTCOMES, Grid, Outcome, Submission
from campaigns.services.campaigns import CampaignNotFound, campaign_open
from campaigns.services.connection import describe_thulium_error, thulium_client
from campaigns.services.editing import RowFilter
from campaigns.services.exports import grid_export
from campaigns.services.grids import MappingProblem, grid_confirm_mapping, grid_create_from_file
from campaigns.services.submissions import (
    SubmissionProblem,
    grid_outcome_counts,
    submission_create,
    submission_run,
)
from campaigns.services.thulium_now import grid_compare
from campaigns.services.validation import campaign_rules
from campaigns.spreadsheets import FileProblem
from campaigns.targets import label
from campaigns.thulium import ThuliumError

USAGE_ERROR = 2


class Command(BaseCommand):
    help = "Check a file of record changes for a Thulium campaign, store it as a grid, send it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign_id", help="Thulium campaign id, e.g. 00001")
        parser.add_argument("file", type=Path, help="CSV, XLSX or ODS file")
        parser.add_argument(
            "--mode",
            choices=[m.value for m in Grid.Mode],
            default=Grid.Mode.EDIT,
            help="edit records (default), add new ones, or remove every record with each phone",
        )
        parser.add_argument(
            "--confirm-remove",
            action="store_true",
            help="required with --mode remove: records are deleted in Thulium for good",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check and store the grid without sending anything to Thulium",
        )
        parser.add_argument(
            "--chunk-size", type=int, default=None, help="rows per request (default: settings)"
        )
        parser.add_argument("--report", type=Path, help="write a per-row report (.csv or .xlsx)")
        parser.add_argument("--user", help="dashboard user the grid is attributed to")
        parser.add_argument(
            "--learn-fields",
            action="store_true",
            help="add the file's unmapped headers to the campaign's field list",
        )
        parser.add_argument("--delimiter", help="CSV delimiter (detected when absent)")
        parser.add_argument("--encoding", help="CSV encoding (detected when absent)")
        parser.add_argument(
            "--no-live-check",
            action="store_true",
            help="do not read the campaign's records to find phones it lacks or holds twice",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            grid = self._intake(**options)
            self._summary(grid)
            if options["dry_run"]:
                submission = None
            else:
                submission = self._send(grid, options["chunk_size"], options["confirm_remove"])
        except CommandError as error:
            self.stderr.write(str(error))
            sys.exit(USAGE_ERROR)
        if options["report"]:
            self._report(grid, options["report"])
        if submission is None:
            sys.exit(1 if grid.rows_error else 0)
        # A number that was not there to remove is no failure; anything else short of success is.
        done = grid.rows.exclude(outcome__in=[*SUCCESS_OUTCOMES, Outcome.NOT_EXIST]).exists()
        sys.exit(0 if not done and submission.state == Submission.State.FINISHED else 1)

    def _send(self, grid: Grid, chunk_size: int | None, confirm_remove: bool) -> Submission:
        """Send in this process, no worker needed, and wait until every chunk is answered."""
        try:
            with thulium_client() as client:
                rules = campaign_rules(campaign=grid.campaign, client=client)
                submission = submission_create(
                    grid=grid,
                    author=grid.author,
                    rules=rules,
                    chunk_size=chunk_size,
                    # --confirm-remove was checked before anything was read.
                    confirmed_count=grid.rows.sendable().count() if confirm_remove else None,
                )
                while True:
                    result = submission_run(submission_id=submission.pk, client=client)
                    if result.retry_after is None:
                        break
                    self.stdout.write(
                        _("Waiting %(seconds)d s as Thulium asked…")
                        % {"seconds": result.retry_after}
                    )
                    time.sleep(result.retry_after)
        except SubmissionProblem as problem:
            self.stdout.write(str(problem))
            return Submission(state=Submission.State.FAILED)
        except ThuliumError as error:
            raise CommandError(describe_thulium_error(error)) from None
        submission.refresh_from_db()
        counts = grid_outcome_counts(grid)
        self.stdout.write(
            _("Sent: %(state)s; %(counts)s")
            % {
                "state": submission.get_state_display(),
                "counts": ", ".join(f"{Outcome(k).label}: {v}" for k, v in sorted(counts.items())),
            }
        )
        if submission.problem:
            self.stderr.write(submission.problem)
        return submission

    def _intake(
        self,
        *,
        campaign_id: str,
        file: Path,
        dry_run: bool,
        mode: str,
        confirm_remove: bool,
        report: Path | None,
        user: str | None,
        learn_fields: bool,
        delimiter: str | None,
        encoding: str | None,
        no_live_check: bool,
        **_options: Any,
    ) -> Grid:
        if mode == Grid.Mode.REMOVE and not dry_run and not confirm_remove:
            raise CommandError(
                _(
                    "--mode remove deletes every record with each phone number in Thulium, for "
                    "good. Add --confirm-remove to do it, or --dry-run to check the file first."
                )
            )
        if report and report.suffix.lower() not in {".csv", ".xlsx"}:
            raise CommandError(
                _("--report must end in .csv or .xlsx, not %(name)s.") % {"name": report.name}
            )
        author = None
        if user:
            author = get_user_model().objects.filter(username=user).first()
            if author is None:
                raise CommandError(_("There is no dashboard user “%(user)s”.") % {"user": user})
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(reason)s.") % {"file": file, "reason": error.strerror}
            ) from None
        try:
            with thulium_client() as client:
                campaign, _rules = campaign_open(thulium_id=campaign_id, client=client)
                grid = grid_create_from_file(
                    campaign=campaign,
                    author=author,
                    data=data,
                    filename=file.name,
                    delimiter=delimiter,
                    encoding=encoding,
                    mode=mode,
                )
                learn = [h for h, t in zip(grid.headers, grid.mapping, strict=True) if not t]
                grid = grid_confirm_mapping(
                    grid=grid,
                    mapping=grid.mapping,
                    learn_fields=learn if learn_fields else [],
                    client=client,
                    actor=author,
                )
                if no_live_check:
                    self.stdout.write(
                        _(
                            "Warning: --no-live-check: the campaign's records were not read, so "
                            "phones it lacks or holds more than once are not flagged."
                        )
                    )
                    return grid
                started = time.monotonic()
                grid_compare(grid=grid, client=client)
                self.stdout.write(
                    _("Read the campaign's records in %(seconds).1f s.")
                    % {"seconds": time.monotonic() - started}
                )
                grid.refresh_from_db()
                return grid
        except CampaignNotFound:
            raise CommandError(_("Thulium has no campaign %(id)s.") % {"id": campaign_id}) from None
        except ThuliumError as error:
            raise CommandError(describe_thulium_error(error)) from None
        except (FileProblem, MappingProblem) as problem:
            raise CommandError(f"{file.name}: {getattr(problem, 'message', problem)}") from None

    def _summary(self, grid: Grid) -> None:
        out = self.stdout
        out.write(
            _("Grid #%(id)s for campaign %(campaign)s (%(file)s)")
            % {"id": grid.pk, "campaign": grid.campaign.thulium_id, "file": grid.file_name}
        )
        for header, target in zip(grid.headers, grid.mapping, strict=True):
            out.write(f"  {header} → {label(target)}")
        out.write(
            _("rows: %(rows)s, valid: %(valid)s, warnings: %(warnings)s, errors: %(errors)s")
            % {
                "rows": grid.rows_total,
                "valid": grid.rows_valid,
                "warnings": grid.rows_warning,
                "errors": grid.rows_error,
            }
        )

    def _report(self, grid: Grid, path: Path) -> None:
        """The same file as the grid page's export of every row."""
        fmt = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
        path.write_bytes(grid_export(grid=grid, filters=RowFilter(), fmt=fmt, actor=grid.author))
        self.stdout.write(_("Report: %(path)s") % {"path": path})
