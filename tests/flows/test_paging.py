"""Moving in a big grid: page N of M, first/previous/next/last keeping the view, a jump to a
row of the source file, and counts written the reader's way."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.models import Grid
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid_of_1200(campaign: Any, api: thulium.ThuliumClient) -> Grid:
    """1,200 rows numbered 2 to 1201; every third one has a status the campaign lacks."""
    lines = ["Telefon;Status"] + [
        f"{600000000 + i};{'Xyz' if i % 3 == 0 else 'Kontakt ponowny'}" for i in range(1200)
    ]
    made = grid_create_from_file(
        campaign=campaign, author=None, data="\n".join(lines).encode(), filename="big.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def _links(html: str) -> dict[str, dict[str, list[str]]]:
    """The pager's links by rel, as parsed queries."""
    return {
        rel: parse_qs(urlsplit(unescape(href)).query)
        for rel, href in re.findall(r'<a rel="(\w+)" href="([^"]*)"', html)
    }


def _numbers(html: str, grid: Grid) -> list[int]:
    ids = [int(i) for i in re.findall(r'<tr class="row--\w+" id="row-(\d+)"', html)]
    by_id = dict(grid.rows.filter(pk__in=ids).values_list("pk", "number"))
    return [by_id[i] for i in ids]


def test_pages_say_n_of_m_and_link_first_previous_next_last_keeping_the_view(
    logged_in: Client, grid_of_1200: Grid
) -> None:
    url = reverse("campaigns:grid_detail", args=[grid_of_1200.pk])

    first = logged_in.get(url + "?show=errors&sort=phone&size=50").content.decode()
    assert "Page 1 of 8" in first  # 400 errors, 50 a page
    links = _links(first)
    assert set(links) == {"next", "last"}
    assert links["next"]["page"] == ["2"]
    assert links["last"]["page"] == ["8"]
    for query in links.values():
        assert (query["show"], query["sort"], query["size"]) == (["errors"], ["phone"], ["50"])

    second_url = (
        url + "?" + urlsplit(unescape(re.search(r'rel="next" href="([^"]*)"', first)[1])).query
    )
    second = logged_in.get(second_url).content.decode()
    assert "Page 2 of 8" in second
    assert set(_links(second)) == {"first", "prev", "next", "last"}
    assert _links(second)["prev"]["page"] == ["1"]
    assert _links(second)["first"]["show"] == ["errors"]

    last = logged_in.get(url + "?show=errors&sort=phone&size=50&page=8").content.decode()
    assert "Page 8 of 8" in last
    assert set(_links(last)) == {"first", "prev"}
    phones = sorted(grid_of_1200.rows.filter(state="error").values_list("phone", "number"))
    assert _numbers(last, grid_of_1200) == [n for _p, n in phones[350:]]

    beyond = logged_in.get(url + "?show=errors&sort=phone&size=50&page=99").content.decode()
    assert "Page 8 of 8" in beyond


def test_going_to_a_row_opens_its_page_with_the_row_marked(
    logged_in: Client, grid_of_1200: Grid
) -> None:
    url = reverse("campaigns:grid_detail", args=[grid_of_1200.pk])
    row = grid_of_1200.rows.get(number=777)

    response = logged_in.get(url + "?size=200&goto=777")

    assert response.status_code == 302
    location = response["Location"]
    assert location.endswith(f"#row-{row.pk}")
    assert parse_qs(urlsplit(location).query) == {"size": ["200"], "page": ["4"], "mark": ["777"]}
    html = logged_in.get(location).content.decode()
    assert "Page 4 of 6" in html
    assert f'Row 777 is <a href="#row-{row.pk}">marked below</a>' in html
    assert 777 in _numbers(html, grid_of_1200)


def test_going_to_a_row_the_filters_hide_shows_it_in_the_whole_grid(
    logged_in: Client, grid_of_1200: Grid
) -> None:
    url = reverse("campaigns:grid_detail", args=[grid_of_1200.pk])
    errors = logged_in.get(url + "?show=errors&goto=2")  # row 2 (i = 0) is an error
    assert parse_qs(urlsplit(errors["Location"]).query)["show"] == ["errors"]

    hidden = logged_in.get(url + "?show=errors&goto=3", follow=True)

    html = hidden.content.decode()
    assert "Row 3 does not match the filters: it is shown among every row of the grid." in html
    assert "Page 1 of 12" in html
    assert 3 in _numbers(html, grid_of_1200)


def test_going_to_a_row_the_grid_lacks_says_which_rows_it_has(
    logged_in: Client, grid_of_1200: Grid
) -> None:
    url = reverse("campaigns:grid_detail", args=[grid_of_1200.pk])

    response = logged_in.get(url + "?show=errors&page=3&goto=5000")

    assert parse_qs(urlsplit(response["Location"]).query) == {"show": ["errors"], "page": ["3"]}
    html = logged_in.get(response["Location"]).content.decode()
    assert "There is no row “5000” in this grid: its rows are numbered 2 to 1201." in unescape(html)
    assert "Page 3 of 4" in html
    words = logged_in.get(url + "?goto=twelve", follow=True).content.decode()
    assert "There is no row “twelve” in this grid" in unescape(words)


def test_the_last_page_holds_what_is_left_after_the_full_pages(
    logged_in: Client, grid_of_1200: Grid
) -> None:
    url = reverse("campaigns:grid_detail", args=[grid_of_1200.pk])

    html = logged_in.get(url + "?size=500&page=3").content.decode()

    assert "Page 3 of 3" in html
    assert _numbers(html, grid_of_1200) == list(range(1002, 1202))
    assert _links(html)["prev"]["page"] == ["2"]


def test_counts_on_the_grid_page_use_the_readers_thousands_separator(
    logged_in: Client, campaign: Any, api: thulium.ThuliumClient
) -> None:
    lines = ["Telefon;Status"] + [
        f"{600000000 + i};{'Xyz' if i % 3 == 0 else 'Kontakt ponowny'}" for i in range(3300)
    ]
    made = grid_create_from_file(
        campaign=campaign, author=None, data="\n".join(lines).encode(), filename="big.csv"
    )
    grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    url = reverse("campaigns:grid_detail", args=[grid.pk])

    english = unescape(logged_in.get(url + "?size=50&problem=" + _key(grid)).content.decode())
    assert "1,100 rows: status “Xyz” does not exist" in english
    assert "Apply to 1,100 rows and remember for this campaign" in english
    assert "Page 1 of 22" in english
    assert "Review sending 2,200 rows" in logged_in.get(url).content.decode()

    logged_in.cookies["django_language"] = "pl"
    for query in ("", "?problem=" + _key(grid)):
        text = re.sub(r"<[^>]+>", " ", unescape(logged_in.get(url + query).content.decode()))
        assert "1\xa0100" in text or "1 100" in text
        assert not re.search(r"(?<![\d.])(1100|2200|3300)(?![\d.])", text)


def _key(grid: Grid) -> str:
    return next(k for k in grid.rows.values_list("problems", flat=True).distinct() if k).strip("|")
