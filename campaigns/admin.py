"""The admin: what administrators keep (field lists, retention holds, users and their roles), and
what nobody changes (the audit log, sent grids).

Every change made here is an audit entry with its before → after (ChangesAudited), made in the
admin's own transaction. Powers are bounded by campaigns/services/powers.py: only a superuser
grants staff or superuser status or raw permissions; an Administrator gives the product's roles
and never changes their own rights. Sent grids, their sendings, requests and Thulium's answers
are evidence: no deletion here takes them, directly or by cascade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import NestedObjects, unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import models, router, transaction
from django.db.models import Q, QuerySet
from django.forms import BaseModelForm
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_post_parameters

from campaigns import roles
from campaigns.access import access_of, earlier_history_system
from campaigns.exceptions import DoNotContactProblem, FileProblem
from campaigns.forms.do_not_contact import ListFileForm, NumberForm, RemoveEntryForm
from campaigns.models import (
    AuditEntry,
    Campaign,
    CampaignField,
    Chunk,
    DoNotContact,
    Grant,
    Grid,
    PeriodicJob,
    RowOutcome,
    Submission,
    ThuliumSystem,
)
from campaigns.services.connection import system_address
from campaigns.services.do_not_contact import (
    do_not_contact_add,
    do_not_contact_import,
    do_not_contact_remove,
    do_not_contact_remove_entries,
)
from campaigns.services.powers import (
    Rights,
    admin_change_audit,
    changes_between,
    snapshot,
    user_rights_refusal,
)
from campaigns.services.systems import (
    SystemProblem,
    password_needed_again,
    thulium_system_add,
    thulium_system_change,
    thulium_system_remove,
    thulium_system_test,
)
from campaigns.templatetags.people import person

A = AuditEntry.Action
_M = TypeVar("_M", bound=models.Model)


@dataclass
class _Before:
    """What a change started from, read in save_model and compared once the related objects
    are saved: the admin hands one form through those steps, so this travels with the form."""

    values: dict[str, Any] = field(default_factory=dict)
    inlines: list[dict[str, Any]] = field(default_factory=list)
    rights: Rights | None = None


def _before(form: BaseModelForm[Any]) -> _Before:
    kept: _Before = vars(form).setdefault("audit_before", _Before())
    return kept


def _actor(request: HttpRequest) -> User:
    """Who acts in the admin: its views let only signed-in staff in."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


