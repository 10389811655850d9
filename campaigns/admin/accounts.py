"""Users, their roles and their access (grants) in the admin; the role groups."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models import Q, QuerySet
from django.forms import BaseModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from campaigns import roles
from campaigns.access import access_of
from campaigns.admin.audited import (
    A,
    ChangesAudited,
    actor_of,
    before_of,
    may_manage_users,
    system_administrator,
)
from campaigns.models import (
    AuditEntry,
    Grant,
    ThuliumSystem,
)
from campaigns.services.powers import (
    Rights,
    admin_change_audit,
    changes_between,
    snapshot,
    user_rights_refusal,
)

admin.site.unregister(User)
admin.site.unregister(Group)


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
        if system_administrator(request):
            grants = grants.filter(system__in=access_of(request.user).administered)
        return grants

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "system" and system_administrator(request):
            kwargs["queryset"] = ThuliumSystem.objects.filter(
                pk__in=access_of(request.user).administered
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _own(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and obj.pk == request.user.pk

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._own(request, obj) and may_manage_users(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._own(request, obj) and may_manage_users(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._own(request, obj) and may_manage_users(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_manage_users(request)


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
        if system_administrator(request):
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
        if system_administrator(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_manage_users(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_manage_users(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_manage_users(request) and super().has_add_permission(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_staff", "is_superuser", "user_permissions"]
            if obj is not None and obj.pk == request.user.pk:
                fields += ["groups", "is_active"]
            elif system_administrator(request):
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
        return may_manage_users(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        # An account is the install's: a system's administrator takes its access away instead.
        if system_administrator(request):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: User, form: BaseModelForm[User], change: bool
    ) -> None:
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        before_of(form).rights = Rights.of(stored) if stored is not None else None
        super().save_model(request, obj, form, change)

    def check_powers(self, request: HttpRequest, form: BaseModelForm[User], change: bool) -> None:
        # After the groups and permissions are saved, inside the admin's transaction: a refusal
        # rolls the whole change back, whatever the request carried.
        refusal = user_rights_refusal(
            actor=actor_of(request),
            user=form.instance,
            before=before_of(form).rights,
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
        if system_administrator(request) and not _wholly_theirs(request, account):
            # The account serves others too: its password is not theirs to set.
            raise PermissionDenied
        with transaction.atomic(using=router.db_for_write(User)):
            before = self._password_of(unquote(id))
            response = super().user_change_password(request, id, form_url)
            if before is not None and self._password_of(unquote(id)) != before:
                # That it changed, never the hash.
                admin_change_audit(
                    action=A.PASSWORD_CHANGED,
                    actor=actor_of(request),
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
        before = before_of(form).values
        if not request.user.is_superuser and (
            not change or changes_between(before, snapshot(form.instance))
        ):
            raise PermissionDenied(_("Only a superuser can change what a role grants."))
