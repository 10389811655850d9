"""`manage.py scheduler`: every periodic job runs when due, as its own command would; two
schedulers at once never run one job twice; a dead scheduler's hold runs out."""

from __future__ import annotations

import signal
import subprocess
import sys
import time as clock
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.models import Grant, PeriodicJob, Submission
from campaigns.services.schedule import (
    Periodic,
    next_due,
    periodic_job_take,
    periodic_jobs,
    periodic_jobs_ensure,
)
from tests.helpers import (
    ROOT,
    Sandbox,
    process_env,
    queue_sending,
    schedulers_at_once,
    user_with_role,
    worker_database_url,
)

pytestmark = pytest.mark.django_db


def once() -> int:
    try:
        call_command("scheduler", "--once")
    except SystemExit as ended:
        return int(ended.code or 0)
    return 0


def job(name: str) -> PeriodicJob:
    return PeriodicJob.objects.get(name=name)


def test_once_runs_what_is_due_and_leaves_the_daily_jobs_to_their_hour() -> None:
    assert once() == 0

    reap = job("reap_submissions")
    assert (reap.runs, reap.last_ok, reap.running_by) == (1, True, "")
    assert "Restarted submissions" in reap.last_result
    assert reap.due_at > timezone.now()  # SCHEDULE_REAP_EVERY_SECONDS after its start
    for daily in ("verify_audit", "purge_personal_data"):
        assert job(daily).runs == 0
        assert job(daily).due_at > timezone.now()

    assert once() == 0  # nothing is due again yet
    assert job("reap_submissions").runs == 1


def test_a_due_daily_job_runs_as_its_command_and_its_failure_is_recorded(
    settings: Any, tmp_path: Path
) -> None:
    periodic_jobs_ensure(periodic_jobs())
    PeriodicJob.objects.filter(name="verify_audit").update(due_at=timezone.now())
    # A head file the job cannot write: verify_audit exits 2, and the scheduler says so.
    settings.AUDIT_HEAD_FILE = tmp_path / "no-such-folder" / "head"

    assert once() == 1

    verify = job("verify_audit")
    assert (verify.runs, verify.last_ok) == (1, False)
    assert "head" in verify.last_result.lower()
    assert verify.due_at > timezone.now() + timedelta(hours=1)  # tomorrow's run, or today's

    settings.AUDIT_HEAD_FILE = tmp_path / "head"
    PeriodicJob.objects.filter(name="verify_audit").update(due_at=timezone.now())
    assert once() == 0
    assert job("verify_audit").last_ok is True
    assert (tmp_path / "head").read_text().strip()  # the head was recorded, as the command does


def test_the_purge_runs_as_purge_personal_data_does(settings: Any) -> None:
    periodic_jobs_ensure(periodic_jobs())
    PeriodicJob.objects.filter(name="purge_personal_data").update(due_at=timezone.now())

    assert once() == 0

    assert (
        job("purge_personal_data").last_result == "Nothing is past its retention: nothing to erase."
    )


def test_a_schedule_that_cannot_be_read_says_how_to_write_it(settings: Any, capsys: Any) -> None:
    settings.SCHEDULE_PURGE_AT = "25:99"

    assert once() == 2

    assert "SCHEDULE_PURGE_AT" in capsys.readouterr().err


def test_a_job_held_by_a_live_scheduler_waits_and_a_dead_ones_hold_runs_out() -> None:
    reap = Periodic("reap_submissions", "reap_submissions", every=timedelta(minutes=1))
    periodic_jobs_ensure([reap])
    now = timezone.now()

    assert periodic_job_take(reap, scheduler="first", now=now)
    PeriodicJob.objects.filter(name=reap.name).update(due_at=now)  # due again, still held
    assert not periodic_job_take(reap, scheduler="second", now=now + timedelta(seconds=5))
    # The first died: its lease (an hour by default) runs out, and the second takes it over.
    assert periodic_job_take(reap, scheduler="second", now=now + timedelta(hours=2))
    assert job(reap.name).running_by == "second"


def test_a_daily_job_is_due_at_its_next_time_of_day() -> None:
    verify = Periodic("verify_audit", "verify_audit", daily_at=time(2, 30))
    before = timezone.make_aware(datetime(2026, 12, 5, 1, 0))
    after = timezone.make_aware(datetime(2026, 12, 5, 2, 30))

    assert timezone.localtime(next_due(verify, before)).isoformat().startswith("2026-12-05T02:30")
    assert timezone.localtime(next_due(verify, after)).isoformat().startswith("2026-12-06T02:30")


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_never_run_a_job_twice(sandbox: Sandbox, tmp_path: Path) -> None:
    periodic_jobs_ensure(periodic_jobs())
    env = process_env(
        worker_database_url(),
        sandbox,
        LOG_LEVEL="WARNING",
        AUDIT_HEAD_FILE=str(tmp_path / "head"),
    )
    rounds = 4
    for _round in range(rounds):
        PeriodicJob.objects.update(due_at=timezone.now() - timedelta(seconds=1))
        schedulers_at_once(env)

    # Each round, each job was taken by exactly one of the two.
    assert sorted(PeriodicJob.objects.values_list("name", "runs")) == [
        ("purge_personal_data", rounds),
        ("reap_submissions", rounds),
        ("verify_audit", rounds),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_restarts_a_sending_whose_worker_died_and_stops_on_sigterm(
    sandbox: Sandbox, crm_grid: Any, rules: Any
) -> None:
    submission = queue_sending(grid=crm_grid, rules=rules)
    # A worker took it and died: its heartbeat is long past and no task will run it again.
    Submission.objects.filter(pk=submission.pk).update(
        state=Submission.State.RUNNING,
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    scheduler = subprocess.Popen(
        [sys.executable, "manage.py", "scheduler"],
        cwd=ROOT,
        env=process_env(worker_database_url(), sandbox, SCHEDULER_TICK_SECONDS="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = clock.monotonic() + 60
        while (
            clock.monotonic() < deadline
            and not PeriodicJob.objects.filter(name="reap_submissions", last_ok=True).exists()
        ):
            clock.sleep(0.3)
        reap = job("reap_submissions")
        assert reap.last_ok, scheduler.stderr
        assert str(submission.pk) in reap.last_result
    finally:
        scheduler.send_signal(signal.SIGTERM)
        out, err = scheduler.communicate(timeout=30)
    assert scheduler.returncode == 0, err.decode()
    assert b"reap_submissions" in out


def test_the_install_administrators_read_the_jobs_in_the_admin_and_no_one_else(
    client: Any, django_user_model: Any, system: Any
) -> None:
    once()
    url = "/admin/campaigns/periodicjob/"
    installs = user_with_role(django_user_model, "adam", "Administrator")
    keeper = django_user_model.objects.create_user("kasia", password="x" * 12, is_staff=True)
    Grant.objects.create(user=keeper, system=system, role=Grant.Role.ADMINISTRATOR)
    for user in (installs, keeper):
        user.is_staff = True
        user.save(update_fields=["is_staff"])

    client.force_login(installs)
    page = client.get(url)
    assert page.status_code == 200
    assert "reap_submissions" in page.content.decode()

    client.force_login(keeper)
    assert client.get(url).status_code == 403
