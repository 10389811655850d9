"""Recurring imports: take the new files of a source, make a grid of each for the campaign with
its remembered mapping and value rules, review it, and act by the import's policy — with the
canary and the brake of every sending — then tell the import's owner.

A file is taken once: by its name, size and content hash, whatever its modification time says.
Files are taken oldest first. A source that fails (cannot be reached, refuses us, holds no file
matching the pattern) is a run with the reason; after `pause_after` such runs in a row the
import pauses itself and says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import thulium
from campaigns.exceptions import FileProblem, MappingProblem, Problem
from campaigns.models import Campaign, Grid, Import, ImportRun, Row, UserPreference
from campaigns.rules.validation import CampaignRules
from campaigns.sealing import SealingKeyMissing, seal
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.import_sources import (
    ImportProblem,
    import_source_files,
    private_key,
    sftp_host_key,
)
from campaigns.services.review import Review, grid_review, grid_review_read
from campaigns.services.sending import submission_run_to_end
from campaigns.services.submissions import submission_create
from campaigns.services.validation import campaign_rules

logger = logging.getLogger(__name__)

A_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


# --- setting an import up -------------------------------------------------------------------


def import_add(
    *,
    name: str,
    campaign: Campaign,
    source: str,
    location: str,
    pattern: str,
    policy: str,
    owner: User | None,
    mode: str = Grid.Mode.EDIT,
    every_minutes: int | None = None,
    daily_at: time | None = None,
    max_left_out: int = 0,
    pause_after: int = 3,
    basic: tuple[str, str] | None = None,
    bearer: str = "",
    sftp_password: str = "",
    sftp_key: str = "",
    host_key: str = "",
) -> Import:
    """A new import, due at once when it runs every N minutes, else at its next time of day."""
    if not A_NAME.fullmatch(name):
        raise ImportProblem(
            _("An import's name is lowercase letters, digits and dashes, e.g. crm-nightly.")
        )
    if Import.objects.filter(name=name).exists():
        raise ImportProblem(_("There is already an import named “%(name)s”.") % {"name": name})
    if (every_minutes is None) == (daily_at is None):
        raise ImportProblem(_("Give the import one schedule: every N minutes, or daily at HH:MM."))
    if every_minutes is not None and every_minutes < 1:
        raise ImportProblem(_("An import runs every 1 minute at the most often."))
    if source == Import.Source.FOLDER and not Path(location).is_absolute():
        raise ImportProblem(
            _("The folder must be an absolute path on the server, e.g. /srv/exports/crm.")
        )
    if source == Import.Source.URL and urlsplit(location).scheme not in {"http", "https"}:
        raise ImportProblem(_("The address must start with https:// (or http://)."))
    if source == Import.Source.SFTP:
        parts = urlsplit(location)
        if parts.scheme != "sftp" or not parts.hostname or not parts.username:
            raise ImportProblem(
                _(
                    "An SFTP source is written sftp://user@host[:port]/folder, e.g. "
                    "sftp://crm@files.example.pl/exports."
                )
            )
        if not (sftp_password or sftp_key):
            raise ImportProblem(_("An SFTP source needs a password or a private key."))
        if sftp_key:
            private_key(sftp_key)  # refused now, with the reason, rather than at 2:00
        host_key = host_key or sftp_host_key(location)
    credentials: dict[str, object] = {}
    if sftp_password:
        credentials["password"] = sftp_password
    if sftp_key:
        credentials["key"] = sftp_key
    if basic is not None:
        credentials["basic"] = list(basic)
    if bearer:
        credentials["bearer"] = bearer
    try:
        sealed = seal(json.dumps(credentials)) if credentials else ""
    except SealingKeyMissing:
        raise ImportProblem(
            _("CONNECTIONS_KEY is not set, so no credential can be kept: set it and try again.")
        ) from None
    now = timezone.now()
    made = Import(
        name=name,
        campaign=campaign,
        mode=mode,
        source=source,
        location=location,
        pattern=pattern or "*",
        credentials_sealed=sealed,
        every_minutes=every_minutes,
        daily_at=daily_at,
        policy=policy,
        max_left_out=max_left_out,
        owner=owner,
        pause_after=max(1, pause_after),
        host_key=host_key,
        due_at=now,
    )
    made.due_at = now if every_minutes is not None else import_next_due(made, now)
    made.save()
    return made


def import_next_due(imp: Import, after: datetime) -> datetime:
    """N minutes after a run's start, or the next HH:MM in the install's time zone."""
    if imp.every_minutes is not None:
        return after + timedelta(minutes=imp.every_minutes)
    assert imp.daily_at is not None
    day = timezone.localtime(after).date()
    moment = timezone.make_aware(datetime.combine(day, imp.daily_at))
    if moment <= after:
        moment = timezone.make_aware(datetime.combine(day + timedelta(days=1), imp.daily_at))
    return moment


def imports_take_due(*, scheduler: str, now: datetime | None = None) -> list[Import]:
    """The due imports this scheduler takes (one conditional UPDATE each: of two schedulers,
    one wins), their next run set from now."""
    now = now or timezone.now()
    taken = []
    due = Import.objects.filter(paused=False, due_at__lte=now).filter(
        Q(running_by="") | Q(running_until__lt=now)
    )
    for imp in due:
        if (
            Import.objects.filter(pk=imp.pk, due_at=imp.due_at, paused=False)
            .filter(Q(running_by="") | Q(running_until__lt=now))
            .update(
                running_by=scheduler,
                running_until=now + timedelta(hours=2),
                due_at=import_next_due(imp, now),
            )
        ):
            taken.append(Import.objects.get(pk=imp.pk))
    return taken


def import_let_go(imp: Import, *, scheduler: str) -> None:
    Import.objects.filter(pk=imp.pk, running_by=scheduler).update(running_by="", running_until=None)


# --- a run ----------------------------------------------------------------------------------


def import_run(
    *,
    imp: Import,
    client: thulium.ThuliumClient,
    send_now: bool = False,
) -> list[ImportRun]:
    """Take the new files, oldest first, and act on each by the policy. `send_now` runs a
    sending in this process to its end (the scheduler's --once, `imports run`); else the task
    workers run it."""
    started = timezone.now()
    try:
        files = import_source_files(imp)
    except ImportProblem as problem:
        return [_failed(imp, started, problem.text)]
    if not files:
        return [
            _failed(
                imp,
                started,
                _("No file matching %(pattern)s at %(where)s.")
                % {"pattern": imp.pattern, "where": imp.location},
                state=ImportRun.State.NO_FILE,
            )
        ]
    taken = set(
        ImportRun.objects.filter(import_job=imp)
        .exclude(file_sha256="")
        .values_list("file_name", "file_size", "file_sha256")
    )
    runs = []
    for found in files:
        try:
            data = found.read()
        except OSError as error:
            runs.append(
                _failed(
                    imp,
                    started,
                    _("Cannot read %(name)s: %(why)s.")
                    % {"name": found.name, "why": error.strerror or error},
                )
            )
            continue
        digest = hashlib.sha256(data).hexdigest()
        if (found.name, len(data), digest) in taken:
            continue
        runs.append(_one_file(imp, found.name, data, digest, client, send_now))
    if not runs:
        # Every file was taken before: a quiet run, nothing to tell anyone.
        return []
    return runs


def _one_file(
    imp: Import,
    name: str,
    data: bytes,
    digest: str,
    client: thulium.ThuliumClient,
    send_now: bool,
) -> ImportRun:
    run = ImportRun(
        import_job=imp,
        started_at=timezone.now(),
        file_name=name,
        file_size=len(data),
        file_sha256=digest,
        state=ImportRun.State.FAILED,
    )
    try:
        made = grid_create_from_file(
            campaign=imp.campaign, author=imp.owner, data=data, filename=name, mode=imp.mode
        )
        run.grid = made
        grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=client, actor=imp.owner)
        grid_review_read(grid=grid, client=client)
        rules = campaign_rules(campaign=imp.campaign, client=client)
        review = grid_review(grid=grid, rules=rules)
        run.state, run.said = _act(imp, grid, review, rules, run, client if send_now else None)
    except (FileProblem, MappingProblem) as problem:
        run.state = ImportRun.State.HELD if run.grid else ImportRun.State.FAILED
        run.said = problem.text
    except Problem as problem:
        run.said = problem.text
    except thulium.ThuliumError as error:
        run.said = _("Thulium could not be read: %(error)s") % {"error": error}
    return _record(imp, run)


def _act(
    imp: Import,
    grid: Grid,
    review: Review,
    rules: CampaignRules,
    run: ImportRun,
    sending_client: thulium.ThuliumClient | None,
) -> tuple[str, str]:
    errors = Row.objects.filter(grid=grid, state=Row.State.ERROR).count()
    left_out = sum(n for _reason, n in review.left_out)
    summary = ngettext(
        "%(rows)s row would be sent; %(left)s left out, %(errors)s with errors.",
        "%(rows)s rows would be sent; %(left)s left out, %(errors)s with errors.",
        review.rows,
    ) % {"rows": review.rows, "left": left_out, "errors": errors}
    if imp.policy == Import.Policy.REVIEW:
        return ImportRun.State.REVIEWED, summary
    if imp.policy == Import.Policy.SEND_WHEN_CLEAN and (errors or left_out > imp.max_left_out):
        return ImportRun.State.HELD, summary + " " + _(
            "Held for a person: open the grid, fix what it flags and send it."
        )
    if not review.rows:
        return ImportRun.State.REVIEWED, summary + " " + _("Nothing to send.")
    submission = submission_create(grid=grid, author=imp.owner, rules=rules, review=review.token)
    run.submission = submission
    if sending_client is not None:
        submission_run_to_end(submission_id=submission.pk, client=sending_client)
        submission.refresh_from_db()
        summary += " " + _("Sending #%(id)s: %(state)s.") % {
            "id": submission.pk,
            "state": submission.get_state_display(),
        }
    return ImportRun.State.SENT, summary


def import_failed(*, imp: Import, text: str) -> ImportRun:
    """A run that could not start (the campaign's Thulium cannot be reached, say)."""
    return _failed(imp, timezone.now(), text)


def _failed(
    imp: Import, started: datetime, text: str, state: str = ImportRun.State.FAILED
) -> ImportRun:
    return _record(imp, ImportRun(import_job=imp, started_at=started, state=state, said=text))


def _record(imp: Import, run: ImportRun) -> ImportRun:
    """Keep the run; count a failing source, and pause the import after too many in a row."""
    run.finished_at = timezone.now()
    failing = run.state in {ImportRun.State.FAILED, ImportRun.State.NO_FILE}
    with transaction.atomic():
        run.save()
        if failing:
            Import.objects.filter(pk=imp.pk).update(failures_in_a_row=F("failures_in_a_row") + 1)
        else:
            Import.objects.filter(pk=imp.pk).update(failures_in_a_row=0)
        imp.refresh_from_db()
        paused_now = failing and not imp.paused and imp.failures_in_a_row >= imp.pause_after
        if paused_now:
            imp.paused = True
            imp.paused_why = _("Paused after %(n)s failed runs in a row; the last: %(why)s") % {
                "n": imp.failures_in_a_row,
                "why": run.said,
            }
            imp.save(update_fields=["paused", "paused_why"])
    import_notify(imp=imp, run=run, paused=paused_now)
    return run


def import_notify(*, imp: Import, run: ImportRun, paused: bool = False) -> bool:
    """Mail the import's owner what the run did (and that it paused the import)."""
    owner = imp.owner
    if owner is None or not owner.email or not getattr(settings, "MAILERS", None):
        return False
    chosen = UserPreference.objects.filter(user=owner).values_list("language", flat=True)
    with translation.override(chosen.first() or settings.LANGUAGE_CODE):
        subject = _("Import %(name)s: %(state)s") % {
            "name": imp.name,
            "state": run.get_state_display(),
        }
        lines = [subject, "", run.said]
        if run.file_name:
            lines.append(_("File: %(name)s") % {"name": run.file_name})
        if run.grid_id:
            lines.append(
                _("Grid: %(url)s")
                % {"url": f"{settings.SITE_URL.rstrip('/')}/grids/{run.grid_id}/"}
            )
        if paused:
            lines += [
                "",
                imp.paused_why,
                _("Resume it with manage.py imports resume %(name)s.") % {"name": imp.name},
            ]
    try:
        send_mail(subject, "\n".join(lines), None, [owner.email])
    except Exception:  # a mail server that fails never fails the import
        logger.exception("import %s: the e-mail to its owner failed", imp.name)
        return False
    return True
