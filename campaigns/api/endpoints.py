"""The API's routes: what a supervisor does on the pages, as JSON. Each route finds what it
works on as the pages do (grid_or_404, system_or_404: 404 outside the token user's grants, 403
where their role there lacks the right), calls the pages' service and answers its result. A
`Problem` a service raises is answered as {"detail": its text}, in the language the request
asks for (Accept-Language, through LocaleMiddleware)."""

from __future__ import annotations

from typing import Any, Literal, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import File, Form, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, Throttled
from ninja.files import UploadedFile

from campaigns.access import access_of
from campaigns.api.answers import grid_out, problem_out, review_out, row_out, sending_out
from campaigns.api.schemas import (
    ErrorOut,
    GridOut,
    ProblemOut,
    ResultOut,
    ResultPageOut,
    ReviewIn,
    ReviewOut,
    RowPageOut,
    SendIn,
    SendingOut,
)
from campaigns.api.tokens import TokenAuth, TokenRate
from campaigns.exceptions import MappingProblem, Problem, ThuliumProblem
from campaigns.forms.intake import UploadForm
from campaigns.models import Campaign, Grid, Submission
from campaigns.services.campaigns import CampaignNotFound, campaign_open
from campaigns.services.connection import thulium_session
from campaigns.services.exports import csv_delimiter, grid_export, grid_export_name
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.listing import campaign_listing_want
from campaigns.services.problems import grid_problem_groups
from campaigns.services.revert import grid_revert, submission_revert
from campaigns.services.review import grid_read_is_recent, grid_review, grid_review_read
from campaigns.services.rows import RowFilter, grid_row_page
from campaigns.services.submissions import submission_create, submissions_reap
from campaigns.services.validation import campaign_rules_cached
from campaigns.tasks import read_campaign_listing
from campaigns.views.common import (
    AuthenticatedRequest,
    grid_or_404,
    live_rules,
    page_client,
    system_or_404,
)
from campaigns.views.grid import EXPORT_TYPES

MAX_PAGE = 500
ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    429: ErrorOut,
    502: ErrorOut,
}

api = NinjaAPI(
    title="Thulium campaign dashboard",
    version="1",
    description=(
        "What a supervisor does on the pages, for integrations. Send a token made on "
        "/account/tokens/ as `Authorization: Bearer …`: it acts with its user's role and grants. "
        'Errors are `{"detail": …}` in the language of `Accept-Language`.'
    ),
    auth=TokenAuth(),
    throttle=TokenRate(),
    urls_namespace="api",
)


def _person(request: HttpRequest) -> AuthenticatedRequest:
    """The request as the pages' lookups take it: TokenAuth has set its user. Someone with no
    role anywhere is refused (403) as the pages refuse them (place_permission_required): they
    have no place whose ids could leak."""
    person = cast(AuthenticatedRequest, request)
    if not access_of(person.user).roles:
        raise PermissionDenied
    return person


# --- errors -----------------------------------------------------------------------------------


def _detail(request: HttpRequest, text: Any, status: int) -> HttpResponse:
    return api.create_response(request, {"detail": str(text)}, status=status)


