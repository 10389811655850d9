from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from django.db import connections
        from django.db.models.signals import post_migrate

        from campaigns import (  # noqa: F401  (registers the checks, the any_of lookup, receivers)
            bulk_sql,
            checks,
            signals,
        )
        from campaigns.audit_triggers import triggers_ensure
        from campaigns.services.powers import roles_ensure_audited

        # After every migrate and every flush (tests), the groups are there with their rights.
        post_migrate.connect(lambda **kwargs: roles_ensure_audited(), sender=self, weak=False)
        # A migration that rebuilds the audit table (SQLite drops a table's triggers with it)
        # never leaves the log without them.
        post_migrate.connect(
            lambda using, **kwargs: triggers_ensure(connections[using]), sender=self, weak=False
        )
