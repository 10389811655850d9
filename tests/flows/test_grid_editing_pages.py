"""Fixing and bulk-editing a grid in the page, as a supervisor does: the cell editor and its htmx
partials, bulk sets and fill-down, paste, undo, the template, deleting rows, and what the page
says when Thulium is down. The services underneath: test_grid_editing.py."""

from __future__ import annotations

import io
from html import escape
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from campaigns import thulium
from campaigns.models import Edit, Grid, Row
from campaigns.rules.validation import CampaignRules
from campaigns.services.editing import grid_bulk_set, row_set_cells
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.rows import RowFilter, grid_row_page
from campaigns.services.undo import grid_undo
from tests.helpers import queue_sending

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid(crm_grid: Grid) -> Grid:
    return crm_grid


def row(grid: Grid, number: int) -> Row:
    return grid.rows.get(number=number)


def test_the_paste_form_pastes_into_the_view_it_was_sent_from(
    logged_in: Client, grid: Grid
) -> None:
    hidden_before = row(grid, 9).raw

    logged_in.post(
        reverse("campaigns:grid_paste", args=[grid.pk]),
        {
            "start_row": "8",
            "start_column": "agent_login",
            "block": "a.nowak\nk.wojcik",
            "return_query": "show=errors",
            "confirm": "yes",  # row 8's agent cell is filled: the overwrite is confirmed
        },
    )

    assert row(grid, 10).values["agent_login"] == "k.wojcik"
    assert row(grid, 9).raw == hidden_before


def test_grid_page_keeps_filters_in_the_url(logged_in: Client, grid: Grid) -> None:
    url = reverse("campaigns:grid_detail", args=[grid.pk])

    page = logged_in.get(url + "?show=warnings&agent=k.wojcik&size=50").content.decode()

    assert page.count('class="row--warning"') == 1
    assert "rows matching: 1" in page
    assert 'value="k.wojcik" selected' in page
    assert "show=warnings&amp;agent=k.wojcik" in page  # kept in the undo and paste forms


def test_cell_editor_and_save_are_htmx_partials(logged_in: Client, grid: Grid) -> None:
    target = row(grid, 6)
    editor = logged_in.get(
        reverse("campaigns:cell_edit", args=[grid.pk, target.pk]) + "?target=agent_login",
        headers={"HX-Request": "true"},
    ).content.decode()
    saved = logged_in.post(
        reverse("campaigns:cell_save", args=[grid.pk, target.pk]),
        {"target": "agent_login", "value": "a.nowak"},
        headers={"HX-Request": "true"},
    ).content.decode()

    assert editor.lstrip().startswith('<form class="cell-editor" method="post"')
    assert 'value="a.nowak"' in editor
    assert "<html" not in editor
    assert saved.lstrip().startswith(f'<tr class="row--error" id="row-{target.pk}"')
    assert 'id="counts"' in saved
    assert 'hx-swap-oob="true"' in saved
    assert "<html" not in saved


def test_the_json_preview_is_its_own_partial(
    logged_in: Client, grid: Grid, rules: CampaignRules
) -> None:
    target = row(grid, 4)
    grid_bulk_set(
        grid=grid,
        row_ids=[target.pk],
        target="field:miasto",
        text="[clear]",
        author=None,
        rules=rules,
    )
    url = reverse("campaigns:row_payload", args=[grid.pk, target.pk])

    page = logged_in.get(reverse("campaigns:grid_detail", args=[grid.pk])).content.decode()
    preview = logged_in.get(url, headers={"HX-Request": "true"}).content.decode()

    # the page carries no JSON: grid.js loads it from the table's row address when a row's
    # panel opens; the row number links to the row's form
    assert '"miasto": ""' not in page
    assert f'data-rows="{reverse("campaigns:row", args=[grid.pk, 0])}"' in page
    assert reverse("campaigns:row_edit", args=[grid.pk, target.pk]) in page
    assert preview.startswith("<pre>{")
    assert preview.endswith("}</pre>")
    assert "&quot;miasto&quot;: &quot;&quot;" in preview


def test_cell_save_without_htmx_redirects_back(logged_in: Client, grid: Grid) -> None:
    target = row(grid, 6)

    response = logged_in.post(
        reverse("campaigns:cell_save", args=[grid.pk, target.pk]),
        {"target": "agent_login", "value": "a.nowak", "return_query": "show=errors"},
    )

    assert response["Location"] == reverse("campaigns:grid_detail", args=[grid.pk]) + "?show=errors"


