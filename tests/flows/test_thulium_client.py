"""campaigns.thulium against the sandbox over real HTTP: every method and every failure class."""

from __future__ import annotations

import logging
import time
from datetime import date, datetime

import pytest

from campaigns import thulium
from tests.helpers import Sandbox, client_config

WARSAW = thulium.THULIUM_TZ


def api_calls(sandbox: Sandbox) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in sandbox.requests()]


# --- reads ---------------------------------------------------------------------------------


def test_list_campaigns_and_stats(api: thulium.ThuliumClient) -> None:
    campaigns = api.list_campaigns()
    stats = {s.id: s for s in api.campaign_stats()}

    first = next(c for c in campaigns if c.id == "00001")
    assert first.name == "Odnowienia umów — Warszawa"
    assert first.active is True
    assert next(c for c in campaigns if c.id == "00005").active is False
    assert stats["00001"].records_count == 1500
    assert 0 < stats["00001"].completion_percent < 100


def test_statuses_and_agents(api: thulium.ThuliumClient) -> None:
    statuses = api.statuses("00001")
    agents = api.agents("00001")

    my_record = next(s for s in statuses if s.system_status == "MY_RECORD")
    assert my_record == thulium.Status(
        status_id="4", name="Mój rekord", system_status="MY_RECORD", dictionary_status_id=4
    )
    assert {a.login for a in agents if not a.active} == {"k.wojcik"}


