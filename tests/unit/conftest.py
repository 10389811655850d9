"""Unit tests: the modules on their own, with no server and no database. A test here that asks
for the sandbox, the live server or the database fails to collect, naming where it belongs."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SERVER_FIXTURES = {"sandbox_server", "live_server", "db", "transactional_db"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE not in item.path.parents:
            continue
        wanted = sorted(SERVER_FIXTURES & set(getattr(item, "fixturenames", ())))
        if item.get_closest_marker("django_db"):
            wanted.append("django_db")
        if wanted:
            raise pytest.UsageError(f"{item.nodeid} asks for {wanted}: it belongs in tests/flows/")
