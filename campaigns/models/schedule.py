"""The periodic jobs the scheduler runs (`manage.py scheduler`): when each is due, and which
scheduler holds it now, so that two schedulers never run the same job at once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicJob(models.Model):
    """One periodic job's state. A scheduler takes a due job with one conditional UPDATE
    (`services/schedule.py`): the database lets one of two schedulers win, and a scheduler that
    died holding a job loses it when its lease runs out."""

    name = models.CharField(_("job"), max_length=60, unique=True)
    due_at = models.DateTimeField(_("next run"))
    # The scheduler running it now ("" when none) and until when its hold lasts.
    running_by = models.CharField(max_length=32, blank=True, default="")
    running_until = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_ok = models.BooleanField(_("last run succeeded"), null=True, blank=True)
    last_result = models.TextField(_("what the last run said"), blank=True, default="")
    runs = models.PositiveIntegerField(_("runs"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")

    def __str__(self) -> str:
        return self.name
