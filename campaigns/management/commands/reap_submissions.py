"""`manage.py reap_submissions`: restart sending jobs whose worker died (run it from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from campaigns.services.submissions import submissions_reap


class Command(BaseCommand):
    help = "Re-enqueue submissions whose worker has been silent for longer than a lease."

    def handle(self, *args: Any, **options: Any) -> None:
        reaped = submissions_reap()
        self.stdout.write(
            _("Restarted submissions: %(ids)s") % {"ids": ", ".join(map(str, reaped)) or "—"}
        )
