"""Making a grid: upload a file, pull records from Thulium or start empty; then confirm its
columns."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from campaigns.exceptions import FileProblem, MappingProblem, ThuliumProblem
from campaigns.forms.intake import EmptyGridForm, MappingForm, PullForm, UploadForm
from campaigns.intake.headers import target_for_header
from campaigns.models import (
    Campaign,
    Grid,
)
from campaigns.rules.validation import CampaignRules
from campaigns.services.campaigns import (
    CampaignNotFound,
    campaign_open,
)
from campaigns.services.connection import thulium_session
from campaigns.services.grids import (
    PullFilters,
    grid_column_samples,
    grid_confirm_mapping,
    grid_create_empty,
    grid_create_from_file,
    grid_create_from_thulium,
    grid_samples,
)
from campaigns.services.listing import campaign_listing_want, grid_listing_status
from campaigns.services.mapping import column_value_guess
from campaigns.services.validation import campaign_rules_cached
from campaigns.tasks import read_campaign_listing
from campaigns.views.campaigns import campaign_page
from campaigns.views.common import (
    AuthenticatedRequest,
    grid_or_404,
    page_client,
    place_permission_required,
    system_or_404,
)


@require_POST
@place_permission_required("campaigns.add_grid")
def grid_upload(request: AuthenticatedRequest, system: str, campaign_id: str) -> HttpResponse:
    place = system_or_404(request, system, campaign_id, "campaigns.add_grid")
    form = UploadForm(request.POST, request.FILES)
    campaign = Campaign.objects.filter(system=place, thulium_id=campaign_id).first()
    if campaign is None:
        return campaign_page(request, place, campaign_id)
    if not form.is_valid():
        return campaign_page(request, place, campaign_id, upload_form=form, status=400)
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
        form.add_error("file", str(problem.text))
        return campaign_page(request, place, campaign_id, upload_form=form, status=400)
    if campaign_listing_want(campaign=campaign, grid=grid):
        read_campaign_listing.enqueue(campaign.pk)
    return redirect("campaigns:grid_mapping", grid_id=grid.pk)


@require_POST
@place_permission_required("campaigns.add_grid")
def grid_pull(request: AuthenticatedRequest, system: str, campaign_id: str) -> HttpResponse:
    place = system_or_404(request, system, campaign_id, "campaigns.add_grid")
    try:
        with page_client(place) as client:
            campaign, rules = campaign_open(system=place, thulium_id=campaign_id, client=client)
            form = PullForm(request.POST, statuses=rules.statuses)
            if not form.is_valid():
                return campaign_page(request, place, campaign_id, pull_form=form, status=400)
            # A pull pages through every matching record: give it a job's deadline per call.
            with thulium_session(system=place) as job_client:
                grid = grid_create_from_thulium(
                    campaign=campaign,
                    author=request.user,
                    filters=PullFilters(**form.cleaned_data),
                    client=job_client,
                )
    except (ThuliumProblem, CampaignNotFound) as error:
        problem = error.text if isinstance(error, ThuliumProblem) else None
        return campaign_page(request, place, campaign_id, problem=problem, status=502)
    return redirect("campaigns:grid_detail", grid_id=grid.pk)


@require_POST
@place_permission_required("campaigns.add_grid")
def grid_empty(request: AuthenticatedRequest, system: str, campaign_id: str) -> HttpResponse:
    place = system_or_404(request, system, campaign_id, "campaigns.add_grid")
    campaign = get_object_or_404(Campaign, system=place, thulium_id=campaign_id)
    form = EmptyGridForm(request.POST, prefix="empty")
    mode = (form.cleaned_data["mode"] if form.is_valid() else "") or Grid.Mode.EDIT
    grid = grid_create_empty(campaign=campaign, author=request.user, mode=mode)
    return redirect("campaigns:grid_detail", grid_id=grid.pk)


@require_http_methods(["GET", "POST"])
@place_permission_required("campaigns.add_grid")
def grid_mapping(request: AuthenticatedRequest, grid_id: int) -> HttpResponse:
    grid = grid_or_404(request, grid_id, "campaigns.add_grid")
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
            with thulium_session(system=grid.campaign.system) as client:
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
    samples = grid_samples(grid)
    firsts = grid_column_samples(grid)
    rules = campaign_rules_cached(campaign=grid.campaign)
    columns = [
        (
            header,
            column,
            learn,
            first.values,
            _filled_note(first.filled, grid.rows_total),
            _value_note(header, target, i, samples, rules),
        )
        for i, ((header, column, learn), target, first) in enumerate(
            zip(form.columns(), grid.mapping, firsts, strict=False)
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
            **listing_context(grid),
        },
        status=400 if problem else 200,
    )


def listing_context(grid: Grid, *, on_grid: bool = False) -> dict[str, Any]:
    """What templates/campaigns/listing_status.html needs."""
    listing = grid_listing_status(grid)
    return {
        "listing": listing,
        "fresh": listing is not None and listing.fresh,
        "records": (listing.progress or {}).get("records", 0) if listing else 0,
        "on_grid": on_grid,
    }


@require_GET
@place_permission_required("campaigns.view_grid")
def grid_listing(request: AuthenticatedRequest, grid_id: int) -> HttpResponse:
    """How far the campaign's listing read for this grid is (polled by htmx). On the grid page,
    a read that ended reloads the page: its rows were checked again."""
    grid = grid_or_404(request, grid_id, "campaigns.view_grid")
    on_grid = request.GET.get("on") == "grid"
    context = listing_context(grid, on_grid=on_grid)
    listing = context["listing"]
    if on_grid and request.htmx and (listing is None or listing.state != listing.State.READING):
        return HttpResponseClientRefresh()
    return render(request, "campaigns/listing_status.html", {"grid": grid, **context})


VALUE_NOTES = {
    "phone_number": gettext_lazy("%(matching)s of %(cells)s values look like phone numbers"),
    "next_call_date": gettext_lazy("%(matching)s of %(cells)s values look like dates"),
    "status": gettext_lazy("%(matching)s of %(cells)s values are statuses of this campaign"),
    "agent_login": gettext_lazy("%(matching)s of %(cells)s values are agents of this campaign"),
}


def _filled_note(filled: int | None, total: int) -> str:
    """How many of the file's rows fill a column, so an empty start does not pass for an
    empty column."""
    if filled is None:
        return ""
    return ngettext(
        "%(filled)s of %(total)s row filled", "%(filled)s of %(total)s rows filled", total
    ) % {
        "filled": number_format(filled, use_l10n=True, force_grouping=True),
        "total": number_format(total, use_l10n=True, force_grouping=True),
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
