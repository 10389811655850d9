"""Thin views: authenticate, call one service, choose the response."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required, permission_required
from django.contrib.auth.views import LoginView
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from campaigns import roles
from campaigns.charts import record_charts
from campaigns.forms import EmptyGridForm, MappingForm, PullForm, UploadForm
from campaigns.models import Campaign, Grid
from campaigns.services.accounts import user_language_set
from campaigns.services.campaigns import (
    CampaignNotFound,
    campaign_open,
    campaign_overview_list,
    campaign_record_breakdown,
)
from campaigns.services.connection import ThuliumProblem, thulium_session
from campaigns.services.grids import (
    SAMPLE_ROWS,
    MappingProblem,
    PullFilters,
    column_value_guess,
    grid_confirm_mapping,
    grid_create_empty,
    grid_create_from_file,
    grid_create_from_thulium,
)
from campaigns.services.submissions import campaign_submissions
from campaigns.services.validation import campaign_rules_cached
from campaigns.spreadsheets import FileProblem, target_for_header
from campaigns.validation import CLEAR_MARKERS, CampaignRules

logger = logging.getLogger(__name__)


def _page_client() -> Any:
    """A client for a page: Thulium's failures come as ThuliumProblem, within the page's time."""
    return thulium_session(deadline=settings.THULIUM["PAGE_DEADLINE"])


@require_GET
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = []
    problem = None
    try:
        with _page_client() as client:
            campaigns = campaign_overview_list(client=client)
    except ThuliumProblem as error:
        problem = error.text
    template = "campaigns/campaign_list.html"
    if request.htmx:
        template += "#campaign-table"
    context = {"campaigns": campaigns, "problem": problem, "first_run": not Grid.objects.exists()}
    return render(request, template, context)


def _open_campaign(campaign_id: str) -> tuple[Campaign | None, list[Any], str | None]:
    """The campaign and its statuses; when Thulium fails, what we know and why not more."""
    try:
        with _page_client() as client:
            campaign, rules = campaign_open(thulium_id=campaign_id, client=client)
            return campaign, list(rules.statuses), None
    except CampaignNotFound:
        return (
            None,
            [],
            _("Thulium has no campaign %(id)s. Pick a campaign from the list.")
            % {"id": campaign_id},
        )
    except ThuliumProblem as problem:
        campaign = Campaign.objects.filter(thulium_id=campaign_id).first()
        return campaign, [], problem.text


def _campaign_page(
    request: HttpRequest,
    campaign_id: str,
    *,
    upload_form: UploadForm | None = None,
    pull_form: PullForm | None = None,
    problem: str | None = None,
    status: int = 200,
) -> HttpResponse:
    campaign, statuses, thulium_problem = _open_campaign(campaign_id)
    context = {
        "campaign_id": campaign_id,
        "campaign": campaign,
        "grids": campaign.grids.select_related("author")[:50] if campaign else [],
        "submissions": campaign_submissions(campaign) if campaign else [],
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
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_detail(request: HttpRequest, campaign_id: str) -> HttpResponse:
    return _campaign_page(request, campaign_id)


@require_GET
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_charts(request: HttpRequest, campaign_id: str) -> HttpResponse:
    """The campaign's records at a glance; loaded after the page, as it asks Thulium for a
    count per status."""
    campaign = get_object_or_404(Campaign, thulium_id=campaign_id)
    charts, problem = [], None
    try:
        with _page_client() as client:
            charts = record_charts(campaign_record_breakdown(campaign=campaign, client=client))
    except ThuliumProblem as error:
        problem = error.text
    template = "campaign_detail.html#campaign-charts" if request.htmx else "campaign_charts.html"
    return render(
        request,
        f"campaigns/{template}",
        {"campaign": campaign, "charts": charts, "problem": problem},
    )


@require_POST
@permission_required("campaigns.add_grid", raise_exception=True)
def grid_upload(request: HttpRequest, campaign_id: str) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    campaign = Campaign.objects.filter(thulium_id=campaign_id).first()
    if campaign is None:
        return _campaign_page(request, campaign_id)
    if not form.is_valid():
        return _campaign_page(request, campaign_id, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        grid = grid_create_from_file(
            campaign=campaign,
            author=request.user,
            data=upload.read(),
            filename=upload.name,
            delimiter=form.cleaned_data["delimiter"] or None,
            encoding=form.cleaned_data["encoding"] or None,
            mode=form.cleaned_data["mode"] or Grid.Mode.EDIT,
        )
    except FileProblem as problem:
        form.add_error("file", str(problem.message))
        return _campaign_page(request, campaign_id, upload_form=form, status=400)
    return redirect("campaigns:grid_mapping", grid_id=grid.pk)


@require_POST
@permission_required("campaigns.add_grid", raise_exception=True)
def grid_pull(request: HttpRequest, campaign_id: str) -> HttpResponse:
    try:
        with _page_client() as client:
            campaign, rules = campaign_open(thulium_id=campaign_id, client=client)
            form = PullForm(request.POST, statuses=rules.statuses)
            if not form.is_valid():
                return _campaign_page(request, campaign_id, pull_form=form, status=400)
            # A pull pages through every matching record: give it a job's deadline per call.
            with thulium_session() as job_client:
                grid = grid_create_from_thulium(
                    campaign=campaign,
                    author=request.user,
                    filters=PullFilters(**form.cleaned_data),
                    client=job_client,
                )
    except (ThuliumProblem, CampaignNotFound) as error:
        problem = error.text if isinstance(error, ThuliumProblem) else None
        return _campaign_page(request, campaign_id, problem=problem, status=502)
    return redirect("campaigns:grid_detail", grid_id=grid.pk)


@require_POST
@permission_required("campaigns.add_grid", raise_exception=True)
def grid_empty(request: HttpRequest, campaign_id: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, thulium_id=campaign_id)
    form = EmptyGridForm(request.POST, prefix="empty")
    mode = (form.cleaned_data["mode"] if form.is_valid() else "") or Grid.Mode.EDIT
    grid = grid_create_empty(campaign=campaign, author=request.user, mode=mode)
    return redirect("campaigns:grid_detail", grid_id=grid.pk)


@require_http_methods(["GET", "POST"])
@permission_required("campaigns.add_grid", raise_exception=True)
def grid_mapping(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = get_object_or_404(Grid.objects.select_related("campaign"), pk=grid_id)
    form = MappingForm(
        request.POST or None,
        headers=grid.headers,
        suggestion=grid.mapping,
        field_names=grid.campaign.field_names(),
        unknown_fields=grid.campaign.unknown_field_names(),
    )
    problem = None
    if request.method == "POST" and form.is_valid():
        try:
            with thulium_session() as client:
                grid_confirm_mapping(
                    grid=grid,
                    mapping=form.mapping(),
                    learn_fields=form.learn_fields(),
                    client=client,
                    actor=request.user,
                )
            return redirect("campaigns:grid_detail", grid_id=grid.pk)
        except MappingProblem as error:
            problem = str(error)
        except ThuliumProblem as error:
            problem = error.text
    samples = list(grid.rows.order_by("number").values_list("raw", flat=True)[:SAMPLE_ROWS])
    rules = campaign_rules_cached(campaign=grid.campaign)
    columns = [
        (
            header,
            column,
            learn,
            [row[i] for row in samples[:3] if i < len(row) and row[i]],
            _value_note(header, target, i, samples, rules),
        )
        for i, ((header, column, learn), target) in enumerate(
            zip(form.columns(), grid.mapping, strict=False)
        )
    ]
    return render(
        request,
        "campaigns/grid_mapping.html",
        {
            "grid": grid,
            "form": form,
            "columns": columns,
            "problem": problem,
            "known_fields": grid.campaign.fields.all(),
        },
        status=400 if problem else 200,
    )


VALUE_NOTES = {
    "phone_number": gettext_lazy("%(matching)s of %(cells)s values look like phone numbers"),
    "next_call_date": gettext_lazy("%(matching)s of %(cells)s values look like dates"),
    "status": gettext_lazy("%(matching)s of %(cells)s values are statuses of this campaign"),
    "agent_login": gettext_lazy("%(matching)s of %(cells)s values are agents of this campaign"),
}


def _value_note(
    header: str, target: str, column: int, samples: list[Any], rules: CampaignRules | None
) -> str:
    """Why a column goes where it goes when its header did not say: how many of its first
    values look right for the target (how sure the suggestion is)."""
    if not target or target_for_header(header) == target:
        return ""
    guess = column_value_guess(target, column, samples, rules)
    if guess is None or not guess.cells:
        return ""
    return str(VALUE_NOTES[target] % {"matching": guess.matching, "cells": guess.cells})


@login_not_required
def log_in(request: HttpRequest) -> HttpResponse:
    """Django's login page; against the demo sandbox it also lists the demo accounts."""
    demo = [
        (name, password, roles.LABELS.get(role, role))
        for name, password, role in settings.DEMO_LOGINS
    ]
    return LoginView.as_view(extra_context={"demo_logins": demo})(request)


@login_not_required
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, safe redirect), and for a logged-in user remembered with
    their account, so the language follows them to any browser."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_language_set(user=request.user, session=request.session, language=language)
    return response


@login_not_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and `make run`: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
