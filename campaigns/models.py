"""What the dashboard keeps: campaigns' field lists and settings, grids and their rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.encodings import MIXED, encoding_name


class PhoneFormat(models.TextChoices):
    POLISH_NATIONAL = "pl", _("Polish national: +48 and 0048 removed, 9 digits")
    AS_GIVEN = "as_given", _("As given: only spaces, dashes and brackets removed")


class Campaign(models.Model):
    """Our side of a Thulium campaign: what Thulium cannot tell us about it."""

    thulium_id = models.CharField(_("Thulium campaign id"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone_format = models.CharField(
        _("phone number format"),
        max_length=10,
        choices=PhoneFormat,
        default=PhoneFormat.POLISH_NATIONAL,
        help_text=_("How phone numbers from files are turned into the form the campaign holds."),
    )
    # normalised header → target ("phone_number", "status", … or "field:<name>"), as last confirmed
    remembered_mapping = models.JSONField(default=dict, blank=True)
    # login → the agent's name, as the campaign's listing last gave it (the agents endpoint
    # names no one): shown beside logins, and what "Anna Nowak" is matched against.
    agent_names = models.JSONField(default=dict, blank=True)
    retention_days = models.PositiveIntegerField(
        _("keep personal data (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Keep this campaign's personal data longer than RETENTION_DAYS after a grid's last "
            "sending or edit, for example under a legal hold. Empty: RETENTION_DAYS. A shorter "
            "time than RETENTION_DAYS does not shorten it."
        ),
    )

    class Meta:
        ordering = ["thulium_id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return f"{self.thulium_id} {self.name}".strip()

    def field_names(self) -> list[str]:
        return list(self.fields.values_list("name", flat=True))

    def unknown_field_names(self) -> frozenset[str]:
        """Fields Thulium answered it does not have."""
        return frozenset(
            self.fields.filter(state=CampaignField.State.UNKNOWN).values_list("name", flat=True)
        )


class CampaignField(models.Model):
    """One record field of a campaign. Thulium has no endpoint listing them, so we keep them,
    and learn from Thulium's answers whether it knows each one (it matches names exactly)."""

    class State(models.TextChoices):
        DECLARED = "declared", _("Declared, not yet sent")
        CONFIRMED = "confirmed", _("Thulium took it")
        UNKNOWN = "unknown", _("Unknown to Thulium")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(_("field name"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)
    state = models.CharField(
        _("what Thulium said"), max_length=10, choices=State, default=State.DECLARED
    )
    state_at = models.DateTimeField(_("said at"), null=True, blank=True)
    state_submission_id = models.BigIntegerField(_("in sending"), null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="unique_field_per_campaign")
        ]
        verbose_name = _("campaign field")
        verbose_name_plural = _("campaign fields")

    def __str__(self) -> str:
        return self.name


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
        EDIT = "edit", _("Edit records")
        ADD = "add", _("Add records")
        REMOVE = "remove", _("Remove records")

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
    def file_encoding_name(self) -> str:
        return encoding_name(self.file_encoding)

    @property
    def file_encodings_mixed(self) -> bool:
        return MIXED in self.file_encoding

    @property
    def finds_by_identifier(self) -> bool:
        """Does each row find its record by its identifier (an edit grid that chose so)?"""
        return self.mode == self.Mode.EDIT and self.match_by == MatchBy.IDENTIFIER

    @property
    def author_name(self) -> str:
        if self.author is None:
            return str(_("command line"))
        return self.author.get_full_name() or self.author.get_username()


@dataclass(frozen=True)
class Cell:
    """One cell of a row as the grid page shows it."""

    target: str
    raw: str
    value: Any  # what will be sent; None when nothing will
    messages: list[dict[str, Any]]
    # What Thulium holds now (from the grid's last comparison); None when not known.
    now: str | None = None

    @property
    def clears(self) -> bool:
        return self.value == ""

    @property
    def changes(self) -> bool:
        """The value sent differs from what Thulium holds now (both known)."""
        return self.now is not None and self.value is not None and str(self.value) != self.now

    @property
    def level(self) -> str:
        levels = {m["level"] for m in self.messages}
        return "error" if "error" in levels else "warning" if "warning" in levels else ""


