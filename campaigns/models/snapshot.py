"""What the campaign pages show from Thulium, as last read: kept in the database so every web
process and worker shares one read, and pages never wait on Thulium (services/snapshots.py)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from campaigns.models.system import ThuliumSystem


class ThuliumSnapshot(models.Model):
    """One read of a system's campaign list (`thulium_id` ""), or of one campaign's statuses and
    record counts. A failed read keeps the last figures and says why (`problem`); a read asked
    for and not yet done is `refresh_requested_at`, taken with one conditional UPDATE so that
    many pages asking at once queue one read."""

    system = models.ForeignKey(ThuliumSystem, on_delete=models.CASCADE, related_name="snapshots")
    # "" for the system's campaign list; a campaign's five-character id otherwise.
    thulium_id = models.CharField(_("Thulium campaign id"), max_length=5, blank=True, default="")
    # None until a read succeeds: the list's campaigns, or {"statuses": …, "breakdown": …}.
    figures = models.JSONField(null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # The last read's end, whether it succeeded or not: a failed read is not tried again at
    # once by every page that finds the figures old.
    tried_at = models.DateTimeField(null=True, blank=True)
    # The last read's problem by language code ({} when it succeeded): one read serves readers
    # of every language, so it is worded in each.
    problem = models.JSONField(_("last problem"), default=dict, blank=True)
    refresh_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "thulium_id"], name="one_snapshot_per_place")
        ]
        verbose_name = _("Thulium snapshot")
        verbose_name_plural = _("Thulium snapshots")

    def __str__(self) -> str:
        return f"{self.system_id}:{self.thulium_id or '*'}"

    @property
    def problem_text(self) -> str:
        """The last read's problem in the reader's language ("" when it succeeded)."""
        said: dict[str, str] = self.problem or {}
        return said.get(get_language() or "") or next(iter(said.values()), "")
