"""The sandbox behaves as thulium-api.md says Thulium does. Raw HTTP: no dashboard code involved."""

from __future__ import annotations

import json

import pytest
import requests

from tests.helpers import DEMO_FIXTURE, Sandbox

# Verbatim from Thulium's documentation of PUT batch/outbounds/:id/records.
DOCUMENTED_EDIT = """{
"records": [
{
"phone_number": "111222333",
"status_id": "3",
"record_fields": {
"pole1": "wartosc1",
"pole2": "wartosc2"
}
},
{
"phone_number": "555123321",
"agent_login": "user"
}
]
}"""


def edit(sandbox: Sandbox, *rows: dict, campaign: str = "00001", **params: str) -> dict:
    response = sandbox.api(
        "PUT", f"batch/outbounds/{campaign}/records", json={"records": list(rows)}, params=params
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_documented_batch_edit_example_gets_the_documented_answer(sandbox: Sandbox) -> None:
    response = sandbox.api(
        "PUT",
        "batch/outbounds/00001/records",
        data=DOCUMENTED_EDIT.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "111222333": {"http_status": 204},
        "555123321": {"http_status": 400, "message": "Agent not found."},
    }
    record = sandbox.record("00001", "111222333")
    assert record["record_fields"]["pole1"] == "wartosc1"
    assert record["record_fields"]["pole2"] == "wartosc2"


def test_documented_batch_delete_example_removes_every_duplicate(sandbox: Sandbox) -> None:
    response = sandbox.api(
        "DELETE", "batch/outbounds/00001/records/?phone_number[]=441&phone_number[]=442"
    )

    answer = response.json()
    assert [r["status"] for r in answer["441"]] == ["REMOVED", "REMOVED"]
    assert answer["442"] == [{"http_status": 404, "status": "NOT_EXIST"}]
    assert not [r for r in sandbox.records("00001") if r["phone_number"] == "441"]


def test_wrong_password_gets_401_in_thuliums_error_shape(sandbox: Sandbox) -> None:
    response = sandbox.api("GET", "outbounds", auth=("api_user", "wrong"))

    assert response.status_code == 401
    body = response.json()
    assert body["request_id"]
    assert body["errors"][0]["code"] == 401
    assert body["errors"][0]["message"]


def test_missing_credentials_get_401(sandbox: Sandbox) -> None:
    response = requests.get(sandbox.api_url + "outbounds", timeout=5)

    assert response.status_code == 401


def test_api_user_without_the_method_gets_403(sandbox: Sandbox) -> None:
    allowed = sandbox.api("GET", "outbounds", auth=("readonly", "readonly_pass"))
    denied = sandbox.api("GET", "outbounds/00001/agents", auth=("readonly", "readonly_pass"))

    assert allowed.status_code == 200
    assert denied.status_code == 403
    assert denied.json()["errors"][0]["code"] == 403


def test_unknown_campaign_is_404(sandbox: Sandbox) -> None:
    response = sandbox.api("GET", "outbounds/99999/statuses")

    assert response.status_code == 404
    assert "99999" in response.json()["errors"][0]["message"]


def test_campaigns_stats_statuses_and_agents(sandbox: Sandbox) -> None:
    campaigns = sandbox.api("GET", "outbounds").json()
    stats = sandbox.api("GET", "outbounds/stats").json()
    statuses = sandbox.api("GET", "outbounds/00001/statuses").json()
    agents = sandbox.api("GET", "outbounds/00001/agents").json()

    assert {c["id"] for c in campaigns} == {"00001", "00002", "00003", "00004", "00005"}
    assert {s["id"]: s["records_count"] for s in stats}["00001"] == len(sandbox.records("00001"))
    assert all(0 <= s["completion_percent"] <= 100 for s in stats)
    assert {s["system_status"] for s in statuses} == {
        "TO_CALL",
        "IN_PROGRESS",
        "CALL",
        "MY_RECORD",
        "NO_CALL",
        "ABANDONED_AFTER_N_TRIES",
        "CALL_NO_SOONER_THAN",
        "CALL_PROGRESSIVE",
    }
    assert any(not a["active"] for a in agents)
    assert set(agents[0]) == {"login", "number", "active", "active_in_outbound", "agent_id"}


def test_record_listing_pages_are_capped_at_100(sandbox: Sandbox) -> None:
    first = sandbox.api("GET", "outbounds/00001/records", params={"limit": 500}).json()
    last = sandbox.api(
        "GET", "outbounds/00001/records", params={"limit": 100, "offset": first["count"] - 3}
    ).json()

    assert len(first["result"]) == 100
    assert first["count"] == 1500
    assert len(last["result"]) == 3
    assert "record_fields" not in first["result"][0]


def test_record_listing_filters_by_status_system_status_and_dates(sandbox: Sandbox) -> None:
    by_status = sandbox.api(
        "GET", "outbounds/00001/records", params={"status_id[]": ["4", "7"], "limit": 100}
    ).json()
    by_system = sandbox.api(
        "GET", "outbounds/00001/records", params={"system_status[]": "MY_RECORD"}
    ).json()
    by_date = sandbox.api(
        "GET",
        "outbounds/00001/records",
        params={"create_date_from": "2026-10-10", "create_date_to": "2026-10-12"},
    ).json()

    assert {r["status_id"] for r in by_status["result"]} == {"4", "7"}
    assert {r["system_status"] for r in by_system["result"]} == {"MY_RECORD"}
    assert by_date["count"] > 0
    assert all("2026-10-10" <= r["create_date"][:10] <= "2026-10-12" for r in by_date["result"])


def test_edit_refuses_each_broken_row_with_a_message(sandbox: Sandbox) -> None:
    answer = edit(
        sandbox,
        {"phone_number": "111222333", "status_id": "999"},
        {"phone_number": "555123321", "status_id": "4", "next_call_date": "2026-12-24 09:30"},
        {"phone_number": "600100200", "status_id": "4", "agent_login": "a.nowak"},
        {"phone_number": "441", "status_id": "3"},
    )

    assert answer["111222333"] == {"http_status": 400, "message": "Status not found."}
    assert answer["555123321"]["http_status"] == 400
    assert "Agent login is required" in answer["555123321"]["message"]
    assert "Next call date is required" in answer["600100200"]["message"]
    assert answer["441"]["http_status"] == 400
    assert "duplicated" in answer["441"]["message"]


def test_edit_checks_dates_fields_and_call_no_sooner_than(sandbox: Sandbox) -> None:
    answer = edit(
        sandbox,
        {"phone_number": "111222333", "next_call_date": "24.12.2026 09:30"},
        {"phone_number": "555123321", "record_fields": {"nieznane": "x"}},
        {"phone_number": "600100200", "status_id": "7"},
    )

    assert "Invalid next call date" in answer["111222333"]["message"]
    assert "nieznane" in answer["555123321"]["message"]
    assert "CALL_NO_SOONER_THAN" in answer["600100200"]["message"]


def test_edit_of_an_unknown_phone_is_404(sandbox: Sandbox) -> None:
    answer = edit(sandbox, {"phone_number": "123123123", "status_id": "3"})

    assert answer["123123123"]["http_status"] == 404


def test_edit_applies_a_valid_my_record_row(sandbox: Sandbox) -> None:
    answer = edit(
        sandbox,
        {
            "phone_number": "555123321",
            "status_id": "4",
            "agent_login": "m.wisniewska",
            "next_call_date": "2026-12-24 09:30",
            "record_fields": {"imię": "Żaneta", "miasto": "Łódź"},
        },
    )

    assert answer == {"555123321": {"http_status": 204}}
    record = sandbox.record("00001", "555123321")
    assert record["system_status"] == "MY_RECORD"
    assert record["agent_login"] == "m.wisniewska"
    assert record["next_call_date"] == "2026-12-24 09:30"
    assert record["record_fields"]["imię"] == "Żaneta"
    assert record["record_fields"]["miasto"] == "Łódź"


def test_an_empty_record_field_value_clears_the_field(sandbox: Sandbox) -> None:
    before = sandbox.record("00001", "555123321")["record_fields"]
    assert before["nazwisko"]

    edit(sandbox, {"phone_number": "555123321", "record_fields": {"nazwisko": ""}})

    after = sandbox.record("00001", "555123321")["record_fields"]
    assert after["nazwisko"] == ""
    assert after["imię"] == before["imię"]


def test_dictionary_status_id_sets_the_matching_status(sandbox: Sandbox) -> None:
    answer = edit(sandbox, {"phone_number": "555123321", "dictionary_status_id": 5})

    assert answer["555123321"] == {"http_status": 204}
    assert sandbox.record("00001", "555123321")["system_status"] == "NO_CALL"


def test_record_fields_are_refused_in_a_crm_campaign(sandbox: Sandbox) -> None:
    phone = sandbox.records("00004")[0]["phone_number"]

    answer = edit(sandbox, {"phone_number": phone, "record_fields": {"x": "y"}}, campaign="00004")

    assert "non-CRM" in answer[phone]["message"]


def test_additional_numbers_match_only_when_asked(sandbox: Sandbox) -> None:
    row = {"phone_number": "226543210", "status_id": "5"}

    plain = edit(sandbox, row)
    with_query_flag = edit(sandbox, row, search_in_additional_numbers="true")
    per_row = edit(sandbox, row | {"search_in_additional_numbers": True})

    assert plain["226543210"]["http_status"] == 404
    assert with_query_flag["226543210"] == {"http_status": 204}
    assert per_row["226543210"] == {"http_status": 204}


def test_batch_add_answers_added_already_exists_and_failed(sandbox: Sandbox) -> None:
    response = sandbox.api(
        "POST",
        "batch/outbounds/00001/records",
        json={
            "records": [
                {"phone_number": "700800900", "identifier": "NEW-1", "order": 50},
                {"phone_number": "111222333"},
                {"phone_number": "700800901", "agent_login": "nobody"},
            ]
        },
    )

    answer = response.json()
    assert answer["700800900"]["status"] == "ADDED"
    assert answer["700800900"]["http_status"] == 201
    assert answer["111222333"]["status"] == "ALREADY_EXISTS"
    assert answer["111222333"]["record_id"]
    assert answer["700800901"] == {
        "http_status": 400,
        "status": "FAILED",
        "message": "Agent not found.",
    }
    assert sandbox.record("00001", "700800900")["identifier"] == "NEW-1"


def test_batch_delete_refuses_a_record_in_a_call(sandbox: Sandbox) -> None:
    response = sandbox.api("DELETE", "batch/outbounds/00001/records?phone_number[]=600100200")

    assert response.json()["600100200"][0]["status"] == "CALL_IN_PROGRESS"
    assert sandbox.record("00001", "600100200")


def test_single_record_endpoints(sandbox: Sandbox) -> None:
    added = sandbox.api("POST", "outbounds/00001/records", json={"phone_number": "700700700"})
    edited = sandbox.api(
        "PUT",
        "outbounds/00001/records_by_identifier/00001-00003",
        json={"status_id": "5"},
    )
    deleted = sandbox.api("DELETE", "outbounds/00001/records/700700700")

    assert added.status_code == 201
    assert added.json()["record_id"]
    assert edited.status_code == 204
    # Record 00001-00003 has the duplicated number 441: by identifier it can still be edited.
    assert [r["status_id"] for r in sandbox.records("00001") if r["phone_number"] == "441"] == [
        "5",
        "1",
    ]
    assert deleted.status_code == 204
    assert not [r for r in sandbox.records("00001") if r["phone_number"] == "700700700"]


def test_a_body_that_is_not_json_is_a_request_level_error(sandbox: Sandbox) -> None:
    response = sandbox.api("PUT", "batch/outbounds/00001/records", data=b"{not json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_polish_letters_arrive_intact_whatever_the_byte_count(sandbox: Sandbox) -> None:
    body = json.dumps(
        {"records": [{"phone_number": "555123321", "record_fields": {"miasto": "Źdźbło Łęczyca"}}]},
        ensure_ascii=False,
    ).encode("utf-8")

    sandbox.api(
        "PUT",
        "batch/outbounds/00001/records",
        data=body,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )

    assert sandbox.record("00001", "555123321")["record_fields"]["miasto"] == "Źdźbło Łęczyca"


def test_status_fault_fails_the_next_requests_then_heals(sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "status", "status": 503, "times": 2, "retry_after": 7})

    first = sandbox.api("GET", "outbounds")
    second = sandbox.api("GET", "outbounds")
    third = sandbox.api("GET", "outbounds")

    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert first.headers["Retry-After"] == "7"
    assert first.json()["request_id"]


def test_a_fault_for_seconds_strikes_every_request_until_then_and_the_next_fault_after(
    sandbox: Sandbox,
) -> None:
    import time

    sandbox.inject(
        {"kind": "status", "status": 503, "for_seconds": 0.6},
        {"kind": "status", "status": 502},
    )

    during = [sandbox.api("GET", "outbounds").status_code for _ in range(5)]
    time.sleep(0.7)
    after = [sandbox.api("GET", "outbounds").status_code for _ in range(2)]

    assert during == [503] * 5
    assert after == [502, 200]


def test_status_fault_does_not_apply_the_request(sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "status", "status": 502})

    edit_response = sandbox.api(
        "PUT",
        "batch/outbounds/00001/records",
        json={"records": [{"phone_number": "555123321", "status_id": "5"}]},
    )

    assert edit_response.status_code == 502
    assert sandbox.record("00001", "555123321")["status_id"] == "1"


