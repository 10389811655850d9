"""Sending a grid: the review, its options, the sending itself and its progress; stopping and
reverting a sending."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import (
    HttpResponseClientRedirect,
    HttpResponseClientRefresh,
)

from campaigns.exceptions import Problem, ThuliumProblem
from campaigns.forms.editing import GridForm
from campaigns.forms.sending import ReviewForm, SendForm, SendingOptionsForm
from campaigns.models import Duplicates, Grid, MatchBy, Submission
from campaigns.services.revert import grid_revert_grids, submission_revert_grids
from campaigns.services.review import (
    grid_can_find_by_identifier,
    grid_read_is_recent,
    grid_review,
    grid_review_read,
    grid_sending_options_set,
)
from campaigns.services.submissions import submission_cancel, submission_create, submissions_reap
from campaigns.views.common import (
    AuthenticatedRequest,
    back_to_grid,
    grid_or_404,
    grid_perms,
    grid_post,
    live_rules,
    page_client,
    place_permission_required,
    problem_response,
    sending_context,
)


@require_http_methods(["GET", "POST"])
@place_permission_required("campaigns.add_submission")
def grid_review_view(request: AuthenticatedRequest, grid_id: int) -> HttpResponse:
    """The review before a sending. POST reads the campaign's records, then shows the review
    (GET) of what a sending would change as of that read."""
    grid = grid_or_404(request, grid_id, "campaigns.add_submission")
    form = ReviewForm(request.POST if request.method == "POST" else request.GET)
    form.is_valid()  # lenient fields: always valid
    resend, include_unchanged = form.cleaned_data["resend"], form.cleaned_data["unchanged"]
    query = urlencode(
        {
            name: "yes"
            for name, chosen in (("resend", resend), ("unchanged", include_unchanged))
            if chosen
        }
    )
    again = form.cleaned_data["again"]
    if request.method == "POST" and (again or not grid_read_is_recent(grid)):
        try:
            with page_client(grid.campaign.system) as client:
                read = grid_review_read(grid=grid, client=client)
        except Problem as problem:  # Thulium, or a grid being sent meanwhile
            return problem_response(request, grid, problem)
        request.session[f"review-read-{grid.pk}"] = [read.records, round(read.seconds, 2)]
    elif request.method == "POST":
        # The grid's own recent read stands (the one made while its file was mapped, say).
        request.session.pop(f"review-read-{grid.pk}", None)
    if request.method == "POST":
        url = reverse("campaigns:grid_review", args=[grid.pk])
        url = f"{url}?{query}" if query else url
        # Sent by htmx, the page stayed to show the read's progress: now it goes to the review.
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    try:
        rules = live_rules(grid)
    except ThuliumProblem as problem:
        return problem_response(request, grid, problem)
    review = grid_review(grid=grid, rules=rules, resend=resend, include_unchanged=include_unchanged)
    records, seconds = request.session.get(f"review-read-{grid.pk}", [None, None])
    return render(
        request,
        "campaigns/grid_review.html",
        {
            "grid": grid,
            "review": review,
            "records_read": records,
            "read_seconds": seconds,
            "max_age_minutes": round(settings.SUBMISSION_REVIEW_MAX_AGE / 60),
            "canary_rows": settings.SUBMISSION_CANARY_ROWS,
            "duplicates_choices": Duplicates.choices,
            "match_by_choices": MatchBy.choices if grid_can_find_by_identifier(grid) else [],
            "query": query,
        },
    )


@require_GET
@place_permission_required("campaigns.add_submission")
def grid_read_progress(request: AuthenticatedRequest, grid_id: int) -> JsonResponse:
    """How far the review's read of the campaign is ({} when none runs); the page polls it."""
    grid = grid_or_404(request, grid_id, "campaigns.add_submission")
    return JsonResponse(grid.read_progress or {})


