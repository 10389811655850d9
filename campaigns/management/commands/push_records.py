"""`manage.py push_records CAMPAIGN_ID FILE --dry-run`: the web intake, from the command line.

Same intake, mapping (the campaign's remembered mapping, else automatic) and validation as the
dashboard; the grid is stored and appears there. Without --dry-run the valid rows are sent, in this
process, and the report carries Thulium's answers. Exit codes: 0 every row valid (and, when
sending, updated), 1 some row invalid, refused, not confirmed or not sent, 2 usage, file or
configuration errors. While Thulium cannot be reached it waits, printing each pause, for at most
--wait-for-thulium minutes (see campaigns/management/sending_cli.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.exceptions import FileProblem, MappingProblem, ReviewProblem, ThuliumProblem
from campaigns.management.acting import acting_system, acting_user, add_acting_arguments
from campaigns.management.sending_cli import USAGE_ERROR, SendsGrids, number
from campaigns.models import Campaign, Grid
from campaigns.rules.targets import label
from campaigns.services.campaigns import CampaignNotFound, campaign_open
from campaigns.services.connection import thulium_session
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.listing import Listing, campaign_records_by_phone
from campaigns.services.review import grid_sending_options_set
from campaigns.services.validation import campaign_rules


class Command(SendsGrids):
    help = "Check a file of record changes for a Thulium campaign, store it as a grid, send it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign_id", help="Thulium campaign id, e.g. 00001")
        parser.add_argument("file", type=Path, help="CSV, XLSX or ODS file")
        parser.add_argument(
            "--mode",
            choices=[m.value for m in Grid.Mode],
            default=Grid.Mode.EDIT,
            help="edit records (default), add new ones, remove every record with each phone, "
            "or upsert: edit the records the campaign holds and add the others",
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
        add_acting_arguments(
            parser,
            user_help="dashboard user the grid is attributed to; the command then holds that "
            "user's grants and may send only where they may",
        )
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
        parser.add_argument(
            "--search-in-additional-numbers",
            action="store_true",
            help="also match the records' additional numbers (a phone the listing lacks is a "
            "warning, not an error)",
        )
        parser.add_argument(
            "--match-by",
            choices=["phone", "identifier"],
            default="phone",
            help="find each row's record by its phone number (default) or, in an edit grid whose "
            "file has an identifier column, by its identifier (one request a row)",
        )
        parser.add_argument(
            "--duplicates",
            choices=["skip", "every-record"],
            default="skip",
            help="a phone the campaign holds more than once: leave the row out (default), or "
            "change every record with it, each by its identifier",
        )
        self.add_sending_arguments(parser)

    def _handle(self, **options: Any) -> None:
        try:
            self.check_report_path(options["report"])
            wait_limit = self.wait_limit(options["wait_for_thulium"])
            grid = self._intake(**options)
            self._summary(grid)
            review = self.print_review(grid)
            if options["dry_run"]:
                submission = None
            else:
                submission = self.send(
                    grid,
                    review,
                    wait_limit=wait_limit,
                    chunk_size=options["chunk_size"],
                    # --confirm-remove was checked before anything was read.
                    confirmed_count=review.rows if options["confirm_remove"] else None,
                    live_check=not options["no_live_check"],
                )
        except CommandError as error:
            self.stderr.write(str(error))
            sys.exit(USAGE_ERROR)
        if options["report"]:
            self.write_report(grid, options["report"])
        self.exit_after_sending(grid, submission)

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
        system: str | None,
        learn_fields: bool,
        delimiter: str | None,
        encoding: str | None,
        no_live_check: bool,
        search_in_additional_numbers: bool,
        duplicates: str,
        match_by: str,
        **_options: Any,
    ) -> Grid:
        if mode == Grid.Mode.REMOVE and not dry_run and not confirm_remove:
            raise CommandError(
                _(
                    "--mode remove deletes every record with each phone number in Thulium, for "
                    "good. Add --confirm-remove to do it, or --dry-run to check the file first."
                )
            )
        if mode == Grid.Mode.UPSERT and no_live_check:
            raise CommandError(
                _(
                    "--mode upsert reads the campaign's records to know which rows update a "
                    "record and which add one: it cannot go with --no-live-check."
                )
            )
        author = acting_user(user)
        place = acting_system(system, user=author)
        permission = "campaigns.add_grid" if dry_run else "campaigns.add_submission"
        if author is not None and not author.has_perm(
            permission, Campaign(system=place, thulium_id=campaign_id)
        ):
            # As for a campaign the user does not see: refused, whatever it holds.
            raise CommandError(
                _("%(user)s may not send to campaign %(id)s of Thulium system %(system)s.")
                % {"user": author.get_username(), "id": campaign_id, "system": place.name}
            )
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(reason)s.") % {"file": file, "reason": error.strerror}
            ) from None
        try:
            with thulium_session(system=place) as client:
                campaign, _rules = campaign_open(
                    system=place, thulium_id=campaign_id, client=client
                )
                grid = grid_create_from_file(
                    campaign=campaign,
                    author=author,
                    data=data,
                    filename=file.name,
                    delimiter=delimiter,
                    encoding=encoding,
                    mode=mode,
                )
                listing = None
                if not no_live_check:
                    # Read before the rows are checked, so they are checked once, knowing
                    # which numbers the campaign lacks or holds twice and its agents' names.
                    started, timer = timezone.now(), time.monotonic()
                    records = campaign_records_by_phone(client, campaign, on_page=self._progress())
                    listing = Listing(records=records, read_at=started)
                    read = sum(len(found) for found in records.values())
                    self.stdout.write(
                        ngettext(
                            "Read the campaign's %(n)s record in %(seconds)s s.",
                            "Read the campaign's %(n)s records in %(seconds)s s.",
                            read,
                        )
                        % {"n": number(read), "seconds": number(time.monotonic() - timer, 1)}
                    )
                learn = [h for h, t in zip(grid.headers, grid.mapping, strict=True) if not t]
                grid = grid_confirm_mapping(
                    grid=grid,
                    mapping=grid.mapping,
                    learn_fields=learn if learn_fields else [],
                    client=client,
                    actor=author,
                    listing=listing,
                )
                if search_in_additional_numbers or duplicates != "skip" or match_by != "phone":
                    grid = grid_sending_options_set(
                        grid=grid,
                        search_additional=search_in_additional_numbers,
                        duplicates=duplicates.replace("-", "_"),
                        match_by=match_by,
                        rules=campaign_rules(campaign=grid.campaign, client=client),
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
                grid.refresh_from_db()
                return grid
        except CampaignNotFound:
            raise CommandError(_("Thulium has no campaign %(id)s.") % {"id": campaign_id}) from None
        except ThuliumProblem as problem:
            raise CommandError(problem.text) from None
        except (FileProblem, MappingProblem) as problem:
            raise CommandError(
                _("%(file)s: %(problem)s")
                % {"file": file.name, "problem": getattr(problem, "message", problem)}
            ) from None
        except ReviewProblem as problem:
            raise CommandError(problem.text) from None

    def _progress(self) -> Any:
        """Progress lines for a long read: at most one per tenth of the campaign."""
        shown = [0]

        def on_page(read: int, total: int) -> None:
            tenth = 10 * read // total if total else 10
            if total >= 10_000 and tenth > shown[0] and read < total:
                shown[0] = tenth
                self.stdout.write(
                    _("Reading the campaign's records: %(read)s of %(total)s")
                    % {"read": number(read), "total": number(total)}
                )

        return on_page

    def _summary(self, grid: Grid) -> None:
        out = self.stdout
        out.write(
            _("Grid #%(id)s for campaign %(campaign)s (%(file)s)")
            % {"id": grid.pk, "campaign": grid.campaign.thulium_id, "file": grid.file_name}
        )
        for header, target in zip(grid.headers, grid.mapping, strict=True):
            out.write(_("  %(header)s → %(target)s") % {"header": header, "target": label(target)})
        out.write(
            _("rows: %(rows)s, valid: %(valid)s, warnings: %(warnings)s, errors: %(errors)s")
            % {
                "rows": number(grid.rows_total),
                "valid": number(grid.rows_valid),
                "warnings": number(grid.rows_warning),
                "errors": number(grid.rows_error),
            }
        )
