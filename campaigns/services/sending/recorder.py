"""Recording a request's answers while the next request is out.

Recording a 500-row request costs the database about as long as Thulium and we take to send the
next one (bench/README.md). A run hands the answers to a recorder, which writes them on a thread
of its own, with its own database connection, while the run claims and sends the next chunk: the
database's work overlaps ours and Thulium's. At most one recording is outstanding, and the run
waits for it before anything that reads or ends the sending (a claim of its own, a pause, a stop,
an outage, the end), so the sending's state never runs ahead of what is recorded.

Crash safety is unchanged: each request's answers are recorded in one transaction, only while its
claim is still held. A run that dies holds at most two claims — the request being recorded and
the one being sent — and both are sent again once their leases run out, as a single claim was.

Where the caller holds a transaction (the tests' own, or a command's), another connection could
not see what it wrote: the recorder then records at once, in the caller's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

from django.db import connection, connections


class Recorder:
    """Runs recordings one at a time, behind the caller: `record` hands one over (after the one
    before it is done), `wait` returns when none is outstanding and raises what a recording
    raised. Use it as a context manager: leaving waits for the last recording."""

    def __init__(self) -> None:
        self.at_once = connection.in_atomic_block
        self._pool = (
            None
            if self.at_once
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="sending-recorder")
        )
        self._pending: Future[Any] | None = None

    def record(self, work: Callable[..., Any], *args: Any) -> None:
        self.wait()
        if self._pool is None:
            work(*args)
            return
        self._pending = self._pool.submit(work, *args)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self.wait()
            elif self._pending is not None:
                # Leaving on an error: the recording still ends (its transaction commits or rolls
                # back) before the run does; the caller's error is the one that rises.
                self._pending.exception()
                self._pending = None
        finally:
            if self._pool is not None:
                self._pool.submit(connections.close_all).result()  # the thread's connection
                self._pool.shutdown()
