"""What the install keeps to honour people's wishes about their data: the do-not-contact list.

The list holds keyed hashes of numbers (HMAC-SHA256 under DO_NOT_CONTACT_KEY, which never enters
the database), never the numbers: it is no personal-data store, and whoever reads the database
cannot tell a number on it without the key (services/do_not_contact.py makes the hashes).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DoNotContact(models.Model):
    """A number that must not be added, or changed back into the calling flow, in any campaign
    of its system."""

    system = models.ForeignKey(
        "campaigns.ThuliumSystem",
        on_delete=models.CASCADE,
        related_name="do_not_contact",
        verbose_name=_("Thulium system"),
    )
    # hex HMAC-SHA256 of the number in its national form (services/do_not_contact.py)
    digest = models.CharField(_("keyed hash"), max_length=64, editable=False)
    reason = models.CharField(_("reason"), max_length=500)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-added_at", "-id"]
        verbose_name = pgettext_lazy("model name", "do-not-contact number")
        verbose_name_plural = pgettext_lazy("model name", "do-not-contact list")
        constraints = [
            models.UniqueConstraint(fields=["system", "digest"], name="one_entry_per_number")
        ]

    def __str__(self) -> str:
        return self.digest[:12]
