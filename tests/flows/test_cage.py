"""The cage's limits as people meet them: the upload page and push_records each say which limit
a file met, in one message (tests/unit/test_cage.py: the cage itself)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from campaigns.models import Grid
from tests.helpers import ROOT, Sandbox, migrated_env


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
        reverse("campaigns:grid_upload", args=["thulium", "00001"]),
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
