"""Flows: the dashboard on the test database, talking to the sandbox over real HTTP."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _on_the_sandbox(dashboard_on_the_sandbox: None) -> None:
    """Every flow's dashboard talks to this process's sandbox."""
