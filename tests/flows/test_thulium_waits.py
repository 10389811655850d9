"""Thulium asking us to wait: a Retry-After of any shape is read within the cap, the sending
waits without holding a worker, and Cancel ends it at once."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns import thulium
from campaigns.models import AuditEntry, Chunk, Grid, Outcome, Submission
from campaigns.services.sending import submission_run
from campaigns.services.submissions import submission_cancel
from tests.helpers import Sandbox, queue_sending

pytestmark = pytest.mark.django_db


def puts(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] == "PUT"]


def test_a_long_retry_after_reschedules_instead_of_blocking(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject({"kind": "status", "status": 429, "retry_after": 3600, "method": "PUT"})
    submission = queue_sending(grid=crm_grid, author=None, rules=rules)

    result = submission_run(submission_id=submission.pk, client=api)

    submission.refresh_from_db()
    assert result.retry_after == api.config.retry_after_cap  # read within the cap
    assert submission.state == Submission.State.WAITING
    assert submission.chunks.get().state == Chunk.State.PENDING
    # Until the wait is over no run sends; once it is (moved here), the sending goes on.
    assert submission_run(submission_id=submission.pk, client=api).state == "waiting"
    assert len(puts(sandbox)) == 1
    Submission.objects.filter(pk=submission.pk).update(retry_at="2020-01-01T00:00:00Z")
    assert submission_run(submission_id=submission.pk, client=api).state == "finished"


@pytest.mark.parametrize("header", ["1e12", "-1", "soon", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_any_retry_after_leaves_the_sending_waiting_or_retrying_never_failing(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox, header: str
) -> None:
    sandbox.inject({"kind": "status", "status": 503, "retry_after": header, "method": "PUT"})
    submission = queue_sending(grid=crm_grid, author=None, rules=rules)

    result = submission_run(submission_id=submission.pk, client=api)

    submission.refresh_from_db()
    if result.state == Submission.State.WAITING:
        # A wait too long to read is the cap, and the request is given back unsent.
        assert result.retry_after == api.config.retry_after_cap
        assert submission.retry_at is not None
        assert submission.chunks.get().state == Chunk.State.PENDING
    else:
        # A header that is no wait at all: the client's own backoff, and the PUT went through.
        assert header in {"-1", "soon"}
        assert result.state == Submission.State.FINISHED
        assert len(puts(sandbox)) == 2
    assert not Chunk.objects.filter(submission=submission, state=Chunk.State.CLAIMED).exists()


def test_cancel_ends_a_sending_waiting_for_thulium_at_once(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject({"kind": "status", "status": 429, "retry_after": 3600, "method": "PUT"})
    submission = queue_sending(grid=crm_grid, author=None, rules=rules, chunk_size=3)
    assert submission_run(submission_id=submission.pk, client=api).state == "waiting"

    submission_cancel(submission=submission)

    submission.refresh_from_db()
    assert submission.state == Submission.State.CANCELLED
    assert submission.finished_at is not None
    assert set(submission.chunks.values_list("state", flat=True)) == {Chunk.State.SKIPPED}
    sent = [pk for chunk in submission.chunks.all() for pk in chunk.row_ids]
    assert set(crm_grid.rows.filter(id__in=sent).values_list("outcome", flat=True)) == {
        Outcome.NOT_SENT
    }
    # The run that comes back when the wait is over finds it cancelled and sends nothing.
    Submission.objects.filter(pk=submission.pk).update(retry_at="2020-01-01T00:00:00Z")
    assert submission_run(submission_id=submission.pk, client=api).state == "cancelled"
    assert len(puts(sandbox)) == 1
    actions = AuditEntry.objects.filter(submission_id=submission.pk)
    assert actions.filter(action=AuditEntry.Action.SUBMISSION_CANCELLED).count() == 1
