"""The Thulium connection of this deployment: a client built from settings.

Settings are read when a client is asked for, never at import. What a failure means to a person
(the words, the `Problem` views catch) stays in campaigns/services/connection.py.
"""

from __future__ import annotations

from django.conf import settings

from campaigns.thulium.client import ThuliumClient, ThuliumConfig
from campaigns.thulium.vocabulary import ThuliumError


class ThuliumNotConfigured(ThuliumError):
    """THULIUM_BASE_URL, THULIUM_API_USER or THULIUM_API_PASSWORD is not set."""


def thulium_client(*, deadline: float | None = None) -> ThuliumClient:
    """A client for the Thulium system named by the environment (see README: Configuration).

    `deadline` shortens the overall time one call may take, retries included: a page a person
    waits for should give up sooner than a background job.
    """
    conf = settings.THULIUM
    missing = [
        name
        for name, key in (
            ("THULIUM_BASE_URL", "BASE_URL"),
            ("THULIUM_API_USER", "API_USER"),
            ("THULIUM_API_PASSWORD", "API_PASSWORD"),
        )
        if not conf.get(key)
    ]
    if missing:
        raise ThuliumNotConfigured(f"Missing settings: {', '.join(missing)}.", messages=missing)
    return ThuliumClient(
        ThuliumConfig(
            base_url=conf["BASE_URL"],
            user=conf["API_USER"],
            password=conf["API_PASSWORD"],
            connect_timeout=conf["CONNECT_TIMEOUT"],
            read_timeout=conf["READ_TIMEOUT"],
            deadline=min(deadline or conf["CALL_DEADLINE"], conf["CALL_DEADLINE"]),
            max_retries=conf["MAX_RETRIES"],
            retry_after_cap=conf["RETRY_AFTER_CAP"],
        )
    )
