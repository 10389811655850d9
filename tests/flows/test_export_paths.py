"""Every file the dashboard produces goes through the one escaper."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.services.campaigns import campaign_fields_add
from tests.helpers import user_with_role

pytestmark = pytest.mark.django_db
FORMULA = '=HYPERLINK("http://evil.example","x")'


def csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]


def test_a_push_records_report_neutralises_formulas(campaign: Any, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(f"Telefon;Miasto\n509708024;{FORMULA}\n-600100200;x\n", encoding="utf-8")
    report = tmp_path / "report.csv"

    with pytest.raises(SystemExit):
        call_command("push_records", "00001", str(source), "--dry-run", "--report", str(report))

    cells = csv_cells(report.read_bytes())
    assert "'" + FORMULA in cells
    assert "'-600100200" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


def test_a_history_export_neutralises_a_username_that_looks_like_a_formula(
    client: Client, campaign: Any, django_user_model: Any
) -> None:
    user = user_with_role(django_user_model, "-2+3", "Supervisor")
    client.force_login(user)
    campaign_fields_add(campaign=campaign, names=["Uwagi"], actor=user)

    as_csv = client.get(reverse("campaigns:history") + "?export=csv").content
    as_xlsx = client.get(reverse("campaigns:history") + "?export=xlsx").content

    assert "'-2+3" in csv_cells(as_csv)
    names = [c for c in load_workbook(io.BytesIO(as_xlsx)).active["D"] if c.value == "-2+3"]
    assert names
    assert all(c.data_type == "s" and c.quotePrefix for c in names)


def test_the_campaign_template_writes_a_formula_like_field_name_as_text(
    client: Client, supervisor: Any, campaign: Any
) -> None:
    campaign_fields_add(campaign=campaign, names=["=1+2"])
    client.force_login(supervisor)

    data = client.get(reverse("campaigns:campaign_template", args=["thulium", "00001"])).content

    header = [c for c in load_workbook(io.BytesIO(data))["Rekordy"][1] if c.value == "=1+2"]
    assert header
    assert header[0].data_type == "s"
    assert header[0].quotePrefix
