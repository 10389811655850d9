"""The connection to each Thulium system, and what its failures mean to a user.

The client itself is built in campaigns/thulium/connection.py from a system's address, user and
password; here those are found (sealed in the database, or the environment's for the system
from the environment) and failures are worded with the system they came from.
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
from campaigns.models import ThuliumSystem
from campaigns.sealing import SealBroken, SealingKeyMissing, unseal
from campaigns.thulium.connection import ThuliumNotConfigured as ThuliumNotConfigured
from campaigns.thulium.connection import thulium_client as _client

logger = logging.getLogger(__name__)


class PasswordUnreadable(ThuliumNotConfigured):
    """The system's sealed password opens under no key of CONNECTIONS_KEY."""


def system_address(system: ThuliumSystem) -> str:
    """Where the system's API is, as the page shows it ("" when not set)."""
    if system.from_environment:
        return settings.THULIUM.get("BASE_URL") or ""
    return system.base_url


def thulium_client(
    *, system: ThuliumSystem, deadline: float | None = None
) -> thulium.ThuliumClient:
    """A client for `system`. Raises ThuliumNotConfigured when something is missing."""
    if system.from_environment:
        conf = settings.THULIUM
        return _client(
            base_url=conf["BASE_URL"],
            user=conf["API_USER"],
            password=conf["API_PASSWORD"],
            deadline=deadline,
        )
    password = ""
    if system.password_sealed:
        try:
            password = unseal(system.password_sealed)
        except (SealingKeyMissing, SealBroken):
            raise PasswordUnreadable("The sealed password cannot be opened.") from None
    return _client(
        base_url=system.base_url, user=system.api_user, password=password, deadline=deadline
    )


@contextmanager
def thulium_session(
    *, system: ThuliumSystem, deadline: float | None = None
) -> Iterator[thulium.ThuliumClient]:
    """A client for a person's request: its failures reach the caller as ThuliumProblem."""
    try:
        with thulium_client(system=system, deadline=deadline) as client:
            yield client
    except thulium.ThuliumError as error:
        logger.warning("thulium %s: %s", system.name, error)
        raise ThuliumProblem(describe_thulium_error(error, system=system)) from None


def _where_to_fix(system: ThuliumSystem) -> str:
    if system.from_environment:
        return _(
            "This system's connection comes from the environment: an administrator sets "
            "THULIUM_BASE_URL, THULIUM_API_USER and THULIUM_API_PASSWORD and restarts the "
            "dashboard."
        )
    return _(
        "An administrator corrects it on the system's page in the admin, or with "
        "manage.py thulium_system."
    )


def describe_thulium_error(error: thulium.ThuliumError, *, system: ThuliumSystem) -> str:
    """One sentence for the user: what went wrong with which Thulium, and what to do about it."""
    base_url = system_address(system) or "?"
    name = system.name
    if isinstance(error, PasswordUnreadable):
        text = _(
            "The API password of Thulium system %(system)s cannot be read with CONNECTIONS_KEY: "
            "the key that sealed it was removed or changed. An administrator puts that key back "
            "in CONNECTIONS_KEY (after the new one), or sets the password again."
        ) % {"system": name}
    elif isinstance(error, ThuliumNotConfigured) and system.from_environment:
        variables = {
            "base_url": "THULIUM_BASE_URL",
            "api_user": "THULIUM_API_USER",
            "password": "THULIUM_API_PASSWORD",
        }
        text = _(
            "The Thulium connection is not configured: %(missing)s not set. An administrator "
            "must set it in the environment (see README, Configuration) and restart the dashboard."
        ) % {"missing": ", ".join(variables.get(m, m) for m in error.messages)}
    elif isinstance(error, ThuliumNotConfigured):
        words = {
            "base_url": _("API address"),
            "api_user": _("API user"),
            "password": _("password"),
        }
        text = _(
            "The connection to Thulium system %(system)s is not complete: %(missing)s not set."
        ) % {
            "system": name,
            "missing": ", ".join(str(words.get(m, m)) for m in error.messages),
        }
        text += " " + _where_to_fix(system)
    elif isinstance(error, thulium.ThuliumAuthError):
        text = _(
            "Thulium system %(system)s refused our API user (HTTP %(status)s). Check the API user "
            "and password, and in the Thulium panel that this API user may call the campaign "
            "methods."
        ) % {"system": name, "status": error.http_status}
        text += " " + _where_to_fix(system)
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
            "Thulium system %(system)s at %(url)s is not answering right now. Try again in a "
            "minute; if it persists, check its API address and that this server can reach it."
        ) % {"system": name, "url": base_url}
    elif isinstance(error, thulium.ThuliumNotFound):
        text = _(
            "Thulium does not know what we asked for (HTTP 404). If this happens on every page, "
            "check that the API address of system %(system)s is the API root ending in /api/ "
            "(now: %(url)s)."
        ) % {"system": name, "url": base_url}
    elif isinstance(error, thulium.ThuliumRejected):
        text = _("Thulium rejected the request: %(reason)s") % {
            "reason": "; ".join(error.messages) or _("no reason given")
        }
    else:
        text = _(
            "Thulium answered something we could not read. Check that the API address of system "
            "%(system)s points at the API root ending in /api/ (now: %(url)s)."
        ) % {"system": name, "url": base_url}
    if error.request_id:
        text += " " + _("Thulium request id for support: %(request_id)s.") % {
            "request_id": error.request_id
        }
    return text
