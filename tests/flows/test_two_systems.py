"""Two Thulium systems side by side, each a real sandbox process over real HTTP: campaign 00001
exists in each; a sending, a revert and retention stay within their own system."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from campaigns.models import (
    AuditDetail,
    AuditEntry,
    Campaign,
    CampaignListing,
    Grid,
    Submission,
    ThuliumSystem,
)
from campaigns.services.audit import audit
from campaigns.services.connection import thulium_client
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.person import person_erase
from campaigns.services.retention import campaign_retention_days, purge_plan
from campaigns.services.revert import submission_revert
from campaigns.services.systems import thulium_system_change
from campaigns.services.validation import campaign_rules
from campaigns.tasks import read_campaign_listing, run_submission
from tests.helpers import Sandbox, queue_sending, single_phones

pytestmark = pytest.mark.django_db


def grid_of(campaign: Campaign, text: str) -> Grid:
    """A grid uploaded to the campaign from a CSV, its columns confirmed against its system."""
    made = grid_create_from_file(
        campaign=campaign, author=None, data=text.encode(), filename="lista.csv"
    )
    with thulium_client(system=campaign.system) as client:
        return grid_confirm_mapping(grid=made, mapping=made.mapping, client=client)


def sent_to(sandbox: Sandbox) -> list[str]:
    """The API calls a sandbox received that could change something (not its reads)."""
    return [f"{r['method']} {r['path']}" for r in sandbox.requests() if r["method"] != "GET"]


def send_in_worker(grid: Grid) -> Any:
    """Queue the grid's sending as the page does, and run it as the worker runs the task: with
    the client the task builds for the sending's own system."""
    with thulium_client(system=grid.campaign.system) as client:
        rules = campaign_rules(campaign=grid.campaign, client=client)
    submission = queue_sending(grid=grid, rules=rules)
    assert run_submission.call(submission.pk) == Submission.State.FINISHED
    submission.refresh_from_db()
    return submission


def test_a_sending_to_system_b_never_reaches_system_as_server(
    sandbox: Sandbox, sandbox_b: Sandbox, campaign: Campaign, campaign_b: Campaign
) -> None:
    a_before = sandbox.records("00001")
    phones = single_phones(sandbox_b, "1", 3)
    grid = grid_of(campaign_b, "Nr tel.;Status\n" + "".join(f"{p};Nie dzwonić\n" for p in phones))
    sandbox.clear_requests()
    sandbox_b.clear_requests()

    sending = send_in_worker(grid)

    assert sending.campaign.system.name == "klient-b"
    assert sandbox.requests() == []  # not even a read
    assert sent_to(sandbox_b) == ["PUT /api/batch/outbounds/00001/records"]
    assert [sandbox_b.record("00001", p)["status_id"] for p in phones] == ["5", "5", "5"]
    assert sandbox.records("00001") == a_before


def test_a_revert_of_a_sending_in_b_puts_back_in_b(
    sandbox: Sandbox, sandbox_b: Sandbox, campaign: Campaign, campaign_b: Campaign
) -> None:
    phones = single_phones(sandbox_b, "1", 2)
    grid = grid_of(campaign_b, "Nr tel.;Status\n" + "".join(f"{p};Nie dzwonić\n" for p in phones))
    sending = send_in_worker(grid)
    sandbox.clear_requests()
    sandbox_b.clear_requests()

    with thulium_client(system=campaign_b.system) as client:
        rules = campaign_rules(campaign=campaign_b, client=client)
    revert = submission_revert(submission=sending, author=None, rules=rules)
    send_in_worker(revert)

    assert revert.campaign == campaign_b
    assert sandbox.requests() == []
    assert sent_to(sandbox_b) == ["PUT /api/batch/outbounds/00001/records"]
    assert [sandbox_b.record("00001", p)["status_id"] for p in phones] == ["1", "1"]


# --- retention, per system ---------------------------------------------------------------------


def test_a_systems_retention_is_the_default_for_its_campaigns_and_a_longer_hold_still_wins(
    settings: Any, campaign: Campaign, campaign_b: Campaign, system_b: ThuliumSystem
) -> None:
    settings.RETENTION_DAYS = 90
    thulium_system_change(system=system_b, actor=None, retention_days=30)
    campaign_b.refresh_from_db()

    assert campaign_retention_days(campaign) == 90  # system A sets none: RETENTION_DAYS
    assert campaign_retention_days(campaign_b) == 30  # shorter than the default: B's choice
    campaign_b.retention_days = 400
    assert campaign_retention_days(campaign_b) == 400  # a campaign's longer hold wins
    campaign_b.retention_days = 10
    assert campaign_retention_days(campaign_b) == 30  # a shorter hold does not shorten it


