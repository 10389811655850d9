"""Telling a sending's author how it ended, by e-mail (Django's EMAIL_* settings)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import Outcome, Submission, UserPreference

logger = logging.getLogger(__name__)


def submission_notify(*, submission_id: int) -> bool:
    """E-mail the author that the sending finished, paused or stopped: the counts, the main
    causes of refusals and the grid's address. False when there is nobody to tell. A mail
    server that fails is logged, never a reason for the sending to fail."""
    from campaigns.services.submissions import grid_refusal_groups, submission_counts

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
        counts = submission_counts(submission)
        subject = _("Sending #%(id)s to %(campaign)s: %(state)s") % {
            "id": submission.pk,
            "campaign": submission.campaign.name or submission.campaign.thulium_id,
            "state": submission.get_state_display(),
        }
        lines = [subject, ""]
        lines += [
            f"{label}: {counts[value]}" for value, label in Outcome.choices if counts.get(value)
        ]
        if submission.problem:
            lines += ["", submission.problem]
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
