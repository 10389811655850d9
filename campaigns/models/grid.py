"""A grid and its rows: the intended record changes for one campaign, how its rows find their
records, each row's latest verdict from sending (`Outcome`), the upload blocks it is read
from, its edits (for undo) and what Thulium held when it was last compared."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaign import Campaign
from campaigns.rules.validation import GridMode


class Duplicates(models.TextChoices):
    """What to do with a row whose phone the campaign holds more than once."""

    SKIP = "skip", _("Leave it out")
    EVERY_RECORD = "every_record", _("Change every record with this number")


class MatchBy(models.TextChoices):
    """How an edit grid's rows find their records in Thulium."""

    PHONE = "phone", _("By phone number (one request for many rows)")
    IDENTIFIER = "identifier", _("By identifier (the file's identifier column; one request a row)")


class Grid(models.Model):
    """A stored set of intended record changes for one campaign."""

    class Mode(models.TextChoices):
        # The values are the rules' (rules/validation.GridMode), which read no models.
        EDIT = GridMode.EDIT.value, _("Edit records")
        ADD = GridMode.ADD.value, _("Add records")
        REMOVE = GridMode.REMOVE.value, _("Remove records")
        UPSERT = GridMode.UPSERT.value, _("Add or update records")

    class Source(models.TextChoices):
        FILE = "file", _("File")
        THULIUM = "thulium", _("Thulium pull")
        EMPTY = "empty", _("Typed in")
        REVERT = "revert", _("Revert of a sending")

    class State(models.TextChoices):
        MAPPING = "mapping", _("Waiting for the column mapping")
        READY = "ready", _("Ready")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="grids")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty when the grid came from the command line without --user."),
    )
    mode = models.CharField(max_length=10, choices=Mode, default=Mode.EDIT)
    source = models.CharField(max_length=10, choices=Source)
    state = models.CharField(max_length=10, choices=State, default=State.READY)
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_format = models.CharField(max_length=10, blank=True)
    file_encoding = models.CharField(max_length=20, blank=True)
    file_delimiter = models.CharField(max_length=2, blank=True)
    header_row_number = models.PositiveIntegerField(null=True, blank=True)
    headers = models.JSONField(default=list, blank=True)
    # one target per column, aligned with `headers`; "" ignores the column
    mapping = models.JSONField(default=list, blank=True)
    # A file's columns as read, aligned with `headers`: how many rows fill each and where its
    # first filled cells are (services/uploads.ColumnFill); [] for grids not read from a file.
    column_fill = models.JSONField(default=list, blank=True)
    # What each of a spreadsheet's columns held, aligned with `headers`: "number", "date",
    # "datetime" or "" for text (spreadsheets.column_type), so an export gives them back typed;
    # [] for a CSV and for grids not read from a file.
    column_types = models.JSONField(default=list, blank=True)
    pull_filters = models.JSONField(default=dict, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    rows_warning = models.PositiveIntegerField(default=0)
    rows_error = models.PositiveIntegerField(default=0)
    # When the grid was last compared with the records in Thulium (see ThuliumNow).
    compared_at = models.DateTimeField(null=True, blank=True)
    # How the grid's rows find their records, chosen by the supervisor before sending.
    search_additional = models.BooleanField(
        default=False, help_text=_("Also match the records' additional numbers.")
    )
    duplicates = models.CharField(max_length=12, choices=Duplicates, default=Duplicates.SKIP)
    match_by = models.CharField(max_length=10, choices=MatchBy, default=MatchBy.PHONE)
    # How far the running read of the campaign for this grid's review is: {"read": n, "total": m}.
    read_progress = models.JSONField(default=dict, blank=True)
    # The rules (and options and mapping) every row was last checked with, as a fingerprint;
    # "" when rows were checked with different ones. A sending checks the rows again only when
    # they differ from the rules it is queued with.
    validated_with = models.CharField(max_length=20, blank=True)
    # Bumped in the transaction of every write to the grid (under its lock, see
    # services/locking.py): a review's token covers it, so a sending carries what was reviewed.
    version = models.PositiveBigIntegerField(default=0)
    # When retention erased the grid's personal data, and after how many days of quiet.
    personal_data_removed_at = models.DateTimeField(null=True, blank=True)
    personal_data_kept_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("export_grid", _("Can export a grid with its results"))]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")

    def __str__(self) -> str:
        return f"{self.campaign.thulium_id} #{self.pk} {self.file_name}".strip()

    @property
    def finds_by_identifier(self) -> bool:
        """Does each row find its record by its identifier (an edit or upsert grid that chose
        so)? An upsert row whose identifier the campaign lacks is added."""
        return self.mode in (self.Mode.EDIT, self.Mode.UPSERT) and (
            self.match_by == MatchBy.IDENTIFIER
        )

    @property
    def takes_new_records(self) -> bool:
        """Can the grid's rows add records (and so carry an identifier and an order)?"""
        return self.mode in (self.Mode.ADD, self.Mode.UPSERT)

    def sends_as(self, kind: str) -> str:
        """The mode a row of this grid is sent in: the grid's own, or for an upsert grid the
        row's kind ("edit" or "add", set by the review's read; "" before one)."""
        return kind if self.mode == self.Mode.UPSERT else self.mode

    @property
    def author_name(self) -> str:
        if self.author is None:
            return str(_("command line"))
        return self.author.get_full_name() or self.author.get_username()


