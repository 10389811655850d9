"""Logging in, the language a person reads in, a person's API tokens, and the health check."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from campaigns import roles
from campaigns.forms.accounts import ApiTokenForm, LanguageForm
from campaigns.logins import lockout
from campaigns.models import ApiToken
from campaigns.services.accounts import (
    DemoAccount,
    demo_access_words,
    demo_grants_from,
    user_language_set,
)
from campaigns.services.api_tokens import api_token_create, api_token_revoke, user_api_tokens
from campaigns.views.common import AuthenticatedRequest, place_permission_required


@login_not_required
def log_in(request: HttpRequest) -> HttpResponseBase:
    """Django's login page; against the demo sandboxes it also lists the demo accounts, with
    what each may see."""
    demo = []
    for name, password, role, raw_grants in settings.DEMO_LOGINS:
        account = DemoAccount(name, password, role, demo_grants_from(raw_grants))
        demo.append(
            (
                name,
                password,
                roles.LABELS.get(account.shown_role, account.shown_role),
                demo_access_words(role=role, grants=account.grants),
            )
        )
    return LoginView.as_view(extra_context={"demo_logins": demo})(request)


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the page for a login axes refused, saying which pause it is (one
    user name from this address, or every name from it) and when to try again."""
    return render(
        request,
        "registration/locked_out.html",
        {"lockout": lockout(request, credentials)},
        status=429,
    )


@login_not_required
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, safe redirect), and for a logged-in user remembered with
    their account, so the language follows them to any browser."""
    response = set_language(request)
    form = LanguageForm(request.POST)
    language = form.cleaned_data["language"] if form.is_valid() else ""
    if request.user.is_authenticated and language:
        user_language_set(user=request.user, session=request.session, language=language)
    return response


@login_not_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and `make run`: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_http_methods(["GET", "POST"])
@place_permission_required("campaigns.view_campaign")
def api_tokens(request: AuthenticatedRequest) -> HttpResponse:
    """The person's API tokens; a new one's key is shown in the answer to the post that made
    it, once (only its hash is kept), never through a redirect or the session."""
    form = ApiTokenForm(request.POST or None)
    made = None
    if request.method == "POST" and form.is_valid():
        made = api_token_create(user=request.user, name=form.cleaned_data["name"])
        form = ApiTokenForm()
    return render(
        request,
        "campaigns/api_tokens.html",
        {
            "form": form,
            "made": made,
            "tokens": user_api_tokens(request.user),
            "docs_url": reverse("api:openapi-view"),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@place_permission_required("campaigns.view_campaign")
def api_token_revoke_view(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    """Another person's token is not there for this one: 404."""
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    if api_token_revoke(token=token, actor=request.user):
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("campaigns:api_tokens")
