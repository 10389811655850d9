"""The campaign's listing, read while an uploaded file waits for its mapping: the grid's first
view already knows which numbers the campaign lacks or holds twice and what its agents are
called, and the review reuses the read while it is fresh (services/listing.py)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from campaigns import thulium
from campaigns.models import Campaign, CampaignListing, Grid, Row, ThuliumSystem
from campaigns.services.campaigns import campaign_fields_add, campaign_for
from campaigns.services.grids import (
    campaign_listing_read,
    grid_confirm_mapping,
    grid_create_from_file,
    grid_validate_against_listing,
)
from campaigns.services.listing import (
    Listing,
    campaign_listing_fresh,
    campaign_listings_forget,
)
from campaigns.services.person import person_erase, person_find
from campaigns.services.review import grid_read_is_recent, grid_review, grid_review_read
from campaigns.services.submissions import submission_create
from campaigns.services.validation import campaign_rules
from tests.helpers import DEMO_FIELDS, Sandbox, run_to_the_end, start_db_worker, stop_db_worker

pytestmark = pytest.mark.django_db

# A CRM export as supervisors write it: agents by their full names, in any case and spacing,
# a number the campaign holds, one it lacks and one it holds twice.
EXPORT = (
    "Telefon;Status;Konsultant;Następny kontakt\n"
    "555123321;Kontakt ponowny;Jan Kowalski;24.12.2030 09:30\n"
    "123123123;Kontakt ponowny;;\n"
    "441;Kontakt ponowny;;\n"
    "111222333;Mój rekord;anna  NOWAK;24.12.2030 10:00\n"
)


def upload(client: Client, campaign: Campaign, text: str = EXPORT) -> Grid:
    answer = client.post(
        reverse("campaigns:grid_upload", args=[campaign.system.name, campaign.thulium_id]),
        {"file": SimpleUploadedFile("crm.csv", text.encode(), content_type="text/csv")},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    return Grid.objects.latest("id")


def confirm(client: Client, grid: Grid) -> None:
    data = {f"column_{i}": target for i, target in enumerate(grid.mapping)}
    answer = client.post(reverse("campaigns:grid_mapping", args=[grid.pk]), data)
    assert answer.status_code == 302, answer.content.decode()[:3000]


def codes(grid: Grid) -> dict[str, list[str]]:
    return {row.phone: [m["code"] for m in row.messages] for row in grid.rows.order_by("number")}


def listing_requests(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [
        r for r in sandbox.requests() if r["method"] == "GET" and r["path"].endswith("/records")
    ]


def test_an_upload_asks_for_one_read_of_the_listing(
    logged_in: Client, campaign: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(logged_in, campaign)
        second = upload(logged_in, campaign)

    listing = CampaignListing.objects.get(campaign=campaign)
    assert listing.state == CampaignListing.State.READING
    assert listing.waiting == [first.pk, second.pk]
    # One read serves both uploads.
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("read_campaign_listing")
    assert task.args_kwargs["args"] == [campaign.pk]
    page = logged_in.get(reverse("campaigns:grid_mapping", args=[second.pk])).content.decode()
    assert "Reading the campaign's records from Thulium" in page
    assert 'hx-trigger="every 1s"' in page


def test_the_first_view_knows_what_thulium_holds_and_names_agents(
    logged_in: Client, campaign: Campaign, api: thulium.ThuliumClient
) -> None:
    assert campaign.agent_names == {}  # a campaign whose listing was never read
    grid = upload(logged_in, campaign)
    read = campaign_listing_read(campaign=campaign, client=api)  # as the worker does
    assert read is not None
    page = logged_in.get(reverse("campaigns:grid_mapping", args=[grid.pk])).content.decode()
    assert "The campaign's records were read from Thulium at" in page
    assert "1,500 records" in page

    confirm(logged_in, grid)

    grid.refresh_from_db()
    assert grid.compared_at == read.read_at
    assert codes(grid) == {
        "555123321": ["agent_by_name"],
        "123123123": ["phone_not_in_campaign"],
        "441": ["phone_held_more_than_once"],
        "111222333": ["agent_by_name"],
    }
    agents = dict(grid.rows.values_list("phone", "agent_login"))
    assert agents["555123321"] == "j.kowalski"
    assert agents["111222333"] == "a.nowak"
    assert grid.rows.filter(state=Row.State.ERROR).count() == 2


def test_a_mapping_confirmed_before_the_read_ends_is_checked_when_it_ends(
    logged_in: Client, campaign: Campaign, api: thulium.ThuliumClient
) -> None:
    grid = upload(logged_in, campaign)
    confirm(logged_in, grid)
    grid.refresh_from_db()
    # Without the listing: nothing known of the numbers, and the names are not agents.
    assert grid.compared_at is None
    assert codes(grid)["123123123"] == []
    assert "agent_unknown" in codes(grid)["555123321"]
    version = grid.version
    page = logged_in.get(reverse("campaigns:grid_detail", args=[grid.pk])).content.decode()
    assert "When it is done, the grid shows the numbers the campaign lacks" in page

    read = campaign_listing_read(campaign=campaign, client=api)

    grid.refresh_from_db()
    assert read is not None
    assert grid.compared_at == read.read_at
    assert grid.version == version + 1  # a review made before it is stale
    assert codes(grid)["123123123"] == ["phone_not_in_campaign"]
    assert codes(grid)["555123321"] == ["agent_by_name"]
    # The grid page's poll reloads the page once the read has ended.
    answer = logged_in.get(
        reverse("campaigns:grid_listing", args=[grid.pk]) + "?on=grid", HTTP_HX_REQUEST="true"
    )
    assert answer.headers.get("HX-Refresh") == "true"


def test_a_grid_compared_or_being_edited_since_keeps_its_own_read(
    logged_in: Client, campaign: Campaign, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = upload(logged_in, campaign)
    confirm(logged_in, grid)
    logged_in.post(reverse("campaigns:grid_review", args=[grid.pk]))  # the review reads
    grid.refresh_from_db()
    compared = grid.compared_at
    version = grid.version
    assert compared is not None

    # An older read ending later changes nothing.
    CampaignListing.objects.filter(campaign=campaign).update(waiting=[grid.pk])
    older = Listing(records={}, read_at=compared - timedelta(seconds=5))
    assert not grid_validate_against_listing(grid_id=grid.pk, listing=older, client=api)
    grid.refresh_from_db()
    assert (grid.compared_at, grid.version) == (compared, version)


def test_a_read_queued_before_the_review_but_run_after_it_leaves_the_review_standing(
    logged_in: Client, campaign: Campaign, api: thulium.ThuliumClient
) -> None:
    """Found under load: the worker took the upload's read only after the person had reviewed
    with a read of their own, and the grid it then checked refused the sending as changed
    since the review, though nobody had changed it."""
    grid = upload(logged_in, campaign)  # its listing read is queued, not run
    confirm(logged_in, grid)
    logged_in.post(reverse("campaigns:grid_review", args=[grid.pk]))  # the review reads
    grid.refresh_from_db()
    rules = campaign_rules(campaign=campaign, client=api)
    token = grid_review(grid=grid, rules=rules).token
    reviewed = (grid.compared_at, grid.version)

    read = campaign_listing_read(campaign=campaign, client=api)  # the worker, late

    grid.refresh_from_db()
    assert read is not None
    assert reviewed[0] is not None
    assert read.read_at > reviewed[0]
    assert (grid.compared_at, grid.version) == reviewed
    sent = logged_in.post(reverse("campaigns:grid_send", args=[grid.pk]), {"review": token})
    assert sent.status_code == 302
    assert grid.submissions.count() == 1


def test_the_review_reuses_a_fresh_read_and_reads_again_when_asked(
    logged_in: Client,
    campaign: Campaign,
    api: thulium.ThuliumClient,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    grid = upload(logged_in, campaign)
    campaign_listing_read(campaign=campaign, client=api)
    confirm(logged_in, grid)
    sandbox.reset()  # the request log: the world stays the demo's

    review = reverse("campaigns:grid_review", args=[grid.pk])
    assert logged_in.post(review).status_code == 302
    assert listing_requests(sandbox) == []
    page = logged_in.get(review).content.decode()
    assert "Checked against the campaign's records as Thulium held them at" in page

    assert logged_in.post(review, {"again": "yes"}).status_code == 302
    assert listing_requests(sandbox) != []

    sandbox.reset()
    settings.LISTING_FRESH_SECONDS = 0  # any read is too old now
    assert logged_in.post(review).status_code == 302
    assert listing_requests(sandbox) != []


def test_a_sending_since_makes_every_earlier_read_stale(
    logged_in: Client,
    campaign: Campaign,
    api: thulium.ThuliumClient,
    sandbox: Sandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Found by a new user: a grid built after a sending was checked against the listing read
    before it, its review said Thulium still held the old values, and its revert would have
    put back values from before the first sending."""
    first = upload(logged_in, campaign, "Telefon;Status\n555123321;Nie dzwonić\n")
    later = upload(logged_in, campaign, "Telefon;Status\n555123321;Kontakt ponowny\n")
    campaign_listing_read(campaign=campaign, client=api)
    confirm(logged_in, first)
    confirm(logged_in, later)  # compared with the same read as the first
    first.refresh_from_db()
    later.refresh_from_db()
    assert first.compared_at == later.compared_at is not None
    rules = campaign_rules(campaign=campaign, client=api)

    sending = submission_create(
        grid=first,
        author=None,
        rules=rules,
        review=grid_review(grid=first, rules=rules).token,
    )
    run_to_the_end(sending, api)
    assert sandbox.record("00001", "555123321")["status_id"] == "5"

    # The kept read no longer stands: a new upload reads again, and grids check without it.
    assert campaign_listing_fresh(campaign) is None
    reads = DBTaskResult.objects.filter(task_path__endswith="read_campaign_listing")
    before = reads.count()
    third = upload(logged_in, campaign, "Telefon;Status\n555123321;Nowy\n")
    assert reads.count() == before + 1
    assert CampaignListing.objects.get(campaign=campaign).waiting == [third.pk]
    # A review of the later grid reads the campaign again…
    assert not grid_read_is_recent(later)
    sandbox.clear_requests()
    assert logged_in.post(reverse("campaigns:grid_review", args=[later.pk])).status_code == 302
    assert listing_requests(sandbox) != []
    later.refresh_from_db()
    now = later.thulium_now.get(phone="555123321").values
    assert now["status_id"] == "5"  # what the first sending left
    # …and its sending takes the records' before-values from what Thulium holds then.
    sandbox.clear_requests()
    later_sending = submission_create(
        grid=later,
        author=None,
        rules=rules,
        review=grid_review(grid=later, rules=rules).token,
    )
    run_to_the_end(later_sending, api)
    before = later_sending.outcomes.get(phone="555123321").before
    assert before["status_id"] == "5"


