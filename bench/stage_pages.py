"""The grid page at three grid sizes, its floor (the template engine filling a bare table), the
100 rows alone (time and size), and one cell's save: single requests through Django's test
client, nothing else running."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django.http.response import HttpResponseBase
from django.template import Context, Template
from django.test import Client

from bench.run import HEADERS, NAMES
from bench.stage_common import grid_of, median_ms
from campaigns.presentation.row_html import RowRenderer
from campaigns.services.rows import RowFilter, grid_display_columns, grid_row_page


def _ok(response: HttpResponseBase) -> HttpResponseBase:
    assert response.status_code == 200, response.status_code
    return response


def stage_pages(args: Any, workdir: Path) -> dict[str, Any]:
    user = User.objects.create_user("bench", password="x" * 12)
    user.groups.add(Group.objects.get(name="Supervisor"))
    browser = Client()
    browser.force_login(user)
    repeat = 7 if args.quick else 15
    page_ms = {}
    for size in (args.rows // 100, args.rows // 10, args.rows):
        grid = grid_of(size)
        url = f"/grids/{grid.pk}/"
        page_ms[size] = median_ms(lambda url=url: _ok(browser.get(url)), repeat)
    last = grid
    # The floor: Django's template engine alone, filling a table of as many cells as the page
    # shows (100 rows of 10), each cell with one attribute lookup and one condition.
    table = Template(
        "<table>{% for row in rows %}<tr>{% for cell in row %}"
        "<td{% if cell.level %} class='x'{% endif %}>{{ cell.value }}</td>"
        "{% endfor %}</tr>{% endfor %}</table>"
    )
    cells = [[{"value": f"v{r}-{c}", "level": ""} for c in range(10)] for r in range(100)]
    engine_ms = median_ms(lambda: table.render(Context({"rows": cells})), repeat)
    row = last.rows.order_by("number")[len(HEADERS)]
    save = f"/grids/{last.pk}/rows/{row.pk}/cell/save/"
    values = iter(NAMES * 100)
    cell_ms = median_ms(
        lambda: _ok(
            browser.post(
                save,
                {"target": "field:imię", "value": next(values)},
                headers={"HX-Request": "true"},
            )
        ),
        repeat,
    )
    # The rows alone, as the page renders them (renderer built per page, as the view does),
    # and what they weigh: the budget is per 100 rows, at any grid size.
    shown = grid_row_page(last, RowFilter(), size=100).rows

    def rows_html() -> str:
        renderer = RowRenderer(
            last,
            grid_display_columns(last),
            can_edit=True,
            can_see_history=True,
            status_names={},
            agent_names={},
        )
        return renderer.rows(shown)

    rows_ms = median_ms(rows_html, repeat)
    return {
        "page_ms": page_ms,
        "cell_save_ms": cell_ms,
        "template_floor_ms": engine_ms,
        "rows_ms": rows_ms,
        "rows_kb": len(rows_html().encode()) / 1024,
    }