class Outcome(models.TextChoices):
    """A row's latest verdict from sending, in the supervisor's words."""

    NONE = "", _("Not sent yet")
    NOT_SENT = "not_sent", _("Not sent")
    WAITING = "waiting", _("Waiting")
    UPDATED = "updated", _("Updated")
    REJECTED = "rejected", _("Rejected")
    NOT_FOUND = "not_found", _("Not found")
    # Not confirmed: Thulium's answer never came (an outage, a timeout, a closed connection), or
    # came without this row or could not be read. The row may or may not have been applied.
    TRANSPORT_ERROR = "transport_error", _("Not confirmed: no answer")
    UNKNOWN = "unknown", _("Not confirmed: unclear answer")
    # Adding records
    ADDED = "added", _("Added")
    ALREADY_EXISTS = "already_exists", _("Already exists")
    FAILED = "failed", _("Failed")
    # Removing records
    REMOVED = "removed", _("Removed")
    NOT_EXIST = "not_exist", _("Did not exist")
    CALL_IN_PROGRESS = "in_call", _("In a call")


SUCCESS_OUTCOMES = frozenset({Outcome.UPDATED, Outcome.ADDED, Outcome.REMOVED})
# Outcomes a resend sends again (after re-validation): nothing Thulium took, nor a record that
# already exists or never existed.
RESENDABLE_OUTCOMES = (
    Outcome.REJECTED,
    Outcome.NOT_FOUND,
    Outcome.TRANSPORT_ERROR,
    Outcome.UNKNOWN,
    Outcome.NOT_SENT,
    Outcome.FAILED,
    Outcome.CALL_IN_PROGRESS,
)
# Outcomes after which Thulium may have done the work without our hearing of it: the rows are
# "not confirmed", never "refused".
LOST_ANSWER_OUTCOMES = (Outcome.TRANSPORT_ERROR, Outcome.UNKNOWN)
NOT_CONFIRMED_OUTCOMES = LOST_ANSWER_OUTCOMES
# Thulium's own verdicts against a row: the only outcomes called "refused".
REFUSED_OUTCOMES = (
    Outcome.REJECTED,
    Outcome.NOT_FOUND,
    Outcome.FAILED,
    Outcome.ALREADY_EXISTS,
    Outcome.CALL_IN_PROGRESS,
)
# The outcomes a grid of each mode can end with.
MODE_OUTCOMES = {
    "edit": (Outcome.UPDATED, Outcome.REJECTED, Outcome.NOT_FOUND),
    "add": (Outcome.ADDED, Outcome.ALREADY_EXISTS, Outcome.FAILED),
    "remove": (Outcome.REMOVED, Outcome.NOT_EXIST, Outcome.CALL_IN_PROGRESS),
    # Each row is an edit or an addition, and ends as one.
    "upsert": (
        Outcome.UPDATED,
        Outcome.ADDED,
        Outcome.REJECTED,
        Outcome.NOT_FOUND,
        Outcome.ALREADY_EXISTS,
        Outcome.FAILED,
    ),
}
COMMON_OUTCOMES = (
    Outcome.NOT_SENT,
    Outcome.WAITING,
    Outcome.TRANSPORT_ERROR,
    Outcome.UNKNOWN,
)
# What "failed rows" means in filters and exports.
FAILED_OUTCOMES = (*RESENDABLE_OUTCOMES, Outcome.ALREADY_EXISTS)


class RowQuerySet(models.QuerySet["Row"]):
    def with_errors(self) -> RowQuerySet:
        return self.filter(state=Row.State.ERROR)

    def with_warnings(self) -> RowQuerySet:
        return self.filter(state=Row.State.WARNING)

    def sendable(self) -> RowQuerySet:
        return self.exclude(state=Row.State.ERROR)


