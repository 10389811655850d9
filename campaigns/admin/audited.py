"""What every audited admin page shares: each change an audit entry with its before → after,
who acts, and who the install's and a system's administrators are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import models, router, transaction
from django.forms import BaseModelForm
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from campaigns import roles
from campaigns.access import access_of
from campaigns.models import (
    AuditEntry,
    Chunk,
    RowOutcome,
    Submission,
)
from campaigns.services.powers import (
    Rights,
    admin_change_audit,
    changes_between,
    snapshot,
)

A = AuditEntry.Action
_M = TypeVar("_M", bound=models.Model)


@dataclass
class _Before:
    """What a change started from, read in save_model and compared once the related objects
    are saved: the admin hands one form through those steps, so this travels with the form."""

    values: dict[str, Any] = field(default_factory=dict)
    inlines: list[dict[str, Any]] = field(default_factory=list)
    rights: Rights | None = None


def before_of(form: BaseModelForm[Any]) -> _Before:
    kept: _Before = vars(form).setdefault("audit_before", _Before())
    return kept


def actor_of(request: HttpRequest) -> User:
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
        kept = before_of(form)
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
        rows = before_of(form).inlines
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
        inlines = before_of(form).inlines
        # The inlines' rows, in the entry only when there are some.
        with_inlines: dict[str, Any] = {"inlines": inlines} if inlines else {}
        if not change:
            admin_change_audit(
                action=A.ADMIN_ADDED,
                actor=actor_of(request),
                obj=obj,
                values=snapshot(obj),
                **with_inlines,
            )
            return
        changes = changes_between(before_of(form).values, snapshot(obj))
        if changes or inlines:
            admin_change_audit(
                action=A.ADMIN_CHANGED,
                actor=actor_of(request),
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
            actor=actor_of(request),
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


def system_administrator(request: HttpRequest) -> bool:
    """Someone who manages access within their own systems only (not everyone's)."""
    access = access_of(request.user)
    return not access.manages_everyone and bool(access.administered)


def may_manage_users(request: HttpRequest) -> bool:
    """The install's administrators, and the administrators of a whole system: an
    Administrator grant on some campaigns gives no say over people."""
    access = access_of(request.user)
    return access.manages_everyone or bool(access.administered)


def install_administrator(request: HttpRequest) -> bool:
    """A superuser, or a member of the Administrator group: the install's own administrators.
    A system's administrator (a Grant) holds the same model permissions inside their system,
    and still may not manage the systems themselves."""
    return access_of(request.user).everywhere == roles.ADMINISTRATOR
