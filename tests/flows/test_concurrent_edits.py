"""Two people at one grid: saves of one cell, and a save racing a sending.

The service tests show what a person is told; the race tests send real simultaneous requests
to a running server (threads against the live server, each request on its own database
connection), on SQLite and on PostgreSQL alike (`make test` runs the suite on both).
"""

from __future__ import annotations

import html
import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.exceptions import CellConflict, SubmissionProblem
from campaigns.models import Edit, Grid, Row, Submission
from campaigns.services.editing import row_set_cells
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.review import grid_review
from campaigns.services.submissions import submission_create
from campaigns.services.thulium_now import grid_compare
from tests.helpers import user_with_role

PAIRS = 100
CSV = "Telefon;Status;Nazwisko\n555123321;3;Wiśniewska\n123123123;3;Kowalski\n"


def make_grid(campaign: Any, api: thulium.ThuliumClient) -> Grid:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=CSV.encode(), filename="a.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def changed_meanwhile(campaign: Any, api: thulium.ThuliumClient, rules: Any) -> tuple[Grid, Row]:
    """A grid whose row 555123321 showed "Wiśniewska" and was since changed to "Nowak"."""
    grid = make_grid(campaign, api)
    row = grid.rows.get(phone="555123321")
    row_set_cells(grid=grid, row=row, cells={"field:nazwisko": "Nowak"}, author=None, rules=rules)
    return grid, row


def surname(row: Row) -> str:
    row.refresh_from_db()
    return row.raw[row.grid.mapping.index("field:nazwisko")]


# --- what a person is told ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_save_over_a_cell_changed_since_it_was_shown_names_who_and_keeps_their_value(
    campaign: Any, api: thulium.ThuliumClient, rules: Any, supervisor: Any, viewer: Any
) -> None:
    grid = make_grid(campaign, api)
    row = grid.rows.get(phone="555123321")
    row_set_cells(
        grid=grid,
        row=row,
        cells={"field:nazwisko": "Nowak"},
        shown={"field:nazwisko": "Wiśniewska"},
        author=supervisor,
        rules=rules,
    )

    with pytest.raises(CellConflict) as raised:
        row_set_cells(
            grid=grid,
            row=row,
            cells={"field:nazwisko": "Zielińska"},
            shown={"field:nazwisko": "Wiśniewska"},
            author=viewer,
            rules=rules,
        )

    assert "was changed to “Nowak” at " in raised.value.text
    assert "by Ewa Nowak" in raised.value.text
    assert (raised.value.theirs, raised.value.mine) == ("Nowak", "Zielińska")
    assert surname(row) == "Nowak"
    assert grid.edits.count() == 1
    position = grid.mapping.index("field:nazwisko")
    assert grid.edits.get().changes == [[row.pk, position, "Wiśniewska", "Nowak"]]


@pytest.mark.django_db
def test_keeping_mine_after_a_conflict_records_the_true_old_value(
    client: Client, campaign: Any, api: thulium.ThuliumClient, rules: Any, supervisor: Any
) -> None:
    grid, row = changed_meanwhile(campaign, api, rules)
    client.force_login(supervisor)
    url = reverse("campaigns:cell_save", args=[grid.pk, row.pk])
    stale = {"target": "field:nazwisko", "value": "Zielińska", "shown": "Wiśniewska"}

    conflict = client.post(url, stale, headers={"HX-Request": "true"})
    kept = client.post(url, stale | {"shown": "Nowak"}, headers={"HX-Request": "true"})

    page = conflict.content.decode()
    assert "was changed to “Nowak” at " in html.unescape(page)
    assert "Keep mine" in page
    assert "Take theirs" in page
    assert 'value="Zielińska"' in page  # what they typed is still in the field
    assert conflict.headers["HX-Retarget"] == (
        f'tr[data-row="{row.pk}"] td[data-target="field:nazwisko"]'
    )
    assert kept.status_code == 200
    assert surname(row) == "Zielińska"
    last = grid.edits.order_by("-id").first()
    assert last.changes[0][2:] == ["Nowak", "Zielińska"]