class Row(models.Model):
    """One line of a grid: where it came from, what it means for Thulium, what is wrong with it."""

    class State(models.TextChoices):
        VALID = "valid", _("Valid")
        WARNING = "warning", _("Valid with warnings")
        ERROR = "error", _("Has errors")

    # No index of its own: every index below starts with the grid, and each one more costs
    # every insert of an intake.
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="rows", db_index=False)
    number = models.PositiveIntegerField(help_text=_("The row number in the source file."))
    raw = models.JSONField(default=list, help_text=_("The source cells, aligned with the headers."))
    # What would be sent: phone_number, status_id, dictionary_status_id, agent_login,
    # next_call_date ("YYYY-MM-DD hh:mm", Warsaw), identifier, record_fields {name: value};
    # a blank cell is absent, a field to clear is present with "".
    values = models.JSONField(default=dict)
    # [{"field": target, "level": "error"|"warning", "code": …, "params": {…}}]
    messages = models.JSONField(default=list)
    phone = models.CharField(max_length=32, blank=True)
    state = models.CharField(max_length=10, choices=State, default=State.VALID)
    # Copies of values kept in columns so that filters and sorts use indexes, not JSON.
    status_id = models.CharField(max_length=20, blank=True)
    agent_login = models.CharField(max_length=100, blank=True)
    clears = models.BooleanField(default=False, help_text=_("Some record field will be cleared."))
    # Thulium already holds what the row would send (known from the last read of the campaign).
    unchanged = models.BooleanField(default=False)
    # The row's problems as group keys, "|key|key|" (see campaigns.rules.problems): what "15 rows
    # need a next call date" filters on, without reading every row's messages.
    problems = models.TextField(blank=True, default="")
    # An upsert grid's row as the review's read found it (rules.validation.upsert_kind): "edit"
    # where the campaign holds its phone (batch PUT), "add" where it does not (batch POST); ""
    # in other modes and before a read. Stored with the row, so the review's token covers it.
    kind = models.CharField(max_length=10, blank=True, default="")
    outcome = models.CharField(max_length=20, choices=Outcome, default=Outcome.NONE, blank=True)
    # Thulium's answer behind the outcome: http_status, status, message, request_id, chunk, at.
    outcome_detail = models.JSONField(default=dict, blank=True)
    # Not a column: what Thulium held at the grid's last comparison, given to the rows a page
    # shows by services.thulium_now.rows_attach_thulium_now (None: the phone was not compared).
    thulium_now: ThuliumNow | None

    objects = RowQuerySet.as_manager()

    class Meta:
        ordering = ["grid", "number", "id"]
        indexes = [
            models.Index(fields=["grid", "state", "number", "id"]),
            models.Index(fields=["grid", "phone", "id"]),
            models.Index(fields=["grid", "status_id", "id"]),
            models.Index(fields=["grid", "agent_login", "id"]),
            # state too, so counting what a send would take reads the index alone
            models.Index(fields=["grid", "outcome", "state", "id"]),
            # The few rows that would change nothing: counted on every grid page after a read.
            models.Index(
                fields=["grid", "id"], condition=models.Q(unchanged=True), name="row_unchanged"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["grid", "number"], name="unique_row_number_per_grid")
        ]
        verbose_name = _("row")
        verbose_name_plural = _("rows")

    def __str__(self) -> str:
        return f"{self.number}: {self.phone}"

    @property
    def refused(self) -> bool:
        """Thulium did not take the row in its last sending (so it is not shown as valid)."""
        return self.outcome in FAILED_OUTCOMES

    @property
    def thulium_message(self) -> str:
        """Thulium's words on the row's last sending ("" when none)."""
        return self.outcome_detail.get("message", "")

    @property
    def thulium_records(self) -> list[dict[str, Any]]:
        """Every record a removed phone matched, with Thulium's status for each."""
        return self.outcome_detail.get("records", [])


class UploadBlock(models.Model):
    """A few thousand rows of an uploaded file, as read, kept compactly until its columns are
    confirmed; then each row is checked and stored once, and the blocks go."""

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="upload_blocks")
    index = models.PositiveIntegerField()
    rows = models.BinaryField()  # zlib of JSON [[row number, [cell, …]], …]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grid", "index"], name="unique_block_per_grid")
        ]

    def __str__(self) -> str:
        return f"{self.grid_id}#{self.index}"


class Edit(models.Model):
    """One change to a grid (cell, bulk set, paste, rows added or deleted), kept for undo.

    `changes` holds [row_id, column, old_text, new_text] per changed cell; `added` the ids of rows
    the edit added; `deleted` the rows it removed as {"id", "number", "raw"}.
    """

    class Kind(models.TextChoices):
        CELL = "cell", _("Cell edit")
        BULK = "bulk", _("Bulk change")
        PASTE = "paste", _("Paste")
        REPLACE = "replace", _("Find and replace")
        ADD = "add", _("Rows added")
        DELETE = "delete", _("Rows deleted")
        MAPPING = "mapping", _("Column remapped")

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="edits")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    kind = models.CharField(max_length=10, choices=Kind)
    created_at = models.DateTimeField(auto_now_add=True)
    # The grid's headers and mapping before the edit, when the edit added columns.
    columns_before = models.JSONField(null=True, blank=True)
    changes = models.JSONField(default=list)
    added = models.JSONField(default=list)
    deleted = models.JSONField(default=list)
    undone = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("grid edit")
        verbose_name_plural = _("grid edits")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def size(self) -> int:
        return len({change[0] for change in self.changes}) + len(self.added) + len(self.deleted)


class ThuliumNow(models.Model):
    """What Thulium held for one of a grid's phone numbers when the grid was last compared:
    how many records have the number, and the first one's values (as in RowOutcome.before).
    For a grid whose file has identifiers, also one per identifier, keyed "#" + identifier."""

    IDENTIFIER_KEY = "#"

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="thulium_now")
    phone = models.CharField(max_length=120)
    count = models.PositiveIntegerField()
    values = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grid", "phone"], name="one_comparison_per_phone")
        ]

    def __str__(self) -> str:
        return f"{self.grid_id}/{self.phone}: {self.count}"
