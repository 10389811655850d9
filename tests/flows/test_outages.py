"""A sending the supervisor can trust through an outage: it waits for Thulium and resumes by
itself, its words say "waiting" and "not confirmed", never "refused", before-values survive a
resend, and a revert puts every record back. Against the sandbox over HTTP, with its faults."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from campaigns import thulium
from campaigns.models import AuditEntry, Chunk, Grid, Outcome, RowOutcome, Submission
from campaigns.services.grids import grid_confirm_mapping, grid_create_from_file
from campaigns.services.problems import grid_problem_groups
from campaigns.services.revert import grid_revert, submission_revert
from campaigns.services.sending import submission_run
from campaigns.services.submissions import submission_cancel
from tests.helpers import Sandbox, client_config, queue_sending, run_to_the_end

ROWS = 60


def statuses(sandbox: Sandbox, phones: list[str]) -> dict[str, str]:
    return {phone: sandbox.record("00001", phone)["status_id"] for phone in phones}


def records_to_change(api: thulium.ThuliumClient, n: int = ROWS) -> list[str]:
    """Phones of `n` records the campaign holds once each, none yet "Nie dzwonić"."""
    seen = Counter(record.phone_number for record in api.iter_records("00001"))
    found = []
    for record in api.iter_records("00001"):
        if seen[record.phone_number] == 1 and record.status_id != "5" and record.phone_number:
            found.append(record.phone_number)
        if len(found) == n:
            break
    return found


def do_not_call_grid(campaign: Any, api: thulium.ThuliumClient, phones: list[str]) -> Grid:
    text = "Telefon;Status\n" + "".join(f"{phone};Nie dzwonić\n" for phone in phones)
    made = grid_create_from_file(
        campaign=campaign, author=None, data=text.encode(), filename="nie-dzwonic.csv"
    )
    return grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)


def sent_rows(submission: Submission) -> list[int]:
    return [pk for chunk in submission.chunks.all() for pk in chunk.row_ids]


def outage_after(
    sandbox: Sandbox, api: thulium.ThuliumClient, *, answered: int, tries: int
) -> None:
    """Thulium answers `answered` PUTs, then 503 for `tries` of our tries (each try being the
    client's attempt and its retries)."""
    answers = [{"kind": "delay", "seconds": 0, "method": "PUT", "times": answered}]
    sandbox.inject(
        *answers[: 1 if answered else 0],
        {
            "kind": "status",
            "status": 503,
            "method": "PUT",
            "times": tries * (1 + api.config.max_retries),
        },
    )


def send_once(submission: Submission, api: thulium.ThuliumClient) -> Submission:
    submission_run(submission_id=submission.pk, client=api)
    submission.refresh_from_db()
    return submission


def test_an_outage_in_the_middle_waits_then_every_row_is_updated_with_nobody_acting(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    phones = records_to_change(api)
    grid = do_not_call_grid(campaign, api, phones)
    submission = queue_sending(grid=grid, author=None, rules=rules, chunk_size=10)
    outage_after(sandbox, api, answered=2, tries=5)

    waiting = send_once(submission, api)

    assert waiting.state == Submission.State.WAITING
    assert (waiting.outage_status, waiting.outage_tries) == (503, 1)
    assert RowOutcome.objects.filter(submission=waiting).count() == 20  # two requests answered
    assert not grid.rows.exclude(outcome__in=[Outcome.UPDATED, Outcome.WAITING]).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SUBMISSION_WAITING).count() == 1

    done = run_to_the_end(waiting, api)

    assert done.state == Submission.State.FINISHED
    assert {grid.rows.get(pk=pk).outcome for pk in sent_rows(done)} == {Outcome.UPDATED}
    assert statuses(sandbox, phones) == dict.fromkeys(phones, "5")
    assert (done.outage_since, done.outage_tries) == (None, 0)
    # One recorded answer per row, whatever the number of tries; one waiting entry an outage.
    assert RowOutcome.objects.filter(submission=done).count() == ROWS
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SUBMISSION_WAITING).count() == 1


