"""What the view modules share: the request's type, the grid and its live rules, the skeleton of
a view that changes a grid (`grid_post`), the way back to the grid page, a refusal shown in
place, a row answered after an edit."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import (
    reswap,
    retarget,
)
from django_htmx.middleware import HtmxDetails

from campaigns import roles
from campaigns.access import access_of
from campaigns.exceptions import EditProblem, Problem, ThuliumProblem
from campaigns.models import (
    Chunk,
    Grid,
    Outcome,
    Row,
    Submission,
    ThuliumSystem,
)
from campaigns.presentation.charts import outcome_chart
from campaigns.presentation.outcome_words import no_answer_words
from campaigns.presentation.row_html import RowRenderer
from campaigns.rules.validation import CampaignRules
from campaigns.selectors.sendings import (
    earlier_active,
    grid_outcome_counts,
    grid_refusal_groups,
    grid_sendable_counts,
    grid_submissions,
    grid_unconfirmed_groups,
    submission_pause_counts,
)
from campaigns.services.connection import thulium_session
from campaigns.services.rows import grid_display_columns
from campaigns.services.thulium_now import rows_attach_thulium_now
from campaigns.services.undo import grid_redoable_edit, grid_undoable_edit
from campaigns.services.validation import campaign_rules


class HtmxHttpRequest(HttpRequest):
    """A request through django-htmx's middleware, which sets `request.htmx`."""

    htmx: HtmxDetails


class AuthenticatedRequest(HtmxHttpRequest):
    """What every view but the login page, language and health check receives:
    LoginRequiredMiddleware has let only a signed-in user through."""

    user: User


def page_client(system: ThuliumSystem) -> Any:
    """A client for a page: Thulium's failures come as ThuliumProblem, within the page's time."""
    return thulium_session(system=system, deadline=settings.THULIUM["PAGE_DEADLINE"])


