"""Telling a sending's author how it ended, by e-mail (Django's EMAIL_* settings)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import Submission, UserPreference
from campaigns.presentation.outcome_words import no_answer_words
from campaigns.selectors.sendings import (
    grid_refusal_groups,
    grid_unconfirmed_groups,
    sendings_summaries,
)

logger = logging.getLogger(__name__)


def submission_notify(*, submission_id: int) -> bool:
    """E-mail the author that the sending finished, paused or stopped, or that it waits for
    Thulium: what it did by kind, the main causes of refusals, the rows not confirmed and the
    grid's address. False when there is nobody to tell. A mail
    server that fails is logged, never a reason for the sending to fail."""
    submission = Submission.objects.select_related("grid", "campaign", "author").get(
        pk=submission_id
    )
    author = submission.author
    if author is None or not getattr(author, "email", "") or not getattr(settings, "MAILERS", None):
        return False
    grid = submission.grid
    # In the language the author chose for the dashboard, else the deployment's.
    chosen = UserPreference.objects.filter(user=author).values_list("language", flat=True)
    with translation.override(chosen.first() or settings.LANGUAGE_CODE):
        (story,) = sendings_summaries([submission])
        waiting = submission.waits_for_outage
        state = submission.get_state_display()
        subject = _("Sending #%(id)s to %(campaign)s: %(state)s") % {
            "id": submission.pk,
            "campaign": submission.campaign.name or submission.campaign.thulium_id,
            "state": _("%(state)s: %(summary)s") % {"state": state, "summary": story.summary}
            if story.summary and not waiting
            else state,
        }
        lines = [subject, ""]
        if waiting:
            lines.append(
                _(
                    "Waiting for Thulium: %(cause)s since %(since)s. Nothing was refused and "
                    "nothing is lost: the sending tries again by itself and goes on when Thulium "
                    "answers, until %(until)s. You need not do anything; you can cancel it on "
                    "the grid's page."
                )
                % {
                    "cause": no_answer_words(submission.outage_status),
                    "since": _local(submission.outage_since),
                    "until": _local(submission.outage_gives_up_at),
                }
            )
        lines += [words for _kind, _n, words in story.kinds]
        if submission.problem:
            lines += ["", submission.problem]
        unconfirmed = grid_unconfirmed_groups(grid)
        if unconfirmed and not submission.active:
            lines += [
                "",
                _("Not confirmed (Thulium may or may not have applied them: resend them):"),
            ]
            lines += [
                ngettext("%(n)s row: %(cause)s", "%(n)s rows: %(cause)s", g.count)
                % {"n": g.count, "cause": g.cause}
                for g in unconfirmed
            ]
        groups = grid_refusal_groups(grid, limit=5)
        if groups:
            lines += ["", _("What Thulium refused:")]
            lines += [
                ngettext("%(n)s row: %(message)s", "%(n)s rows: %(message)s", g.count)
                % {"n": g.count, "message": g.message}
                for g in groups
            ]
        url = settings.SITE_URL + reverse("campaigns:grid_detail", args=[grid.pk])
        lines += ["", _("The grid: %(url)s") % {"url": url}]
    try:
        send_mail(subject, "\n".join(lines), None, [author.email])
    except OSError as error:
        logger.warning("sending %s: the e-mail to its author failed: %s", submission.pk, error)
        return False
    return True


def _local(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
