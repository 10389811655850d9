"""`manage.py verify_audit`: check the audit log's hash chain; exit 1 at the first broken entry."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from campaigns.services.audit import audit_verify


class Command(BaseCommand):
    help = "Verify that no audit entry was altered, removed or inserted."

    def handle(self, *args: Any, **options: Any) -> None:
        check = audit_verify()
        if check.ok:
            self.stdout.write(_("Audit log intact: %(n)s entries.") % {"n": check.checked})
            return
        self.stderr.write(check.problem)
        sys.exit(1)