def test_row_form_without_javascript(logged_in: Client, grid: Grid) -> None:
    target = row(grid, 6)
    url = reverse("campaigns:row_edit", args=[grid.pk, target.pk])

    form = logged_in.get(url).content.decode()
    logged_in.post(
        url,
        {
            "phone_number": "767215179",
            "status": "4",
            "agent_login": "a.nowak",
            "next_call_date": "24.12.2030 10:00",
        },
    )

    assert 'name="next_call_date"' in form
    assert row(grid, 6).state == Row.State.VALID


def test_bulk_set_by_filter_across_pages_confirms_the_count_first(
    logged_in: Client, grid: Grid
) -> None:
    url = reverse("campaigns:grid_bulk", args=[grid.pk])
    form = {
        "scope": "filter",
        "return_query": "show=errors",
        "target": "agent_login",
        "value": "a.nowak",
    }

    review = logged_in.post(url, form)
    assert Edit.objects.count() == 0
    assert "“Agent” becomes “a.nowak” in 8 rows." in review.content.decode()
    logged_in.post(url, form | {"confirm": "yes"})

    assert Edit.objects.get().kind == Edit.Kind.BULK
    changed = grid.rows.filter(agent_login="a.nowak").count()
    assert changed >= 7  # the 8 error rows minus the one whose phone is not a number


def test_bulk_set_by_a_field_filter_sets_the_rows_the_filter_shows(
    logged_in: Client, grid: Grid
) -> None:
    """A field filter has a `value` of its own (rows whose city is Łódź), beside the value to
    set: the bulk form reads its filter from the view's query, so neither is read for the other
    (the form once carried the filter as fields of their own, and it was)."""
    query = "field=miasto&value=%C5%81%C3%B3d%C5%BA"
    page = logged_in.get(f"{reverse('campaigns:grid_detail', args=[grid.pk])}?{query}")
    bulk = page.content.decode().split('<form id="bulk"')[1].split("</form>")[0]
    assert f'name="return_query" value="{escape(query)}"' in bulk
    assert bulk.count('name="value"') == 1  # the value to set, and only it
    url = reverse("campaigns:grid_bulk", args=[grid.pk])
    form = {"scope": "filter", "return_query": query, "target": "agent_login", "value": "a.nowak"}

    review = logged_in.post(url, form)
    assert "“Agent” becomes “a.nowak” in 1 row." in review.content.decode()
    logged_in.post(url, form | {"confirm": "yes"})

    lodz = grid.rows.get(values__record_fields__miasto="Łódź")
    assert lodz.agent_login == "a.nowak"
    assert [change[0] for change in Edit.objects.get().changes] == [lodz.pk]


def test_fill_down_from_the_first_ticked_row(logged_in: Client, grid: Grid) -> None:
    ids = [str(row(grid, n).pk) for n in (5, 6, 7)]

    logged_in.post(
        reverse("campaigns:grid_bulk", args=[grid.pk]),
        {
            "scope": "selected",
            "rows": ids,
            "target": "agent_login",
            "fill": "down",
            "confirm": "yes",
        },
    )

    assert [row(grid, n).values.get("agent_login") for n in (5, 6, 7)] == ["a.nowak"] * 3


def test_bulk_set_without_rows_or_value_says_what_is_missing(logged_in: Client, grid: Grid) -> None:
    url = reverse("campaigns:grid_bulk", args=[grid.pk])

    no_rows = logged_in.post(
        url,
        {"scope": "selected", "target": "agent_login", "value": "a.nowak", "confirm": "yes"},
        follow=True,
    )
    no_value = logged_in.post(url, {"scope": "filter", "target": "agent_login"}, follow=True)

    assert "No rows are selected" in no_rows.content.decode()
    assert "Type the value to set" in no_value.content.decode()


def test_paste_view_previews_overwrites_then_applies(logged_in: Client, grid: Grid) -> None:
    url = reverse("campaigns:grid_paste", args=[grid.pk])
    form = {"start_row": "4", "start_column": "status", "block": "Nowy\tj.kowalski"}

    preview = logged_in.post(url, form).content.decode()
    assert "Kontakt ponowny" in preview
    assert row(grid, 4).values["status_id"] == "3"
    logged_in.post(url, form | {"confirm": "yes"})

    assert row(grid, 4).values["status_id"] == "1"
    assert row(grid, 4).values["agent_login"] == "j.kowalski"


