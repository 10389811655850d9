from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from campaigns import (  # noqa: F401  (registers the checks, the any_of lookup, receivers)
            bulk_sql,
            checks,
            signals,
        )