@api.exception_handler(Problem)
def _problem(request: HttpRequest, problem: Problem) -> HttpResponse:
    return _detail(request, problem.text, 502 if isinstance(problem, ThuliumProblem) else 400)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return _detail(request, _("Not found."), 404)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return _detail(
        request,
        _(
            "Your account may not do this. Viewers can read campaigns, grids and history; "
            "supervisors can also upload, edit and send; administrators can also keep field "
            "lists and users. Ask an administrator for the role you need."
        ),
        403,
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    response = _detail(
        request,
        _(
            "Send a valid API token as “Authorization: Bearer …”. Tokens are made and revoked "
            "on the API tokens page."
        ),
        401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, error: Throttled) -> HttpResponse:
    return _detail(request, _("Too many requests with this token: wait, then try again."), 429)


def _submission_or_404(request: HttpRequest, submission_id: int, permission: str) -> Submission:
    """The sending, if its grid is one the person sees (else 404) and their role there allows
    `permission` (else 403)."""
    grid_id = Submission.objects.filter(pk=submission_id).values_list("grid_id", flat=True).first()
    if grid_id is None:
        raise Http404
    grid = grid_or_404(_person(request), grid_id, permission)
    submission = Submission.objects.get(pk=submission_id)
    submission.grid = grid
    return submission


# --- routes -----------------------------------------------------------------------------------


@api.post(
    "/campaigns/{system}/{campaign_id}/grids",
    response={201: GridOut, **ERRORS},
    summary="Upload a file to a campaign",
    tags=["grids"],
)
def grid_upload(
    request: HttpRequest,
    system: str,
    campaign_id: str,
    file: File[UploadedFile],
    mode: Form[Literal["", "edit", "add", "remove"]] = "",
    delimiter: Form[str] = "",
    encoding: Form[str] = "",
) -> Status[GridOut]:
    """Read a CSV, XLSX or ODS file into a grid of the campaign and confirm its columns as
    suggested (headers, the campaign's remembered mapping): the rows are checked at once. The
    answer counts the rows by state and groups their problems. When the columns cannot be
    confirmed as suggested, the grid waits for its mapping on its page (`mapping_problem`)."""
    person = _person(request)
    place = system_or_404(person, system, campaign_id, "campaigns.add_grid")
    # `file` is declared for the schema; the page's form reads and checks it as it arrived.
    form = UploadForm({"mode": mode, "delimiter": delimiter, "encoding": encoding}, request.FILES)
    if not form.is_valid():
        raise Problem(" ".join(str(e) for errors in form.errors.values() for e in errors))
    campaign = Campaign.objects.filter(system=place, thulium_id=campaign_id).first()
    if campaign is None:
        # A campaign our database has not met yet is Thulium's: met as the campaign page does.
        try:
            with page_client(place) as client:
                campaign, _rules = campaign_open(
                    system=place, thulium_id=campaign_id, client=client
                )
        except CampaignNotFound:
            raise Http404 from None
    upload = form.cleaned_data["file"]
    grid = grid_create_from_file(
        campaign=campaign,
        author=person.user,
        data=upload.read(),
        filename=upload.name,
        delimiter=form.cleaned_data["delimiter"] or None,
        encoding=form.cleaned_data["encoding"] or None,
        mode=form.cleaned_data["mode"] or Grid.Mode.EDIT,
    )
    if campaign_listing_want(campaign=campaign, grid=grid):
        read_campaign_listing.enqueue(campaign.pk)
    try:
        with thulium_session(system=place) as client:
            grid_confirm_mapping(grid=grid, mapping=grid.mapping, client=client, actor=person.user)
    except MappingProblem as problem:
        return Status(201, grid_out(grid, mapping_problem=str(problem.text)))
    return Status(201, grid_out(grid))


@api.get("/grids/{grid_id}", response={200: GridOut, **ERRORS}, tags=["grids"])
def grid_detail(request: HttpRequest, grid_id: int) -> GridOut:
    """The grid: its rows counted by state, its problems grouped, its sendings."""
    return grid_out(grid_or_404(_person(request), grid_id, "campaigns.view_grid"))


class RowQuery(Schema):
    show: Literal["", "errors", "warnings", "valid", "clears", "unchanged"] = ""
    problem: str = ""  # a problem's key (see the grid's `problems`)
    phone: str = ""
    status: str = ""
    agent: str = ""
    outcome: str = ""
    after: str = ""  # the `next` of the page before
    size: int = 100


@api.get("/grids/{grid_id}/rows", response={200: RowPageOut, **ERRORS}, tags=["grids"])
def grid_rows(request: HttpRequest, grid_id: int, query: Query[RowQuery]) -> RowPageOut:
    """The grid's rows in file order, a page at a time (at most 500), with what is wrong with
    each and Thulium's verdict on its last sending."""
    grid = grid_or_404(_person(request), grid_id, "campaigns.view_grid")
    filters = RowFilter(
        show=query.show,
        problem=query.problem,
        phone=query.phone,
        status=query.status,
        agent=query.agent,
        outcome=query.outcome,
    )
    page = grid_row_page(grid, filters, size=max(1, min(query.size, MAX_PAGE)), after=query.after)
    return RowPageOut(items=[row_out(row) for row in page.rows], next=page.next_cursor)


@api.get("/grids/{grid_id}/problems", response={200: list[ProblemOut], **ERRORS}, tags=["grids"])
def grid_problems(request: HttpRequest, grid_id: int) -> list[ProblemOut]:
    """The grid's problems, errors first: each a kind and its rows' count. Its rows:
    rows?problem=key."""
    grid = grid_or_404(_person(request), grid_id, "campaigns.view_grid")
    rules = campaign_rules_cached(campaign=grid.campaign)
    return [problem_out(group) for group in grid_problem_groups(grid, rules)]


@api.post("/grids/{grid_id}/review", response={200: ReviewOut, **ERRORS}, tags=["sending"])
def grid_review_post(request: HttpRequest, grid_id: int, choice: ReviewIn) -> ReviewOut:
    """Read the campaign's records from Thulium (unless a recent read stands and `again` is not
    asked), then review what a sending would change. Send with the review's `token`."""
    grid = grid_or_404(_person(request), grid_id, "campaigns.add_submission")
    if choice.again or not grid_read_is_recent(grid):
        with page_client(grid.campaign.system) as client:
            grid_review_read(grid=grid, client=client)
    return _reviewed(grid, choice)


@api.get("/grids/{grid_id}/review", response={200: ReviewOut, **ERRORS}, tags=["sending"])
def grid_review_get(request: HttpRequest, grid_id: int, choice: Query[ReviewIn]) -> ReviewOut:
    """The review as of the last read of the campaign, without reading it again (`fresh` says
    whether that read is recent enough to send on)."""
    grid = grid_or_404(_person(request), grid_id, "campaigns.add_submission")
    return _reviewed(grid, choice)


def _reviewed(grid: Grid, choice: ReviewIn) -> ReviewOut:
    review = grid_review(
        grid=grid,
        rules=live_rules(grid),
        resend=choice.resend,
        include_unchanged=choice.unchanged,
    )
    return review_out(review)


@api.post("/grids/{grid_id}/sendings", response={201: SendingOut, **ERRORS}, tags=["sending"])
def grid_send(request: HttpRequest, grid_id: int, sending: SendIn) -> Status[SendingOut]:
    """Send the reviewed grid: refused when the grid, its options or the campaign's read changed
    since the review whose token is given, or when that read is too old."""
    person = _person(request)
    grid = grid_or_404(person, grid_id, "campaigns.add_submission")
    submission = submission_create(
        grid=grid,
        author=person.user,
        rules=live_rules(grid),
        review=sending.review,
        resend=sending.resend,
        include_unchanged=sending.unchanged,
        confirmed_count=sending.confirm,
    )
    return Status(201, sending_out(submission))


@api.get("/sendings/{submission_id}", response={200: SendingOut, **ERRORS}, tags=["sending"])
def sending_progress(request: HttpRequest, submission_id: int) -> SendingOut:
    """How far the sending is: its state, its requests done, its rows by outcome."""
    submissions_reap()
    return sending_out(_submission_or_404(request, submission_id, "campaigns.view_grid"))


class ResultQuery(Schema):
    after: int = 0  # the `next` of the page before
    size: int = 100


@api.get(
    "/sendings/{submission_id}/results", response={200: ResultPageOut, **ERRORS}, tags=["sending"]
)
def sending_results(
    request: HttpRequest, submission_id: int, query: Query[ResultQuery]
) -> ResultPageOut:
    """Thulium's verdict on each row the sending sent, in the order they were answered, a page
    at a time (at most 500)."""
    submission = _submission_or_404(request, submission_id, "campaigns.view_grid")
    size = max(1, min(query.size, MAX_PAGE))
    found = list(submission.outcomes.filter(id__gt=query.after).order_by("id")[: size + 1])
    more = len(found) > size
    found = found[:size]
    return ResultPageOut(
        items=[
            ResultOut(
                id=o.pk,
                row=o.row_id,
                phone=o.phone,
                outcome=o.outcome,
                outcome_text=str(o.get_outcome_display()),
                http_status=o.http_status,
                status=o.status,
                message=o.message,
                at=o.at,
            )
            for o in found
        ],
        next=found[-1].pk if more and found else None,
    )


class ExportQuery(Schema):
    format: Literal["csv", "xlsx"] = "csv"
    delimiter: Literal["", "comma", "semicolon"] = ""
    show: str = ""
    outcome: str = ""


@api.get(
    "/grids/{grid_id}/results",
    response={200: None, **ERRORS},
    tags=["sending"],
    openapi_extra={
        "responses": {
            200: {
                "description": "The rows with their outcomes",
                "content": {
                    mime: {"schema": {"type": "string", "format": "binary"}}
                    for mime in EXPORT_TYPES.values()
                },
            }
        }
    },
)
def grid_results(request: HttpRequest, grid_id: int, query: Query[ExportQuery]) -> HttpResponse:
    """The grid's rows with their outcomes, as CSV or XLSX: the page's export (audited)."""
    person = _person(request)
    grid = grid_or_404(person, grid_id, "campaigns.export_grid")
    data = grid_export(
        grid=grid,
        filters=RowFilter(show=query.show, outcome=query.outcome),
        fmt=query.format,
        actor=person.user,
        delimiter=csv_delimiter(query.delimiter),
    )
    response = HttpResponse(data, content_type=EXPORT_TYPES[query.format])
    response["Content-Disposition"] = content_disposition_header(
        True, grid_export_name(grid, query.format)
    )
    return response


@api.post("/grids/{grid_id}/revert", response={201: GridOut, **ERRORS}, tags=["sending"])
def grid_revert_post(request: HttpRequest, grid_id: int) -> Status[GridOut]:
    """A new grid that puts back every record the grid's sendings changed, as it was before
    the first of them. Review it, then send it."""
    person = _person(request)
    grid = grid_or_404(person, grid_id, "campaigns.add_grid")
    return Status(201, grid_out(grid_revert(grid=grid, author=person.user, rules=live_rules(grid))))


@api.post("/sendings/{submission_id}/revert", response={201: GridOut, **ERRORS}, tags=["sending"])
def sending_revert(request: HttpRequest, submission_id: int) -> Status[GridOut]:
    """A new grid that puts back the values from before this sending. Review it, then send
    it."""
    person = _person(request)
    submission = _submission_or_404(request, submission_id, "campaigns.add_grid")
    revert = submission_revert(
        submission=submission, author=person.user, rules=live_rules(submission.grid)
    )
    return Status(201, grid_out(revert))


def api_urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """The API's addresses, for include(): every one answers without a login page, since the
    token (or nothing, for the schema and its docs) says who asks; LoginRequiredMiddleware
    would otherwise send an integration to /accounts/login/."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback.login_required = False  # type: ignore[attr-defined]
    return patterns, app_name, namespace
