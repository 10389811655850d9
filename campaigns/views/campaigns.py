"""The campaign list, a campaign's page and charts, its spreadsheet template."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from campaigns.access import access_of
from campaigns.exceptions import ThuliumProblem
from campaigns.forms.intake import EmptyGridForm, PullForm, UploadForm
from campaigns.models import (
    Campaign,
    Grid,
    ThuliumSystem,
)
from campaigns.presentation.charts import record_charts
from campaigns.rules.validation import CLEAR_MARKERS
from campaigns.selectors.sendings import campaign_submissions
from campaigns.services.campaigns import (
    CampaignNotFound,
    CampaignOverview,
    campaign_open,
    campaign_overview_list,
    campaign_record_breakdown,
)
from campaigns.services.templates import campaign_template_xlsx
from campaigns.services.validation import campaign_rules
from campaigns.views.common import (
    AuthenticatedRequest,
    page_client,
    place_permission_required,
    place_perms,
    system_or_404,
)


@dataclass
class SystemSection:
    """One system on the campaign list: its campaigns the person sees, or why none are shown."""

    system: ThuliumSystem
    campaigns: list[CampaignOverview]
    problem: str | None


@require_GET
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    """One section per system the person sees, with the campaigns of it they see."""
    access = access_of(request.user)
    sections = []
    for system in ThuliumSystem.objects.filter(access.systems_q()):
        campaigns: list[CampaignOverview] = []
        problem = None
        try:
            with page_client(system) as client:
                campaigns = [
                    c
                    for c in campaign_overview_list(client=client)
                    if access.sees_campaign(system.pk, c.id)
                ]
        except ThuliumProblem as error:
            problem = error.text
        sections.append(SystemSection(system, campaigns, problem))
    template = "campaigns/campaign_list.html"
    if request.htmx:
        template += "#campaign-table"
    context = {
        "sections": sections,
        # Each section says its system where the install has several, even to one who sees one.
        "named": len(sections) > 1 or ThuliumSystem.objects.count() > 1,
        "first_run": not Grid.objects.filter(access.campaigns_q("campaign__")).exists(),
    }
    return render(request, template, context)


def _open_campaign(
    system: ThuliumSystem, campaign_id: str
) -> tuple[Campaign | None, list[Any], str | None]:
    """The campaign and its statuses; when Thulium fails, what we know and why not more."""
    try:
        with page_client(system) as client:
            campaign, rules = campaign_open(system=system, thulium_id=campaign_id, client=client)
            return campaign, list(rules.statuses), None
    except CampaignNotFound:
        return (
            None,
            [],
            _("Thulium system %(system)s has no campaign %(id)s. Pick a campaign from the list.")
            % {"system": system.name, "id": campaign_id},
        )
    except ThuliumProblem as problem:
        known = Campaign.objects.filter(system=system, thulium_id=campaign_id).first()
        return known, [], problem.text


# Grids and sendings the campaign page lists before "show all".
WORK_SHOWN = 5


def campaign_page(
    request: AuthenticatedRequest,
    system: ThuliumSystem,
    campaign_id: str,
    *,
    upload_form: UploadForm | None = None,
    pull_form: PullForm | None = None,
    problem: str | None = None,
    status: int = 200,
) -> HttpResponse:
    campaign, statuses, thulium_problem = _open_campaign(system, campaign_id)
    # The work leads: the newest grids and sendings fit above the fold; "all" shows the rest.
    every = request.GET.get("all", "")
    grids = list(campaign.grids.select_related("author")[:50]) if campaign else []
    grids_shown = len(grids) if every == "grids" else WORK_SHOWN
    submissions = (
        campaign_submissions(campaign, limit=50 if every == "sendings" else WORK_SHOWN + 1)
        if campaign
        else []
    )
    sendings_shown = len(submissions) if every == "sendings" else WORK_SHOWN
    context = {
        "system": system,
        "here": place_perms(request.user, system.pk, campaign_id),
        "campaign_id": campaign_id,
        "campaign": campaign,
        "grids": grids[:grids_shown],
        "grids_more": len(grids) > grids_shown,
        "grids_total": campaign.grids.count() if campaign and len(grids) > grids_shown else 0,
        "submissions": submissions[:sendings_shown],
        "submissions_more": len(submissions) > sendings_shown,
        "upload_form": upload_form or UploadForm(),
        "empty_form": EmptyGridForm(prefix="empty"),
        "pull_form": pull_form or PullForm(statuses=statuses),
        "problem": problem or thulium_problem,
        "clear_markers": sorted(CLEAR_MARKERS),
        "max_rows": settings.INTAKE_MAX_ROWS,
        "max_megabytes": settings.INTAKE_MAX_BYTES // 1_000_000,
    }
    if campaign is None and status == 200:
        status = 404
    return render(request, "campaigns/campaign_detail.html", context, status=status)


@require_GET
@place_permission_required("campaigns.view_campaign")
def campaign_detail(request: AuthenticatedRequest, system: str, campaign_id: str) -> HttpResponse:
    place = system_or_404(request, system, campaign_id, "campaigns.view_campaign")
    return campaign_page(request, place, campaign_id)


@require_GET
@place_permission_required("campaigns.view_campaign")
def campaign_charts(request: AuthenticatedRequest, system: str, campaign_id: str) -> HttpResponse:
    """The campaign's records at a glance; loaded after the page, as it asks Thulium for a
    count per status."""
    place = system_or_404(request, system, campaign_id, "campaigns.view_campaign")
    campaign = get_object_or_404(Campaign, system=place, thulium_id=campaign_id)
    charts, problem = [], None
    try:
        with page_client(place) as client:
            charts = record_charts(campaign_record_breakdown(campaign=campaign, client=client))
    except ThuliumProblem as error:
        problem = error.text
    template = "campaign_detail.html#campaign-charts" if request.htmx else "campaign_charts.html"
    return render(
        request,
        f"campaigns/{template}",
        {
            "campaign": campaign,
            "charts": charts,
            "problem": problem,
            "here": place_perms(request.user, place.pk, campaign_id),
        },
    )


@require_GET
@place_permission_required("campaigns.view_campaign")
def campaign_template(request: AuthenticatedRequest, system: str, campaign_id: str) -> HttpResponse:
    place = system_or_404(request, system, campaign_id, "campaigns.view_campaign")
    campaign = get_object_or_404(Campaign, system=place, thulium_id=campaign_id)
    try:
        with page_client(place) as client:
            rules = campaign_rules(campaign=campaign, client=client)
    except ThuliumProblem as problem:
        messages.error(request, problem.text)
        return redirect("campaigns:detail", system=place.name, campaign_id=campaign_id)
    # ?mode= picks the template of a mode (an unknown one is the edit grid's, as with none).
    mode = request.GET.get("mode", "")
    mode = mode if mode in Grid.Mode.values else Grid.Mode.EDIT
    response = HttpResponse(
        campaign_template_xlsx(campaign=campaign, rules=rules, mode=mode),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    suffix = "" if mode == Grid.Mode.EDIT else f"-{mode}"
    response["Content-Disposition"] = f'attachment; filename="kampania-{campaign_id}{suffix}.xlsx"'
    return response