@pytest.mark.django_db
def test_the_row_form_without_javascript_shows_the_conflict_and_keeps_what_was_typed(
    client: Client, campaign: Any, api: thulium.ThuliumClient, rules: Any, supervisor: Any
) -> None:
    grid, row = changed_meanwhile(campaign, api, rules)
    client.force_login(supervisor)

    response = client.post(
        reverse("campaigns:row_edit", args=[grid.pk, row.pk]),
        {"field:nazwisko": "Zielińska", "shown-field:nazwisko": "Wiśniewska"},
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "was changed to" in page
    assert 'value="Zielińska"' in page
    assert 'name="shown-field:nazwisko" value="Nowak"' in page
    assert surname(row) == "Nowak"


@pytest.mark.django_db
def test_a_write_after_the_review_makes_the_sending_refuse(
    campaign: Any, api: thulium.ThuliumClient, rules: Any
) -> None:
    grid = make_grid(campaign, api)
    grid_compare(grid=grid, client=api)
    review = grid_review(grid=grid, rules=rules)
    row = grid.rows.get(phone="555123321")
    row_set_cells(grid=grid, row=row, cells={"field:nazwisko": "Nowak"}, author=None, rules=rules)

    with pytest.raises(SubmissionProblem, match="review it again"):
        submission_create(grid=grid, author=None, rules=rules, review=review.token)

    assert not Submission.objects.filter(grid=grid).exists()


# --- races against a running server ---------------------------------------------------------


class Person:
    """A logged-in browser, as far as the server can tell: its session and CSRF cookies."""

    def __init__(self, base: str, user: Any, grid: Grid) -> None:
        login = Client()
        login.force_login(user)
        self.base = base
        self.http = requests.Session()
        self.http.cookies.set("sessionid", login.cookies["sessionid"].value)
        page = self.http.get(base + reverse("campaigns:grid_detail", args=[grid.pk]), timeout=30)
        self.csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        # The CSRF cookie is marked Secure (production's setting): over the test's plain HTTP a
        # client would not send it back, so it goes as a plain cookie.
        self.http.cookies.set("csrftoken", page.cookies["csrftoken"])

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(
            self.base + path,
            data | {"csrfmiddlewaretoken": self.csrf},
            headers={"HX-Request": "true"},
            timeout=60,
            allow_redirects=False,
        )


def at_once(*calls: Callable[[], requests.Response]) -> list[requests.Response]:
    """Run the calls in threads released together."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_of_one_cell_lose_nothing_and_never_fail(
    live_server: Any,
    campaign: Any,
    api: thulium.ThuliumClient,
    supervisor: Any,
    django_user_model: Any,
) -> None:
    grid = make_grid(campaign, api)
    row = grid.rows.get(phone="555123321")
    anna = Person(live_server.url, supervisor, grid)
    olga = Person(live_server.url, user_with_role(django_user_model, "olga", "Supervisor"), grid)
    url = reverse("campaigns:cell_save", args=[grid.pk, row.pk])
    results: Counter[str] = Counter()

    for pair in range(PAIRS):
        shown = surname(row)
        answers = at_once(
            *(
                lambda person=person, value=value, shown=shown: person.post(
                    url, {"target": "field:nazwisko", "value": value, "shown": shown}
                )
                for person, value in ((anna, f"A{pair}"), (olga, f"O{pair}"))
            )
        )
        assert [a.status_code for a in answers] == [200, 200]
        # A conflict reopens the cell's editor in place; any other problem goes to the banner.
        conflicts = [a.headers.get("HX-Retarget", "").startswith("tr[") for a in answers]
        results[str(sorted(conflicts))] += 1
        # One of them is saved, the other is told whose value stands: never both, never none.
        assert sorted(conflicts) == [False, True]
        winner = f"A{pair}" if not conflicts[0] else f"O{pair}"
        loser = answers[conflicts.index(True)].text
        assert surname(row) == winner
        assert f"was changed to “{winner}”" in html.unescape(loser)
        edit = Edit.objects.filter(grid=grid).order_by("-id").first()
        assert edit.changes[0][2:] == [shown, winner]  # the true old value

    assert Edit.objects.filter(grid=grid).count() == PAIRS
    assert results == {"[False, True]": PAIRS}


@pytest.mark.django_db(transaction=True)
def test_a_save_racing_the_send_never_sends_an_unreviewed_value(
    live_server: Any, campaign: Any, api: thulium.ThuliumClient, supervisor: Any, rules: Any
) -> None:
    grids = [make_grid(campaign, api) for _pair in range(PAIRS)]
    for grid in grids:
        grid_compare(grid=grid, client=api)
    person = Person(live_server.url, supervisor, grids[0])
    outcomes: Counter[str] = Counter()

    for grid in grids:
        row = grid.rows.get(phone="555123321")
        reviewed = surname(row)
        token = grid_review(grid=grid, rules=rules).token
        send, save = at_once(
            lambda grid=grid, token=token: person.post(
                reverse("campaigns:grid_send", args=[grid.pk]), {"review": token}
            ),
            lambda grid=grid, row=row, reviewed=reviewed: person.post(
                reverse("campaigns:cell_save", args=[grid.pk, row.pk]),
                {"target": "field:nazwisko", "value": "Unreviewed", "shown": reviewed},
            ),
        )
        assert send.status_code < 500
        assert save.status_code < 500
        sent = Submission.objects.filter(grid=grid).exists()
        saved = surname(row) == "Unreviewed"
        # Exactly one of them happens: the sending carries the reviewed rows, or the save
        # lands and the sending is refused for a review made before it.
        assert sent != saved
        if sent:
            assert "being sent" in save.text
            assert surname(row) == reviewed
        else:
            assert "review it again" in send.text
        outcomes["sent" if sent else "saved"] += 1

    assert sum(outcomes.values()) == PAIRS
