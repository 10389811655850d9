"""Sending a grid to Thulium: a submission, its requests (chunks), Thulium's verdict on each
row, and the record fields as this dashboard last sent them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaign import Campaign
from campaigns.models.grid import Grid, Outcome, Row


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

    ACTIVE_STATES = (State.QUEUED, State.RUNNING, State.WAITING)

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
        limit: float = (
            self.wait_limit
            if self.wait_limit is not None
            else settings.SUBMISSION_OUTAGE_HOURS * 3600
        )
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
    # Its rows' recorded outcomes counted (outcome → rows), written with them: what a sending
    # did is the sum of its chunks', not a count of 100,000 outcomes. None for chunks recorded
    # before this was kept.
    outcome_counts = models.JSONField(null=True, blank=True)
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