def test_iter_records_pages_through_everything_100_at_a_time(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    records = api.list_records("00001")

    assert len(records) == 1500
    assert len({r.record_id for r in records}) == 1500
    pages = [r for r in sandbox.requests() if r["path"].endswith("/records")]
    assert len(pages) == 15
    assert all(p["query"]["limit"] == ["100"] for p in pages)


def test_iter_records_sends_the_documented_filters(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    records = api.list_records(
        "00001",
        status_ids=["4"],
        system_statuses=["MY_RECORD"],
        created_from=date(2026, 10, 1),
        created_to=date(2026, 10, 31),
    )

    assert records
    assert {r.system_status for r in records} == {"MY_RECORD"}
    query = sandbox.requests()[0]["query"]
    assert query["status_id[]"] == ["4"]
    assert query["system_status[]"] == ["MY_RECORD"]
    assert query["create_date_from"] == ["2026-10-01"]
    assert query["create_date_to"] == ["2026-10-31"]


def test_records_carry_warsaw_dates_and_blank_dates_are_none(
    api: thulium.ThuliumClient,
) -> None:
    records = api.list_records("00001", system_statuses=["MY_RECORD"])
    fresh = api.list_records("00001", system_statuses=["TO_CALL"])

    assert records[0].next_call_date is not None
    assert records[0].next_call_date.tzinfo == WARSAW
    assert all(r.call_date is None for r in fresh)


# --- batch writes --------------------------------------------------------------------------


def test_batch_edit_returns_a_result_per_phone(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    result = api.batch_edit(
        "00001",
        [
            thulium.RecordEdit(
                phone_number="111222333",
                status_id="3",
                record_fields={"pole1": "wartosc1", "pole2": "wartosc2"},
            ),
            thulium.RecordEdit(phone_number="555123321", agent_login="user"),
        ],
    )

    assert result.rows["111222333"].succeeded
    assert result.rows["111222333"].http_status == 204
    assert not result.rows["555123321"].succeeded
    assert result.rows["555123321"].message == "Agent not found."
    assert result.request_id
    assert sandbox.record("00001", "111222333")["record_fields"]["pole1"] == "wartosc1"


def test_batch_edit_sends_only_what_is_set_and_dates_in_thuliums_format(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    api.batch_edit(
        "00001",
        [
            thulium.RecordEdit(
                phone_number="555123321",
                status_id="4",
                agent_login="a.nowak",
                # 08:30 UTC on 24 December is 09:30 in Warsaw.
                next_call_date=datetime.fromisoformat("2026-12-24T08:30:00+00:00"),
            )
        ],
    )

    sent = sandbox.requests()[0]["body"]
    assert sent == {
        "records": [
            {
                "phone_number": "555123321",
                "status_id": "4",
                "agent_login": "a.nowak",
                "next_call_date": "2026-12-24 09:30",
            }
        ]
    }


def test_batch_edit_with_additional_numbers_flag(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    edit = thulium.RecordEdit(phone_number="226543210", status_id="5")

    plain = api.batch_edit("00001", [edit])
    flagged = api.batch_edit("00001", [edit], search_in_additional_numbers=True)

    assert plain.rows["226543210"].http_status == 404
    assert flagged.rows["226543210"].succeeded
    assert sandbox.requests()[1]["query"]["search_in_additional_numbers"] == ["true"]


def test_batch_edit_refuses_the_same_phone_twice(api: thulium.ThuliumClient) -> None:
    rows = [thulium.RecordEdit(phone_number="1", status_id="3")] * 2

    with pytest.raises(ValueError, match="same phone number twice"):
        api.batch_edit("00001", rows)


def test_a_phone_missing_from_the_answer_is_unknown_never_success(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject({"kind": "drop_phones", "phones": ["555123321"]})

    result = api.batch_edit(
        "00001",
        [
            thulium.RecordEdit(phone_number="111222333", status_id="5"),
            thulium.RecordEdit(phone_number="555123321", status_id="5"),
        ],
    )

    assert result.rows["111222333"].succeeded
    unknown = result.rows["555123321"]
    assert unknown.known is False
    assert unknown.http_status is None
    assert not unknown.succeeded


def test_batch_add(api: thulium.ThuliumClient, sandbox: Sandbox) -> None:
    result = api.batch_add(
        "00001",
        [
            thulium.NewRecord(
                phone_number="700800900",
                identifier="NEW-1",
                order=40,
                record_fields={"imię": "Łucja"},
            ),
            thulium.NewRecord(phone_number="111222333"),
            thulium.NewRecord(phone_number="700800901", status_id="999"),
        ],
    )

    assert result.rows["700800900"].status == "ADDED"
    assert result.rows["700800900"].record_id
    assert result.rows["111222333"].status == "ALREADY_EXISTS"
    assert result.rows["700800901"].status == "FAILED"
    assert result.rows["700800901"].message == "Status not found."
    added = sandbox.record("00001", "700800900")
    assert (added["identifier"], added["order"], added["record_fields"]["imię"]) == (
        "NEW-1",
        40,
        "Łucja",
    )


def test_batch_delete_gives_every_record_of_a_phone(api: thulium.ThuliumClient) -> None:
    result = api.batch_delete("00001", ["441", "442", "600100200"])

    assert [r.status for r in result.rows["441"]] == ["REMOVED", "REMOVED"]
    assert all(r.succeeded for r in result.rows["441"])
    assert result.rows["442"][0].status == "NOT_EXIST"
    assert result.rows["600100200"][0].status == "CALL_IN_PROGRESS"


def test_batch_delete_marks_a_missing_phone_unknown(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject({"kind": "drop_phones", "phones": ["442"]})

    result = api.batch_delete("00001", ["441", "442"])

    assert result.rows["442"][0].known is False


def test_edit_record_by_identifier_reaches_a_duplicated_number(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    api.edit_record_by_identifier("00001", "00001-00004", thulium.RecordChanges(status_id="9"))

    statuses = [r["status_id"] for r in sandbox.records("00001") if r["phone_number"] == "441"]
    assert statuses == ["3", "9"]


def test_empty_batches_send_nothing(api: thulium.ThuliumClient, sandbox: Sandbox) -> None:
    assert api.batch_edit("00001", []).rows == {}
    assert api.batch_add("00001", []).rows == {}
    assert api.batch_delete("00001", []).rows == {}
    assert sandbox.requests() == []


# --- failures -------------------------------------------------------------------------------


def test_bad_credentials_raise_auth_error_without_retry(sandbox: Sandbox) -> None:
    config = client_config(sandbox.api_url, password="wrong")

    with thulium.ThuliumClient(config) as c, pytest.raises(thulium.ThuliumAuthError) as caught:
        c.list_campaigns()

    assert caught.value.http_status == 401
    assert caught.value.request_id
    assert len(sandbox.requests()) == 1


def test_missing_method_permission_is_an_auth_error(sandbox: Sandbox) -> None:
    config = client_config(sandbox.api_url, user="readonly", password="readonly_pass")

    with thulium.ThuliumClient(config) as c, pytest.raises(thulium.ThuliumAuthError) as caught:
        c.agents("00001")

    assert caught.value.http_status == 403


def test_unknown_campaign_raises_not_found(api: thulium.ThuliumClient) -> None:
    with pytest.raises(thulium.ThuliumNotFound) as caught:
        api.statuses("99999")

    assert caught.value.messages == ("Campaign 99999 not found.",)
    assert caught.value.request_id


def test_request_level_rejection_carries_thuliums_messages(
    api: thulium.ThuliumClient,
) -> None:
    with pytest.raises(thulium.ThuliumRejected) as caught:
        api.edit_record_by_identifier(
            "00001", "00001-00002", thulium.RecordChanges(status_id="999")
        )

    assert caught.value.http_status == 400
    assert caught.value.messages == ("Status not found.",)


def test_transient_failures_on_get_are_retried(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject(
        {"kind": "status", "status": 503},
        {"kind": "status", "status": 502},
        {"kind": "close"},
    )

    campaigns = api.list_campaigns()

    assert len(campaigns) == 5
    assert len(sandbox.requests()) == 4


def test_put_is_retried_after_a_lost_answer_and_ends_applied_once(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject({"kind": "close", "apply": True})

    result = api.batch_edit(
        "00001",
        [thulium.RecordEdit(phone_number="555123321", record_fields={"pole1": "raz"})],
    )

    assert result.rows["555123321"].succeeded
    assert len(sandbox.requests()) == 2
    assert sandbox.record("00001", "555123321")["record_fields"]["pole1"] == "raz"


def test_retries_are_bounded_in_count(api: thulium.ThuliumClient, sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "status", "status": 503, "times": 50})

    with pytest.raises(thulium.ThuliumUnavailable) as caught:
        api.campaign_stats()

    assert caught.value.http_status == 503
    assert len(sandbox.requests()) == 1 + api.config.max_retries


def test_retries_are_bounded_in_time(sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "status", "status": 503, "times": 50, "retry_after": 0.4})
    config = client_config(sandbox.api_url, max_retries=50, deadline=1.0, backoff_cap=0.5)

    started = time.monotonic()
    with thulium.ThuliumClient(config) as c, pytest.raises(thulium.ThuliumUnavailable):
        c.list_campaigns()
    elapsed = time.monotonic() - started

    # Waits of 0.4 s fit twice into a 1 s deadline; the third would overrun it.
    assert len(sandbox.requests()) == 3
    assert elapsed < config.deadline


def test_a_short_retry_after_is_waited_for_within_the_call(sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "status", "status": 429, "retry_after": 1})

    started = time.monotonic()
    with thulium.ThuliumClient(client_config(sandbox.api_url, backoff_cap=2.0)) as c:
        c.list_campaigns()
    waited = time.monotonic() - started

    assert waited >= 1.0
    assert len(sandbox.requests()) == 2


def test_a_retry_after_longer_than_the_client_sleeps_is_raised_at_once(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject({"kind": "status", "status": 429, "retry_after": 3})

    with pytest.raises(thulium.ThuliumRateLimited) as caught:
        api.list_campaigns()

    assert caught.value.retry_after == 3
    assert len(sandbox.requests()) == 1


@pytest.mark.parametrize(
    ("header", "read_as"),
    [
        ("3600", 5.0),  # longer than the cap: the cap
        ("1e12", 5.0),
        ("1e400", 5.0),
        ("inf", 5.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 5.0),
        ("Mon, 01 Jan 1990 00:00:00 GMT", 0.0),  # a date past: no wait
        ("-5", None),  # not a wait: our own backoff
        ("nan", None),
        ("soon", None),
        ("Sun, 99 Foo 2020 99:99:99 GMT", None),
    ],
)
def test_any_retry_after_is_read_within_the_cap_and_never_raises_anything_else(
    api: thulium.ThuliumClient, sandbox: Sandbox, header: str, read_as: float | None
) -> None:
    sandbox.inject({"kind": "status", "status": 503, "retry_after": header, "times": 50})

    with pytest.raises(thulium.ThuliumUnavailable) as caught:
        api.list_campaigns()

    assert caught.value.retry_after == read_as
    assert api.config.retry_after_cap == 5.0


def test_post_is_never_retried(api: thulium.ThuliumClient, sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "status", "status": 503})

    with pytest.raises(thulium.ThuliumUnavailable):
        api.batch_add("00001", [thulium.NewRecord(phone_number="700800900")])

    assert api_calls(sandbox) == ["POST /api/batch/outbounds/00001/records"]
    assert not [r for r in sandbox.records("00001") if r["phone_number"] == "700800900"]


def test_post_whose_answer_is_lost_is_not_resent(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject({"kind": "close", "apply": True})

    with pytest.raises(thulium.ThuliumUnavailable):
        api.batch_add("00001", [thulium.NewRecord(phone_number="700800900")])

    assert len(sandbox.requests()) == 1
    assert len([r for r in sandbox.records("00001") if r["phone_number"] == "700800900"]) == 1


def test_500_is_not_retried(api: thulium.ThuliumClient, sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "status", "status": 500})

    with pytest.raises(thulium.ThuliumUnavailable) as caught:
        api.list_campaigns()

    assert caught.value.http_status == 500
    assert len(sandbox.requests()) == 1


def test_a_slow_answer_times_out_as_unavailable(sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "delay", "seconds": 1.5, "times": 5})
    config = client_config(sandbox.api_url, read_timeout=0.3, max_retries=1)

    with thulium.ThuliumClient(config) as c, pytest.raises(thulium.ThuliumUnavailable) as caught:
        c.list_campaigns()

    assert "in time" in str(caught.value)


def test_nobody_listening_is_unavailable(closed_port: int) -> None:
    config = client_config(f"http://127.0.0.1:{closed_port}/api/", max_retries=2)

    with thulium.ThuliumClient(config) as c, pytest.raises(thulium.ThuliumUnavailable):
        c.list_campaigns()


def test_a_body_that_is_not_json_is_a_protocol_error(
    api: thulium.ThuliumClient, sandbox: Sandbox
) -> None:
    sandbox.inject({"kind": "malformed"})

    with pytest.raises(thulium.ThuliumProtocolError):
        api.list_campaigns()


@pytest.mark.parametrize(
    ("call", "body"),
    [
        (lambda c: c.list_campaigns(), {"result": []}),
        (lambda c: c.campaign_stats(), [{"id": "00001"}]),
        (lambda c: c.list_records("00001"), {"count": 3}),
        (lambda c: c.batch_edit("00001", [thulium.RecordEdit(phone_number="1")]), ["204"]),
        (lambda c: c.batch_delete("00001", ["441"]), "REMOVED"),
    ],
)
def test_an_unexpected_shape_is_a_protocol_error(
    api: thulium.ThuliumClient, sandbox: Sandbox, call, body
) -> None:
    sandbox.inject({"kind": "body", "body": body})

    with pytest.raises(thulium.ThuliumProtocolError):
        call(api)


def test_credentials_and_payloads_are_never_logged(
    api: thulium.ThuliumClient, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.inject({"kind": "status", "status": 503})
    caplog.set_level(logging.DEBUG)

    api.batch_edit(
        "00001", [thulium.RecordEdit(phone_number="555123321", record_fields={"imię": "Tajne"})]
    )

    logged = caplog.text
    assert "batch/outbounds/00001/records" in logged
    assert "api_pass" not in logged
    assert "Tajne" not in logged
    assert "555123321" not in logged
    assert "api_pass" not in repr(api.config)


def test_date_time_format_round_trip() -> None:
    moment = datetime(2026, 12, 24, 9, 30, tzinfo=WARSAW)

    assert thulium.format_date_time(moment) == "2026-12-24 09:30"
    assert thulium.format_date_time(datetime(2026, 12, 24, 9, 30)) == "2026-12-24 09:30"
    assert thulium.parse_date_time("2026-12-24 09:30") == moment
    assert thulium.parse_date_time("") is None


@pytest.mark.parametrize(("user", "password"), [("api_user", "hasło-żółć"), ("użytkownik", "x")])
def test_a_login_outside_latin_1_is_sent_as_utf_8_and_answered_not_crashed(
    sandbox: Sandbox, user: str, password: str
) -> None:
    config = client_config(sandbox.api_url, user=user, password=password)
    with thulium.ThuliumClient(config) as c, pytest.raises(thulium.ThuliumAuthError):
        c.list_campaigns()
    (request,) = [r for r in sandbox.requests() if r["path"].endswith("outbounds")]
    assert request["status"] == 401
