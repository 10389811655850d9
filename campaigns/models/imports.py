"""Recurring imports: a source, a file-name pattern, a schedule, a campaign and a mode, and what
to do with the review (the policy); and each run with the file it took and what came of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaign import Campaign
from campaigns.models.grid import Grid
from campaigns.models.sending import Submission


class Import(models.Model):
    """Every N minutes, or daily at HH:MM, take the new files of a source that match a
    pattern, make a grid of each for the campaign, review it and act by the policy."""

    class Source(models.TextChoices):
        FOLDER = "folder", _("A folder on the server")
        URL = "url", _("An HTTPS address")
        SFTP = "sftp", _("An SFTP account")

    class Policy(models.TextChoices):
        REVIEW = "review", _("Review only: make the grid and mail its review")
        SEND_WHEN_CLEAN = "send-when-clean", _("Send when the review is clean, else hold it")
        SEND_VALID = "send-valid", _("Send the valid rows")

    name = models.CharField(_("name"), max_length=60, unique=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="imports")
    mode = models.CharField(_("mode"), max_length=10, choices=Grid.Mode, default=Grid.Mode.EDIT)
    source = models.CharField(_("source"), max_length=10, choices=Source)
    # A folder's path, or the address of the file (https://…, sftp://user@host/path).
    location = models.CharField(_("where"), max_length=500)
    pattern = models.CharField(_("file names"), max_length=200, default="*")
    # Sealed JSON (campaigns/sealing.py): {"basic": [user, password]}, {"bearer": token},
    # {"password": …} or {"key": PEM} for SFTP.
    credentials_sealed = models.TextField(blank=True, default="", editable=False)
    # An SFTP server's host key as first met ("ssh-ed25519 AAAA…"): a server answering with
    # another is refused, never trusted.
    host_key = models.TextField(blank=True, default="")
    every_minutes = models.PositiveIntegerField(_("every (minutes)"), null=True, blank=True)
    daily_at = models.TimeField(_("daily at"), null=True, blank=True)
    policy = models.CharField(_("policy"), max_length=20, choices=Policy)
    # send-when-clean: the most rows the review may leave out and still send.
    max_left_out = models.PositiveIntegerField(_("rows it may leave out"), default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    pause_after = models.PositiveIntegerField(_("pause after failures in a row"), default=3)
    failures_in_a_row = models.PositiveIntegerField(default=0)
    paused = models.BooleanField(_("paused"), default=False)
    paused_why = models.TextField(blank=True, default="")
    due_at = models.DateTimeField(_("next run"))
    running_by = models.CharField(max_length=32, blank=True, default="")
    running_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(every_minutes__isnull=False) | models.Q(daily_at__isnull=False),
                name="an_import_has_a_schedule",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ImportRun(models.Model):
    """One run of an import: the file it took (by name, size and content hash: a file is taken
    once), the grid and sending it made, and how it ended."""

    class State(models.TextChoices):
        SENT = "sent", _("Sent")
        HELD = "held", _("Held for a person")
        REVIEWED = "reviewed", _("Reviewed, not sent")
        NO_FILE = "no_file", _("No new file")
        FAILED = "failed", _("Failed")

    import_job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State)
    file_name = models.CharField(max_length=300, blank=True, default="")
    file_size = models.BigIntegerField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True, default="", db_index=True)
    grid = models.ForeignKey(
        Grid, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submission = models.ForeignKey(
        Submission, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    said = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"{self.import_job_id} {self.started_at:%Y-%m-%d %H:%M} {self.state}"
