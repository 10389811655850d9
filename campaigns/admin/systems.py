"""The Thulium systems in the admin (write-only passwords, the connection test) and the
scheduler's periodic jobs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.forms import BaseModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_post_parameters

from campaigns.admin.audited import (
    actor_of,
    install_administrator,
)
from campaigns.models import (
    Campaign,
    Grid,
    PeriodicJob,
    ThuliumSystem,
)
from campaigns.services.connection import system_address
from campaigns.services.systems import (
    SystemProblem,
    password_needed_again,
    thulium_system_add,
    thulium_system_change,
    thulium_system_remove,
    thulium_system_test,
)


class ThuliumSystemForm(forms.ModelForm[ThuliumSystem]):
    """A system's connection. The password is write-only: never rendered back, blank keeps the
    one sealed already."""

    password = forms.CharField(
        label=gettext_lazy("API password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "Kept sealed with CONNECTIONS_KEY and never shown again. Leave it blank to keep the "
            "password set before."
        ),
    )

    class Meta:
        model = ThuliumSystem
        fields = ["name", "base_url", "api_user", "retention_days"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["password"].help_text = _(
                "Kept sealed with CONNECTIONS_KEY and never shown again."
            )
        if "retention_days" in self.fields:
            self.fields["retention_days"].help_text = _(
                "How long this system's personal data is kept after a grid's last sending or "
                "edit. Empty: RETENTION_DAYS (days: %(days)s). A campaign's longer hold still "
                "applies."
            ) % {"days": settings.RETENTION_DAYS}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        stored = self.instance if self.instance.pk else None
        password = cleaned.get("password") or ""
        given = {
            "base_url": cleaned.get("base_url"),
            "api_user": cleaned.get("api_user"),
            "password": password,
        }
        if stored is None or (stored.from_environment and any(given.values())):
            # A new system, or one from the environment given a connection of its own: nothing
            # of it comes from the environment any more.
            needed = ["base_url", "api_user", "password"]
        elif not stored.from_environment:
            needed = ["base_url", "api_user"]  # a blank password keeps the sealed one
        else:
            needed = []
        for name in needed:
            if not given[name]:
                self.add_error(
                    name,
                    _("Needed: this system's connection is kept here, not in the environment."),
                )
        if (
            stored is not None
            and not password
            and password_needed_again(system=stored, base_url=cleaned.get("base_url"))
        ):
            self.add_error(
                "password",
                _(
                    "The API address moves to another server: give the password again. The "
                    "password kept is only ever sent to the server it was given for."
                ),
            )
        if password and not any(settings.CONNECTIONS_KEY):
            self.add_error(
                "password",
                _(
                    "CONNECTIONS_KEY is not set, so no password can be kept. Set it to a long "
                    "random string in the environment of the dashboard, the worker and the "
                    "commands, restart them and try again."
                ),
            )
        return cleaned


@admin.register(ThuliumSystem)
class ThuliumSystemAdmin(admin.ModelAdmin[ThuliumSystem]):
    """The Thulium systems, for the install's administrators only. Adding, changing and removing
    go through the systems' services, which seal the password and write the audit entry (never
    with the password); a system with grids is not deleted here (`manage.py thulium_system
    remove --force` does it). The change page has a *Test the connection* button."""

    form = ThuliumSystemForm
    change_form_template = "admin/campaigns/thuliumsystem/change_form.html"

    # An error report (DEBUG's page, a mail to the admins) never shows the password posted.
    @method_decorator(sensitive_post_parameters("password"))
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return super().changeform_view(request, object_id, form_url, extra_context)

    list_display = ["name", "address", "api_user_shown", "connection", "campaigns_count"]
    search_fields = ["name", "base_url"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["name", "base_url", "api_user", "password", "retention_days"]
        return ["name", "connection", "base_url", "api_user", "password", "retention_days"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Addresses and commands name a system: it keeps its name.
        return ["name", "connection"] if obj is not None else []

    @admin.display(description=gettext_lazy("API address"))
    def address(self, system: ThuliumSystem) -> str:
        return system_address(system) or "—"

    @admin.display(description=gettext_lazy("API user"))
    def api_user_shown(self, system: ThuliumSystem) -> str:
        if system.from_environment:
            return settings.THULIUM.get("API_USER") or "—"
        return system.api_user or "—"

    @admin.display(description=gettext_lazy("Connection"))
    def connection(self, system: ThuliumSystem) -> str:
        if system.from_environment:
            return _(
                "From the environment (THULIUM_BASE_URL, THULIUM_API_USER, "
                "THULIUM_API_PASSWORD). Give an address, user and password here to keep them "
                "here instead."
            )
        return _("Kept here, the password sealed.")

    @admin.display(description=gettext_lazy("Campaigns"))
    def campaigns_count(self, system: ThuliumSystem) -> int:
        return system.campaigns.count()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return install_administrator(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return install_administrator(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return install_administrator(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return install_administrator(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and _grids_of(obj):
            return False
        return install_administrator(request) and super().has_delete_permission(request, obj)

    def save_model(
        self,
        request: HttpRequest,
        obj: ThuliumSystem,
        form: BaseModelForm[ThuliumSystem],
        change: bool,
    ) -> None:
        data = form.cleaned_data
        try:
            if not change:
                made = thulium_system_add(
                    name=data["name"],
                    base_url=data["base_url"],
                    api_user=data["api_user"],
                    password=data["password"],
                    actor=actor_of(request),
                )
                if data.get("retention_days") is not None:
                    thulium_system_change(
                        system=made, actor=actor_of(request), retention_days=data["retention_days"]
                    )
            else:
                stored = ThuliumSystem.objects.get(pk=obj.pk)
                retention = data.get("retention_days")
                made = thulium_system_change(
                    system=stored,
                    actor=actor_of(request),
                    base_url=data["base_url"],
                    api_user=data["api_user"],
                    password=data["password"] or None,
                    # None is "unchanged" to the service; 0 empties it.
                    retention_days=0
                    if retention is None and stored.retention_days is not None
                    else retention,
                )
        except SystemProblem as problem:
            # The form checked what it could; what is left (a name taken meanwhile) is said
            # on the page the admin returns to.
            raise PermissionDenied(problem.text) from None
        # The admin goes on with `obj` (its log, the redirect): it is the saved system.
        obj.pk = made.pk
        obj._state.adding = False
        obj.password_sealed = made.password_sealed
        obj.from_environment = made.from_environment

    def delete_model(self, request: HttpRequest, obj: ThuliumSystem) -> None:
        try:
            thulium_system_remove(system=obj, actor=actor_of(request), force=False)
        except SystemProblem as problem:
            raise PermissionDenied(problem.text) from None

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic(using=router.db_for_write(ThuliumSystem)):
            for system in queryset:
                self.delete_model(request, system)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        systems = list(objs)
        campaigns = Campaign.objects.filter(system__in=systems).count()
        counts = {str(ThuliumSystem._meta.verbose_name_plural): len(systems)}
        if campaigns:
            counts[str(Campaign._meta.verbose_name_plural)] = campaigns
        protected = [
            ngettext(
                "Thulium system %(name)s has %(n)s grid: it is not removed here. The grid is "
                "the record of what was sent; an operator who must remove it anyway runs "
                "`manage.py thulium_system remove %(name)s --force`.",
                "Thulium system %(name)s has %(n)s grids: it is not removed here. Its grids are "
                "the record of what was sent; an operator who must remove it anyway runs "
                "`manage.py thulium_system remove %(name)s --force`.",
                n,
            )
            % {"name": system.name, "n": n}
            for system in systems
            if (n := _grids_of(system))
        ]
        perms_needed = (
            set()
            if self.has_delete_permission(request)
            else {str(ThuliumSystem._meta.verbose_name)}
        )
        return [str(s) for s in systems], counts, perms_needed, protected

    def get_urls(self) -> list[URLPattern]:
        test = path(
            "<path:object_id>/test/",
            self.admin_site.admin_view(self.test_view),
            name="campaigns_thuliumsystem_test",
        )
        return [test, *super().get_urls()]

    def test_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """*Test the connection*: ask the system for its campaigns, say what came back."""
        system = self.get_object(request, unquote(object_id))
        if system is None or not self.has_change_permission(request, system):
            raise Http404
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        tested = thulium_system_test(system=system)
        (messages.success if tested.ok else messages.error)(request, tested.text)
        return redirect("admin:campaigns_thuliumsystem_change", system.pk)


def _grids_of(system: ThuliumSystem) -> int:
    return Grid.objects.filter(campaign__system=system).count()


@admin.register(PeriodicJob)
class PeriodicJobAdmin(admin.ModelAdmin[PeriodicJob]):
    """The scheduler's periodic jobs, read only, for the install's administrators: when each
    ran, whether it succeeded and what it said, and when it runs next."""

    list_display = ["name", "due_at", "last_started_at", "last_finished_at", "last_ok", "runs"]
    readonly_fields = [f.name for f in PeriodicJob._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return install_administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return install_administrator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