def test_close_fault_drops_the_connection_without_an_answer(sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "close"})

    with pytest.raises(requests.ConnectionError):
        sandbox.api("GET", "outbounds")
    assert sandbox.api("GET", "outbounds").status_code == 200


def test_close_fault_after_apply_loses_only_the_answer(sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "close", "apply": True})

    with pytest.raises(requests.ConnectionError):
        edit(sandbox, {"phone_number": "555123321", "status_id": "5"})
    assert sandbox.record("00001", "555123321")["status_id"] == "5"


def test_malformed_and_drop_phones_faults(sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "malformed", "method": "PUT"})
    malformed = sandbox.api(
        "PUT",
        "batch/outbounds/00001/records",
        json={"records": [{"phone_number": "555123321", "status_id": "3"}]},
    )
    sandbox.inject({"kind": "drop_phones", "phones": ["555123321"]})
    dropped = edit(
        sandbox,
        {"phone_number": "555123321", "status_id": "5"},
        {"phone_number": "111222333", "status_id": "5"},
    )

    with pytest.raises(requests.JSONDecodeError):
        malformed.json()
    assert dropped == {"111222333": {"http_status": 204}}
    assert sandbox.record("00001", "555123321")["status_id"] == "5"


def test_delay_fault_holds_the_answer(sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "delay", "seconds": 1.0})

    with pytest.raises(requests.Timeout):
        sandbox.http.get(
            sandbox.api_url + "outbounds", auth=("api_user", "api_pass"), timeout=(2, 0.3)
        )