def place_permission_required(
    permission: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """For a view that looks its place up (grid_or_404, system_or_404), which answers 404
    outside the person's places and 403 where their role there lacks `permission`. Checked
    first, object-less, it would answer 403 for a place the person does not see, whatever their
    role elsewhere: so it refuses (403) only someone without any role, who has no place whose
    ids could leak."""

    def check(user: Any) -> bool:
        if access_of(user).roles or user.has_perm(permission):
            return True
        raise PermissionDenied

    return user_passes_test(check)


def _allowed(request: AuthenticatedRequest, permission: str, obj: Any) -> None:
    """Seen, but the person's role there does not allow it: 403, as the roles say."""
    if not request.user.has_perm(permission, obj):
        raise PermissionDenied


def grid_or_404(request: AuthenticatedRequest, grid_id: int, permission: str) -> Grid:
    """The grid, if its campaign is one the person sees (else 404: ids do not leak), and their
    role there allows `permission` (else 403)."""
    grid = get_object_or_404(
        Grid.objects.select_related("campaign__system", "author").filter(
            access_of(request.user).campaigns_q("campaign__")
        ),
        pk=grid_id,
    )
    _allowed(request, permission, grid.campaign)
    return grid


def system_or_404(
    request: AuthenticatedRequest, name: str, campaign_id: str, permission: str
) -> ThuliumSystem:
    """The system named in the address, when the person sees that campaign of it (else 404),
    and their role there allows `permission` (else 403). The campaign itself may be one our
    database has not met yet: it is Thulium's."""
    system = ThuliumSystem.objects.filter(name=name).first()
    access = access_of(request.user)
    if system is None or not access.sees_campaign(system.pk, campaign_id):
        raise Http404
    role = access.role_in(system.pk, campaign_id)
    if permission not in roles.ROLES.get(role or "", []) and not request.user.is_superuser:
        raise PermissionDenied
    return system


def place_perms(user: User, system_id: int, campaign_id: str) -> dict[str, bool]:
    """What the person's role in this campaign allows, by permission name (`change_grid`), for
    a page's buttons: `perms.campaigns` answers for any of their roles, and someone may be a
    Viewer here and a Supervisor in another campaign. A template reads `here.change_grid`."""
    role = access_of(user).role_in(system_id, campaign_id)
    return {perm.split(".", 1)[1]: True for perm in roles.ROLES.get(role or "", [])}


def grid_perms(user: User, grid: Grid) -> dict[str, bool]:
    return place_perms(user, grid.campaign.system_id, grid.campaign.thulium_id)


def live_rules(grid: Grid) -> CampaignRules:
    """The campaign's live rules; edits are validated against them."""
    with page_client(grid.campaign.system) as client:
        return campaign_rules(campaign=grid.campaign, client=client)


def back_to_grid(request: AuthenticatedRequest, grid: Grid) -> HttpResponse:
    url = reverse("campaigns:grid_detail", args=[grid.pk])
    query = request.POST.get("return_query") or ""
    return redirect(f"{url}?{query}" if query else url)


def posted_again(form: forms.Form, ids: list[int]) -> list[tuple[str, str]]:
    """The posted form again, as hidden fields for the confirming post: the ticked rows as
    their ids (none when the edit covers the filter's rows)."""
    data = form.data if isinstance(form.data, QueryDict) else QueryDict()
    pairs = [
        (k, v)
        for k, values in data.lists()
        for v in values
        if k not in {"csrfmiddlewaretoken", "confirm", "rows"}
    ]
    if data.get("scope") != "filter":
        pairs += [("rows", str(i)) for i in ids]
    return pairs


def problem_response(request: AuthenticatedRequest, grid: Grid, problem: Exception) -> HttpResponse:
    text = problem.text if isinstance(problem, Problem) else str(problem)
    if request.htmx:
        response = render(
            request,
            "campaigns/grid_detail.html#grid-problem",
            {"problem": text, "here": grid_perms(request.user, grid)},
        )
        return reswap(retarget(response, "#grid-problem"), "outerHTML")
    messages.error(request, text)
    return back_to_grid(request, grid)


def grid_post[F: forms.Form](
    form_class: type[F], *, permission: str = "campaigns.change_grid"
) -> Callable[
    [Callable[Concatenate[AuthenticatedRequest, Grid, F, ...], HttpResponse]],
    Callable[..., HttpResponse],
]:
    """The skeleton of every view that posts to a grid: POST only, the permission (to change
    grids, unless told), the grid or 404, the post read by `form_class`, and a Problem a service
    raises shown in place (problem_response). The view itself calls the service and says what
    it did."""

    def decorate(
        view: Callable[Concatenate[AuthenticatedRequest, Grid, F, ...], HttpResponse],
    ) -> Callable[..., HttpResponse]:
        @require_POST
        @place_permission_required(permission)
        @functools.wraps(view)
        def change(request: AuthenticatedRequest, grid_id: int, **kwargs: Any) -> HttpResponse:
            grid = grid_or_404(request, grid_id, permission)
            form = form_class(request.POST)
            try:
                if not form.is_valid():
                    raise EditProblem(
                        " ".join(str(e) for errors in form.errors.values() for e in errors)
                    )
                return view(request, grid, form, **kwargs)
            except Problem as problem:
                return problem_response(request, grid, problem)

        return change

    return decorate


def status_and_agent_choices(grid: Grid) -> dict[str, Any]:
    """Statuses and agents for drop-downs; empty when Thulium cannot be asked right now."""
    try:
        rules = live_rules(grid)
    except ThuliumProblem as problem:
        return {
            "statuses": [],
            "agents": [],
            "agent_options": [],
            "rules_problem": problem.text,
            "rules": None,
        }
    return {
        "statuses": rules.statuses,
        "agents": rules.agents,
        "agent_options": [
            (
                a.login,
                f"{a.login} ({name})"
                if (name := grid.campaign.agent_names.get(a.login))
                else a.login,
                a.active,
            )
            for a in rules.agents
        ],
        "rules_problem": None,
        "rules": rules,
    }


def row_renderer(request: AuthenticatedRequest, grid: Grid, choices: dict[str, Any]) -> RowRenderer:
    """The row renderer for this page and reader (see campaigns.presentation.row_html)."""
    return RowRenderer(
        grid,
        grid_display_columns(grid),
        can_edit=request.user.has_perm("campaigns.change_grid", grid.campaign),
        can_see_history=request.user.has_perm("campaigns.view_auditentry", grid.campaign),
        status_names={s.status_id: s.name for s in choices.get("statuses", [])},
        agent_names=grid.campaign.agent_names,
    )


def sending_context(grid: Grid) -> dict[str, Any]:
    """The sending panel: the latest sending (live while it runs), every sending of the grid
    with what it did, and the grid's rows by their latest outcome."""
    story = grid_submissions(grid)
    latest = story[0] if story else None
    submission = latest.submission if latest else None
    chunks = list(submission.chunks.values_list("state", flat=True)) if submission else []
    done = sum(1 for state in chunks if state in {Chunk.State.DONE, Chunk.State.SKIPPED})
    to_send, to_resend = grid_sendable_counts(grid)
    counts = grid_outcome_counts(grid) if submission else {}
    return {
        "submission": submission,
        "latest": latest,
        "story": story,
        "revertible_sendings": sum(1 for item in story if item.revertible),
        "outcome_counts": [
            (value, text, counts[value]) for value, text in Outcome.choices if counts.get(value)
        ],
        "chunks_done": done,
        "chunks_total": len(chunks),
        "to_send": to_send,
        "to_resend": to_resend,
        "outcome_chart": outcome_chart(counts) if submission else None,
        "refusal_groups": grid_refusal_groups(grid) if submission else [],
        "unconfirmed_groups": grid_unconfirmed_groups(grid) if submission else [],
        "waiting_cause": (
            no_answer_words(submission.outage_status)
            if submission is not None and submission.waits_for_outage
            else ""
        ),
        "paused": submission_pause_counts(submission) if submission else None,
        # Said only when true: a queued sending may wait for a free worker, not for another.
        "queued_behind": (
            submission is not None
            and submission.state == Submission.State.QUEUED
            and earlier_active(submission)
        ),
    }


def row_response(request: AuthenticatedRequest, grid: Grid, row: Row) -> HttpResponse:
    grid.refresh_from_db()
    rows_attach_thulium_now(grid, [row])
    choices = status_and_agent_choices(grid)
    return render(
        request,
        "campaigns/grid_detail.html#row-and-counts",
        {
            # The sending panel's counts follow the edit (its send button says how many go).
            **sending_context(grid),
            "grid": grid,
            "here": grid_perms(request.user, grid),
            "row": row,
            "row_html": row_renderer(request, grid, choices).row(row),
            "columns": grid_display_columns(grid),
            # the page's undo button names the edit just made
            "last_edit": grid_undoable_edit(grid),
            "redo_edit": grid_redoable_edit(grid),
            "query": request.POST.get("return_query", ""),
        },
    )