class ChangesAudited(admin.ModelAdmin[_M]):
    """Each object added, changed or deleted here becomes one audit entry, with the fields that
    changed (before → after), its many-to-many relations and its inlines' rows included. The
    object's state before the change is read from the database, not from the form's instance
    (which the form has already changed). What a deletion would take along is refused when it
    holds a sending's evidence."""

    def save_model(
        self, request: HttpRequest, obj: _M, form: BaseModelForm[_M], change: bool
    ) -> None:
        stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        kept = _before(form)
        kept.values = snapshot(stored) if stored is not None else {}
        kept.inlines = []
        super().save_model(request, obj, form, change)

    def save_formset(
        self,
        request: HttpRequest,
        form: BaseModelForm[_M],
        formset: BaseInlineFormSet[Any, _M, Any],
        change: bool,
    ) -> None:
        model = formset.model
        assert model is not None, "an inline formset names its model"
        before = {
            id(f.instance): snapshot(stored)
            for f in formset.initial_forms
            if (stored := model._default_manager.filter(pk=f.instance.pk).first()) is not None
        }
        super().save_formset(request, form, formset, change)
        label = model._meta.label
        rows = _before(form).inlines
        for obj in formset.new_objects:
            rows.append({"model": label, "object": str(obj), "added": snapshot(obj)})
        for obj, _fields in formset.changed_objects:
            changes = changes_between(before.get(id(obj), {}), snapshot(obj))
            if changes:
                rows.append({"model": label, "object": str(obj), "changes": changes})
        for obj in formset.deleted_objects:
            rows.append({"model": label, "object": str(obj), "deleted": before.get(id(obj), {})})

    def save_related(
        self, request: HttpRequest, form: BaseModelForm[_M], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        self.check_powers(request, form, change)
        obj = form.instance
        inlines = _before(form).inlines
        # The inlines' rows, in the entry only when there are some.
        with_inlines: dict[str, Any] = {"inlines": inlines} if inlines else {}
        if not change:
            admin_change_audit(
                action=A.ADMIN_ADDED,
                actor=_actor(request),
                obj=obj,
                values=snapshot(obj),
                **with_inlines,
            )
            return
        changes = changes_between(_before(form).values, snapshot(obj))
        if changes or inlines:
            admin_change_audit(
                action=A.ADMIN_CHANGED,
                actor=_actor(request),
                obj=obj,
                changes=changes,
                **with_inlines,
            )

    def check_powers(self, request: HttpRequest, form: BaseModelForm[_M], change: bool) -> None:
        """Refuse (PermissionDenied, rolling the change back) what the user may not do."""

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.audit_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic(using=router.db_for_write(self.model)):
            for obj in queryset:
                self.audit_deletion(request, obj)
            super().delete_queryset(request, queryset)

    def audit_deletion(self, request: HttpRequest, obj: Any) -> None:
        admin_change_audit(
            action=A.ADMIN_DELETED,
            actor=_actor(request),
            obj=obj,
            values=snapshot(obj),
            also_deleted=self.cascade_counts([obj]),
        )

    def cascade_counts(self, objs: list[Any]) -> dict[str, int]:
        return {
            model._meta.label: len(found)
            for model, found in self.collect(objs).items()
            if model is not self.model
        }

    def collect(self, objs: Any) -> dict[type[models.Model], set[models.Model]]:
        """What deleting `objs` would take along, by model."""
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect(objs)
        # Keyed by model class (django/contrib/admin/utils.py); django-stubs says by str.
        return cast(dict[type[models.Model], set[models.Model]], collector.model_objs)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        found = self.collect(objs)
        sendings = sorted({s.pk for s in found.get(Submission, set())})
        sendings += sorted(
            {c.submission_id for c in found.get(Chunk, set()) if isinstance(c, Chunk)}
            - set(sendings)
        )
        sendings += sorted(
            {o.submission_id for o in found.get(RowOutcome, set()) if isinstance(o, RowOutcome)}
            - set(sendings)
        )
        protected = list(protected) + [
            _(
                "Sending #%(id)s: a sent grid, its sendings and Thulium's answers are evidence "
                "and cannot be deleted (retention and a person's request remove their personal "
                "details)."
            )
            % {"id": pk}
            for pk in sendings
        ]
        return deleted, counts, perms_needed, protected


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


admin.site.unregister(User)
admin.site.unregister(Group)
admin.site.site_header = gettext_lazy("Campaign dashboard: administration")
admin.site.site_title = gettext_lazy("Campaign dashboard")


def _system_administrator(request: HttpRequest) -> bool:
    """Someone who manages access within their own systems only (not everyone's)."""
    access = access_of(request.user)
    return not access.manages_everyone and bool(access.administered)


def _may_manage_users(request: HttpRequest) -> bool:
    """The install's administrators, and the administrators of a whole system: an
    Administrator grant on some campaigns gives no say over people."""
    access = access_of(request.user)
    return access.manages_everyone or bool(access.administered)


def _added_by(actor: Any) -> list[int]:
    """The accounts `actor` added in the admin (its audit entries say so)."""
    found = AuditEntry.objects.filter(
        action=A.ADMIN_ADDED, actor=actor, details__model="auth.User"
    ).values_list("details__object_id", flat=True)
    return [int(pk) for pk in found if str(pk).isdigit()]


def _wholly_theirs(request: HttpRequest, user: User) -> bool:
    """Whether the account is the system administrator's to change (its name, e-mail,
    password, whether it is active): one they added themselves, holding no role group, no
    staff status, no permissions and no access elsewhere. Otherwise they change only its access
    to their systems: an account someone else made may be given other systems' access later,
    and whoever set its password would hold that too."""
    access = access_of(request.user)
    return (
        not user.is_superuser
        and not user.is_staff
        and not user.groups.exists()
        and not user.user_permissions.exists()
        and not user.grants.exclude(system__in=access.administered).exists()
        and user.pk in _added_by(request.user)
    )


class GrantInline(admin.TabularInline[Grant, User]):
    """The person's access: a role in a Thulium system, or in one campaign of it. A system's
    administrator sees and changes the rows of their systems only (checked again on save, in
    user_rights_refusal)."""

    model = Grant
    extra = 1
    fields = ["system", "campaign", "role"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Grant]:
        grants = super().get_queryset(request).select_related("system")
        if _system_administrator(request):
            grants = grants.filter(system__in=access_of(request.user).administered)
        return grants

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "system" and _system_administrator(request):
            kwargs["queryset"] = ThuliumSystem.objects.filter(
                pk__in=access_of(request.user).administered
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _own(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and obj.pk == request.user.pk

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._own(request, obj) and _may_manage_users(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._own(request, obj) and _may_manage_users(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._own(request, obj) and _may_manage_users(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage_users(request)


@admin.register(User)
class ProductUserAdmin(ChangesAudited[User], UserAdmin[User]):
    """Users, their roles and their access. A superuser grants anything; the install's
    administrators give the product's roles and any access, to others only; a system's
    administrator gives access within their systems only, to people holding some there (or none
    anywhere yet). No one but a superuser touches a superuser's account (its password
    included)."""

    inlines = [GrantInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        users = super().get_queryset(request)
        if _system_administrator(request):
            # Those with access to their systems, and the accounts they added themselves that
            # have none yet, to give them some. Others' accounts without access are not
            # theirs to see, nor to take over before someone gives them access elsewhere.
            access = access_of(request.user)
            users = users.filter(
                Q(grants__system__in=access.administered)
                | Q(
                    pk__in=_added_by(request.user),
                    grants__isnull=True,
                    groups__isnull=True,
                    is_superuser=False,
                    is_staff=False,
                )
            ).distinct()
        return users

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        # The admin's own log of an account names every system's access it was given: the
        # install's to read. A system's administrator reads their systems' history instead.
        if _system_administrator(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_manage_users(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage_users(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_manage_users(request) and super().has_add_permission(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_staff", "is_superuser", "user_permissions"]
            if obj is not None and obj.pk == request.user.pk:
                fields += ["groups", "is_active"]
            elif _system_administrator(request):
                fields += ["groups"]  # a role group is a role in every system
                if obj is not None and not _wholly_theirs(request, obj):
                    fields += ["username", "first_name", "last_name", "email", "is_active"]
        return fields

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=roles.ROLES).order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return _may_manage_users(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        # An account is the install's: a system's administrator takes its access away instead.
        if _system_administrator(request):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: User, form: BaseModelForm[User], change: bool
    ) -> None:
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        _before(form).rights = Rights.of(stored) if stored is not None else None
        super().save_model(request, obj, form, change)

    def check_powers(self, request: HttpRequest, form: BaseModelForm[User], change: bool) -> None:
        # After the groups and permissions are saved, inside the admin's transaction: a refusal
        # rolls the whole change back, whatever the request carried.
        refusal = user_rights_refusal(
            actor=_actor(request),
            user=form.instance,
            before=_before(form).rights,
            after=Rights.of(form.instance),
        )
        if refusal:
            raise PermissionDenied(refusal)

    @staticmethod
    def _password_of(pk: Any) -> str | None:
        return User.objects.filter(pk=pk).values_list("password", flat=True).first()

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Looked up among the accounts the person sees: another system's is not there (404).
        account = self.get_object(request, unquote(id))
        if account is None:
            raise Http404
        if _system_administrator(request) and not _wholly_theirs(request, account):
            # The account serves others too: its password is not theirs to set.
            raise PermissionDenied
        with transaction.atomic(using=router.db_for_write(User)):
            before = self._password_of(unquote(id))
            response = super().user_change_password(request, id, form_url)
            if before is not None and self._password_of(unquote(id)) != before:
                # That it changed, never the hash.
                admin_change_audit(
                    action=A.PASSWORD_CHANGED,
                    actor=_actor(request),
                    obj=User.objects.get(pk=unquote(id)),
                )
        return response


@admin.register(Group)
class ProductGroupAdmin(ChangesAudited[Group], GroupAdmin):
    """The roles. What a role grants is a superuser's to change: anyone else sees it only."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["name", "permissions"]
        return fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def check_powers(self, request: HttpRequest, form: BaseModelForm[Group], change: bool) -> None:
        before = _before(form).values
        if not request.user.is_superuser and (
            not change or changes_between(before, snapshot(form.instance))
        ):
            raise PermissionDenied(_("Only a superuser can change what a role grants."))


def _install_administrator(request: HttpRequest) -> bool:
    """A superuser, or a member of the Administrator group: the install's own administrators.
    A system's administrator (a Grant) holds the same model permissions inside their system,
    and still may not manage the systems themselves."""
    return access_of(request.user).everywhere == roles.ADMINISTRATOR


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
        return _install_administrator(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _install_administrator(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _install_administrator(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _install_administrator(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and _grids_of(obj):
            return False
        return _install_administrator(request) and super().has_delete_permission(request, obj)

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
                    actor=_actor(request),
                )
                if data.get("retention_days") is not None:
                    thulium_system_change(
                        system=made, actor=_actor(request), retention_days=data["retention_days"]
                    )
            else:
                stored = ThuliumSystem.objects.get(pk=obj.pk)
                retention = data.get("retention_days")
                made = thulium_system_change(
                    system=stored,
                    actor=_actor(request),
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
            thulium_system_remove(system=obj, actor=_actor(request), force=False)
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


@admin.register(DoNotContact)
class DoNotContactAdmin(admin.ModelAdmin[DoNotContact]):
    """A system's do-not-contact list, for the install's administrators and each system's own.
    The list shows a prefix of each keyed hash, never a number (none is kept); numbers are added
    and removed by typing them, or added from a file, through the list's services, which write
    the audit entries. An entry is removed with a reason, on a page of its own."""

    list_display = ["system", "hash_prefix", "reason", "added_by", "added_at", "remove_link"]
    list_filter = ["system"]
    list_select_related = ["system", "added_by"]
    change_list_template = "admin/campaigns/donotcontact/change_list.html"

    @admin.display(description=gettext_lazy("keyed hash"))
    def hash_prefix(self, entry: DoNotContact) -> str:
        return f"{entry.digest[:12]}…"

    @admin.display(description=gettext_lazy("Remove"))
    def remove_link(self, entry: DoNotContact) -> str:
        url = reverse("admin:campaigns_donotcontact_remove", args=[entry.pk])
        return format_html('<a href="{}">{}</a>', url, _("Remove…"))

    def _systems(self, request: HttpRequest) -> QuerySet[ThuliumSystem]:
        access = access_of(request.user)
        systems = ThuliumSystem.objects.all()
        return systems if access.manages_everyone else systems.filter(pk__in=access.administered)

    def _may(self, request: HttpRequest) -> bool:
        return _may_manage_users(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[DoNotContact]:
        return super().get_queryset(request).filter(system__in=self._systems(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    # Changed by nobody; removed through remove_view, with a reason.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        remove = path(
            "<int:entry_id>/remove/",
            self.admin_site.admin_view(self.remove_view),
            name="campaigns_donotcontact_remove",
        )
        return [remove, *super().get_urls()]

    @method_decorator(sensitive_post_parameters("phone"))
    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Add or remove a typed number, or add a file's numbers."""
        if not self._may(request):
            raise PermissionDenied
        systems = self._systems(request)
        posted = request.POST if request.method == "POST" else None
        action = request.POST.get("action", "")
        number_form = NumberForm(posted if action in ("add", "remove") else None, systems=systems)
        file_form = ListFileForm(
            posted if action == "import" else None,
            request.FILES if action == "import" else None,
            systems=systems,
        )
        done = self._done(request, action, number_form, file_form)
        if done:
            messages.success(request, done)
            return redirect("admin:campaigns_donotcontact_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Do-not-contact list: add or remove numbers"),
            "number_form": number_form,
            "file_form": file_form,
        }
        return TemplateResponse(request, "admin/campaigns/donotcontact/numbers.html", context)

    def _done(
        self, request: HttpRequest, action: str, number_form: NumberForm, file_form: ListFileForm
    ) -> str:
        """What was done, in words; "" when nothing was (a form to show again)."""
        try:
            if action in ("add", "remove") and number_form.is_valid():
                data = number_form.cleaned_data
                change = do_not_contact_add if action == "add" else do_not_contact_remove
                changed = change(
                    system=data["system"],
                    phone=data["phone"],
                    reason=data["reason"],
                    actor=request.user,
                )
                names = {"system": data["system"].name}
                if action == "add":
                    return (
                        _("Added to the do-not-contact list of “%(system)s”.")
                        if changed
                        else _("Already on the do-not-contact list of “%(system)s”.")
                    ) % names
                return (
                    _("Removed from the do-not-contact list of “%(system)s”.")
                    if changed
                    else _("Not on the do-not-contact list of “%(system)s”.")
                ) % names
            if action == "import" and file_form.is_valid():
                data = file_form.cleaned_data
                upload = data["file"]
                made = do_not_contact_import(
                    system=data["system"],
                    data=upload.read(),
                    filename=upload.name or "",
                    reason=data["reason"],
                    actor=request.user,
                )
                return _(
                    "Do-not-contact list of “%(system)s”: added %(added)s; already on it: "
                    "%(already)s; not a phone number: %(bad)s."
                ) % {
                    "system": data["system"].name,
                    "added": made.added,
                    "already": made.already,
                    "bad": made.not_numbers,
                }
        except (DoNotContactProblem, FileProblem) as problem:
            form = file_form if action == "import" else number_form
            form.add_error(None, str(problem.text))
        return ""

    def remove_view(self, request: HttpRequest, entry_id: int) -> HttpResponse:
        """Take one entry off the list, with a reason (the number is not known here)."""
        entry = self.get_queryset(request).filter(pk=entry_id).first()
        if entry is None or not self._may(request):
            raise Http404
        form = RemoveEntryForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                do_not_contact_remove_entries(
                    system=entry.system,
                    ids=[entry.pk],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except DoNotContactProblem as problem:
                form.add_error("reason", str(problem.text))
            else:
                messages.success(
                    request,
                    _("Removed from the do-not-contact list of “%(system)s”.")
                    % {"system": entry.system.name},
                )
                return redirect("admin:campaigns_donotcontact_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Remove from the do-not-contact list"),
            "entry": entry,
            "form": form,
        }
        return TemplateResponse(request, "admin/campaigns/donotcontact/remove.html", context)


@admin.register(PeriodicJob)
class PeriodicJobAdmin(admin.ModelAdmin[PeriodicJob]):
    """The scheduler's periodic jobs, read only, for the install's administrators: when each
    ran, whether it succeeded and what it said, and when it runs next."""

    list_display = ["name", "due_at", "last_started_at", "last_finished_at", "last_ok", "runs"]
    readonly_fields = [f.name for f in PeriodicJob._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _install_administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _install_administrator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
