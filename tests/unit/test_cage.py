"""Reading uploads in a cage: a child that runs out of memory or time, aborts, or raises, ends
as a message; the process that asked goes on (tests/flows/test_cage.py: the limits as the upload
page and push_records meet them)."""

from __future__ import annotations

import os
import time

import pytest

from campaigns.intake.cage import CageBroken, CageLimits, run_caged
from campaigns.intake.spreadsheets import FileProblem

ROOMY = CageLimits(memory_bytes=200_000_000, seconds=20)


def raise_file_problem(text: str) -> None:
    raise FileProblem(text)


def allocate(size: int) -> int:
    return len(bytearray(size))


def test_the_cage_returns_what_the_function_returns() -> None:
    assert run_caged(sorted, [3, 1, 2], cage=ROOMY) == [1, 2, 3]


def test_the_cage_passes_the_functions_own_exception_on() -> None:
    with pytest.raises(FileProblem, match="Row 3 is odd"):
        run_caged(raise_file_problem, "Row 3 is odd", cage=ROOMY)


def test_a_child_over_its_memory_is_stopped_and_the_parent_goes_on() -> None:
    with pytest.raises(CageBroken) as broken:
        run_caged(allocate, 2_000_000_000, cage=CageLimits(memory_bytes=100_000_000, seconds=20))

    assert broken.value.reason == "memory"
    assert run_caged(allocate, 1000, cage=ROOMY) == 1000


def test_a_child_that_aborts_is_told_apart_from_an_answer() -> None:
    with pytest.raises(CageBroken) as broken:
        run_caged(os.abort, cage=ROOMY)

    assert broken.value.reason == "memory"  # how Rust ends when an allocation fails


def test_a_child_over_its_time_is_killed_at_the_limit() -> None:
    started = time.monotonic()

    with pytest.raises(CageBroken) as broken:
        run_caged(time.sleep, 30, cage=CageLimits(memory_bytes=100_000_000, seconds=0.5))

    assert broken.value.reason == "time"
    assert time.monotonic() - started < 20  # killed, not waited for