class Outcome(models.TextChoices):
    """A row's latest verdict from sending, in the supervisor's words."""

    NONE = "", _("Not sent yet")
    NOT_SENT = "not_sent", _("Not sent")
    WAITING = "waiting", _("Waiting")
    # Marked by earlier versions while a row's request was out; rows now wait until answered.
    SENDING = "sending", _("Sending")
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
    # The row's problems as group keys, "|key|key|" (see campaigns.problems): what "15 rows
    # need a next call date" filters on, without reading every row's messages.
    problems = models.TextField(blank=True, default="")
    outcome = models.CharField(max_length=20, choices=Outcome, default=Outcome.NONE, blank=True)
    # Thulium's answer behind the outcome: http_status, status, message, request_id, chunk, at.
    outcome_detail = models.JSONField(default=dict, blank=True)

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

    def cells(self, columns: list[str], mapping: list[str]) -> list[Cell]:
        """For each shown column: its source text, the value to send, and its messages."""
        positions = {target: i for i, target in enumerate(mapping) if target}
        fields = self.values.get("record_fields", {})
        # Set by rows_attach_thulium_now when the grid was compared with Thulium.
        compared = getattr(self, "thulium_now", None)
        now = compared.values if compared is not None else {}
        cells = []
        for target in columns:
            position = positions.get(target)
            if target.startswith("field:"):
                value = fields.get(target.removeprefix("field:"))
                current = now.get("record_fields", {}).get(target.removeprefix("field:"))
            else:
                value = self.values.get("status_id" if target == "status" else target)
                current = now.get("status_id" if target == "status" else target)
            cells.append(
                Cell(
                    target=target,
                    raw=self.raw[position]
                    if position is not None and position < len(self.raw)
                    else "",
                    value=value,
                    messages=[m for m in self.messages if m["field"] == target],
                    now=current,
                )
            )
        return cells


class ValueRule(models.Model):
    """How this campaign's files write one of Thulium's values: “Oddzwonić” is read as the
    status with id 5, “Anna Nowak” as the agent a.nowak. Made from a grid's problem group;
    every later file of the campaign applies it by itself (and says so on the cell)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="value_rules")
    target = models.CharField(max_length=30)  # "status" or "agent_login"
    # The text as files write it, normalised (case, spaces and diacritics do not matter) …
    source = models.CharField(max_length=200)
    # … as it was first written, to show.
    source_text = models.CharField(max_length=200)
    value = models.CharField(max_length=200)  # a status id or an agent login
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "target", "source"], name="one_value_rule_per_text"
            )
        ]
        verbose_name = _("value rule")
        verbose_name_plural = _("value rules")

    def __str__(self) -> str:
        return f"{self.target}: {self.source_text} → {self.value}"


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


class Submission(models.Model):
    """One sending of (some of) a grid's rows to Thulium, run as a background job."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Sending")
        WAITING = "waiting", _("Waiting for Thulium")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Stopped")
        # Thulium refused one request's rows for one and the same reason: nothing more is sent
        # until the supervisor resumes (a new sending) or cancels.
        PAUSED = "paused", _("Paused")

    ACTIVE_STATES = ("queued", "running", "waiting")

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="submissions")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="submissions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    resend = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State, default=State.QUEUED)
    cancel_requested = models.BooleanField(default=False)
    problem = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life of whoever runs it: the reaper restarts a job silent for a lease.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    # When the records' values before the change were read from Thulium (set once they are).
    before_read_at = models.DateTimeField(null=True, blank=True)
    # Thulium's message that paused the sending (the brake), verbatim.
    pause_cause = models.TextField(blank=True)
    # While Thulium cannot be reached: since when, how many tries failed, and the HTTP status
    # of the last (None: no answer at all). Cleared by the next answered request.
    outage_since = models.DateTimeField(null=True, blank=True)
    outage_tries = models.PositiveIntegerField(default=0)
    outage_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # How long this sending waits for Thulium at most, in seconds (None: SUBMISSION_OUTAGE_HOURS).
    wait_limit = models.PositiveIntegerField(null=True, blank=True)
    # The paused sending whose refused and unsent rows this one sends.
    resumes = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resumed_by"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["campaign", "state", "id"])]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_state_display()}"

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def waits_for_outage(self) -> bool:
        """Waiting because Thulium could not be reached (not because it asked us to wait)."""
        return self.state == self.State.WAITING and self.outage_since is not None

    @property
    def outage_gives_up_at(self) -> datetime | None:
        """When the sending stops waiting for Thulium (None when it is not waiting)."""
        if self.outage_since is None:
            return None
        limit = self.wait_limit
        if limit is None:
            limit = settings.SUBMISSION_OUTAGE_HOURS * 3600
        return self.outage_since + timedelta(seconds=limit)

    @property
    def author_name(self) -> str:
        """Who sent it, by full name where one is set."""
        if self.author is None:
            return str(_("command line"))
        return self.author.get_full_name() or self.author.get_username()


