"""Forms for sending: reading the campaign for a review, the sending options, the sending."""

from __future__ import annotations

from campaigns.forms.editing import GridForm
from campaigns.forms.fields import Choice, Text, Ticked, Whole
from campaigns.models import Duplicates, MatchBy


class ReviewForm(GridForm):
    """What the review shows (posted to read the campaign first, or in the address)."""

    resend = Ticked("yes")  # the rows that failed, not every row
    unchanged = Ticked("yes")  # rows that change nothing go too
    again = Ticked("yes")  # read the campaign again, even when a recent read stands


class SendingOptionsForm(GridForm):
    """How the rows find their records."""

    search_additional = Ticked("yes")
    duplicates = Choice(Duplicates.values, Duplicates.SKIP)
    match_by = Choice(MatchBy.values, MatchBy.PHONE)


class SendForm(GridForm):
    resend = Ticked("yes")
    unchanged = Ticked("yes")
    review = Text()  # the review's token: the grid as the person saw it
    confirm = Whole()  # a removal: the count of records the person confirmed
