"""No file can hurt the dashboard: a corpus of hostile files (tests/files/make_hostile_files.py)
through the upload page and through `push_records`, each read or refused with a message.

`push_records` runs as its own process under a memory limit, so a reader that allocates without
bound, or aborts (as calamine did on a cell at XFD200000), fails the test instead of the run.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from campaigns.models import Grid
from tests.files.make_hostile_files import CORPUS, EITHER, READ, REFUSED, Hostile, build
from tests.helpers import ROOT, Sandbox, migrated_env, process_env, worker_database_url

# A production worker's address space: Django and a 100k-row intake fit in it; a dense
# 16,384-column sheet does not.
MEMORY_LIMIT = 1_000_000_000
CORPUS_DIR = "hostile"
# One worker runs the whole file, so the corpus and push_records' database are made once.
pytestmark = pytest.mark.xdist_group("hostile_files")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Hostile]]:
    directory = tmp_path_factory.mktemp(CORPUS_DIR)
    return directory, build(directory)


@pytest.fixture(scope="module")
def command_env(
    tmp_path_factory: pytest.TempPathFactory, sandbox_server: Sandbox
) -> dict[str, str]:
    """push_records on a database of its own, talking to the sandbox."""
    return migrated_env(tmp_path_factory.mktemp("push"), sandbox_server, LANGUAGE_CODE="en")


def push_records(path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [sys.executable, "manage.py", "push_records", "00001", str(path), "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard, not a speed target (those live in bench/)
        preexec_fn=limit_memory,
    )


def upload(client: Client, path: Path, **kwargs: Any) -> Any:
    """The file through the campaign page's upload form, as a browser sends it."""
    return client.post(
        reverse("campaigns:grid_upload", args=["thulium", "00001"]),
        {"file": SimpleUploadedFile(path.name, path.read_bytes()), "mode": "edit"},
        **kwargs,
    )


def corpus_ids() -> list[str]:
    return [hostile.name for hostile, _make in CORPUS]


@pytest.mark.parametrize("name", corpus_ids())
def test_push_records_reads_or_refuses_each_file_in_one_line(
    name: str, corpus: tuple[Path, list[Hostile]], command_env: dict[str, str]
) -> None:
    directory, files = corpus
    hostile = next(h for h in files if h.name == name)

    result = push_records(directory / name, command_env)

    assert result.returncode in {0, 1, 2}, f"died: {result.returncode}\n{result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr
    if result.returncode == 2:
        assert hostile.expect in {REFUSED, EITHER}, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"{name}: "), lines[0]
    else:
        assert hostile.expect in {READ, EITHER}, result.stderr
        assert re.search(r"rows: [\d,]+, valid: [\d,]+", result.stdout), result.stdout


@pytest.mark.django_db
def test_the_upload_page_reads_or_refuses_each_file_with_a_message(
    client: Client, supervisor: Any, campaign: Any, corpus: tuple[Path, list[Hostile]]
) -> None:
    directory, files = corpus
    client.force_login(supervisor)
    for hostile in files:
        response = upload(client, directory / hostile.name)

        if response.status_code == 302:
            assert hostile.expect in {READ, EITHER}, hostile.name
            assert "/mapping" in response["Location"]
            continue
        assert response.status_code == 400, (hostile.name, response.status_code)
        assert hostile.expect in {REFUSED, EITHER}, hostile.name
        page = response.content.decode()
        assert 'class="errorlist' in page, hostile.name
        # Said at the top of the page too, where the supervisor is looking.
        assert page.index("The file was not read.") < page.index("upload-heading"), hostile.name
    refused = sum(1 for h in files if h.expect == REFUSED)
    assert Grid.objects.count() <= len(files) - refused


