"""The Thulium connection of this deployment, and what its failures mean to a user.

The client itself is built in campaigns/thulium/connection.py; `thulium_client` and
`ThuliumNotConfigured` are imported here too, where tasks, tests and the bench have found them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import thulium
from campaigns.exceptions import ThuliumProblem
from campaigns.thulium.connection import ThuliumNotConfigured as ThuliumNotConfigured
from campaigns.thulium.connection import thulium_client as thulium_client

logger = logging.getLogger(__name__)


@contextmanager
def thulium_session(*, deadline: float | None = None) -> Iterator[thulium.ThuliumClient]:
    """A client for a person's request: its failures reach the caller as ThuliumProblem."""
    try:
        with thulium_client(deadline=deadline) as client:
            yield client
    except thulium.ThuliumError as error:
        logger.warning("thulium: %s", error)
        raise ThuliumProblem(describe_thulium_error(error)) from None


def describe_thulium_error(error: thulium.ThuliumError) -> str:
    """One sentence for the user: what went wrong with Thulium and what to do about it."""
    base_url = settings.THULIUM.get("BASE_URL") or "?"
    if isinstance(error, ThuliumNotConfigured):
        text = _(
            "The Thulium connection is not configured: %(missing)s not set. An administrator "
            "must set it in the environment (see README, Configuration) and restart the dashboard."
        ) % {"missing": ", ".join(error.messages)}
    elif isinstance(error, thulium.ThuliumAuthError):
        text = _(
            "Thulium refused our API user (HTTP %(status)s). An administrator should check "
            "THULIUM_API_USER and THULIUM_API_PASSWORD, and in the Thulium panel that this API "
            "user may call the campaign methods."
        ) % {"status": error.http_status}
    elif isinstance(error, thulium.ThuliumRateLimited):
        if error.retry_after:
            seconds = round(error.retry_after)
            text = ngettext(
                "Thulium asks us to slow down. Try again in %(seconds)d second.",
                "Thulium asks us to slow down. Try again in %(seconds)d seconds.",
                seconds,
            ) % {"seconds": seconds}
        else:
            text = _("Thulium asks us to slow down. Try again in a minute.")
    elif isinstance(error, thulium.ThuliumUnavailable):
        text = _(
            "Thulium at %(url)s is not answering right now. Try again in a minute; if it "
            "persists, check THULIUM_BASE_URL and that this server can reach Thulium."
        ) % {"url": base_url}
    elif isinstance(error, thulium.ThuliumNotFound):
        text = _(
            "Thulium does not know what we asked for (HTTP 404). If this happens on every page, "
            "check that THULIUM_BASE_URL is the API root ending in /api/ (now: %(url)s)."
        ) % {"url": base_url}
    elif isinstance(error, thulium.ThuliumRejected):
        text = _("Thulium rejected the request: %(reason)s") % {
            "reason": "; ".join(error.messages) or _("no reason given")
        }
    else:
        text = _(
            "Thulium answered something we could not read. Check that THULIUM_BASE_URL "
            "points at the API root ending in /api/ (now: %(url)s)."
        ) % {"url": base_url}
    if error.request_id:
        text += " " + _("Thulium request id for support: %(request_id)s.") % {
            "request_id": error.request_id
        }
    return text
