"""Bulk work without Python's cycle collector.

Reading, checking and storing 100,000 rows makes millions of small lists, dicts and tuples that
live until the work ends. Each time a few hundred more are made the cycle collector runs, and
every so often it walks all of them: a quarter of confirming a 100,000-row file's columns
(bench/README.md). None of these objects forms a cycle that needs collecting, and reference
counting frees them as always; the collector is paused for the work and runs again after it.

The pause is counted, so works overlapping in several threads of one process (a web worker's)
resume collection only when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0
_was_enabled = True


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()
