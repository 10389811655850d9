from django.contrib import admin

from campaigns.models import AuditEntry, Campaign, CampaignField, Grid


class CampaignFieldInline(admin.TabularInline):
    """The field list, with what Thulium's answers said of each field. An administrator who
    created a field in Thulium sets an unknown one back to declared."""

    model = CampaignField
    extra = 1
    fields = ["name", "position", "state", "state_at", "state_submission_id"]
    readonly_fields = ["state_at", "state_submission_id"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Administrators keep each campaign's field list, phone format and retention hold here."""

    list_display = ["thulium_id", "name", "phone_format", "retention_days"]
    search_fields = ["thulium_id", "name"]
    fields = ["thulium_id", "name", "phone_format", "retention_days"]
    readonly_fields = ["thulium_id", "name"]
    inlines = [CampaignFieldInline]

    def has_add_permission(self, request) -> bool:
        # Campaigns are Thulium's: ours appear when someone opens one in the dashboard.
        return False


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["pk", "campaign", "source", "mode", "author", "created_at", "rows_total"]
    list_filter = ["source", "mode", "state"]
    readonly_fields = [f.name for f in Grid._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: nothing in the product changes or deletes audit entries."""

    list_display = ["at", "actor_name", "action", "campaign", "grid_id", "submission_id"]
    list_filter = ["action", "campaign"]
    search_fields = ["actor_name", "campaign"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
