"""Reading uploads in a cage: a child that runs out of memory or time, aborts, or raises, ends
as a message; the process that asked goes on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from campaigns.intake.cage import CageBroken, CageLimits, run_caged
from campaigns.intake.spreadsheets import FileProblem
from campaigns.models import Grid
from tests.helpers import ROOT, Sandbox, migrated_env

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


def many_rows(count: int) -> bytes:
    return (
        "Telefon;Miasto\n" + "".join(f"{600000000 + n};Łódź {n}\n" for n in range(count))
    ).encode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("limit", "says"),
    # Memory is met through the page the same way, but a budget on top of a long-running test
    # process is met or not by what it has free already: push_records (a fresh process, below)
    # and the corpus through gunicorn show it.
    [({"INTAKE_MAX_SECONDS": 0.01}, "took too long, so we stopped")],
)
def test_the_upload_page_says_which_limit_a_file_met(
    client: Client,
    supervisor: Any,
    campaign: Any,
    settings: Any,
    limit: dict[str, float],
    says: str,
) -> None:
    for name, value in limit.items():
        setattr(settings, name, value)
    client.force_login(supervisor)

    response = client.post(
        reverse("campaigns:grid_upload", args=["00001"]),
        {"file": SimpleUploadedFile("big.csv", many_rows(50_000)), "mode": "edit"},
    )

    assert response.status_code == 400
    assert says in response.content.decode()
    assert not Grid.objects.exists()


def test_push_records_says_which_limit_a_file_met_in_one_line(
    tmp_path: Path, sandbox_server: Sandbox
) -> None:
    env = migrated_env(tmp_path, sandbox_server, LANGUAGE_CODE="en", INTAKE_MAX_MEMORY_MB="1")
    file = tmp_path / "big.csv"
    file.write_bytes(many_rows(50_000))

    result = subprocess.run(
        [sys.executable, "manage.py", "push_records", "00001", str(file), "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "big.csv: big.csv needs more memory to read than an upload may use, so we stopped. Its "
        "cells may hold far more text than they show. Copy the rows you need into a new file, "
        "save it as .csv and upload that."
    ]