def test_connections_closed_after_the_work_is_done_are_waited_out_and_sent_again(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    phones = records_to_change(api, 25)
    grid = do_not_call_grid(campaign, api, phones)
    submission = queue_sending(grid=grid, author=None, rules=rules, chunk_size=10)
    # Thulium applies each request, then closes the connection before answering.
    sandbox.inject(
        {"kind": "delay", "seconds": 0, "method": "PUT", "times": 1},
        {
            "kind": "close",
            "apply": True,
            "method": "PUT",
            "times": 3 * (1 + api.config.max_retries),
        },
    )

    waiting = send_once(submission, api)
    assert waiting.state == Submission.State.WAITING
    assert waiting.outage_status is None  # no answer at all

    done = run_to_the_end(waiting, api)

    assert done.state == Submission.State.FINISHED
    assert {grid.rows.get(pk=pk).outcome for pk in sent_rows(done)} == {Outcome.UPDATED}
    assert statuses(sandbox, phones) == dict.fromkeys(phones, "5")


def test_an_outage_longer_than_the_limit_ends_with_rows_not_confirmed_and_not_sent_never_refused(
    campaign: Any,
    rules: Any,
    api: thulium.ThuliumClient,
    sandbox: Sandbox,
    client: Client,
    supervisor: Any,
) -> None:
    phones = records_to_change(api, 30)
    grid = do_not_call_grid(campaign, api, phones)
    submission = queue_sending(grid=grid, author=None, rules=rules, chunk_size=10, wait_limit=1)
    outage_after(sandbox, api, answered=1, tries=1000)

    stopped = run_to_the_end(submission, api)

    assert stopped.state == Submission.State.FAILED
    assert "could not be reached" in stopped.problem
    by_outcome = Counter(grid.rows.get(pk=pk).outcome for pk in sent_rows(stopped))
    # The canary was answered; the request out when the limit passed may have landed; the
    # rest never left.
    assert by_outcome == {Outcome.UPDATED: 10, Outcome.TRANSPORT_ERROR: 10, Outcome.NOT_SENT: 10}
    unsent = grid.rows.filter(outcome=Outcome.NOT_SENT).first()
    assert unsent is not None
    assert unsent.outcome_detail["status"] == "UNREACHABLE"
    assert unsent.outcome_detail["message"] == (
        "Not sent: Thulium did not answer (503) for longer than the sending waits. Resend it."
    )
    client.force_login(supervisor)
    for language, words, refused in (
        ("en", ["10 not confirmed", "10 not sent", "Thulium did not answer (503)"], "refused"),
        (
            "pl",
            ["10 niepotwierdzonych", "10 niewysłanych", "Thulium nie odpowiedział (503)"],
            "odrzuc",
        ),
    ):
        with translation.override(language):
            page = client.get(
                reverse("campaigns:grid_detail", args=[grid.pk]), HTTP_ACCEPT_LANGUAGE=language
            ).content.decode()
        panel = page[
            page.index('id="sending"') : page.index("</section>", page.index('id="sending"'))
        ]
        for word in words:
            assert word in panel, (language, word)
        assert refused not in panel.lower(), language

    # Thulium is back: the resend sends the not confirmed and the not sent rows, once each.
    sandbox.clear_faults()
    again = run_to_the_end(queue_sending(grid=grid, author=None, rules=rules, resend=True), api)
    assert again.rows_total == 20
    assert statuses(sandbox, phones) == dict.fromkeys(phones, "5")


def test_cancel_ends_a_sending_waiting_for_thulium_at_once(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    grid = do_not_call_grid(campaign, api, records_to_change(api, 5))
    submission = queue_sending(grid=grid, author=None, rules=rules)
    outage_after(sandbox, api, answered=0, tries=1000)
    waiting = send_once(submission, api)
    assert waiting.state == Submission.State.WAITING

    assert submission_cancel(submission=waiting) is True

    waiting.refresh_from_db()
    assert waiting.state == Submission.State.CANCELLED
    assert set(grid.rows.values_list("outcome", flat=True)) == {Outcome.NOT_SENT}
    assert submission_run(submission_id=waiting.pk, client=api).state == "cancelled"


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_author_hears_that_the_sending_waits_and_was_not_refused(
    campaign: Any,
    rules: Any,
    api: thulium.ThuliumClient,
    sandbox: Sandbox,
    supervisor: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    mailer: None,
    language: str,
) -> None:
    settings.LANGUAGE_CODE = language
    supervisor.email = "ewa@example.pl"
    supervisor.save()
    grid = do_not_call_grid(campaign, api, records_to_change(api, 30))
    submission = queue_sending(grid=grid, author=supervisor, rules=rules, chunk_size=10)
    outage_after(sandbox, api, answered=1, tries=2)

    with django_capture_on_commit_callbacks(execute=True):
        send_once(submission, api)
    (waiting,) = mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        run_to_the_end(submission, api)
    (_, finished) = mail.outbox

    expected = {
        "en": ("Waiting for Thulium", "Thulium did not answer (503)", "Finished: 30 updated"),
        "pl": (
            "Czeka na Thulium",
            "Thulium nie odpowiedział (503)",
            "Zakończona: 30 zmienionych",
        ),
    }[language]
    assert expected[0] in waiting.subject
    assert expected[1] in waiting.body
    assert "refus" not in waiting.body.lower() or "Nothing was refused" in waiting.body
    assert (
        "odrzuc" not in waiting.body.lower() or "nic nie zostało odrzucone" in waiting.body.lower()
    )
    assert expected[2] in finished.subject


def test_a_resend_keeps_the_before_values_of_rows_whose_answer_was_lost(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    phones = records_to_change(api, 12)
    was = statuses(sandbox, phones)
    grid = do_not_call_grid(campaign, api, phones)
    # Thulium applies the second request but leaves two phones out of its answer.
    sandbox.inject(
        {"kind": "delay", "seconds": 0, "method": "PUT", "times": 1},
        {"kind": "drop_phones", "phones": phones[5:7], "method": "PUT"},
    )
    first = run_to_the_end(queue_sending(grid=grid, author=None, rules=rules, chunk_size=5), api)
    lost = list(grid.rows.filter(outcome=Outcome.UNKNOWN).values_list("phone", flat=True))
    assert sorted(lost) == sorted(phones[5:7])
    assert statuses(sandbox, lost) == dict.fromkeys(lost, "5")  # applied all the same

    # Thulium holds "Nie dzwonić" already: only a resend of unchanged rows sends them again.
    resend = run_to_the_end(
        queue_sending(grid=grid, author=None, rules=rules, resend=True, include_unchanged=True),
        api,
    )

    assert resend.rows_total == 2
    for outcome in RowOutcome.objects.filter(submission=resend):
        # Read before the first request that could have changed the record, not after it.
        assert outcome.before["status_id"] == was[outcome.phone] != "5"
        assert outcome.outcome == Outcome.UPDATED
    assert first.state == Submission.State.FINISHED


def test_a_grid_sent_hit_by_an_outage_resent_and_reverted_ends_as_before(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    phones = records_to_change(api, 30)
    was = statuses(sandbox, phones)
    grid = do_not_call_grid(campaign, api, phones)
    # The first sending: two answers lost (applied), then an outage past its limit.
    sandbox.inject(
        {"kind": "drop_phones", "phones": phones[:2], "method": "PUT"},
        {"kind": "delay", "seconds": 0, "method": "PUT", "times": 1},
        {"kind": "status", "status": 503, "method": "PUT", "times": 1000},
    )
    first = run_to_the_end(
        queue_sending(grid=grid, author=None, rules=rules, chunk_size=10, wait_limit=1), api
    )
    assert first.state == Submission.State.FAILED
    sandbox.clear_faults()
    resend = run_to_the_end(queue_sending(grid=grid, author=None, rules=rules, resend=True), api)
    assert statuses(sandbox, phones) == dict.fromkeys(phones, "5")

    # Each sending can be reverted on its own, rows not confirmed included.
    first_revert = submission_revert(submission=first, author=None, rules=rules)
    assert (
        first_revert.rows_total
        == RowOutcome.objects.filter(
            submission=first,
            outcome__in=[Outcome.UPDATED, Outcome.UNKNOWN, Outcome.TRANSPORT_ERROR],
        ).count()
    )
    assert submission_revert(submission=resend, author=None, rules=rules).rows_total == (
        resend.rows_total
    )
    # And the grid as a whole: every record back as it was before the first sending.
    whole = grid_revert(grid=grid, author=None, rules=rules)
    assert whole.rows_total == len(phones)
    assert whole.pull_filters["reverts_grid"] == grid.pk
    run_to_the_end(queue_sending(grid=whole, author=None, rules=rules), api)

    assert statuses(sandbox, phones) == was


def test_a_revert_grid_groups_what_it_cannot_put_back_by_count_not_by_one_rows_value(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    phones = [
        p for p in records_to_change(api, 40) if not sandbox.record("00001", p)["agent_login"]
    ][:3]
    text = "Telefon;Status;Agent;Data\n" + "".join(
        f"{phone};Mój rekord;{agent};2027-03-0{n + 1} 10:00\n"
        for n, (phone, agent) in enumerate(
            zip(phones, ["j.kowalski", "a.nowak", "j.kowalski"], strict=True)
        )
    )
    made = grid_create_from_file(
        campaign=campaign, author=None, data=text.encode(), filename="m.csv"
    )
    grid = grid_confirm_mapping(grid=made, mapping=made.mapping, client=api)
    sending = run_to_the_end(queue_sending(grid=grid, author=None, rules=rules), api)

    revert = submission_revert(submission=sending, author=None, rules=rules)
    texts = [group.text for group in grid_problem_groups(revert, rules)]

    agent = next(text for text in texts if "agent" in text)
    assert agent.startswith("3 rows")
    assert "j.kowalski" not in agent
    assert "a.nowak" not in agent
    # Each row still says its own value.
    row = revert.rows.get(phone=phones[1])
    assert {"a.nowak"} == {
        m["params"]["value"] for m in row.messages if m["code"] == "revert_keeps_agent"
    }


def test_a_chunk_given_back_in_an_outage_keeps_its_before_values(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    phones = records_to_change(api, 10)
    was = statuses(sandbox, phones)
    grid = do_not_call_grid(campaign, api, phones)
    submission = queue_sending(grid=grid, author=None, rules=rules, chunk_size=5)
    # The second request lands, but its answer is lost twice over: the wait, then the resume.
    sandbox.inject(
        {"kind": "delay", "seconds": 0, "method": "PUT", "times": 1},
        {"kind": "close", "apply": True, "method": "PUT", "times": 1 + api.config.max_retries},
    )

    done = run_to_the_end(submission, api)

    assert Chunk.objects.get(submission=done, index=1).attempts == 2
    for outcome in RowOutcome.objects.filter(submission=done):
        assert outcome.before["status_id"] == was[outcome.phone]


@pytest.mark.django_db(transaction=True)  # the cancel comes from another connection
def test_a_cancel_asked_while_the_request_was_out_ends_the_sending_instead_of_waiting(
    campaign: Any, rules: Any, sandbox: Sandbox
) -> None:

    with thulium.ThuliumClient(client_config(sandbox.api_url)) as api:
        grid = do_not_call_grid(campaign, api, records_to_change(api, 5))
    submission = queue_sending(grid=grid, author=None, rules=rules)
    # Thulium takes longer than the client waits: no answer, as in an outage.
    sandbox.inject({"kind": "delay", "seconds": 1.5, "method": "PUT"})
    stop = threading.Timer(0.5, lambda: submission_cancel(submission=submission))
    stop.start()
    with thulium.ThuliumClient(
        client_config(sandbox.api_url, read_timeout=1.0, max_retries=0)
    ) as impatient:
        result = submission_run(submission_id=submission.pk, client=impatient)
    stop.join()

    assert result.state == Submission.State.CANCELLED
    submission.refresh_from_db()
    assert (submission.state, submission.outage_tries) == (Submission.State.CANCELLED, 0)
    assert set(grid.rows.values_list("outcome", flat=True)) == {Outcome.NOT_SENT}


def test_a_row_not_confirmed_that_thulium_seems_to_hold_is_offered_and_sent_again(
    campaign: Any, rules: Any, api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    phones = records_to_change(api, 6)
    grid = do_not_call_grid(campaign, api, phones)
    # Thulium applies every row but leaves one out of its answer.
    sandbox.inject({"kind": "drop_phones", "phones": phones[2:3], "method": "PUT"})
    run_to_the_end(queue_sending(grid=grid, author=None, rules=rules), api)
    assert grid.rows.get(phone=phones[2]).outcome == Outcome.UNKNOWN

    # The review reads Thulium holding its values already: the row still goes, to be confirmed.
    resend = run_to_the_end(queue_sending(grid=grid, author=None, rules=rules, resend=True), api)

    assert resend.rows_total == 1
    assert grid.rows.get(phone=phones[2]).outcome == Outcome.UPDATED
    assert not grid.rows.filter(outcome__in=[Outcome.UNKNOWN, Outcome.TRANSPORT_ERROR]).exists()
