from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        # Imported for what importing does: the checks, the any_of lookup, the receivers.
        from campaigns import checks, signals  # noqa: F401
        from campaigns.database import bulk_sql  # noqa: F401
