"""The recurring imports a person may see (those of campaigns they are given), and one import's
runs: the files taken, the grids and sendings made, how each ended."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from campaigns.access import access_of
from campaigns.models import Import
from campaigns.views.common import AuthenticatedRequest

RUNS_SHOWN = 200


@require_GET
@permission_required("campaigns.view_campaign", raise_exception=True)
def import_list(request: AuthenticatedRequest) -> HttpResponse:
    imports = (
        Import.objects.filter(access_of(request.user).campaigns_q("campaign__"))
        .select_related("campaign__system", "owner")
        .prefetch_related("runs")
    )
    shown = [(imp, imp.runs.all()[:1]) for imp in imports]
    return render(request, "campaigns/import_list.html", {"imports": shown})


@require_GET
@permission_required("campaigns.view_campaign", raise_exception=True)
def import_detail(request: AuthenticatedRequest, import_id: int) -> HttpResponse:
    imp = get_object_or_404(
        Import.objects.filter(access_of(request.user).campaigns_q("campaign__")).select_related(
            "campaign__system", "owner"
        ),
        pk=import_id,
    )
    runs = imp.runs.select_related("grid", "submission")[:RUNS_SHOWN]
    return render(request, "campaigns/import_detail.html", {"imp": imp, "runs": runs})
