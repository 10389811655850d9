"""When each periodic job is due, and taking one to run: the scheduler's side of the database.

A job is taken with one conditional UPDATE — due, and held by no one (or by a scheduler whose
lease ran out) — so of two schedulers asking at once the database lets exactly one win; the
same move the sending's chunks are claimed with. The job's next run is set as it is taken, from
its start: every N seconds after it, or at the next HH:MM in the install's time zone.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import PeriodicJob


class ScheduleProblem(Exception):
    """A schedule setting that cannot be read, in the reader's words."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class Periodic:
    """A periodic job: the management command it runs, and when."""

    name: str
    command: str
    every: timedelta | None = None
    daily_at: time | None = None
    # How long a scheduler holds the job before another may take it over (it died meanwhile).
    lease: timedelta = timedelta(hours=1)


def _time_of_day(setting: str, text: str) -> time:
    if not re.fullmatch(r"\d{1,2}:\d{2}", text.strip()):
        raise ScheduleProblem(
            _("%(setting)s is “%(value)s”: write a time of day as HH:MM, for example 03:30.")
            % {"setting": setting, "value": text}
        )
    hours, minutes = (int(part) for part in text.strip().split(":"))
    if hours > 23 or minutes > 59:
        raise ScheduleProblem(
            _("%(setting)s is “%(value)s”: no such time of day; use 00:00 to 23:59.")
            % {"setting": setting, "value": text}
        )
    return time(hours, minutes)


def periodic_jobs() -> list[Periodic]:
    """Every periodic job of the install, as the settings schedule them."""
    return [
        Periodic(
            "reap_submissions",
            "reap_submissions",
            every=timedelta(seconds=settings.SCHEDULE_REAP_EVERY_SECONDS),
            lease=timedelta(minutes=10),
        ),
        Periodic(
            "verify_audit",
            "verify_audit",
            daily_at=_time_of_day("SCHEDULE_VERIFY_AUDIT_AT", settings.SCHEDULE_VERIFY_AUDIT_AT),
            lease=timedelta(hours=6),
        ),
        Periodic(
            "purge_personal_data",
            "purge_personal_data",
            daily_at=_time_of_day("SCHEDULE_PURGE_AT", settings.SCHEDULE_PURGE_AT),
            lease=timedelta(hours=6),
        ),
    ]


def next_due(job: Periodic, after: datetime) -> datetime:
    """When the job is due next, counted from `after` (its start, or now for a new job)."""
    if job.every is not None:
        return after + job.every
    assert job.daily_at is not None
    local = timezone.localtime(after)
    moment = timezone.make_aware(datetime.combine(local.date(), job.daily_at))
    return (
        moment
        if moment > after
        else timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), job.daily_at))
    )


def periodic_jobs_ensure(jobs: list[Periodic], *, now: datetime | None = None) -> None:
    """A row for every job: one run every N seconds is due at once, a daily one at its next
    time of day. Rows of jobs no longer scheduled stay, with their history."""
    now = now or timezone.now()
    for job in jobs:
        first = now if job.every is not None else next_due(job, now)
        PeriodicJob.objects.get_or_create(name=job.name, defaults={"due_at": first})


def scheduler_token() -> str:
    return secrets.token_hex(8)


def periodic_job_take(job: Periodic, *, scheduler: str, now: datetime | None = None) -> bool:
    """Take the job if it is due and no live scheduler holds it: True for exactly one of any
    number of schedulers asking at once."""
    now = now or timezone.now()
    taken = (
        PeriodicJob.objects.filter(name=job.name, due_at__lte=now)
        .filter(Q(running_by="") | Q(running_until__lt=now))
        .update(
            running_by=scheduler,
            running_until=now + job.lease,
            last_started_at=now,
            due_at=next_due(job, now),
            runs=F("runs") + 1,
        )
    )
    return taken == 1


def periodic_job_finish(job: Periodic, *, scheduler: str, ok: bool, said: str) -> None:
    """Let go of the job with what its run said; a hold another scheduler took over since (the
    lease ran out) is theirs now, and left alone."""
    PeriodicJob.objects.filter(name=job.name, running_by=scheduler).update(
        running_by="",
        running_until=None,
        last_finished_at=timezone.now(),
        last_ok=ok,
        last_result=said[-4000:],
    )
