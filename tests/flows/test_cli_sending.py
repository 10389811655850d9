"""The command line through an outage and a revert: `push_records` waits for Thulium (printing
each pause, never calling it a refusal) up to --wait-for-thulium, and `revert_sending` builds,
reviews and sends the grid that puts records back, with push_records' exit codes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from campaigns.models import Grid, Outcome, Submission
from tests.helpers import FILES, Sandbox

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command(command, *args, stdout=out, stderr=err)
    return exited.value.code, out.getvalue(), err.getvalue()


def crm_statuses(sandbox: Sandbox) -> dict[str, str]:
    return {r["phone_number"]: r["status_id"] for r in sandbox.records("00001")}


@pytest.mark.parametrize(
    ("language", "waiting", "sent"),
    [
        (
            "en",
            "Waiting for Thulium: Thulium did not answer (503). Nothing was refused.",
            "Sent: Finished; 7 updated",
        ),
        (
            "pl",
            "Wysyłka czeka na Thulium: Thulium nie odpowiedział (503). Nic nie zostało odrzucone.",
            "Wysłano: Zakończona; 7 zmienionych",
        ),
    ],
)
def test_push_records_waits_through_an_outage_printing_each_pause(
    campaign: Any, sandbox: Sandbox, settings: Any, language: str, waiting: str, sent: str
) -> None:
    settings.LANGUAGE_CODE = language
    retries = settings.THULIUM["MAX_RETRIES"]
    sandbox.inject({"kind": "status", "status": 503, "method": "PUT", "times": 2 * (1 + retries)})

    code, out, err = run("push_records", "00001", str(FILES / "crm_export_cp1250.csv"))

    assert out.count(waiting) == 2
    assert sent in out
    assert "refus" not in out.replace(waiting, "").lower()
    assert "odrzuc" not in out.replace(waiting, "").lower()
    assert code == 1  # the file's rows with errors, as without an outage
    grid = Grid.objects.get()
    sent_rows = grid.rows.exclude(state="error")
    assert set(sent_rows.exclude(unchanged=True).values_list("outcome", flat=True)) == {
        Outcome.UPDATED
    }


def test_push_records_gives_up_after_wait_for_thulium_minutes_and_exits_1(
    campaign: Any, sandbox: Sandbox
) -> None:
    sandbox.inject({"kind": "status", "status": 503, "method": "PUT", "times": 10_000})

    code, out, err = run(
        "push_records", "00001", str(FILES / "crm_export_cp1250.csv"), "--wait-for-thulium", "0.02"
    )

    assert code == 1
    assert "Waiting for Thulium" in out
    assert "Sent: Stopped; 7 not confirmed" in out
    assert "could not be reached for 1 second" in err
    assert Submission.objects.get().state == Submission.State.FAILED


def test_wait_for_thulium_must_be_minutes(campaign: Any) -> None:
    code, _out, err = run(
        "push_records", "00001", str(FILES / "crm_export_cp1250.csv"), "--wait-for-thulium", "-5"
    )

    assert code == 2
    assert "--wait-for-thulium takes minutes" in err
    assert not Grid.objects.exists()


def test_revert_sending_puts_a_sending_back_and_its_dry_run_sends_nothing(
    campaign: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    was = crm_statuses(sandbox)
    run("push_records", "00001", str(FILES / "crm_export_cp1250.csv"))
    sending = Submission.objects.get()
    assert crm_statuses(sandbox) != was

    code, out, _err = run("revert_sending", str(sending.pk), "--dry-run")

    assert code == 0
    revert = Grid.objects.get(source=Grid.Source.REVERT)
    assert f"Revert grid #{revert.pk} for campaign 00001: 7 records to put back." in out
    # What Thulium cannot clear is said, counted; records it cannot change back stay out.
    assert "3 rows: their next call date is not put back" in out
    assert "4 rows would be sent." in out
    assert "left out, no change: 3" in out
    assert Submission.objects.count() == 1  # nothing sent

    report = tmp_path / "revert.csv"
    code, out, _err = run("revert_sending", str(sending.pk), "--report", str(report))

    assert code == 0, out
    assert "Sent: Finished; 4 updated" in out
    assert crm_statuses(sandbox) == was
    assert report.exists()


def test_revert_sending_of_a_grid_puts_back_every_sending_after_an_outage(
    campaign: Any, sandbox: Sandbox, settings: Any
) -> None:
    was = crm_statuses(sandbox)
    retries = settings.THULIUM["MAX_RETRIES"]
    sandbox.inject(
        {"kind": "drop_phones", "phones": ["509708024"], "method": "PUT"},
        {"kind": "status", "status": 503, "method": "PUT", "times": 10_000 * (1 + retries)},
    )
    run(
        "push_records",
        "00001",
        str(FILES / "crm_export_cp1250.csv"),
        "--chunk-size",
        "3",
        "--wait-for-thulium",
        "0.02",
    )
    grid = Grid.objects.get()
    sandbox._control("DELETE", "faults")
    resend = run("push_records", "00001", str(FILES / "crm_export_cp1250.csv"))
    assert resend[0] == 1

    code, out, _err = run("revert_sending", "--grid", str(grid.pk))

    assert code == 0, out
    assert crm_statuses(sandbox) == was


def test_revert_sending_says_what_is_wrong_with_its_arguments(campaign: Any) -> None:
    assert run("revert_sending")[0] == 2
    code, _out, err = run("revert_sending", "12", "--grid", "3")
    assert code == 2
    assert "Name one sending" in err
    code, _out, err = run("revert_sending", "999")
    assert (code, err.strip()) == (2, "There is no sending #999.")