def test_a_sending_queued_behind_another_reads_its_before_values_after_it(
    campaign: Campaign, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    """Two grids reviewed against one read, both queued: the second runs after the first has
    changed the record, so it must not take its before-values from the review's read (its
    revert would put back what was there before the first sending)."""

    rules = campaign_rules(campaign=campaign, client=api)
    grids = []
    for status in ("Nie dzwonić", "Kontakt ponowny"):
        made = grid_create_from_file(
            campaign=campaign,
            author=None,
            data=f"Telefon;Status\n555123321;{status}\n".encode(),
            filename="one.csv",
        )
        grids.append(grid_confirm_mapping(grid=made, mapping=made.mapping, client=api))
    queued = []
    for grid in grids:
        grid_review_read(grid=grid, client=api)
        token = grid_review(grid=grid, rules=rules).token
        queued.append(submission_create(grid=grid, author=None, rules=rules, review=token))

    run_to_the_end(queued[0], api)
    run_to_the_end(queued[1], api)

    assert queued[0].outcomes.get().before["status_id"] == "1"  # the demo's
    assert queued[1].outcomes.get().before["status_id"] == "5"  # what the first one left
    assert sandbox.record("00001", "555123321")["status_id"] == "3"


def test_a_listing_that_cannot_be_read_says_so_and_loses_nothing(
    logged_in: Client, campaign: Campaign, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = upload(logged_in, campaign)
    sandbox.inject(
        {"kind": "status", "status": 503, "method": "GET", "path": "/records", "for_seconds": 60}
    )

    assert campaign_listing_read(campaign=campaign, client=api) is None

    listing = CampaignListing.objects.get(campaign=campaign)
    assert listing.state == CampaignListing.State.FAILED
    assert "503" in listing.problem
    page = logged_in.get(reverse("campaigns:grid_mapping", args=[grid.pk])).content.decode()
    assert "could not be read from Thulium now" in page
    assert "The review reads them again before anything is sent." in page
    sandbox.clear_faults()
    confirm(logged_in, grid)
    assert Grid.objects.get(pk=grid.pk).rows.count() == 4


def test_the_mapping_page_speaks_polish(
    logged_in: Client, campaign: Campaign, api: thulium.ThuliumClient
) -> None:
    grid = upload(logged_in, campaign)
    campaign_listing_read(campaign=campaign, client=api)
    logged_in.post(reverse("set_language"), {"language": "pl"})
    page = logged_in.get(reverse("campaigns:grid_mapping", args=[grid.pk])).content.decode()
    assert "1\xa0500 rekordów" in page or "1 500 rekordów" in page


def test_kept_listings_are_personal_data(
    logged_in: Client, campaign: Campaign, api: thulium.ThuliumClient, supervisor: Any
) -> None:
    upload(logged_in, campaign)
    campaign_listing_read(campaign=campaign, client=api)

    found = person_find(
        phone="600100200", system=ThuliumSystem.objects.get(), actor=supervisor, audited=False
    )
    assert [f.kind for f in found.findings if f.kind == "listing"] == ["listing"]
    erased = person_erase(
        phone="600100200",
        system=ThuliumSystem.objects.get(),
        reason="the person's request",
        actor=supervisor,
    )
    assert erased.left.get("listing", 0) == 0
    assert CampaignListing.objects.get(campaign=campaign).records == []


def test_stale_listings_are_forgotten(
    logged_in: Client, campaign: Campaign, api: thulium.ThuliumClient, settings: Any
) -> None:
    upload(logged_in, campaign)
    campaign_listing_read(campaign=campaign, client=api)
    assert campaign_listings_forget() == 0  # fresh: kept
    settings.LISTING_FRESH_SECONDS = 0
    time.sleep(0.01)
    assert campaign_listings_forget() == 1
    assert CampaignListing.objects.get(campaign=campaign).records == []


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reads_the_listing_while_the_columns_are_mapped(
    client: Client, supervisor: Any, sandbox: Sandbox, system: Any
) -> None:
    campaign = campaign_for(system=system, thulium_id="00001", name="Odnowienia")
    campaign_fields_add(campaign=campaign, names=DEMO_FIELDS)
    client.force_login(supervisor)
    grid = upload(client, campaign)
    worker = start_db_worker(sandbox)
    try:
        deadline = time.monotonic() + 60
        while CampaignListing.objects.get(campaign=campaign).state == "reading":
            assert time.monotonic() < deadline, "the worker never read the listing"
            time.sleep(0.2)
    finally:
        stop_db_worker(worker)
    assert CampaignListing.objects.get(campaign=campaign).state == "read"
    confirm(client, grid)
    assert codes(Grid.objects.get(pk=grid.pk))["123123123"] == ["phone_not_in_campaign"]
