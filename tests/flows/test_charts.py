"""Charts: drawn from known data, with their figures as text for everyone."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from campaigns import thulium
from campaigns.models import Submission
from campaigns.presentation.charts import bar_chart, column_chart
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.sending import submission_run
from tests.helpers import send_from_page

pytestmark = pytest.mark.django_db


def table_of(page: str, chart_id: str) -> dict[str, str]:
    """A chart's text alternative: its table, label → number."""
    figure = page.split(f'id="{chart_id}"', 1)[1].split("</figure>", 1)[0]
    body = figure.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return dict(re.findall(r'<th scope="row">(.*?)</th><td class="num">(.*?)</td>', body))


def test_bars_are_as_long_as_their_share() -> None:
    chart = bar_chart(chart_id="c", title="T", items=[("a", 30, "x"), ("b", 10, "x")])

    widths = [float(bar.width) for bar in chart.bars]
    assert widths[0] == pytest.approx(3 * widths[1])
    assert [bar.share for bar in chart.bars] == ["75%", "25%"]
    assert chart.summary == "T: 40 in all; the largest is a with 30."


def test_coordinates_stay_plain_numbers_in_polish() -> None:
    with translation.override("pl"):
        chart = column_chart(
            chart_id="c", title="T", points=[("1", 1234), ("2", 7)], kind="x", value_heading="V"
        )

    for bar in chart.bars:
        for value in (bar.x, bar.y, bar.width, bar.height, bar.text_x, bar.text_y):
            assert re.fullmatch(r"\d+(\.\d+)?", value), value
    assert "1\xa0234" in chart.summary  # the number itself is written the Polish way
    # the outer day labels stay inside the drawing
    assert [(x, anchor) for x, _y, _text, anchor in chart.axis] == [("0", "start"), ("640", "end")]


def test_campaign_charts_count_the_records_thulium_holds(
    logged_in: Client, campaign: Any, api: thulium.ThuliumClient
) -> None:
    records = api.list_records("00001")
    by_status = Counter(r.status for r in records if r.status_id)

    page = logged_in.get(
        reverse("campaigns:campaign_charts", args=["thulium", "00001"])
    ).content.decode()

    shown = table_of(page, "chart-statuses")
    assert {name: int(n) for name, n in shown.items() if name in by_status} == dict(by_status)
    system = table_of(page, "chart-system-statuses")
    assert sum(int(n.replace(",", "")) for n in system.values()) == len(records)
    assert 'role="img"' in page
    assert "<html" in page  # without htmx (the campaign page's plain link): a page of its own
    fragment = logged_in.get(
        reverse("campaigns:campaign_charts", args=["thulium", "00001"]),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert fragment.lstrip().startswith('<div class="charts" id="campaign-charts">')
    assert f"Records by status: {len(records):,} in all" in page


def test_campaign_charts_say_when_thulium_cannot_answer(
    logged_in: Client, campaign: Any, sandbox: Any
) -> None:
    sandbox.inject({"kind": "status", "status": 401})

    answer = logged_in.get(reverse("campaigns:campaign_charts", args=["thulium", "00001"]))

    assert answer.status_code == 200
    assert "The charts need Thulium:" in answer.content.decode()


@pytest.fixture
def two_rows(campaign: Any, api: thulium.ThuliumClient) -> Any:
    """A grid of two rows: one Thulium updates, one it answers "Record not found." for."""

    data = b"Telefon;Status\n555123321;3\n111222333;5\n"
    made = grid_create_from_file(campaign=campaign, author=None, data=data, filename="a.csv")
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def test_a_sent_grid_charts_its_rows_by_outcome(
    logged_in: Client, two_rows: Any, api: thulium.ThuliumClient
) -> None:
    grid = two_rows
    url = reverse("campaigns:grid_detail", args=[grid.pk])
    assert 'id="chart-outcomes"' not in logged_in.get(url).content.decode()  # nothing sent

    send_from_page(logged_in, grid)
    api.batch_delete("00001", ["111222333"])  # gone from Thulium after the review
    submission_run(submission_id=Submission.objects.get().pk, client=api)

    page = logged_in.get(url).content.decode()
    assert table_of(page, "chart-outcomes") == {"Updated": "1", "Not found": "1"}


def test_history_charts_sendings_and_refused_rows_per_day(
    logged_in: Client, two_rows: Any, api: thulium.ThuliumClient
) -> None:
    grid = two_rows
    send_from_page(logged_in, grid)
    api.batch_delete("00001", ["111222333"])  # gone from Thulium after the review
    submission_run(submission_id=Submission.objects.get().pk, client=api)

    page = logged_in.get(reverse("campaigns:history")).content.decode()

    today = formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT")
    sendings, refused = table_of(page, "chart-sendings"), table_of(page, "chart-refused")
    assert len(sendings) == 30
    assert sendings[today] == "1"
    assert refused[today] == "1"  # "Record not found." for 111222333
    assert sum(int(n) for n in refused.values()) == 1