@grid_post(SendingOptionsForm, permission="campaigns.add_submission")
def grid_sending_options(
    request: AuthenticatedRequest, grid: Grid, form: SendingOptionsForm
) -> HttpResponse:
    """How the rows find their records (additional numbers, numbers held twice)."""
    grid_sending_options_set(
        grid=grid,
        search_additional=form.cleaned_data["search_additional"],
        duplicates=form.cleaned_data["duplicates"],
        match_by=form.cleaned_data["match_by"],
        rules=live_rules(grid),
        actor=request.user,
    )
    messages.success(request, _("Sending options saved; the rows were checked again."))
    url = reverse("campaigns:grid_review", args=[grid.pk])
    query = form.cleaned_data["return_query"]
    return redirect(f"{url}?{query}" if query else url)


@grid_post(SendForm, permission="campaigns.add_submission")
def grid_send(request: AuthenticatedRequest, grid: Grid, form: SendForm) -> HttpResponse:
    resend = form.cleaned_data["resend"]
    submission_create(
        grid=grid,
        author=request.user,
        rules=live_rules(grid),
        review=form.cleaned_data["review"],
        resend=resend,
        include_unchanged=form.cleaned_data["unchanged"],
        confirmed_count=form.cleaned_data["confirm"],
    )
    messages.success(
        request,
        _("Sending the failed rows again.") if resend else _("Sending started."),
    )
    return redirect("campaigns:grid_detail", grid_id=grid.pk)


@require_GET
@place_permission_required("campaigns.view_grid")
def grid_progress(request: AuthenticatedRequest, grid_id: int) -> HttpResponse:
    """The sending panel; htmx polls it while a submission is active."""
    grid = grid_or_404(request, grid_id, "campaigns.view_grid")
    submissions_reap()
    context = sending_context(grid)
    submission = context["submission"]
    if request.htmx and submission is not None and not submission.active:
        # Done: reload the page so every row shows its badge.
        return HttpResponseClientRefresh()
    return render(
        request,
        "campaigns/grid_detail.html#sending",
        {"grid": grid, "here": grid_perms(request.user, grid), **context},
    )


@grid_post(GridForm, permission="campaigns.change_submission")
def submission_stop(
    request: AuthenticatedRequest, grid: Grid, form: GridForm, *, submission_id: int
) -> HttpResponse:
    submission = get_object_or_404(Submission, pk=submission_id, grid=grid)
    if submission_cancel(submission=submission):
        messages.info(
            request,
            _(
                "Sending cancelled. Its rows not sent yet are marked “Not sent”: resend them "
                "when you are ready."
            ),
        )
    else:
        messages.info(request, _("Sending stops before its next chunk."))
    return back_to_grid(request, grid)


@grid_post(GridForm, permission="campaigns.add_grid")
def submission_revert_view(
    request: AuthenticatedRequest, grid: Grid, form: GridForm, *, submission_id: int
) -> HttpResponse:
    submission = get_object_or_404(Submission, pk=submission_id, grid=grid)
    revert, *more = submission_revert_grids(
        submission=submission, author=request.user, rules=live_rules(grid)
    )
    messages.success(
        request,
        _("This grid puts back the values from before sending #%(id)s. Review it, then send it.")
        % {"id": submission.pk},
    )
    _say_second_revert(request, revert, more)
    return redirect("campaigns:grid_detail", grid_id=revert.pk)


def _say_second_revert(request: AuthenticatedRequest, first: Grid, more: list[Grid]) -> None:
    """An upsert grid is undone by two grids: the page opens the first and names the other."""
    for other in more:
        messages.info(
            request,
            _(
                "Records the sending added are removed by another grid, #%(other)s; this grid "
                "#%(first)s puts back the records it updated. Review and send both."
            )
            % {"other": other.pk, "first": first.pk},
        )


@grid_post(GridForm, permission="campaigns.add_grid")
def grid_revert_view(request: AuthenticatedRequest, grid: Grid, form: GridForm) -> HttpResponse:
    """One grid that puts back every record any sending of this grid touched."""
    revert, *more = grid_revert_grids(grid=grid, author=request.user, rules=live_rules(grid))
    messages.success(
        request,
        _(
            "This grid puts back every record the sendings of grid #%(id)s changed, as it was "
            "before the first of them. Review it, then send it."
        )
        % {"id": grid.pk},
    )
    _say_second_revert(request, revert, more)
    return redirect("campaigns:grid_detail", grid_id=revert.pk)
