"""What a user account keeps for itself beside Django's user."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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


class ApiToken(models.Model):
    """A key an integration uses to act as its user through the API (/api/v1/). Only the
    SHA-256 of the secret is kept: the secret is shown once, when made, and a leaked database
    gives nobody a working key. `prefix` is the start of the key, for people to tell their
    keys apart."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        # In the model's own context: Polish writes it in lower case inside the admin's sentences,
        # while the top bar's link is a title.
        verbose_name = pgettext_lazy("model name", "API token")
        verbose_name_plural = pgettext_lazy("model name", "API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
