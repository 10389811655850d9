"""The audit log: an append-only keyed chain of entries, their personal details kept apart, and
the chain's head."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
        SYSTEM_ADDED = "system_added", _("Thulium system added")
        SYSTEM_CHANGED = "system_changed", _("Thulium system changed")
        SYSTEM_REMOVED = "system_removed", _("Thulium system removed")
        CONNECTIONS_RESEALED = "connections_resealed", _("Stored passwords sealed again")
        DO_NOT_CONTACT_ADDED = "do_not_contact_added", _("Added to the do-not-contact list")
        DO_NOT_CONTACT_REMOVED = "do_not_contact_removed", _("Removed from the do-not-contact list")
        DO_NOT_CONTACT_CHECKED = "do_not_contact_checked", _("The do-not-contact list checked")
        API_TOKEN_CREATED = "api_token_created", _("API token created")
        API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")

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
    # The Thulium system the entry is about (a plain id, like the grid's: removing a system
    # never touches its history); none for the install's own (logins, accounts). Entries made
    # before systems existed have none either: see ThuliumSystem.earlier_history.
    system_id = models.BigIntegerField(null=True, blank=True, db_index=True)
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
        return actor.get_full_name() or self.actor_name

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