def test_undo_view_after_reload(logged_in: Client, grid: Grid) -> None:
    target = row(grid, 6)
    logged_in.post(
        reverse("campaigns:cell_save", args=[grid.pk, target.pk]),
        {"target": "agent_login", "value": "a.nowak"},
    )
    page = logged_in.get(reverse("campaigns:grid_detail", args=[grid.pk])).content.decode()
    assert "Undo: Cell edit" in page

    logged_in.post(reverse("campaigns:grid_undo", args=[grid.pk]))

    assert "agent_login" not in row(grid, 6).values
    page = logged_in.get(reverse("campaigns:grid_detail", args=[grid.pk])).content.decode()
    assert "Nothing to undo" in page


def test_edits_when_thulium_is_down_explain_and_change_nothing(
    logged_in: Client, grid: Grid, settings: Any, closed_port: int
) -> None:
    settings.THULIUM = settings.THULIUM | {"BASE_URL": f"http://127.0.0.1:{closed_port}/api/"}
    cache.clear()  # the campaign's rules are cached for a minute: let that minute pass
    target = row(grid, 6)

    response = logged_in.post(
        reverse("campaigns:cell_save", args=[grid.pk, target.pk]),
        {"target": "agent_login", "value": "a.nowak"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#grid-problem"
    assert "is not answering right now" in response.content.decode()
    assert row(grid, 6).raw == target.raw


def test_campaign_template(logged_in: Client, campaign: Any) -> None:
    response = logged_in.get(reverse("campaigns:campaign_template", args=["thulium", "00001"]))

    assert response["Content-Disposition"] == 'attachment; filename="kampania-00001.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Rekordy"]
    assert [c.value for c in sheet[1]] == [
        "Numer telefonu",
        "Status",
        "Konsultant",
        "Następny kontakt",
        "pole1",
        "pole2",
        "imię",
        "nazwisko",
        "miasto",
    ]
    assert sheet["A2"].number_format == "@"
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["B2:B5001"] == "=Listy!$A$1:$A$9"
    assert lists["C2:C5001"] == "=Listy!$B$1:$B$4"  # active agents only
    assert book["Listy"]["A4"].value == "Mój rekord"
    assert book["Listy"].sheet_state == "hidden"


def test_the_template_reads_back_as_a_grid(
    logged_in: Client, campaign: Any, api: thulium.ThuliumClient
) -> None:
    data = logged_in.get(reverse("campaigns:campaign_template", args=["thulium", "00001"])).content
    book = load_workbook(io.BytesIO(data))
    book["Rekordy"].append(["555123321", "Mój rekord", "a.nowak", "24.12.2030 09:30"])
    buffer = io.BytesIO()
    book.save(buffer)

    made = grid_create_from_file(
        campaign=campaign, author=None, data=buffer.getvalue(), filename="t.xlsx"
    )
    ready = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)

    assert ready.rows.get().state == Row.State.VALID


def test_pages_cost_the_same_at_any_depth_of_a_100k_grid(
    logged_in: Client,
    campaign: Any,
    api: thulium.ThuliumClient,
    django_assert_max_num_queries: Any,
) -> None:
    lines = ["Telefon;Status"] + [f"{600000000 + i};Kontakt ponowny" for i in range(100_000)]
    made = grid_create_from_file(
        campaign=campaign, author=None, data="\n".join(lines).encode(), filename="big.csv"
    )
    big = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    url = reverse("campaigns:grid_detail", args=[big.pk])
    deep = grid_row_page(big, RowFilter(), size=100, after=f"99000~{big.rows.get(number=99000).pk}")
    assert deep.rows[0].number == 99001
    logged_in.get(url)  # warm the campaign rules cache

    # 19: the page, its sending panel, the problem groups (two queries), value rules and the
    # system's do-not-contact list (the rules' fingerprint holds it), and the person's grants.
    with django_assert_max_num_queries(19) as first:
        assert logged_in.get(url).status_code == 200
    with django_assert_max_num_queries(19) as last:
        filtered = logged_in.get(url + f"?after={deep.next_cursor}&show=valid&sort=phone")

    assert "rows matching: over 10,000" in filtered.content.decode()
    assert abs(len(first.captured_queries) - len(last.captured_queries)) <= 1


def test_undo_is_not_offered_once_the_edit_was_sent(
    logged_in: Client, grid: Grid, rules: CampaignRules
) -> None:

    row_set_cells(
        grid=grid,
        row=row(grid, 10),
        cells={"next_call_date": "24.12.2030 10:00"},
        author=None,
        rules=rules,
    )
    url = reverse("campaigns:grid_detail", args=[grid.pk])
    assert "Undo: Cell edit" in logged_in.get(url).content.decode()

    queue_sending(grid=grid, author=None, rules=rules)

    page = logged_in.get(url).content.decode()
    assert "Undo: Cell edit" not in page
    assert "Nothing to undo" in page


def test_bulk_set_only_where_the_cell_is_empty_keeps_the_filled_ones(
    logged_in: Client, grid: Grid
) -> None:
    url = reverse("campaigns:grid_bulk", args=[grid.pk])
    errors = [r for r in grid.rows.filter(state=Row.State.ERROR)]
    position = grid.mapping.index("agent_login")
    filled = {r.pk: r.raw[position] for r in errors if r.raw[position].strip()}
    assert filled  # some error rows name an agent already
    form = {
        "scope": "filter",
        "return_query": "show=errors",
        "target": "agent_login",
        "value": "a.nowak",
        "only_empty": "on",
    }

    review = logged_in.post(url, form)
    logged_in.post(url, form | {"confirm": "yes"})

    empty = len(errors) - len(filled)
    assert f"“Agent” becomes “a.nowak” in {empty} rows." in review.content.decode()
    for pk, agent in filled.items():
        assert Row.objects.get(pk=pk).raw[position] == agent
    assert all(
        Row.objects.get(pk=r.pk).raw[position] == "a.nowak" for r in errors if r.pk not in filled
    )


def test_the_bulk_form_suggests_only_the_chosen_columns_values(
    logged_in: Client, grid: Grid
) -> None:
    page = logged_in.get(reverse("campaigns:grid_detail", args=[grid.pk])).content.decode()
    statuses = page[page.index('<datalist id="bulk-values-status">') :]
    statuses = statuses[: statuses.index("</datalist>")]
    agents = page[page.index('<datalist id="bulk-values-agent_login">') :]
    agents = agents[: agents.index("</datalist>")]

    assert 'value="Nowy"' in statuses
    assert "a.nowak" not in statuses
    assert 'value="a.nowak"' in agents
    assert "Nowy" not in agents


def test_the_send_button_follows_a_cell_edit(logged_in: Client, grid: Grid) -> None:
    fixed = row(grid, 10)  # "Oddzwonić nie wcześniej niż" without its date: an error
    url = reverse("campaigns:cell_save", args=[grid.pk, fixed.pk])

    response = logged_in.post(
        url,
        {"target": "next_call_date", "value": "24.12.2030 10:00"},
        headers={"HX-Request": "true"},
    ).content.decode()

    assert (
        '<section id="sending" class="sending card" aria-labelledby="sending-heading"' in response
    )
    assert 'hx-swap-oob="true"' in response
    assert "Review sending 9 rows" in response  # 8 could go before the edit


def test_deleting_ticked_rows_asks_to_confirm_their_number_then_deletes_them_undoably(
    logged_in: Any, crm_grid: Any, rules: Any
) -> None:

    url = reverse("campaigns:grid_rows_delete", args=[crm_grid.pk])
    ids = [str(pk) for pk in crm_grid.rows.filter(number__in=[4, 7]).values_list("id", flat=True)]

    asked = logged_in.post(url, {"rows": ids})

    page = asked.content.decode()
    assert asked.status_code == 200
    assert "2 rows will be deleted from the grid: rows 4, 7. Undo puts them back." in page
    assert '<input type="hidden" name="count" value="2">' in page
    assert crm_grid.rows.count() == 16  # nothing deleted yet
    # A confirmation for another number of rows (the ticks changed) asks again.
    again = logged_in.post(url, {"rows": ids, "confirm": "yes", "count": "3"})
    assert "2 rows will be deleted" in again.content.decode()
    assert crm_grid.rows.count() == 16

    logged_in.post(url, {"rows": ids, "confirm": "yes", "count": "2"})

    assert crm_grid.rows.count() == 14
    grid_undo(grid=crm_grid, rules=rules)
    assert crm_grid.rows.count() == 16
