"""The campaign list, a campaign's page and charts, its spreadsheet template. What they show
from Thulium comes from the figures kept of it (services/snapshots.py), never from Thulium in
the request, but for figures never read yet."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import trigger_client_event

from campaigns.access import access_of
from campaigns.exceptions import ThuliumProblem
from campaigns.forms.intake import EmptyGridForm, PullForm, UploadForm
from campaigns.models import (
    Campaign,
    Grid,
    ThuliumSnapshot,
    ThuliumSystem,
)
from campaigns.presentation.charts import record_charts
from campaigns.rules.validation import CLEAR_MARKERS
from campaigns.selectors.sendings import campaign_submissions
from campaigns.services.campaigns import CampaignOverview, campaign_for
from campaigns.services.snapshots import (
    UNKNOWN_ID_REREAD,
    snapshot_breakdown,
    snapshot_campaign,
    snapshot_campaigns,
    snapshot_failed_lately,
    snapshot_of,
    snapshot_read,
    snapshot_reading,
    snapshot_refresh_claim,
    snapshot_statuses,
)
from campaigns.services.templates import campaign_template_xlsx
from campaigns.services.validation import campaign_rules
from campaigns.tasks import refresh_thulium_snapshot
from campaigns.views.common import (
    AuthenticatedRequest,
    page_client,
    place_permission_required,
    place_perms,
    system_or_404,
)


@dataclass
class SystemSection:
    """One system on the campaign list: its campaigns the person sees, as last read from
    Thulium (`figures`: when, and the last read's problem)."""

    system: ThuliumSystem
    campaigns: list[CampaignOverview]
    figures: ThuliumSnapshot
    reading: bool

    @property
    def problem(self) -> str | None:
        """Why no campaigns can be shown: Thulium's figures were never read."""
        return self.figures.problem_text if self.figures.figures is None else None


def _ask_for_a_read(snapshot: ThuliumSnapshot, *, now_anyway: bool = False) -> None:
    """Queue one background read of the figures when they are due (or a person asks)."""
    if snapshot_refresh_claim(snapshot=snapshot, now_anyway=now_anyway):
        refresh_thulium_snapshot.enqueue(snapshot.pk)


def _figures(snapshot: ThuliumSnapshot) -> ThuliumSnapshot:
    """Figures for a page: as kept, a read queued when they are old. Only figures never read
    are read in the request (there is nothing else to show), unless that read failed a moment
    ago: its problem is shown at once."""
    if snapshot.figures is None:
        if snapshot_failed_lately(snapshot):
            return snapshot
        return snapshot_read(snapshot=snapshot, deadline=settings.THULIUM["PAGE_DEADLINE"])
    _ask_for_a_read(snapshot)
    return snapshot


@require_http_methods(["GET", "POST"])
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    """One section per system the person sees, with the campaigns of it they see, from the
    figures last read from Thulium; a POST (“Refresh now”) asks for a read of each."""
    access = access_of(request.user)
    sections = []
    for system in ThuliumSystem.objects.filter(access.systems_q()):
        figures = _figures(snapshot_of(system=system))
        if request.method == "POST":
            _ask_for_a_read(figures, now_anyway=True)
        campaigns = [
            c for c in snapshot_campaigns(figures) if access.sees_campaign(system.pk, c.id)
        ]
        sections.append(SystemSection(system, campaigns, figures, snapshot_reading(figures)))
    if request.method == "POST" and not request.htmx:
        return redirect("campaigns:list")
    template = "campaigns/campaign_list.html"
    if request.htmx:
        template += "#campaign-table"
    context = {
        "sections": sections,
        "reading": any(section.reading for section in sections),
        # Each section says its system where the install has several, even to one who sees one.
        "named": len(sections) > 1 or ThuliumSystem.objects.count() > 1,
        "first_run": not Grid.objects.filter(access.campaigns_q("campaign__")).exists(),
    }
    return render(request, template, context)


@dataclass(frozen=True)
class OpenCampaign:
    """The campaign a page shows, from the figures kept of Thulium: our record of it (None
    when Thulium has no such campaign, or could not say), its figures, and why not more."""

    campaign: Campaign | None
    figures: ThuliumSnapshot | None
    problem: str | None


def _open_campaign(system: ThuliumSystem, campaign_id: str) -> OpenCampaign:
    listing = _figures(snapshot_of(system=system))
    found = snapshot_campaign(listing, campaign_id)
    if (
        found is None
        and listing.read_at is not None
        and timezone.now() - listing.read_at > UNKNOWN_ID_REREAD
    ):
        # Perhaps made in Thulium since the list was read: look again before saying "no".
        listing = snapshot_read(snapshot=listing, deadline=settings.THULIUM["PAGE_DEADLINE"])
        found = snapshot_campaign(listing, campaign_id)
    if found is None and listing.figures is None:
        known = Campaign.objects.filter(system=system, thulium_id=campaign_id).first()
        return OpenCampaign(known, None, listing.problem_text)
    if found is None:
        return OpenCampaign(
            None,
            None,
            _("Thulium system %(system)s has no campaign %(id)s. Pick a campaign from the list.")
            % {"system": system.name, "id": campaign_id},
        )
    campaign = campaign_for(system=system, thulium_id=found.id, name=found.name)
    figures = _figures(snapshot_of(system=system, thulium_id=campaign_id))
    return OpenCampaign(
        campaign, figures, figures.problem_text if figures.figures is None else None
    )


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
    opened = _open_campaign(system, campaign_id)
    campaign, figures = opened.campaign, opened.figures
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
        "figures": figures,
        "reading": figures is not None and snapshot_reading(figures),
        "grids": grids[:grids_shown],
        "grids_more": len(grids) > grids_shown,
        "grids_total": campaign.grids.count() if campaign and len(grids) > grids_shown else 0,
        "submissions": submissions[:sendings_shown],
        "submissions_more": len(submissions) > sendings_shown,
        "upload_form": upload_form or UploadForm(),
        "empty_form": EmptyGridForm(prefix="empty"),
        "pull_form": pull_form
        or PullForm(statuses=snapshot_statuses(figures) if figures is not None else []),
        "problem": problem or opened.problem,
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
    """The campaign's records at a glance, from the figures last read from Thulium; loaded
    after the page, and again when a read of the figures lands."""
    place = system_or_404(request, system, campaign_id, "campaigns.view_campaign")
    campaign = get_object_or_404(Campaign, system=place, thulium_id=campaign_id)
    figures = _figures(snapshot_of(system=place, thulium_id=campaign_id))
    breakdown = snapshot_breakdown(figures)
    template = "campaign_detail.html#campaign-charts" if request.htmx else "campaign_charts.html"
    return render(
        request,
        f"campaigns/{template}",
        {
            "campaign": campaign,
            "charts": record_charts(breakdown) if breakdown is not None else [],
            "problem": figures.problem_text if breakdown is None else None,
            "figures": figures,
            "reading": snapshot_reading(figures),
            "here": place_perms(request.user, place.pk, campaign_id),
        },
    )


@require_http_methods(["GET", "POST"])
@place_permission_required("campaigns.view_campaign")
def campaign_figures(request: AuthenticatedRequest, system: str, campaign_id: str) -> HttpResponse:
    """How old the campaign's figures are (polled while a read is under way: when it lands,
    the charts are drawn again); a POST (“Refresh now”) asks for a read."""
    place = system_or_404(request, system, campaign_id, "campaigns.view_campaign")
    campaign = get_object_or_404(Campaign, system=place, thulium_id=campaign_id)
    figures = snapshot_of(system=place, thulium_id=campaign_id)
    if request.method == "POST":
        _ask_for_a_read(figures, now_anyway=True)
        if not request.htmx:
            return redirect("campaigns:detail", system=place.name, campaign_id=campaign_id)
    reading = snapshot_reading(figures)
    response = render(
        request,
        "campaigns/campaign_detail.html#figures-age",
        {"campaign": campaign, "figures": figures, "reading": reading},
    )
    if request.GET.get("was") == "reading" and not reading:
        trigger_client_event(response, "figures-read")
    return response


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