@pytest.mark.django_db
def test_a_file_at_the_column_limit_is_mapped_through_the_page(
    client: Client, supervisor: Any, campaign: Any, corpus: tuple[Path, list[Hostile]]
) -> None:
    directory, _files = corpus
    client.force_login(supervisor)
    upload(client, directory / "columns_200.csv")
    grid = Grid.objects.get()
    assert len(grid.headers) == 200
    form = {f"column_{i}": target for i, target in enumerate(grid.mapping)}
    form |= {f"learn_{i}": "on" for i in range(1, 200)}

    response = client.post(reverse("campaigns:grid_mapping", args=[grid.pk]), form)

    assert response.status_code == 302, response.content.decode()[:500]
    grid.refresh_from_db()
    assert grid.state == Grid.State.READY
    assert len(campaign.field_names()) >= 199


def test_the_xlsx_that_killed_the_process_is_refused_naming_the_cell(
    corpus: tuple[Path, list[Hostile]], command_env: dict[str, str]
) -> None:
    directory, _files = corpus

    result = push_records(directory / "far_cell_xfd200000.xlsx", command_env)

    assert result.returncode == 2
    assert "column 16\u00a0384 (cell XFD200000)" in result.stderr
    assert "at most 200 columns" in result.stderr


@pytest.mark.django_db
def test_a_file_of_mixed_encodings_is_read_and_the_mapping_page_says_so(
    client: Client, supervisor: Any, campaign: Any, corpus: tuple[Path, list[Hostile]]
) -> None:
    directory, _files = corpus
    client.force_login(supervisor)

    response = upload(client, directory / "mixed_encodings.csv", follow=True)

    page = response.content.decode()
    assert "This file mixes encodings, UTF-8 and Windows-1250 (Polish Windows)" in page
    assert "Gdańsk" in page  # from a Windows-1250 line


@pytest.mark.django_db
def test_a_refused_file_is_explained_in_polish(
    client: Client, supervisor: Any, campaign: Any, corpus: tuple[Path, list[Hostile]]
) -> None:
    directory, _files = corpus
    client.force_login(supervisor)
    client.post(reverse("set_language"), {"language": "pl"})

    response = upload(client, directory / "far_cell_xfd200000.xlsx")

    page = response.content.decode()
    assert response.status_code == 400
    assert "Plik nie został odczytany." in page
    assert "Pierwszy arkusz ma coś w kolumnie 16\u00a0384 (komórka XFD200000)" in page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_the_corpus_through_a_web_worker_under_a_memory_limit_kills_no_process(
    supervisor: Any, campaign: Any, corpus: tuple[Path, list[Hostile]], sandbox: Sandbox
) -> None:
    """The page as production serves it: gunicorn, its worker under a 1 GB address space, each
    file posted over HTTP. A worker that died would be booted again: the log would say so."""
    directory, files = corpus
    port = free_port()
    env = process_env(worker_database_url(), sandbox, LANGUAGE_CODE="en")

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    log = directory / "gunicorn.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "thulium_admin.wsgi", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--error-logfile", str(log)],
        cwd=ROOT, env=env, preexec_fn=limit_memory, start_new_session=True,
    )  # fmt: skip
    try:
        login = Client()
        login.force_login(supervisor)
        http = requests.Session()
        http.cookies.set("sessionid", login.cookies["sessionid"].value)
        base = f"http://127.0.0.1:{port}"
        page_url = base + reverse("campaigns:detail", args=["thulium", "00001"])
        for _attempt in range(100):
            try:
                page = http.get(page_url, timeout=30)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        answers = {}
        for hostile in files:
            response = http.post(
                base + reverse("campaigns:grid_upload", args=["thulium", "00001"]),
                data={"mode": "edit", "csrfmiddlewaretoken": token},
                files={"file": (hostile.name, (directory / hostile.name).read_bytes())},
                allow_redirects=False,
                timeout=120,
            )
            answers[hostile.name] = response.status_code
            assert response.status_code in {302, 400}, (hostile.name, response.status_code)
            expected = {READ, EITHER} if response.status_code == 302 else {REFUSED, EITHER}
            assert hostile.expect in expected, (hostile.name, response.status_code)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    booted = log.read_text().count("Booting worker")
    assert booted == 1, log.read_text()[-3000:]
    assert len(answers) == len(files)
