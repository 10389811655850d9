"""The words for what a sending did, the same on the panel, in the e-mail, in the history and
from the command line: rows Thulium took, rows it refused (its own verdict), rows not confirmed
(no answer came: they may or may not have been applied), rows not sent and rows still waiting.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import NOT_CONFIRMED_OUTCOMES, REFUSED_OUTCOMES, Outcome


def outcome_kinds(counts: Mapping[str, int]) -> list[tuple[str, int, str]]:
    """(kind, rows, words) for each kind of outcome with rows, in the order a supervisor reads
    them: what was done first, then what was refused, not confirmed, not sent, still waiting.
    `kind` is an outcome value for those Thulium took (updated, added, removed, did not
    exist), else "refused", "not_confirmed", "not_sent" or "waiting"."""
    found: list[tuple[str, int, str]] = []
    for outcome in (Outcome.UPDATED, Outcome.ADDED, Outcome.REMOVED, Outcome.NOT_EXIST):
        if n := counts.get(outcome, 0):
            found.append((str(outcome), n, _done_words(outcome, n)))
    groups = (
        ("refused", REFUSED_OUTCOMES),
        ("not_confirmed", NOT_CONFIRMED_OUTCOMES),
        ("not_sent", (Outcome.NOT_SENT,)),
        ("waiting", (Outcome.WAITING,)),
    )
    for kind, outcomes in groups:
        if n := sum(counts.get(outcome, 0) for outcome in outcomes):
            found.append((kind, n, _kind_words(kind, n)))
    return found


def outcome_summary(counts: Mapping[str, int]) -> str:
    """ "18 updated, 2 refused, 372 not confirmed" in the reader's language ("" for none)."""
    return ", ".join(words for _kind, _n, words in outcome_kinds(counts))


def _done_words(outcome: str, n: int) -> str:
    if outcome == Outcome.ADDED:
        return ngettext("%(n)s added", "%(n)s added", n) % {"n": _figure(n)}
    if outcome == Outcome.REMOVED:
        return ngettext("%(n)s removed", "%(n)s removed", n) % {"n": _figure(n)}
    if outcome == Outcome.NOT_EXIST:
        return ngettext("%(n)s did not exist", "%(n)s did not exist", n) % {"n": _figure(n)}
    return ngettext("%(n)s updated", "%(n)s updated", n) % {"n": _figure(n)}


def _kind_words(kind: str, n: int) -> str:
    if kind == "refused":
        return ngettext("%(n)s refused", "%(n)s refused", n) % {"n": _figure(n)}
    if kind == "not_confirmed":
        return ngettext("%(n)s not confirmed", "%(n)s not confirmed", n) % {"n": _figure(n)}
    if kind == "not_sent":
        return ngettext("%(n)s not sent", "%(n)s not sent", n) % {"n": _figure(n)}
    return ngettext("%(n)s waiting", "%(n)s waiting", n) % {"n": _figure(n)}


def no_answer_words(http_status: int | None) -> str:
    """Why a row is not confirmed, from the HTTP status of the last try (None: no answer at
    all, the connection failed or timed out)."""
    if http_status is None:
        return _("Thulium could not be reached")
    if http_status == 429:
        return _("Thulium asked us to slow down (429)")
    if http_status >= 500:
        return _("Thulium did not answer (%(status)s)") % {"status": http_status}
    return _("Thulium's answer could not be read (%(status)s)") % {"status": http_status}


def _figure(n: int) -> str:
    """1,500 in English, 1 500 in Polish."""
    return formats.number_format(n, use_l10n=True, force_grouping=True)
