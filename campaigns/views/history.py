"""History pages: who changed what, when; and one phone number's timeline."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaigns.access import access_of
from campaigns.intake.text import ascii_int
from campaigns.models import AuditEntry, ThuliumSystem
from campaigns.presentation.audit_sentences import entries_said
from campaigns.presentation.charts import activity_charts
from campaigns.services.history import (
    HistoryFilter,
    history_activity,
    history_export,
    history_page,
    phone_timeline_shown,
)
from campaigns.views.common import AuthenticatedRequest

PAGE_SIZE = 100


ACTIVITY_DAYS = 30


@require_GET
@permission_required("campaigns.view_auditentry", raise_exception=True)
def history(request: AuthenticatedRequest) -> HttpResponse:
    filters = HistoryFilter.from_query(request.GET)
    access = access_of(request.user)
    systems = list(ThuliumSystem.objects.filter(access.systems_q()).values_list("name", flat=True))
    if filters.system and filters.system not in systems:
        # A system the person does not see is, for them, not there.
        raise Http404
    fmt = request.GET.get("export", "")
    if fmt in {"csv", "xlsx"}:
        response = HttpResponse(
            history_export(filters, fmt, access=access, actor=request.user),
            content_type="text/csv; charset=utf-8"
            if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="historia.{fmt}"'
        return response
    before = request.GET.get("before", "")
    entries = history_page(filters, access=access, before=ascii_int(before), size=PAGE_SIZE)
    params = {
        k: v
        for k, v in request.GET.items()
        if k in {"system", "campaign", "user", "action", "since", "until"} and v
    }
    return render(
        request,
        "campaigns/history.html",
        {
            "entries": entries,
            "shown": entries_said(
                entries,
                systems=dict(ThuliumSystem.objects.values_list("pk", "name")),
                earlier=ThuliumSystem.objects.filter(earlier_history=True)
                .values_list("name", flat=True)
                .first()
                or "",
            ),
            "filters": filters,
            "query": urlencode(params),
            "next_before": entries[-1].pk if len(entries) == PAGE_SIZE else None,
            "actions": AuditEntry.Action.choices,
            # The systems the person sees, to narrow the list to one (campaign ids repeat).
            "systems": systems,
            "activity_days": ACTIVITY_DAYS,
            # on the first page only: later pages go back in the list, not in the charts
            "charts": []
            if before
            else activity_charts(
                history_activity(
                    access=access,
                    days=ACTIVITY_DAYS,
                    system=filters.system,
                    campaign=filters.campaign,
                )
            ),
        },
    )


@require_GET
@permission_required("campaigns.view_auditentry", raise_exception=True)
def phone_history(request: AuthenticatedRequest, phone: str) -> HttpResponse:
    return render(
        request,
        "campaigns/phone_history.html",
        {
            "phone": phone,
            "timeline": phone_timeline_shown(phone, access=access_of(request.user), limit=500),
        },
    )