def test_grids_are_purged_after_their_own_systems_days(
    settings: Any,
    sandbox: Sandbox,
    sandbox_b: Sandbox,
    campaign: Campaign,
    campaign_b: Campaign,
) -> None:
    settings.RETENTION_DAYS = 90
    thulium_system_change(system=campaign_b.system, actor=None, retention_days=30)
    in_a = grid_of(campaign, f"Nr tel.;Status\n{single_phones(sandbox, '1', 1)[0]};Nie dzwonić\n")
    in_b = grid_of(
        campaign_b, f"Nr tel.;Status\n{single_phones(sandbox_b, '1', 1)[0]};Nie dzwonić\n"
    )

    after_a_month = purge_plan(now=timezone.now() + timedelta(days=31)).grids
    after_a_quarter = purge_plan(now=timezone.now() + timedelta(days=91)).grids

    assert [(g.grid_id, g.days) for g in after_a_month] == [(in_b.pk, 30)]
    assert sorted((g.grid_id, g.days) for g in after_a_quarter) == [(in_a.pk, 90), (in_b.pk, 30)]


def test_audit_details_of_no_grid_are_kept_their_systems_days(
    settings: Any, system: ThuliumSystem, system_b: ThuliumSystem
) -> None:
    settings.RETENTION_DAYS = 90
    thulium_system_change(system=system_b, actor=None, retention_days=30)
    # A person's search in each system, and one of the install (no system): personal details
    # (the number searched) that belong to no grid.
    found = {
        name: audit(
            action=AuditEntry.Action.PERSON_FOUND,
            actor=None,
            system=held,
            items=0,
            phone="509708024",
        ).pk
        for name, held in (("a", system), ("b", system_b), ("install", None))
    }
    assert AuditDetail.objects.filter(entry_id__in=found.values()).count() == 3

    after_a_month = purge_plan(now=timezone.now() + timedelta(days=31)).details
    after_a_quarter = purge_plan(now=timezone.now() + timedelta(days=91)).details

    assert (after_a_month, after_a_quarter) == (1, 3)


# --- a person's request, per system ------------------------------------------------------------


def test_a_persons_erasure_in_a_leaves_b_untouched(
    sandbox: Sandbox, sandbox_b: Sandbox, campaign: Campaign, campaign_b: Campaign
) -> None:
    number = "509708024"  # the same person is a customer of both clients
    in_a = grid_of(campaign, f"Nr tel.;Status\n{number};Nie dzwonić\n")
    in_b = grid_of(campaign_b, f"Nr tel.;Status\n{number};Nie dzwonić\n")
    sandbox.clear_requests()
    sandbox_b.clear_requests()

    person_erase(
        phone=number, system=campaign.system, reason="the person's request to client A", actor=None
    )

    assert not in_a.rows.filter(phone=number).exists()
    assert in_b.rows.filter(phone=number).exists()  # client B's data: another controller's
    assert sandbox.requests() == sandbox_b.requests() == []


def test_a_sending_whose_systems_password_cannot_be_read_stops_and_says_why(
    settings: Any, sandbox_b: Sandbox, campaign_b: Campaign
) -> None:
    phones = single_phones(sandbox_b, "1", 2)
    grid = grid_of(campaign_b, "Nr tel.;Status\n" + "".join(f"{p};Nie dzwonić\n" for p in phones))
    with thulium_client(system=campaign_b.system) as client:
        rules = campaign_rules(campaign=campaign_b, client=client)
    submission = queue_sending(grid=grid, rules=rules)
    sandbox_b.clear_requests()
    # The key that sealed klient-b's password was dropped from CONNECTIONS_KEY too early.
    settings.CONNECTIONS_KEY = ["another-key-altogether-not-the-one-that-sealed-it"]

    assert run_submission.call(submission.pk) == Submission.State.FAILED

    submission.refresh_from_db()
    assert "cannot be read with CONNECTIONS_KEY" in submission.problem
    assert "klient-b" in submission.problem
    assert sandbox_b.requests() == []
    assert not submission.active


def test_a_listing_read_whose_systems_password_cannot_be_read_ends_failed(
    settings: Any, campaign_b: Campaign
) -> None:
    settings.CONNECTIONS_KEY = ["another-key-altogether-not-the-one-that-sealed-it"]

    assert read_campaign_listing.call(campaign_b.pk) == "failed"

    listing = CampaignListing.objects.get(campaign=campaign_b)
    assert listing.state == CampaignListing.State.FAILED
    assert "cannot be read with CONNECTIONS_KEY" in listing.problem
