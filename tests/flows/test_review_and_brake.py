"""The verdict before sending is Thulium's: the review, the live checks, the options for numbers
held twice or kept as additional numbers, the brake on systemic refusals, and the e-mail."""

from __future__ import annotations

import html
import json
from collections import Counter
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from campaigns import thulium
from campaigns.exceptions import ReviewProblem, SubmissionProblem
from campaigns.models import (
    AuditEntry,
    Duplicates,
    Grid,
    MatchBy,
    Outcome,
    RowOutcome,
    Submission,
)
from campaigns.services.campaigns import campaign_fields_add
from campaigns.services.connection import thulium_client
from campaigns.services.editing import grid_remap, row_set_cells
from campaigns.services.grid_checks import grid_validate
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.review import grid_review, grid_review_read, grid_sending_options_set
from campaigns.services.sending import submission_run
from campaigns.services.submissions import submission_cancel, submission_create
from campaigns.services.validation import campaign_rules
from campaigns.services.verdicts import BRAKE_MIN_ROWS, Verdict, systemic_refusal
from tests.helpers import (
    API_PASSWORD,
    API_USER,
    DEMO_FIXTURE,
    Sandbox,
    queue_sending,
    send_from_page,
)

pytestmark = pytest.mark.django_db


def built(campaign: Any, api: thulium.ThuliumClient, data: str) -> Grid:
    made = grid_create_from_file(
        campaign=campaign, author=None, data=data.encode(), filename="crm.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def held_once(sandbox: Sandbox, count: int, *, not_status: str) -> list[str]:
    """Numbers the demo campaign holds once, whose status is not `not_status`."""
    records = sandbox.records("00001")
    held = Counter(r["phone_number"] for r in records)
    phones = [
        r["phone_number"]
        for r in records
        if held[r["phone_number"]] == 1 and r["status_id"] != not_status
    ]
    assert len(phones) >= count
    return phones[:count]


def puts(sandbox: Sandbox) -> list[list[str]]:
    return [
        [record["phone_number"] for record in r["body"]["records"]]
        for r in sandbox.requests()
        if r["method"] == "PUT" and r["path"].endswith("/batch/outbounds/00001/records")
    ]


# --- the review ---------------------------------------------------------------------------


def test_a_sending_needs_the_review_of_the_grid_as_it_is(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient
) -> None:
    with pytest.raises(SubmissionProblem, match="Review the sending first"):
        submission_create(grid=crm_grid, author=None, rules=rules, review="")

    grid_review_read(grid=crm_grid, client=api)
    review = grid_review(grid=crm_grid, rules=rules)
    with pytest.raises(SubmissionProblem, match="changed since you reviewed"):
        submission_create(grid=crm_grid, author=None, rules=rules, review="0" * 20)
    row = crm_grid.rows.get(number=10)
    row_set_cells(
        grid=crm_grid,
        row=row,
        cells={"next_call_date": "24.12.2030 10:00"},
        author=None,
        rules=rules,
    )
    with pytest.raises(SubmissionProblem, match="changed since you reviewed"):
        submission_create(grid=crm_grid, author=None, rules=rules, review=review.token)
    assert not Submission.objects.exists()

    again = grid_review(grid=crm_grid, rules=rules)
    submission = submission_create(grid=crm_grid, author=None, rules=rules, review=again.token)

    assert submission.rows_total == again.rows == review.rows + 1


def test_the_review_says_what_changes_what_is_left_out_and_the_exact_json(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    a, b, c = held_once(sandbox, 3, not_status="5")
    now = sandbox.record("00001", c)
    grid = built(
        campaign,
        api,
        "Telefon;Status;Konsultant;Miasto\n"
        f"{a};Nie dzwonić;;Łódź\n"
        f"{b};Nie dzwonić;a.nowak;\n"
        f"{c};{now['status_id']};{now['agent_login'] or ''};\n"  # already so in Thulium
        "123123123;Nie dzwonić;;\n"  # not in the campaign
        "441;Nie dzwonić;;\n",  # twice in the campaign
    )

    read = grid_review_read(grid=grid, client=api)
    review = grid_review(grid=grid, rules=rules)

    assert read.records == len(sandbox.records("00001"))
    assert review.rows == 2
    changes = {(ch.column, ch.to): ch.count for ch in review.changes}
    assert changes == {
        ("Status", "Nie dzwonić"): 2,
        ("Agent", "a.nowak"): 1,
        ("Field “miasto”", ""): 1,
    }
    assert dict(review.left_out) == {
        "Thulium has no record with this number": 1,
        "the campaign holds the number more than once": 1,
    }
    assert review.unchanged == 1
    assert f'"phone_number": "{a}"' in review.first_rows_json
    assert '"record_fields": {\n      "miasto": "Łódź"' in review.first_rows_json
    assert review.read_at == Grid.objects.get(pk=grid.pk).compared_at

    with_unchanged = grid_review(grid=grid, rules=rules, include_unchanged=True)
    assert with_unchanged.rows == 3
    submission = submission_create(
        grid=grid,
        author=None,
        rules=rules,
        review=with_unchanged.token,
        include_unchanged=True,
    )
    assert submission.rows_total == 3


def test_the_review_page_reads_the_campaign_and_its_send_button_sends(
    logged_in: Client, crm_grid: Grid, api: thulium.ThuliumClient
) -> None:
    review_url = reverse("campaigns:grid_review", args=[crm_grid.pk])

    read = logged_in.post(review_url)
    page = html.unescape(logged_in.get(review_url).content.decode())

    assert read["Location"] == review_url
    assert "7 rows go to Thulium" in page
    assert "8 rows: other errors in the row" in page
    assert "1 row changes nothing" in page
    assert "records read in" in page
    assert "Exactly what is sent for the first rows" in page
    assert '"phone_number": "509708024"' in page
    # Sending without the review's token is refused, and nothing is queued.
    refused = logged_in.post(reverse("campaigns:grid_send", args=[crm_grid.pk]), follow=True)
    assert "changed since you reviewed" in refused.content.decode()
    assert not Submission.objects.exists()

    send_from_page(logged_in, crm_grid)

    assert Submission.objects.get().rows_total == 7


def test_the_review_names_the_rows_that_go_with_a_warning_by_kind_each_a_filter(
    logged_in: Client, campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    a, b, c = held_once(sandbox, 3, not_status="5")
    grid = built(
        campaign,
        api,
        "Telefon;Status;Następny kontakt\n"
        f"{a};Nie dzwonić;01.01.2020 10:00\n"  # a past date: a warning
        f"{b};Nie dzwonić;24.12.2030\n"  # a date without a time: a warning
        f"{c};Nie dzwonić;24.12.2030 09:30\n",
    )
    review_url = reverse("campaigns:grid_review", args=[grid.pk])
    logged_in.post(review_url)

    review = grid_review(grid=grid, rules=rules)
    page = html.unescape(logged_in.get(review_url).content.decode())

    assert review.rows == 3
    assert sorted(g.code for g in review.warnings) == ["date_past", "date_without_time"]
    assert all(g.count == 1 for g in review.warnings)
    assert "Going with a warning" in page
    for group in review.warnings:
        assert f"?problem={group.key}" in page
        assert group.text in page
        filtered = logged_in.get(
            reverse("campaigns:grid_detail", args=[grid.pk]), {"problem": group.key}
        )
        assert filtered.status_code == 200


def test_the_review_speaks_polish(logged_in: Client, crm_grid: Grid) -> None:
    logged_in.post("/i18n/setlang/", {"language": "pl", "next": "/"})
    review_url = reverse("campaigns:grid_review", args=[crm_grid.pk])
    logged_in.post(review_url)

    page = html.unescape(logged_in.get(review_url).content.decode())

    assert "Przegląd wysyłki" in page
    assert "7 wierszy trafi do Thulium" in page
    assert "Wyślij 7 wierszy do Thulium" in page


def test_the_sending_reuses_the_reviews_read_for_before_values(
    crm_grid: Grid, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    submission = queue_sending(grid=crm_grid, author=None, rules=rules)
    listed = len([r for r in sandbox.requests() if r["method"] == "GET" and "records" in r["path"]])

    submission_run(submission_id=submission.pk, client=api)

    reads = [r for r in sandbox.requests() if r["method"] == "GET" and "records" in r["path"]]
    assert len(reads) == listed  # not read again
    submission.refresh_from_db()
    assert submission.before_read_at == Grid.objects.get(pk=crm_grid.pk).compared_at


def test_the_listing_is_read_pages_at_a_time_in_order(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    one = [r.record_id for r in api.iter_records("00001")]
    seen: list[tuple[int, int]] = []

    four = [
        r.record_id
        for r in api.iter_records("00001", concurrency=4, on_page=lambda *p: seen.append(p))
    ]

    assert four == one
    assert seen[-1] == (len(one), len(one))
    offsets = [
        r["query"]["offset"][0]
        for r in sandbox.requests()
        if r["method"] == "GET" and r["path"].endswith("/00001/records")
    ]
    assert len(offsets) == 2 * len(set(offsets))  # each page once per read


# --- numbers held twice, additional numbers -------------------------------------------------


def test_a_number_held_twice_can_change_every_record_by_its_identifier(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = built(campaign, api, "Telefon;Status\n441;Nie dzwonić\n")
    grid_review_read(grid=grid, client=api)
    assert [m["code"] for m in grid.rows.get().messages] == ["phone_held_more_than_once"]

    grid_sending_options_set(
        grid=grid,
        search_additional=False,
        duplicates=Duplicates.EVERY_RECORD,
        rules=rules,
        actor=None,
    )
    submission = queue_sending(grid=grid, author=None, rules=rules)
    submission_run(submission_id=submission.pk, client=api)

    row = grid.rows.get()
    assert row.outcome == Outcome.UPDATED
    assert [(r["identifier"], r["http_status"]) for r in row.outcome_detail["records"]] == [
        ("00001-00003", 204),
        ("00001-00004", 204),
    ]
    assert {r["status_id"] for r in sandbox.records("00001") if r["phone_number"] == "441"} == {"5"}
    assert puts(sandbox) == []  # by identifier, not by phone
    assert AuditEntry.objects.filter(action="sending_options").count() == 1


def test_a_record_without_an_identifier_is_not_sent_and_says_why(
    sandbox: Sandbox, campaign: Any, api: thulium.ThuliumClient
) -> None:
    world = {
        "users": [{"login": API_USER, "password": API_PASSWORD, "methods": ["*"]}],
        "campaigns": [
            {
                "id": "00001",
                "name": "Dwa rekordy",
                "statuses": [{"status_id": "5", "name": "Nie dzwonić", "system_status": "NO_CALL"}],
                "agents": [],
                "records": [
                    {"record_id": 1, "phone_number": "600700800", "status_id": "5"},
                    {"record_id": 2, "phone_number": "600700800", "identifier": "K-2"},
                ],
            }
        ],
    }
    sandbox.load(world)
    cache.clear()  # the campaign's rules as another world had them
    try:
        rules = campaign_rules(campaign=campaign, client=api)
        grid = built(campaign, api, "Telefon;Status\n600700800;Nie dzwonić\n")
        grid.duplicates = Duplicates.EVERY_RECORD
        grid.save()
        submission = queue_sending(grid=grid, author=None, rules=rules)
        submission_run(submission_id=submission.pk, client=api)

        row = grid.rows.get()
        assert row.outcome == Outcome.REJECTED  # one record changed, one could not be
        assert [(r["identifier"], r["http_status"]) for r in row.outcome_detail["records"]] == [
            ("", None),
            ("K-2", 204),
        ]
        assert "has no identifier" in row.outcome_detail["message"]
    finally:
        sandbox.load(json.loads(DEMO_FIXTURE.read_text(encoding="utf-8")))
        cache.clear()


def test_an_additional_number_is_a_warning_when_asked_and_is_found(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = built(campaign, api, "Telefon;Status\n689665537;Nie dzwonić\n")  # 111222333's second
    grid_review_read(grid=grid, client=api)
    assert [m["code"] for m in grid.rows.get().messages] == ["phone_not_in_campaign"]

    grid_sending_options_set(
        grid=grid, search_additional=True, duplicates=Duplicates.SKIP, rules=rules, actor=None
    )
    assert [m["code"] for m in grid.rows.get().messages] == ["phone_maybe_additional"]
    submission = queue_sending(grid=grid, author=None, rules=rules)
    submission_run(submission_id=submission.pk, client=api)

    assert grid.rows.get().outcome == Outcome.UPDATED
    assert sandbox.record("00001", "111222333")["status_id"] == "5"
    sent = [r for r in sandbox.requests() if r["method"] == "PUT"]
    assert sent[-1]["query"] == {"search_in_additional_numbers": ["true"]}


# --- the brake ----------------------------------------------------------------------------


def test_the_brake_pulls_only_for_one_message_on_most_of_a_request() -> None:
    refused = Verdict(Outcome.REJECTED, 400, "", 'Record field "Imię" does not exist.')
    other = Verdict(Outcome.REJECTED, 400, "", "Agent not found.")
    taken = Verdict(Outcome.UPDATED, 204)

    assert systemic_refusal([refused] * 20) == (refused.message, 20)
    assert systemic_refusal([refused] * 10 + [taken] * 10) == (refused.message, 10)
    assert systemic_refusal([refused] * 10 + [taken] * 11) is None  # not half
    assert systemic_refusal([refused] * (BRAKE_MIN_ROWS - 1)) is None  # too few to tell
    assert systemic_refusal([refused] * 6 + [other] * 6) is None  # not one cause
    transport = Verdict(Outcome.TRANSPORT_ERROR, None, "", "timed out")
    assert systemic_refusal([transport] * 20) is None  # request-level failures keep theirs


def unknown_field_grid(
    campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox, rows: int
) -> Grid:
    """A CRM export whose column "Kolor" the campaign's field list has, and Thulium does not."""
    campaign_fields_add(campaign=campaign, names=["Kolor"])
    phones = held_once(sandbox, rows, not_status="5")
    data = "Telefon;Status;Kolor\n" + "".join(f"{p};Nie dzwonić;zielony\n" for p in phones)
    return built(campaign, api, data)


def test_a_field_thulium_does_not_know_costs_the_canary_then_remap_and_resume_send_all(
    campaign: Any,
    api: thulium.ThuliumClient,
    sandbox: Sandbox,
    supervisor: Any,
    django_capture_on_commit_callbacks: Any,
    mailer: None,
) -> None:
    supervisor.email = "ewa@example.pl"
    supervisor.save()
    grid = unknown_field_grid(campaign, api, sandbox, 30)
    rules = campaign_rules(campaign=campaign, client=api)
    grid_review_read(grid=grid, client=api)
    assert grid_review(grid=grid, rules=rules).untried_fields == ["Kolor"]  # never sent yet

    paused = queue_sending(grid=grid, author=supervisor, rules=rules)
    with django_capture_on_commit_callbacks(execute=True):
        submission_run(submission_id=paused.pk, client=api)

    paused.refresh_from_db()
    assert paused.state == Submission.State.PAUSED
    assert paused.pause_cause == 'Record field "Kolor" does not exist in the campaign.'
    assert "Thulium refused 20 of 20 rows" in paused.problem
    assert [len(body) for body in puts(sandbox)] == [20]  # the canary, nothing after it
    counts = Counter(grid.rows.values_list("outcome", flat=True))
    assert counts == {Outcome.REJECTED: 20, Outcome.NOT_SENT: 10}
    assert AuditEntry.objects.filter(action="submission_paused").get().details["not_sent"] == 10
    assert len(mail.outbox) == 1
    assert "Paused" in mail.outbox[0].subject
    assert f"/grids/{grid.pk}/" in mail.outbox[0].body
    assert 'Record field "Kolor" does not exist' in mail.outbox[0].body
    # Thulium's answer taught the field list: the column is now an error before sending.
    rules = campaign_rules(campaign=campaign, client=api)
    grid_validate(grid=grid, rules=rules)
    assert "field_refused" in [m["code"] for m in grid.rows.first().messages]

    grid_remap(grid=grid, column=2, target="", rules=rules, author=supervisor)
    resumed = queue_sending(grid=grid, author=supervisor, rules=rules, resend=True)
    with django_capture_on_commit_callbacks(execute=True):
        submission_run(submission_id=resumed.pk, client=api)

    resumed.refresh_from_db()
    assert resumed.resumes == paused
    assert resumed.state == Submission.State.FINISHED
    assert set(grid.rows.values_list("outcome", flat=True)) == {Outcome.UPDATED}
    assert resumed.rows_total == 30
    assert Submission.objects.get(pk=paused.pk).state == Submission.State.PAUSED  # its history
    assert RowOutcome.objects.filter(submission=resumed).count() == 30
    assert len(mail.outbox) == 2
    assert "Finished" in mail.outbox[1].subject


def test_a_paused_sending_can_be_cancelled(
    campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = unknown_field_grid(campaign, api, sandbox, 25)
    rules = campaign_rules(campaign=campaign, client=api)
    submission = queue_sending(grid=grid, author=None, rules=rules)
    submission_run(submission_id=submission.pk, client=api)

    submission_cancel(submission=submission)

    submission.refresh_from_db()
    assert submission.state == Submission.State.CANCELLED
    assert grid.rows.filter(outcome=Outcome.NOT_SENT).count() == 5


def test_the_grid_page_shows_a_paused_sending_with_its_cause_and_resume(
    logged_in: Client, campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = unknown_field_grid(campaign, api, sandbox, 25)
    rules = campaign_rules(campaign=campaign, client=api)
    submission_run(submission_id=queue_sending(grid=grid, author=None, rules=rules).pk, client=api)

    page = html.unescape(
        logged_in.get(reverse("campaigns:grid_detail", args=[grid.pk])).content.decode()
    )

    assert "badge--sub-paused" in page
    assert "Thulium refused 20 of the 20 rows it answered" in page
    assert "and 5 rows were not sent" in page
    assert '20 rows: “Record field "Kolor" does not exist in the campaign.”' in page
    assert "Remap or ignore the column" in page
    assert "Review and resume" in page
    assert "Cancel the rest" in page


def test_the_first_request_is_the_canary_and_the_rest_go_in_chunks(
    campaign: Any, api: thulium.ThuliumClient, sandbox: Sandbox, settings: Any
) -> None:
    settings.SUBMISSION_CANARY_ROWS = 5
    phones = held_once(sandbox, 17, not_status="5")
    grid = built(campaign, api, "Telefon;Status\n" + "".join(f"{p};Nie dzwonić\n" for p in phones))
    rules = campaign_rules(campaign=campaign, client=api)

    submission = queue_sending(grid=grid, author=None, rules=rules, chunk_size=6)
    submission_run(submission_id=submission.pk, client=api)

    assert [len(body) for body in puts(sandbox)] == [5, 6, 6]
    assert Submission.objects.get(pk=submission.pk).state == Submission.State.FINISHED


def test_the_author_without_an_address_gets_no_mail_and_the_sending_ends_all_the_same(
    crm_grid: Grid,
    rules: Any,
    api: thulium.ThuliumClient,
    supervisor: Any,
    django_capture_on_commit_callbacks: Any,
    mailer: None,
) -> None:
    supervisor.email = ""
    supervisor.save()

    submission = queue_sending(grid=crm_grid, author=supervisor, rules=rules)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission_run(submission_id=submission.pk, client=api)

    assert Submission.objects.get(pk=submission.pk).state == Submission.State.FINISHED
    assert len(callbacks) == 1  # the notice ran, and found nobody to tell
    assert mail.outbox == []


def test_the_mail_speaks_the_language_its_author_chose(
    logged_in: Client,
    crm_grid: Grid,
    rules: Any,
    api: thulium.ThuliumClient,
    supervisor: Any,
    django_capture_on_commit_callbacks: Any,
    mailer: None,
) -> None:
    supervisor.email = "ewa@example.pl"
    supervisor.save()
    logged_in.post("/i18n/setlang/", {"language": "pl", "next": "/"})  # remembered with her

    submission = queue_sending(grid=crm_grid, author=supervisor, rules=rules)
    with django_capture_on_commit_callbacks(execute=True):
        submission_run(submission_id=submission.pk, client=api)

    (sent,) = mail.outbox
    assert "Zakończona" in sent.subject  # the deployment speaks English in tests


def test_the_mail_speaks_the_dashboards_language(
    crm_grid: Grid,
    rules: Any,
    api: thulium.ThuliumClient,
    supervisor: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    mailer: None,
) -> None:
    settings.LANGUAGE_CODE = "pl"
    supervisor.email = "ewa@example.pl"
    supervisor.save()

    submission = queue_sending(grid=crm_grid, author=supervisor, rules=rules)
    with django_capture_on_commit_callbacks(execute=True):
        submission_run(submission_id=submission.pk, client=api)

    (sent,) = mail.outbox
    assert sent.to == ["ewa@example.pl"]
    assert "Zakończona: 7 zmienionych" in sent.subject
    assert "7 zmienionych" in sent.body


def test_the_review_is_shown_again_from_the_stored_read(crm_grid: Grid, rules: Any) -> None:
    with thulium_client(system=crm_grid.campaign.system) as client:
        grid_review_read(grid=crm_grid, client=client)

    first = grid_review(grid=crm_grid, rules=rules)
    second = grid_review(grid=crm_grid, rules=rules)

    assert first.token == second.token
    assert first.fresh


def test_the_read_notes_its_progress_on_the_grid_while_it_runs(
    logged_in: Client, crm_grid: Grid, api: thulium.ThuliumClient
) -> None:
    progress_url = reverse("campaigns:grid_read_progress", args=[crm_grid.pk])
    seen = []

    def look(read: int, total: int) -> None:
        seen.append(logged_in.get(progress_url).json())

    grid_review_read(grid=crm_grid, client=api, on_page=look)

    assert seen[0]["total"] == 1500
    assert seen[-1] == {"read": 1500, "total": 1500}
    assert logged_in.get(progress_url).json() == {}  # none runs now


def test_rows_that_change_nothing_show_so_and_filter(logged_in: Client, crm_grid: Grid) -> None:
    logged_in.post(reverse("campaigns:grid_review", args=[crm_grid.pk]))
    url = reverse("campaigns:grid_detail", args=[crm_grid.pk])

    page = logged_in.get(url, {"show": "unchanged"}).content.decode()

    assert page.count('class="row--') == 1
    assert "753304737" in page
    assert '<span class="badge badge--unchanged">No change</span>' in page
    assert "Thulium already holds this status, agent and next call date" in page


# --- records found by identifier ------------------------------------------------------------

BY_IDENTIFIER = (
    "Telefon;Identyfikator;Status\n"
    "441;00001-00003;Nie dzwonić\n"  # the number two records share: each row names one
    "441;00001-00004;Dzwonić w trybie progressive\n"
    "509708024;CRM-NO-SUCH;Nie dzwonić\n"  # no record has this identifier
    "845400588;;Nie dzwonić\n"  # no identifier
)


def test_an_edit_grid_can_find_each_record_by_its_identifier(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = built(campaign, api, BY_IDENTIFIER)
    assert grid.mapping == ["phone_number", "identifier", "status"]

    grid_sending_options_set(
        grid=grid,
        search_additional=False,
        duplicates=Duplicates.SKIP,
        match_by=MatchBy.IDENTIFIER,
        rules=rules,
        actor=None,
    )
    grid_review_read(grid=grid, client=api)
    codes = {row.number: [m["code"] for m in row.messages] for row in grid.rows.all()}
    review = grid_review(grid=grid, rules=rules)
    submission = queue_sending(grid=grid, author=None, rules=rules)
    submission_run(submission_id=submission.pk, client=api)

    # The rows sharing 441 are no duplicates here: each names its own record.
    assert codes == {2: [], 3: [], 4: ["identifier_not_in_campaign"], 5: ["identifier_needed"]}
    assert review.rows == 2
    assert dict(review.left_out) == {
        "Thulium has no record with this identifier": 1,
        "no identifier to find the record by": 1,
    }
    assert json.loads(review.first_rows_json)[0] == {
        "identifier": "00001-00003",
        "body": {"status_id": "5"},
    }
    by_id = {r["identifier"]: r["status_id"] for r in sandbox.records("00001")}
    assert (by_id["00001-00003"], by_id["00001-00004"]) == ("5", "8")
    outcomes = dict(grid.rows.values_list("number", "outcome"))
    assert outcomes == {2: "updated", 3: "updated", 4: "not_sent", 5: "not_sent"}
    before = {o.row.number: o.before["status_id"] for o in RowOutcome.objects.all()}
    assert before == {2: "3", 3: "1"}  # each record's own value before
    assert puts(sandbox) == []  # one request a row, by identifier


def test_finding_records_by_identifier_needs_an_identifier_column(
    campaign: Any, rules: Any, api: thulium.ThuliumClient
) -> None:
    grid = built(campaign, api, "Telefon;Status\n509708024;Nie dzwonić\n")

    with pytest.raises(ReviewProblem, match="identifier column"):
        grid_sending_options_set(
            grid=grid,
            search_additional=False,
            duplicates=Duplicates.SKIP,
            match_by=MatchBy.IDENTIFIER,
            rules=rules,
            actor=None,
        )


def test_the_review_page_offers_finding_by_identifier_only_with_an_identifier_column(
    logged_in: Client, campaign: Any, api: thulium.ThuliumClient
) -> None:
    with_column = built(campaign, api, BY_IDENTIFIER)
    without = built(campaign, api, "Telefon;Status\n509708024;Nie dzwonić\n")

    offered = logged_in.get(reverse("campaigns:grid_review", args=[with_column.pk]))
    not_offered = logged_in.get(reverse("campaigns:grid_review", args=[without.pk]))
    logged_in.post(
        reverse("campaigns:grid_options", args=[with_column.pk]),
        {"match_by": "identifier", "duplicates": "skip"},
    )

    assert 'name="match_by"' in offered.content.decode()
    assert 'name="match_by"' not in not_offered.content.decode()
    assert Grid.objects.get(pk=with_column.pk).match_by == MatchBy.IDENTIFIER
