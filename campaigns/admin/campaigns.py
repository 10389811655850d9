"""Campaigns (their field lists and retention holds), grids and the audit log in the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from campaigns.access import access_of, earlier_history_system
from campaigns.admin.audited import (
    ChangesAudited,
)
from campaigns.models import (
    AuditEntry,
    Campaign,
    CampaignField,
    Grid,
)
from campaigns.templatetags.people import person


class CampaignFieldInline(admin.TabularInline[CampaignField, Campaign]):
    """The field list, with what Thulium's answers said of each field. An administrator who
    created a field in Thulium sets an unknown one back to declared."""

    model = CampaignField
    extra = 1
    fields = ["name", "position", "state", "state_at", "state_submission_id"]
    readonly_fields = ["state_at", "state_submission_id"]


@admin.register(Campaign)
class CampaignAdmin(ChangesAudited[Campaign]):
    """Administrators keep each campaign's field list, phone format and retention hold here."""

    list_display = ["thulium_id", "name", "phone_format", "retention_days"]
    search_fields = ["thulium_id", "name"]
    fields = ["thulium_id", "name", "phone_format", "retention_days"]
    readonly_fields = ["thulium_id", "name"]
    inlines = [CampaignFieldInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Campaigns are Thulium's: ours appear when someone opens one in the dashboard.
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        # The campaigns the person sees; another's answer 404 here as on the pages.
        return super().get_queryset(request).filter(access_of(request.user).campaigns_q())

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not request.user.has_perm("campaigns.change_campaign", obj):
            return False
        return super().has_change_permission(request, obj)


@admin.register(Grid)
class GridAdmin(ChangesAudited[Grid]):
    list_display = ["pk", "campaign", "source", "mode", "by", "created_at", "rows_total"]
    list_filter = ["source", "mode", "state"]
    list_select_related = ["campaign", "author"]
    readonly_fields = [f.name for f in Grid._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Grid]:
        return (
            super().get_queryset(request).filter(access_of(request.user).campaigns_q("campaign__"))
        )

    @admin.display(description=gettext_lazy("By"), ordering="author__last_name")
    def by(self, grid: Grid) -> str:
        return person(grid.author_name, grid.author.get_username() if grid.author else "")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A grid that was ever sent is evidence (the bulk action is refused by
        # get_deleted_objects).
        if obj is not None and obj.submissions.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read-only: nothing in the product changes or deletes audit entries."""

    list_display = ["at", "by", "action", "campaign", "grid_id", "submission_id"]
    list_filter = ["action", "campaign"]
    list_select_related = ["actor"]
    search_fields = ["actor_name", "campaign"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        readable = access_of(request.user).entries_q(earlier_history_system())
        return super().get_queryset(request).filter(readable)

    @admin.display(description=gettext_lazy("Who"), ordering="actor_name")
    def by(self, entry: AuditEntry) -> str:
        return person(entry.actor_full_name, entry.actor_login)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
