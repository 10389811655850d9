"""A client for one Thulium system's connection, with the install's timeouts and retries.

Settings are read when a client is asked for, never at import. Which system, and what a failure
means to a person (the words, the `Problem` views catch), stay in campaigns/services/.
"""

from __future__ import annotations

from django.conf import settings

from campaigns.thulium.client import ThuliumClient, ThuliumConfig
from campaigns.thulium.vocabulary import ThuliumError


class ThuliumNotConfigured(ThuliumError):
    """The system's address, API user or password is missing; `messages` names which."""


def thulium_client(
    *, base_url: str, user: str, password: str, deadline: float | None = None
) -> ThuliumClient:
    """A client for the system at `base_url`. `missing` names, in `messages`, what is not set.

    `deadline` shortens the overall time one call may take, retries included: a page a person
    waits for should give up sooner than a background job.
    """
    missing = [
        name
        for name, value in (("base_url", base_url), ("api_user", user), ("password", password))
        if not value
    ]
    if missing:
        raise ThuliumNotConfigured(f"Missing: {', '.join(missing)}.", messages=missing)
    conf = settings.THULIUM
    return ThuliumClient(
        ThuliumConfig(
            base_url=base_url,
            user=user,
            password=password,
            connect_timeout=conf["CONNECT_TIMEOUT"],
            read_timeout=conf["READ_TIMEOUT"],
            deadline=min(deadline or conf["CALL_DEADLINE"], conf["CALL_DEADLINE"]),
            max_retries=conf["MAX_RETRIES"],
            retry_after_cap=conf["RETRY_AFTER_CAP"],
        )
    )
