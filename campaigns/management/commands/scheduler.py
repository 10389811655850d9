"""`manage.py scheduler [--once]`: the one process that runs every periodic job when it is due —
restart sendings whose worker died, verify the audit log and record its head, purge personal
data past its retention — each as its own command would, so a job's output and exit code are
the command's; and the recurring imports when each is due (campaigns/services/imports.py).

A small loop over the database instead of a scheduling library: the jobs' state must live in
the database anyway (two schedulers, on two machines, must never run one job at once), and a
conditional UPDATE on the job's row is that lock (campaigns/services/schedule.py). Each job
runs in a thread of its own, so a long purge never holds up the reaping of sendings.

`--once` runs every job that is due now, waits for them, and exits (for cron, or a test).
Exit 0 when every job run succeeded, 1 when one failed, 2 for a schedule that cannot be read.
"""

from __future__ import annotations

import io
import logging
import signal
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from django.utils.translation import gettext as _

from campaigns.exceptions import ThuliumProblem
from campaigns.models import Import, ImportRun
from campaigns.services.connection import thulium_session
from campaigns.services.imports import import_failed, import_let_go, import_run, imports_take_due
from campaigns.services.schedule import (
    Periodic,
    ScheduleProblem,
    periodic_job_finish,
    periodic_job_take,
    periodic_jobs,
    periodic_jobs_ensure,
    scheduler_token,
)

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the periodic jobs when they are due (reap sendings, verify the audit log, purge "
        "personal data); --once runs what is due now and exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="run what is due now, wait for it, and exit"
        )

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        try:
            jobs = periodic_jobs()
        except ScheduleProblem as problem:
            self.stderr.write(problem.text)
            sys.exit(2)
        self.me = scheduler_token()
        periodic_jobs_ensure(jobs)
        if once:
            results = [self._run(job) for job in jobs if periodic_job_take(job, scheduler=self.me)]
            # The due imports, their sendings run here to their end: --once waits for them.
            results += [
                self._run_import(imp, send_now=True) for imp in imports_take_due(scheduler=self.me)
            ]
            sys.exit(0 if all(results) else 1)
        self._loop(jobs)

    def _loop(self, jobs: list[Periodic]) -> None:
        stop = threading.Event()
        for sent in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sent, lambda *_: stop.set())
        self.stdout.write(
            _("Scheduler %(me)s: %(jobs)s; looking every %(tick)s s.")
            % {
                "me": self.me,
                "jobs": ", ".join(job.name for job in jobs),
                "tick": f"{settings.SCHEDULER_TICK_SECONDS:g}",
            }
        )
        running: dict[str, threading.Thread] = {}
        while not stop.is_set():
            for job in jobs:
                if job.name in running and running[job.name].is_alive():
                    continue
                if periodic_job_take(job, scheduler=self.me):
                    thread = threading.Thread(target=self._run, args=(job,), name=job.name)
                    running[job.name] = thread
                    thread.start()
            for imp in imports_take_due(scheduler=self.me):
                # Its sendings go to the task workers, as a person's do.
                thread = threading.Thread(
                    target=self._run_import, args=(imp,), kwargs={"send_now": False}
                )
                running[f"import {imp.name}"] = thread
                thread.start()
            connections.close_all()
            stop.wait(settings.SCHEDULER_TICK_SECONDS)
        for thread in running.values():
            thread.join()

    def _run_import(self, imp: Import, *, send_now: bool) -> bool:
        """One due import's run (campaigns/services/imports.py); what it did is its runs."""
        try:
            with thulium_session(system=imp.campaign.system) as client:
                runs = import_run(imp=imp, client=client, send_now=send_now)
            return all(run.state != ImportRun.State.FAILED for run in runs)
        except ThuliumProblem as problem:
            import_failed(imp=imp, text=problem.text)
            return False
        except Exception:
            logger.exception("scheduler: import %s failed", imp.name)
            return False
        finally:
            import_let_go(imp, scheduler=self.me)
            if threading.current_thread() is not threading.main_thread():
                connections.close_all()

    def _run(self, job: Periodic) -> bool:
        """Run the job's command as cron would, and record what it said."""
        out = io.StringIO()
        started = time.monotonic()
        ok = False
        try:
            call_command(job.command, stdout=out, stderr=out)
            ok = True
        except SystemExit as ended:
            ok = ended.code in (0, None)
        except Exception:
            # Whatever failed, the scheduler goes on: the next run tries again.
            logger.exception("scheduler: %s failed", job.name)
            out.write(_("The job failed; the scheduler's log has the details."))
        finally:
            said = out.getvalue().strip()
            periodic_job_finish(job, scheduler=self.me, ok=ok, said=said)
            logger.log(
                logging.INFO if ok else logging.ERROR,
                "scheduler: %s %s in %.1f s",
                job.name,
                "done" if ok else "FAILED",
                time.monotonic() - started,
            )
            if threading.current_thread() is not threading.main_thread():
                connections.close_all()
        return ok
