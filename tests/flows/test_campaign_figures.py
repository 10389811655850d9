"""The campaign pages never wait on Thulium: the campaign list, a campaign's page and its charts
show the figures kept of Thulium's last read, say how old they are, and queue one background
read when they are old, however many people ask. A failed read keeps the figures it could not
replace, and says why."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from campaigns.models import ThuliumSnapshot, ThuliumSystem
from campaigns.services.snapshots import snapshot_of, snapshot_refresh_claim
from campaigns.services.validation import campaign_rules_cached, campaign_status_names
from campaigns.tasks import refresh_thulium_snapshot
from tests.helpers import Sandbox

pytestmark = pytest.mark.django_db

PAGE = reverse("campaigns:detail", args=["thulium", "00001"])
CHARTS = reverse("campaigns:campaign_charts", args=["thulium", "00001"])
FIGURES = reverse("campaigns:campaign_figures", args=["thulium", "00001"])
LIST = reverse("campaigns:list")
NAME = "Odnowienia umów — Warszawa"


def reads_queued() -> list[int]:
    """The snapshots a background read was queued for, one entry per task."""
    return [
        task.args_kwargs["args"][0]
        for task in DBTaskResult.objects.filter(task_path__endswith="refresh_thulium_snapshot")
    ]


def age(minutes: int) -> None:
    """Every kept figure was read `minutes` ago."""
    then = timezone.now() - timedelta(minutes=minutes)
    ThuliumSnapshot.objects.update(read_at=then, tried_at=then)


def api_calls(sandbox: Sandbox) -> list[str]:
    return [request["path"] for request in sandbox.requests()]


@pytest.fixture
def seen(logged_in: Client, sandbox: Sandbox) -> Client:
    """The campaign page and its charts opened once: the first visit reads Thulium in the
    request, as there is nothing kept to show yet."""
    assert NAME in logged_in.get(PAGE).content.decode()
    assert logged_in.get(CHARTS).status_code == 200
    assert (
        ThuliumSnapshot.objects.filter(figures__isnull=False).count() == 2
    )  # the list, the campaign
    sandbox.clear_requests()
    return logged_in


@pytest.mark.parametrize("thulium_is", ["slow", "down"])
def test_the_pages_answer_from_the_kept_figures_without_asking_thulium(
    seen: Client, sandbox: Sandbox, settings: Any, closed_port: int, thulium_is: str
) -> None:
    if thulium_is == "slow":
        sandbox.inject({"kind": "delay", "seconds": 5, "for_seconds": 60})
    else:
        settings.THULIUM = settings.THULIUM | {"BASE_URL": f"http://127.0.0.1:{closed_port}/api/"}

    started = time.monotonic()
    page = seen.get(PAGE).content.decode()
    charts = seen.get(CHARTS).content.decode()
    listing = seen.get(LIST).content.decode()

    assert time.monotonic() - started < 2
    assert api_calls(sandbox) == []
    assert NAME in page
    assert 'value="1"' in page
    assert "Nowy" in page
    assert "Figures from Thulium as of" in page
    assert 'role="img"' in charts
    assert NAME in listing
    assert ">1,500<" in listing
    assert "Figures from Thulium as of" in listing


def test_the_pages_say_how_old_the_figures_are(seen: Client) -> None:
    age(minutes=3)

    page = seen.get(PAGE).content.decode()
    polish = seen.get(PAGE, headers={"Accept-Language": "pl"}).content.decode()

    assert "Figures from Thulium as of 3\xa0minutes ago." in page
    assert "Dane z Thulium odczytane 3\xa0minuty temu." in polish
    assert "Reading them again…" in page  # old: a read is queued, the page polls for it
    assert "Figures from Thulium as of 3\xa0minutes ago." in seen.get(LIST).content.decode()


def test_old_figures_queue_one_read_however_many_pages_ask(seen: Client) -> None:
    age(minutes=3)

    for _ in range(4):
        page = seen.get(PAGE).content.decode()
    seen.get(CHARTS)
    seen.get(LIST)

    queued = reads_queued()
    assert sorted(queued) == sorted(ThuliumSnapshot.objects.values_list("pk", flat=True))
    assert "Reading them again…" in page
    assert f'hx-get="{FIGURES}?was=reading" hx-trigger="every 2s"' in page


def test_two_pages_that_saw_the_same_old_figures_claim_one_read(seen: Client) -> None:
    age(minutes=3)
    system = ThuliumSystem.objects.get(name="thulium")
    first = snapshot_of(system=system, thulium_id="00001")
    second = snapshot_of(system=system, thulium_id="00001")

    assert snapshot_refresh_claim(snapshot=first) is True
    assert snapshot_refresh_claim(snapshot=second) is False
    # Once the read is done, a page that saw the figures before it asks for nothing.
    assert refresh_thulium_snapshot.call(first.pk) == "read"
    assert snapshot_refresh_claim(snapshot=second) is False
    assert reads_queued() == []  # the claims alone queue nothing: the page queues the read


def test_the_read_in_the_background_brings_the_new_figures(
    seen: Client, sandbox: Sandbox, demo_world: dict[str, Any]
) -> None:
    demo = demo_world["campaigns"][0]
    demo["name"] = "Odnowienia umów — Warszawa i okolice"
    demo["statuses"][0]["name"] = "Nowy kontakt"
    sandbox.load(demo_world)
    age(minutes=3)

    before = seen.get(PAGE).content.decode()
    assert "Warszawa i okolice" not in before  # the kept figures, a read queued
    for snapshot in sorted(reads_queued()):
        assert refresh_thulium_snapshot.call(snapshot) == "read"

    after = seen.get(PAGE).content.decode()
    assert "Odnowienia umów — Warszawa i okolice" in after
    assert "Nowy kontakt" in after
    assert "Figures from Thulium as of now." in after
    # The page that polled while the read was under way is told it landed: its charts reload.
    polled = seen.get(f"{FIGURES}?was=reading", headers={"HX-Request": "true"})
    assert "figures-read" in json.loads(polled["HX-Trigger"])
    assert "Refresh now" in polled.content.decode()


def test_a_failed_read_keeps_the_figures_and_says_why(seen: Client, sandbox: Sandbox) -> None:
    age(minutes=3)
    seen.get(PAGE)
    sandbox.inject({"kind": "status", "status": 503, "for_seconds": 60})

    for snapshot in reads_queued():
        assert refresh_thulium_snapshot.call(snapshot) == "failed"

    page = seen.get(PAGE)
    html = page.content.decode()
    assert page.status_code == 200
    assert NAME in html
    assert "Nowy" in html
    assert "Figures from Thulium as of 3\xa0minutes ago." in html
    assert "The last read from Thulium failed; the figures shown are from an earlier one." in html
    assert "is not answering right now" in html
    # Read once, worded for readers of each language.
    polish = seen.get(PAGE, headers={"Accept-Language": "pl"}).content.decode()
    assert "Ostatni odczyt z Thulium nie powiódł się" in polish
    assert "nie odpowiada" in polish
    assert 'role="img"' in seen.get(CHARTS).content.decode()
    listing = seen.get(LIST).content.decode()
    assert NAME in listing
    assert "is not answering right now" in listing
    # The failed read counts as a try: the pages do not queue another at once.
    assert len(reads_queued()) == 2


def test_refresh_now_queues_one_read_and_the_figures_poll_until_it_lands(seen: Client) -> None:
    answer = seen.post(FIGURES, headers={"HX-Request": "true"})
    seen.post(FIGURES, headers={"HX-Request": "true"})

    assert len(reads_queued()) == 1
    assert "Reading them again…" in answer.content.decode()
    assert 'hx-trigger="every 2s"' in answer.content.decode()
    waiting = seen.get(f"{FIGURES}?was=reading", headers={"HX-Request": "true"})
    assert "HX-Trigger" not in waiting

    assert refresh_thulium_snapshot.call(reads_queued()[0]) == "read"
    landed = seen.get(f"{FIGURES}?was=reading", headers={"HX-Request": "true"})
    assert "figures-read" in json.loads(landed["HX-Trigger"])
    assert "every 2s" not in landed.content.decode()
    # Without JavaScript, the button is a form that comes back to the page.
    assert seen.post(FIGURES).url == PAGE


def test_refresh_on_the_campaign_list_queues_a_read_of_each_system(seen: Client) -> None:
    table = seen.post(LIST, headers={"HX-Request": "true"}).content.decode()
    seen.post(LIST, headers={"HX-Request": "true"})

    listed = ThuliumSnapshot.objects.get(thulium_id="")
    assert reads_queued() == [listed.pk]
    assert table.lstrip().startswith('<section id="campaign-table"')
    assert f'hx-get="{LIST}" hx-trigger="every 2s"' in table
    assert seen.post(LIST).url == LIST


def test_a_campaign_thulium_does_not_have_answers_404(logged_in: Client, sandbox: Sandbox) -> None:
    unknown = reverse("campaigns:detail", args=["thulium", "00099"])

    first = logged_in.get(unknown)
    sandbox.clear_requests()
    again = logged_in.get(unknown)

    for answer in (first, again):
        assert answer.status_code == 404
        assert "Thulium system thulium has no campaign 00099." in answer.content.decode()
    # The list was read a moment ago: a second try does not ask Thulium again.
    assert api_calls(sandbox) == []
    assert (
        logged_in.get(reverse("campaigns:campaign_charts", args=["thulium", "00099"])).status_code
        == 404
    )


def test_a_campaign_made_in_thulium_since_the_list_was_read_opens_at_once(
    seen: Client, sandbox: Sandbox, demo_world: dict[str, Any]
) -> None:
    made = dict(demo_world["campaigns"][0], id="00077", name="Nowa kampania", records=[])
    demo_world["campaigns"].append(made)
    sandbox.load(demo_world)
    age(minutes=1)

    page = seen.get(reverse("campaigns:detail", args=["thulium", "00077"]))

    assert page.status_code == 200
    assert "Nowa kampania" in page.content.decode()


def test_a_sending_that_ended_since_the_read_makes_the_figures_old(seen: Client, sent: Any) -> None:
    seen.get(PAGE)

    assert sorted(reads_queued()) == [ThuliumSnapshot.objects.get(thulium_id="00001").pk]


def test_another_process_guesses_with_the_statuses_and_agents_the_page_read(
    seen: Client, campaign: Any
) -> None:
    cache.clear()  # another server process: it has read nothing itself

    rules = campaign_rules_cached(campaign=campaign)

    assert rules is not None
    assert "Nowy" in [status.name for status in rules.statuses]
    assert "j.kowalski" in [agent.login for agent in rules.agents]
    assert rules.campaign_type == "csv"
    assert campaign_status_names(campaign_pk=campaign.pk)["1"] == "Nowy"


def test_a_first_read_that_failed_is_not_waited_on_again_at_once(
    logged_in: Client, sandbox: Sandbox
) -> None:
    sandbox.inject({"kind": "status", "status": 503, "for_seconds": 60})

    first = logged_in.get(LIST).content.decode()
    sandbox.clear_requests()
    again = logged_in.get(LIST).content.decode()
    page = logged_in.get(PAGE)

    for html in (first, again):
        assert "Cannot load the campaigns of Thulium system thulium." in html
        assert "is not answering right now" in html
    assert "is not answering right now" in page.content.decode()
    assert api_calls(sandbox) == []
    # A moment later the pages read it again themselves.
    ThuliumSnapshot.objects.update(tried_at=timezone.now() - timedelta(seconds=11))
    sandbox.clear_faults()
    assert NAME in logged_in.get(LIST).content.decode()
