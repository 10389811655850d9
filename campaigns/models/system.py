"""The Thulium systems this install serves, and who is given what in each.

A system is one Thulium (`client-a.thulium.com`): each client of an outsourcing centre has its
own, and is a separate data controller. Campaigns, and through them grids, sendings, value rules,
field lists and remembered mappings, belong to one system; audit entries name theirs.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns import roles

SYSTEM_NAME_RE = r"^[a-z0-9][a-z0-9-]{0,39}$"


class ThuliumSystem(models.Model):
    """One Thulium system: where its API is and how we sign in to it. The password is kept
    sealed (campaigns/sealing.py) and never shown again; a system *from the environment* keeps
    none here, its connection is THULIUM_BASE_URL, THULIUM_API_USER and THULIUM_API_PASSWORD."""

    name = models.CharField(
        _("name"),
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(
                SYSTEM_NAME_RE,
                _(
                    "Use lowercase letters, digits and dashes, starting with a letter or digit "
                    "(at most 40), for example client-a."
                ),
            )
        ],
        help_text=_("Short, as addresses and commands name it: lowercase, digits, dashes."),
    )
    base_url = models.CharField(
        _("API address"),
        max_length=300,
        blank=True,
        help_text=_("The API root, ending in /api/, e.g. https://client-a.thulium.com/api/."),
    )
    api_user = models.CharField(_("API user"), max_length=150, blank=True)
    # Fernet token of the API password; "" when none is kept (a system from the environment).
    password_sealed = models.TextField(blank=True, default="", editable=False)
    from_environment = models.BooleanField(
        _("connection from the environment"),
        default=False,
        editable=False,
        help_text=_("Its address, user and password are THULIUM_BASE_URL and the like."),
    )
    retention_days = models.PositiveIntegerField(
        _("keep personal data (days)"),
        null=True,
        blank=True,
        help_text=_(
            "How long this system's personal data is kept after a grid's last sending or edit. "
            "Empty: RETENTION_DAYS. A campaign's longer hold still applies."
        ),
    )
    # Audit entries written before systems existed name no system: those about a campaign
    # belong to the system the install's campaigns were moved to.
    earlier_history = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        # In the model's own context: Polish writes it in lower case inside the admin's sentences.
        verbose_name = pgettext_lazy("model name", "Thulium system")
        verbose_name_plural = pgettext_lazy("model name", "Thulium systems")
        constraints = [
            models.UniqueConstraint(
                fields=["from_environment"],
                condition=models.Q(from_environment=True),
                name="one_system_from_the_environment",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Grant(models.Model):
    """A person's role in a system, or in one campaign of it (`campaign` is its Thulium id;
    empty: every campaign of the system). What a role lets them do is roles.ROLES."""

    class Role(models.TextChoices):
        VIEWER = roles.VIEWER, _("Viewer")
        SUPERVISOR = roles.SUPERVISOR, _("Supervisor")
        ADMINISTRATOR = roles.ADMINISTRATOR, _("Administrator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants"
    )
    system = models.ForeignKey(ThuliumSystem, on_delete=models.CASCADE, related_name="grants")
    campaign = models.CharField(
        _("campaign"),
        max_length=5,
        blank=True,
        default="",
        validators=[RegexValidator(r"^\d{1,5}$", _("A Thulium campaign id: up to 5 digits."))],
        help_text=_("A campaign id, e.g. 00001. Empty: every campaign of the system."),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role)

    class Meta:
        ordering = ["system__name", "campaign"]
        verbose_name = _("access")
        verbose_name_plural = _("access")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "system", "campaign"], name="one_grant_per_place"
            )
        ]

    def __str__(self) -> str:
        where = f"{self.system.name}/{self.campaign}" if self.campaign else self.system.name
        return f"{where}: {self.role}"
