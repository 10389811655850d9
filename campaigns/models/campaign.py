"""A campaign as this dashboard knows it: what Thulium cannot tell us about it (its phone
format, its record fields, how its files write Thulium's values) and its listing as last read."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PhoneFormat(models.TextChoices):
    POLISH_NATIONAL = "pl", _("Polish national: +48 and 0048 removed, 9 digits")
    AS_GIVEN = "as_given", _("As given: only spaces, dashes and brackets removed")


class Campaign(models.Model):
    """Our side of a Thulium campaign: what Thulium cannot tell us about it."""

    system = models.ForeignKey(
        "campaigns.ThuliumSystem",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=pgettext_lazy("model name", "Thulium system"),
    )
    # Unique within its system only: 00001 exists in each.
    thulium_id = models.CharField(_("Thulium campaign id"), max_length=5)
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
            "Keep this campaign's personal data longer than its system keeps it (RETENTION_DAYS "
            "unless the system sets its own) after a grid's last sending or edit, for example "
            "under a legal hold. Empty: as the system. A shorter time does not shorten it."
        ),
    )

    class Meta:
        ordering = ["system__name", "thulium_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "thulium_id"], name="one_campaign_per_id_in_a_system"
            )
        ]
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
