"""campaigns.thulium keeps its layers: the vocabulary is pure, the client imports only the
vocabulary (and answers.py, which reads Thulium's answers into it), and the package still
offers every name its one-module past did."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from campaigns import thulium
from campaigns.thulium import client, vocabulary

ROOT = Path(__file__).resolve().parents[2]
THULIUM_PACKAGE = {"campaigns", "campaigns.thulium", "campaigns.thulium.vocabulary"}


def modules_after_importing(module: str) -> set[str]:
    """The modules loaded by importing `module` alone, in a fresh interpreter."""
    script = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(done.stdout.split())


def top_level(modules: set[str], name: str) -> set[str]:
    return {m for m in modules if m == name or m.startswith(name + ".")}


def test_the_vocabulary_loads_neither_http_nor_django_nor_any_module_of_ours() -> None:
    loaded = modules_after_importing("campaigns.thulium.vocabulary")

    assert top_level(loaded, "requests") == set()
    assert top_level(loaded, "urllib3") == set()
    assert top_level(loaded, "django") == set()
    assert top_level(loaded, "campaigns") == THULIUM_PACKAGE


def test_the_client_imports_no_module_of_ours_but_the_vocabulary_and_its_answers() -> None:
    loaded = modules_after_importing("campaigns.thulium.client")

    assert top_level(loaded, "campaigns") == THULIUM_PACKAGE | {
        "campaigns.thulium.client",
        "campaigns.thulium.answers",
    }
    assert top_level(loaded, "django") == set()
    assert "requests" in loaded


def test_the_package_offers_the_very_objects_its_modules_define() -> None:
    for name in thulium.__all__:
        home = vocabulary if name in vars(vocabulary) else client
        assert getattr(thulium, name) is getattr(home, name), name
    assert thulium.ThuliumClient is client.ThuliumClient
    assert thulium.Status is vocabulary.Status
