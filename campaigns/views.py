"""Thin views: authenticate, call one service, choose the response."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaigns.services.campaigns import campaign_overview_list
from campaigns.services.connection import describe_thulium_error, thulium_client
from campaigns.thulium import ThuliumError

logger = logging.getLogger(__name__)


@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = []
    problem = None
    try:
        with thulium_client(deadline=settings.THULIUM["PAGE_DEADLINE"]) as client:
            campaigns = campaign_overview_list(client=client)
    except ThuliumError as error:
        logger.warning("campaign list: %s", error)
        problem = describe_thulium_error(error)
    template = "campaigns/campaign_list.html"
    if request.htmx:
        template += "#campaign-table"
    return render(request, template, {"campaigns": campaigns, "problem": problem})


@login_not_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and `make run`: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
