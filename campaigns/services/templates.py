"""The per-campaign XLSX template: the campaign's headers, drop-downs and a text phone column."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from campaigns.intake.safe_files import set_value
from campaigns.models import Campaign, Grid
from campaigns.rules.validation import CampaignRules

TEMPLATE_ROWS = 5000  # rows prepared with drop-downs and text formatting


def campaign_template_xlsx(
    *, campaign: Campaign, rules: CampaignRules, mode: str = Grid.Mode.EDIT
) -> bytes:
    """An XLSX with our recognised Polish headers; statuses and active agents as drop-down lists
    (from a hidden sheet); the phone column formatted as text so Excel keeps every digit. For a
    grid that adds records (add, upsert) also the identifier and order columns, last, so the
    drop-downs keep their columns in every mode."""
    workbook = Workbook()
    sheet = workbook.worksheets[0]  # a new workbook's one sheet
    sheet.title = "Rekordy"
    headers = ["Numer telefonu", "Status", "Konsultant", "Następny kontakt"]
    headers += campaign.field_names()
    if mode in (Grid.Mode.ADD, Grid.Mode.UPSERT):
        headers += ["Identyfikator", "Kolejność"]
    for column, header in enumerate(headers, start=1):
        set_value(sheet.cell(row=1, column=column), header)
        sheet.cell(row=1, column=column).font = Font(bold=True)
    lists = workbook.create_sheet("Listy")
    lists.sheet_state = "hidden"
    statuses = [s.name for s in rules.statuses]
    agents = [a.login for a in rules.agents if a.active and a.active_in_outbound]
    for index, name in enumerate(statuses, start=1):
        set_value(lists.cell(row=index, column=1), name)
    for index, login in enumerate(agents, start=1):
        set_value(lists.cell(row=index, column=2), login)
    last = TEMPLATE_ROWS + 1
    if statuses:
        status_list = DataValidation(
            type="list", formula1=f"=Listy!$A$1:$A${len(statuses)}", allow_blank=True
        )
        status_list.add(f"B2:B{last}")
        sheet.add_data_validation(status_list)
    if agents:
        agent_list = DataValidation(
            type="list", formula1=f"=Listy!$B$1:$B${len(agents)}", allow_blank=True
        )
        agent_list.add(f"C2:C{last}")
        sheet.add_data_validation(agent_list)
    for row in range(2, last + 1):
        sheet.cell(row=row, column=1).number_format = "@"
        sheet.cell(row=row, column=4).number_format = "dd.mm.yyyy hh:mm"
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 28
    sheet.column_dimensions["C"].width = 18
    sheet.column_dimensions["D"].width = 20
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
