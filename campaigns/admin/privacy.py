"""The do-not-contact list of each system in the admin (keyed hashes, never numbers)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from campaigns.access import access_of
from campaigns.admin.audited import (
    may_manage_users,
)
from campaigns.exceptions import DoNotContactProblem, FileProblem
from campaigns.forms.do_not_contact import ListFileForm, NumberForm, RemoveEntryForm
from campaigns.models import (
    DoNotContact,
    ThuliumSystem,
)
from campaigns.services.do_not_contact import (
    do_not_contact_add,
    do_not_contact_import,
    do_not_contact_remove,
    do_not_contact_remove_entries,
)


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
        return may_manage_users(request)

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
