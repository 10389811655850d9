"""A person's request by phone number: find, export, erase (administrators only, audited)."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from campaigns.exceptions import PersonRequestProblem
from campaigns.forms.privacy import PersonRequestForm
from campaigns.presentation.labels import PLACES
from campaigns.services.person import PersonData, person_erase, person_export, person_find
from campaigns.views.common import AuthenticatedRequest


@require_http_methods(["GET", "POST"])
@permission_required("campaigns.handle_person_request", raise_exception=True)
def person_request(request: AuthenticatedRequest) -> HttpResponse:
    # Posted, never in the address: a number in a URL ends up in access logs and history.
    form = PersonRequestForm(request.POST)
    form.is_valid()  # lenient fields: always valid
    phone = form.cleaned_data["phone"].strip()
    action = form.cleaned_data["action"]
    context: dict[str, object] = {"phone": phone}
    if request.method == "GET":
        return render(request, "campaigns/person_request.html", context)
    try:
        if action == "export":
            response = HttpResponse(
                person_export(phone=phone, actor=request.user),
                content_type="application/json; charset=utf-8",
            )
            response["Content-Disposition"] = 'attachment; filename="dane-osoby.json"'
            return response
        if action == "erase":
            erasure = person_erase(
                phone=phone, reason=form.cleaned_data["reason"], actor=request.user
            )
            context["erasure"] = erasure
            context["erased"] = [(PLACES[k], n) for k, n in erasure.erased.items()]
        else:
            context |= _shown(person_find(phone=phone, actor=request.user))
    except PersonRequestProblem as problem:
        context["problem"] = str(problem)
        context["reason"] = form.cleaned_data["reason"]
        if action == "erase":
            # What was found stays on the page (searched already, so not audited again): the
            # reason can be put right and the erasure tried again.
            context |= _shown(person_find(phone=phone, actor=request.user, audited=False))
    return render(request, "campaigns/person_request.html", context)


def _shown(found: PersonData) -> dict[str, object]:
    """What the page shows of a search: the places, counted and one by one, in words."""
    return {
        "found": found,
        "counts": [(PLACES[k], n) for k, n in found.counts().items()],
        "findings": [(PLACES[f.kind], f) for f in found.findings],
    }