def test_faults_can_target_one_method(sandbox: Sandbox) -> None:
    sandbox.inject({"kind": "status", "status": 500, "method": "PUT"})

    assert sandbox.api("GET", "outbounds").status_code == 200
    assert (
        sandbox.api("PUT", "batch/outbounds/00001/records", json={"records": []}).status_code == 500
    )


def test_request_log_keeps_what_arrived_without_credentials(sandbox: Sandbox) -> None:
    edit(sandbox, {"phone_number": "555123321", "status_id": "3"})

    log = sandbox.requests()

    assert len(log) == 1
    assert log[0]["method"] == "PUT"
    assert log[0]["path"] == "/api/batch/outbounds/00001/records"
    assert log[0]["user"] == "api_user"
    assert log[0]["body"] == {"records": [{"phone_number": "555123321", "status_id": "3"}]}
    assert "api_pass" not in json.dumps(log)


def test_reset_and_fixture_loading(sandbox: Sandbox) -> None:
    edit(sandbox, {"phone_number": "555123321", "status_id": "5"})
    sandbox.reset()
    assert sandbox.record("00001", "555123321")["status_id"] == "1"

    sandbox.load(
        {
            "users": [{"login": "u", "password": "p", "methods": ["*"]}],
            "campaigns": [
                {
                    "id": "00042",
                    "name": "Mała",
                    "fields": [],
                    "statuses": [],
                    "agents": [],
                    "records": [],
                }
            ],
        }
    )
    try:
        campaigns = sandbox.api("GET", "outbounds", auth=("u", "p")).json()
        assert [c["id"] for c in campaigns] == ["00042"]
    finally:
        sandbox.load(json.loads(DEMO_FIXTURE.read_text(encoding="utf-8")))


def test_a_broken_fixture_is_refused_and_the_old_one_kept(sandbox: Sandbox) -> None:
    response = sandbox.http.post(sandbox.root + "_sandbox/fixture", json={"nope": 1}, timeout=5)

    assert response.status_code == 400
    assert sandbox.api("GET", "outbounds").status_code == 200
