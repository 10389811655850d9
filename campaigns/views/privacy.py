"""A person's request by phone number: find, export, erase (administrators only, audited),
within one Thulium system the person administers: each system is its own data controller."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from campaigns import roles
from campaigns.access import access_of
from campaigns.exceptions import DoNotContactProblem, PersonRequestProblem
from campaigns.forms.privacy import PersonRequestForm
from campaigns.models import ThuliumSystem
from campaigns.presentation.labels import PLACES
from campaigns.services.person import PersonData, person_erase, person_export, person_find
from campaigns.views.common import AuthenticatedRequest


def administered(request: AuthenticatedRequest) -> list[ThuliumSystem]:
    """The systems the person administers as a whole (a grant on some campaigns is not enough:
    a request reaches everything of the system)."""
    access = access_of(request.user)
    return [
        system
        for system in ThuliumSystem.objects.filter(access.systems_q())
        if access.role_in(system.pk) == roles.ADMINISTRATOR
    ]


def requested_system(request: AuthenticatedRequest, name: str) -> ThuliumSystem:
    """The system the request is answered in: one the person sees (else 404, so names do not
    leak), and administers (else 403). Unnamed, the only one they see."""
    access = access_of(request.user)
    if not access.roles:
        raise PermissionDenied  # no role anywhere: there is nothing whose name could leak
    seen = ThuliumSystem.objects.filter(access.systems_q())
    found = seen.filter(name=name).first() if name else None
    if not name and len(only := list(seen[:2])) == 1:
        found = only[0]
    if found is None:
        raise Http404
    if access.role_in(found.pk) != roles.ADMINISTRATOR:
        raise PermissionDenied
    return found


@require_http_methods(["GET", "POST"])
def person_request(request: AuthenticatedRequest) -> HttpResponse:
    # Posted, never in the address: a number in a URL ends up in access logs and history.
    form = PersonRequestForm(request.POST)
    form.is_valid()  # lenient fields: always valid
    phone = form.cleaned_data["phone"].strip()
    action = form.cleaned_data["action"]
    if request.method == "GET":
        if not request.user.has_perm("campaigns.handle_person_request"):
            raise PermissionDenied
        return render(
            request,
            "campaigns/person_request.html",
            {"phone": phone, "systems": administered(request)},
        )
    systems = administered(request)
    name = form.cleaned_data["system"] or (systems[0].name if len(systems) == 1 else "")
    if not name and len(systems) > 1:
        # Several controllers: the person says which one answers, never the page for them.
        return render(
            request,
            "campaigns/person_request.html",
            {
                "phone": phone,
                "systems": systems,
                "problem": _("Choose the Thulium system whose data the person asks about."),
            },
            status=400,
        )
    # Which system is asked about comes first: one the person does not see is not there.
    system = requested_system(request, name)
    context: dict[str, object] = {
        "phone": phone,
        "system": system,
        "systems": systems,
    }
    try:
        if action == "export":
            response = HttpResponse(
                person_export(phone=phone, system=system, actor=request.user),
                content_type="application/json; charset=utf-8",
            )
            response["Content-Disposition"] = 'attachment; filename="dane-osoby.json"'
            return response
        if action == "erase":
            erasure = person_erase(
                phone=phone,
                system=system,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                do_not_contact=form.cleaned_data["do_not_contact"],
            )
            context["erasure"] = erasure
            context["erased"] = [(PLACES[k], n) for k, n in erasure.erased.items()]
        else:
            context |= _shown(person_find(phone=phone, system=system, actor=request.user))
    except (PersonRequestProblem, DoNotContactProblem) as problem:
        context["problem"] = str(problem)
        context["reason"] = form.cleaned_data["reason"]
        context["do_not_contact"] = form.cleaned_data["do_not_contact"]
        if action == "erase":
            # What was found stays on the page (searched already, so not audited again): the
            # reason can be put right and the erasure tried again.
            context |= _shown(
                person_find(phone=phone, system=system, actor=request.user, audited=False)
            )
    return render(request, "campaigns/person_request.html", context)


def _shown(found: PersonData) -> dict[str, object]:
    """What the page shows of a search: the places, counted and one by one, in words."""
    return {
        "found": found,
        "counts": [(PLACES[k], n) for k, n in found.counts().items()],
        "findings": [(PLACES[f.kind], f) for f in found.findings],
    }
