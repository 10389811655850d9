"""The lease protocol: claiming a sending's chunk, keeping the claim alive while its request is
out, the canary that goes first, and giving a chunk back. A claim is a conditional UPDATE, so of
two workers exactly one holds a chunk; only a dead worker's lease runs out, and then the chunk is
claimable again (see the package's docstring)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, connection, connections
from django.db.models import F, Q
from django.utils import timezone

from campaigns.database.bulk_sql import as_text, json_value
from campaigns.models import Chunk, Submission

logger = logging.getLogger(__name__)


@contextmanager
def _claim_kept_alive(chunk: Chunk, worker: str, lease: timedelta) -> Iterator[None]:
    """While Thulium works on the chunk (a lookup, its request), however slowly, renew the claim
    and the sending's sign of life every third of a lease, from a thread with its own database
    connection: no other worker takes over a chunk whose request may still be answered, and
    the reaper leaves the sending alone. Only a dead worker's claim runs out. Each renewal is
    its own short statement: no transaction stays open across the call."""
    if connection.in_atomic_block:
        # Against the house rule, the caller holds a transaction across the call: another
        # connection's renewal would wait for our own uncommitted claim, and we for it.
        yield
        return
    stop = threading.Event()
    every = max(0.05, lease.total_seconds() / 3)

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    if not _renew(chunk, worker, lease):
                        logger.warning("chunk %s: claim lost while its request was out", chunk)
                        return
                except DatabaseError as error:
                    # Tried again at the next beat; the lease outlives two missed ones.
                    logger.warning("chunk %s: could not renew the claim: %s", chunk, error)
        finally:
            connections.close_all()  # this thread's own connections only

    thread = threading.Thread(target=beat, name=f"claim-{chunk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _renew(chunk: Chunk, worker: str, lease: timedelta) -> bool:
    """Extend our claim on the chunk by a lease from now; False when it is no longer ours."""
    now = timezone.now()
    if not _owned(chunk, worker).update(lease_until=now + lease):
        return False
    Submission.objects.filter(pk=chunk.submission_id).update(heartbeat_at=now)
    return True


class _CanaryInFlight(Exception):
    """Another worker is sending the first request: the others wait for its answer."""


def _canary_in_flight(submission: Submission, worker: str) -> bool:
    """The first request is answered before any other is sent: another worker holds it."""
    return (
        Chunk.objects.filter(
            submission=submission,
            index=0,
            state=Chunk.State.CLAIMED,
            lease_until__gte=timezone.now(),
        )
        .exclude(claimed_by=worker)
        .exists()
    )


def _claim(submission: Submission, worker: str, lease: timedelta) -> Chunk | None:
    """Take the submission's first chunk nobody holds (inside the caller's transaction); None
    when none is left to take. Rows are not marked: a row waits until its answer is recorded,
    so a request costs one write of its rows, not two."""
    now = timezone.now()
    free = Q(state=Chunk.State.PENDING) | Q(state=Chunk.State.CLAIMED, lease_until__lt=now)
    # On PostgreSQL a chunk another worker is claiming is passed over, not waited for (SQLite
    # takes one writer at a time: there the transaction itself is the lock).
    candidates = (
        submission.chunks.filter(free)
        .order_by("index")
        .select_for_update(skip_locked=True)
        # The chunk's rows and before-values are read once it is taken (below): selected here,
        # every free chunk's would be sorted with it.
        .defer("before", "row_ids")
    )
    for chunk in candidates[:1]:
        if chunk.index > 0 and _canary_in_flight(submission, worker):
            raise _CanaryInFlight
        # A conditional UPDATE is the claim: of two workers, exactly one changes the row.
        if not Chunk.objects.filter(free, pk=chunk.pk).update(
            state=Chunk.State.CLAIMED,
            claimed_by=worker,
            lease_until=now + lease,
            attempts=F("attempts") + 1,
        ):
            return None
        chunk.state, chunk.claimed_by, chunk.lease_until = Chunk.State.CLAIMED, worker, now + lease
        chunk.attempts += 1
        # As text, decoded by orjson: Django's decoding of the before-values was half a claim.
        before, row_ids = (
            Chunk.objects.filter(pk=chunk.pk)
            .values_list(as_text("before"), as_text("row_ids"))
            .get()
        )
        chunk.before, chunk.row_ids = json_value(before), json_value(row_ids)
        chunk.submission = submission
        return chunk
    return None


def _claim_next(submission: Submission, worker: str, lease: timedelta) -> Chunk | None:
    """The next chunk, claimed in the transaction that records the last one; None when the run
    must look again on its own: the sending was paused or cancelled meanwhile, the canary is in
    flight elsewhere, or nothing is left."""
    state, cancel = Submission.objects.values_list("state", "cancel_requested").get(
        pk=submission.pk
    )
    if state != Submission.State.RUNNING or cancel:
        return None
    try:
        return _claim(submission, worker, lease)
    except _CanaryInFlight:
        return None


def _owned(chunk: Chunk, worker: str) -> Any:
    return Chunk.objects.filter(pk=chunk.pk, state=Chunk.State.CLAIMED, claimed_by=worker)


def _release(chunk: Chunk, worker: str) -> None:
    """Give the chunk back unsent; its rows were never marked, so they still wait."""
    _owned(chunk, worker).update(state=Chunk.State.PENDING, claimed_by="", lease_until=None)
