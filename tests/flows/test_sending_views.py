"""Sending from the grid page: send, live progress that stops by itself, cancel, resend."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from campaigns import thulium
from campaigns.models import Grid, Outcome, Submission
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.sending import submission_run
from tests.helpers import send_from_page

pytestmark = pytest.mark.django_db


def test_send_queues_a_job_after_commit_and_shows_progress(
    logged_in: Client, crm_grid: Grid, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_from_page(logged_in, crm_grid)

    submission = Submission.objects.get()
    assert len(callbacks) == 1
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [submission.pk]
    page = logged_in.get(reverse("campaigns:grid_detail", args=[crm_grid.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "Requests answered: 0 of 1" in page
    assert "Cancel sending" in page


def test_progress_polls_then_refreshes_the_page_when_done(
    logged_in: Client, crm_grid: Grid, api: thulium.ThuliumClient
) -> None:
    send_from_page(logged_in, crm_grid)
    url = reverse("campaigns:grid_progress", args=[crm_grid.pk])

    polling = logged_in.get(url, headers={"HX-Request": "true"})
    submission_run(submission_id=Submission.objects.get().pk, client=api)
    done = logged_in.get(url, headers={"HX-Request": "true"})

    assert polling.content.decode().lstrip().startswith('<section id="sending"')
    assert "<html" not in polling.content.decode()
    assert done["HX-Refresh"] == "true"
    page = logged_in.get(reverse("campaigns:grid_detail", args=[crm_grid.pk])).content.decode()
    assert 'hx-trigger="every 1s"' not in page
    assert page.count('<span class="badge badge--updated" title=') == 7
    # All 7 rows that change something were updated; the 8 with errors need fixing before
    # anything is resent, and the one Thulium holds as it is stays out.
    assert "Review sending" not in page
    assert "Review resending" not in page


def test_cancel_from_the_page(
    logged_in: Client, crm_grid: Grid, api: thulium.ThuliumClient
) -> None:
    send_from_page(logged_in, crm_grid)
    submission = Submission.objects.get()

    logged_in.post(reverse("campaigns:submission_cancel", args=[crm_grid.pk, submission.pk]))
    submission_run(submission_id=submission.pk, client=api)

    submission.refresh_from_db()
    assert submission.state == Submission.State.CANCELLED
    assert not crm_grid.rows.filter(outcome=Outcome.UPDATED).exists()


def test_cancelling_a_sending_no_worker_runs_takes_effect_at_once_and_says_so(
    logged_in: Client, crm_grid: Grid
) -> None:
    send_from_page(logged_in, crm_grid)  # queued: no worker has started it
    submission = Submission.objects.get()

    response = logged_in.post(
        reverse("campaigns:submission_cancel", args=[crm_grid.pk, submission.pk]), follow=True
    )

    submission.refresh_from_db()
    assert submission.state == Submission.State.CANCELLED
    assert "Sending cancelled. Its rows not sent yet are marked" in response.content.decode()
    assert not crm_grid.rows.filter(outcome=Outcome.WAITING).exists()


def test_resend_after_fixing_a_row(
    logged_in: Client, crm_grid: Grid, api: thulium.ThuliumClient, sandbox: Any
) -> None:
    send_from_page(logged_in, crm_grid)
    submission_run(submission_id=Submission.objects.get().pk, client=api)
    broken = crm_grid.rows.get(number=8)  # agent j.doe does not exist
    logged_in.post(
        reverse("campaigns:cell_save", args=[crm_grid.pk, broken.pk]),
        {"target": "agent_login", "value": "a.nowak"},
    )

    send_from_page(logged_in, crm_grid, {"resend": "yes"})
    resend = Submission.objects.first()
    submission_run(submission_id=resend.pk, client=api)

    assert resend.resend is True
    assert resend.rows_total == 1
    assert crm_grid.rows.get(number=8).outcome == Outcome.UPDATED


def test_rows_filter_by_outcome_and_show_thuliums_answer(
    logged_in: Client, campaign: Any, api: thulium.ThuliumClient
) -> None:
    data = b"Telefon;Status\n555123321;3\n111222333;5\n"
    made = grid_create_from_file(campaign=campaign, author=None, data=data, filename="a.csv")
    grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    send_from_page(logged_in, grid)
    api.batch_delete("00001", ["111222333"])  # gone from Thulium after the review
    submission_run(submission_id=Submission.objects.get().pk, client=api)

    page = logged_in.get(
        reverse("campaigns:grid_detail", args=[grid.pk]) + "?outcome=not_found"
    ).content.decode()

    assert page.count('class="row--') == 1
    assert "Thulium: “Record not found.”" in page
    assert "No record in the campaign has this phone number" in page
    assert 'title="HTTP 404' in page


def test_sending_nothing_says_why(logged_in: Client, campaign: Any, api: Any) -> None:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=b"Telefon\nabc\n", filename="a.csv"
    )
    grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)

    response = send_from_page(logged_in, grid, follow=True)

    assert "No row can be sent: fix the rows with errors first." in response.content.decode()
    assert not Submission.objects.exists()


def test_a_queued_sending_says_what_it_waits_for(
    logged_in: Client, crm_grid: Grid, campaign: Any, api: Any
) -> None:
    """Found by a new user: "another sending for this campaign runs first" showed on every
    queued sending, with nothing else running."""

    send_from_page(logged_in, crm_grid)
    page = logged_in.get(reverse("campaigns:grid_detail", args=[crm_grid.pk])).content.decode()
    assert "Queued: it starts as soon as a worker is free." in page
    assert "another sending for this campaign runs first" not in page

    made = grid_create_from_file(
        campaign=campaign, author=None, data=b"Telefon;Status\n555123321;3\n", filename="a.csv"
    )
    second = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    send_from_page(logged_in, second)
    page = logged_in.get(reverse("campaigns:grid_detail", args=[second.pk])).content.decode()
    assert "Queued: another sending for this campaign runs first." in page