class Chunk(models.Model):
    """One HTTP request of a submission: claimed, sent outside any transaction, recorded."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        CLAIMED = "claimed", _("Being sent")
        DONE = "done", _("Answered")
        SKIPPED = "skipped", _("Not sent")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    row_ids = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State, default=State.PENDING)
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    request_id = models.CharField(max_length=100, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # row id → the record's status_id, agent_login, next_call_date (read from Thulium) and
    # record_fields (last sent by us) before sending
    before = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["submission", "index"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "index"], name="unique_chunk_index")
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}/{self.index}"


class RowOutcome(models.Model):
    """Thulium's verdict on one row in one submission, recorded once."""

    # No database constraint and no cascade: re-validation rewrites rows under the same ids, and a
    # deleted row's history stays with its submission.
    # Indexed by one_outcome_per_row, which starts with it.
    row = models.ForeignKey(
        Row,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="outcomes",
    )
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="outcomes")
    chunk = models.ForeignKey(Chunk, on_delete=models.CASCADE, related_name="outcomes")
    outcome = models.CharField(max_length=20, choices=Outcome)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=50, blank=True)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    # The phone and payload as sent: the row may be edited or deleted afterwards.
    phone = models.CharField(max_length=32, blank=True)
    sent = models.JSONField(default=dict, blank=True)
    # The record in Thulium just before this change: status_id, agent_login, next_call_date, and
    # record_fields {name: the last value this dashboard sent} (Thulium does not list fields).
    before = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["row", "submission"], name="one_outcome_per_row")
        ]
        indexes = [
            models.Index(fields=["phone", "id"]),
            # the history's refused rows per day read a month of a few outcomes, not every row
            models.Index(fields=["outcome", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.row_id}@{self.submission_id}: {self.outcome}"

    def changes(self) -> list[tuple[str, str | None, str | None]]:
        """(what, before, as sent) for the phone's timeline; None where it is not known or was
        not sent."""
        sent = self.sent
        shown = [
            (_("Status"), self.before.get("status_id"), sent.get("status_id")),
            (_("Agent"), self.before.get("agent_login"), sent.get("agent_login")),
            (_("Next call date"), self.before.get("next_call_date"), sent.get("next_call_date")),
        ]
        fields_before = self.before.get("record_fields", {})
        for name, value in sent.get("record_fields", {}).items():
            shown.append((name, fields_before.get(name), value))
        return shown


class SentFields(models.Model):
    """The record fields of one phone in one campaign as this dashboard last sent them (and
    Thulium took): what "before" means for fields, since Thulium's listing has none. Kept up to
    date with each recorded outcome, so reading it costs the same however long the history."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(max_length=32)
    fields = models.JSONField(default=dict)
    # Last written: retention erases what was not sent again for the campaign's retention.
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "phone"], name="one_sent_fields_per_phone")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.phone}"


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


class CampaignListing(models.Model):
    """The campaign's records as Thulium's listing last gave them: read in the background while
    an uploaded file waits for its mapping, so the grid's first view already knows which numbers
    the campaign lacks or holds twice and what its agents are called; reused by the review while
    it is fresh (`LISTING_FRESH_SECONDS`). Phone numbers are personal data: the records are
    dropped once stale (`purge_personal_data`)."""

    class State(models.TextChoices):
        READING = "reading", _("Reading")
        READ = "read", _("Read")
        FAILED = "failed", _("Could not be read")

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="listing")
    state = models.CharField(max_length=10, choices=State, default=State.READING)
    started_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # {"read": records so far, "total": records the listing announces}, while reading.
    progress = models.JSONField(default=dict, blank=True)
    # One list per record, in the order of COLUMNS.
    records = models.JSONField(default=list, blank=True)
    problem = models.TextField(blank=True, default="")
    # Grids whose upload asked for this read: each is checked against it when it ends, if its
    # mapping was confirmed meanwhile.
    waiting = models.JSONField(default=list, blank=True)

    COLUMNS = (
        "record_id",
        "phone_number",
        "status_id",
        "agent_login",
        "agent_name",
        "next_call_date",
        "identifier",
    )

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.state}"

    @property
    def fresh(self) -> bool:
        """Read, and young enough to stand for what Thulium holds now."""
        return (
            self.state == self.State.READ
            and self.read_at is not None
            and timezone.now() - self.read_at <= timedelta(seconds=settings.LISTING_FRESH_SECONDS)
        )


class AuditEntry(models.Model):
    """An append-only line of who did what, when, with old → new.

    Entries form a keyed chain (each MAC, an HMAC with `AUDIT_KEY`, covers the entry and the
    previous MAC); the database refuses UPDATE and DELETE on this table (triggers), and
    `manage.py verify_audit` finds the first entry that was altered or removed. Ids of grids
    and submissions are plain numbers, not foreign keys, so deleting a grid never touches its
    history.
    """

    class Action(models.TextChoices):
        UPLOAD = "upload", _("File uploaded")
        MAPPING = "mapping", _("Columns confirmed")
        FIELDS = "fields", _("Campaign fields added")
        PULL = "pull", _("Records pulled from Thulium")
        GRID_CREATED = "grid_created", _("Empty grid created")
        CELL_EDIT = "cell", _("Cells edited")
        BULK_EDIT = "bulk", _("Rows changed in bulk")
        PASTE = "paste", _("Block pasted")
        REPLACE = "replace", _("Text replaced in a column")
        ROWS_ADDED = "add", _("Rows added")
        ROWS_DELETED = "delete", _("Rows deleted")
        UNDO = "undo", _("Change undone")
        REDO = "redo", _("Change made again")
        SUBMISSION_QUEUED = "submission_queued", _("Sending queued")
        SUBMISSION_STARTED = "submission_started", _("Sending started")
        SUBMISSION_FINISHED = "submission_finished", _("Sending finished")
        SUBMISSION_CANCELLED = "submission_cancelled", _("Sending cancelled")
        SUBMISSION_FAILED = "submission_failed", _("Sending stopped")
        OUTCOMES = "outcomes", _("Thulium answered")
        REVERT = "revert", _("Revert grid made")
        EXPORT = "export", _("History exported")
        GRID_EXPORT = "grid_export", _("Grid exported")
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Login failed")
        AUDIT_REKEYED = "audit_rekeyed", _("Audit log keyed")
        FIELDS_LEARNED = "fields_learned", _("Thulium told us about fields")
        REMAP = "remap", _("Column remapped")
        SUBMISSION_PAUSED = "submission_paused", _("Sending paused")
        SUBMISSION_WAITING = "submission_waiting", _("Sending waiting for Thulium")
        SENDING_OPTIONS = "sending_options", _("Sending options changed")
        VALUE_RULE = "value_rule", _("Value rule set")
        VALUE_RULE_FORGOTTEN = "value_rule_forgotten", _("Value rule forgotten")
        AUDIT_DETAILS_SPLIT = "audit_details_split", _("Personal details moved out of the chain")
        PERSONAL_DATA_PURGED = "personal_data_purged", _("Personal data removed (retention)")
        PERSON_FOUND = "person_found", _("A person's data searched")
        PERSON_EXPORTED = "person_exported", _("A person's data exported")
        PERSON_ERASED = "person_erased", _("A person's data erased")
        ADMIN_ADDED = "admin_added", _("Added in the admin")
        ADMIN_CHANGED = "admin_changed", _("Changed in the admin")
        ADMIN_DELETED = "admin_deleted", _("Deleted in the admin")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        USER_ADDED = "user_added", _("User added")
        ROLE_RIGHTS_CHANGED = "role_rights_changed", _("A role's rights changed")

    # Entries of someone taking rows out of the dashboard: a file of a grid, of the history, of
    # a person's data.
    EXPORT_ACTIONS = (Action.EXPORT, Action.GRID_EXPORT, Action.PERSON_EXPORTED)

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=30, choices=Action)
    campaign = models.CharField(max_length=5, blank=True, db_index=True)
    grid_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    submission_id = models.BigIntegerField(null=True, blank=True)
    # What was done, without personal data: counts, ids, formats (see audit.PERSONAL_DETAILS).
    details = models.JSONField(default=dict)
    # The keyed digest of the entry's personal details, which live apart in its AuditDetail
    # ("" when it has none). The chain covers this digest, never the details: erasing them
    # leaves the chain whole, and altering them no longer matches it.
    detail_mac = models.CharField(max_length=64, blank=True)
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name}: {self.get_action_display()}"

    @property
    def actor_full_name(self) -> str:
        """Who did it, by the account's full name where it has one; else what the entry stored
        (the login, or "command line"). The entry itself is never changed: the name is looked
        up, so load entries with select_related("actor")."""
        if self.actor_id is None:
            return str(_("command line")) if self.actor_name == "command line" else self.actor_name
        try:
            actor = self.actor
        except ObjectDoesNotExist:  # an account deleted since: the login is all there is
            return self.actor_name
        if actor is None:
            return self.actor_name
        return actor.get_full_name() or self.actor_name  # type: ignore[attr-defined]

    @property
    def actor_login(self) -> str:
        """The login the entry stored; "" when no account acted (the command line)."""
        return self.actor_name if self.actor_id is not None else ""

    @property
    def exported_rows(self) -> int | None:
        """How many rows (or a person's items) an export took out; None for other entries."""
        if self.action not in self.EXPORT_ACTIONS:
            return None
        return self.details.get("rows", self.details.get("items"))

    @property
    def personal(self) -> dict[str, Any] | None:
        """The entry's personal details: {} when it has none, None once they were erased."""
        if not self.detail_mac:
            return {}
        try:
            return self.detail.details
        except AuditDetail.DoesNotExist:
            return None

    @property
    def shown_details(self) -> dict[str, Any]:
        """Everything the entry says, for the history: its details and its personal ones."""
        return self.details | (self.personal or {})


class AuditDetail(models.Model):
    """The personal part of an audit entry — phone numbers, cell values, file names, what
    someone typed — kept outside the chain so that retention and a person's erasure can remove
    it. Erasing blanks `details` and names the audit entry of the erasure, whose own details
    carry a digest of the entries it erased: `verify_audit` tells such an erasure from
    tampering."""

    entry = models.OneToOneField(
        AuditEntry,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="detail",
    )
    details = models.JSONField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    erased_by = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        permissions = [("handle_person_request", _("Can find, export and erase a person's data"))]
        verbose_name = _("audit detail")
        verbose_name_plural = _("audit details")

    def __str__(self) -> str:
        return f"{self.entry_id}"


class AuditHead(models.Model):
    """The chain's end: how many entries there are and the last MAC (catches a removed tail),
    and a check value that tells a wrong AUDIT_KEY from a tampered log."""

    count = models.PositiveBigIntegerField(default=0)
    last_mac = models.CharField(max_length=64, default="0" * 64)
    key_check = models.CharField(max_length=16, blank=True)

    def __str__(self) -> str:
        return f"{self.count} entries"


class UserPreference(models.Model):
    """What a user chose for themselves: the interface language, on every device."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"
