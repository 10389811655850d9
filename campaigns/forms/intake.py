"""Forms for bringing rows in: a file, an empty grid, a pull of the campaign's records, the mapping
of the file's columns."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from campaigns.intake.file_limits import megabytes
from campaigns.intake.spreadsheets import SPREADSHEET_EXTENSIONS, TEXT_EXTENSIONS
from campaigns.models import Grid
from campaigns.presentation.labels import SYSTEM_STATUS_LABELS
from campaigns.rules.targets import FIELD_PREFIX, RECORD_TARGETS, field_target, label
from campaigns.thulium.vocabulary import Status  # the statuses the views fetched; no client


def mode_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("What the grid does"),
        choices=Grid.Mode.choices,
        initial=Grid.Mode.EDIT,
        required=False,  # absent means edit, as before modes existed
        widget=forms.RadioSelect,
        help_text=_(
            "Edit changes records found by phone; add creates new records; remove deletes every "
            "record with the phone; add or update changes the records the campaign holds and "
            "adds the others."
        ),
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (CSV, XLSX or ODS)"))
    mode = mode_field()
    delimiter = forms.ChoiceField(
        label=_("CSV delimiter"),
        required=False,
        choices=[
            ("", _("Detect")),
            (",", _("Comma ,")),
            (";", _("Semicolon ;")),
            ("\t", _("Tab")),
            ("|", _("Vertical bar |")),
        ],
    )
    encoding = forms.ChoiceField(
        label=_("CSV encoding"),
        required=False,
        choices=[
            ("", _("Detect")),
            ("utf-8", "UTF-8"),
            ("cp1250", "Windows-1250"),
            ("iso-8859-2", "ISO-8859-2"),
        ],
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in TEXT_EXTENSIONS | SPREADSHEET_EXTENSIONS:
            raise forms.ValidationError(
                _(
                    "We read CSV, XLSX and ODS files; “%(name)s” is none of them. Save it from "
                    "Excel or LibreOffice as .xlsx or .csv and upload that."
                ),
                params={"name": upload.name},
            )
        if upload.size > settings.INTAKE_MAX_BYTES:
            raise forms.ValidationError(
                _(
                    "The file is %(size)s MB; the limit is %(limit)s MB. Split it into "
                    "smaller files."
                ),
                params={
                    "size": megabytes(upload.size),
                    "limit": megabytes(settings.INTAKE_MAX_BYTES),
                },
            )
        return upload


class EmptyGridForm(forms.Form):
    mode = mode_field()


class PullForm(forms.Form):
    status_ids = forms.MultipleChoiceField(
        label=_("Statuses"), required=False, widget=forms.CheckboxSelectMultiple
    )
    system_statuses = forms.MultipleChoiceField(
        label=_("System statuses"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list(SYSTEM_STATUS_LABELS.items()),
    )
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    called_from = forms.DateField(
        label=_("Last called from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    called_to = forms.DateField(
        label=_("Last called until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, statuses: Sequence[Status] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status_ids = self.fields["status_ids"]
        assert isinstance(status_ids, forms.MultipleChoiceField)
        status_ids.choices = [(s.status_id, s.name) for s in statuses]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for start, end in (("created_from", "created_to"), ("called_from", "called_to")):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, _("This date is before the start date; swap the two."))
        return data


class MappingForm(forms.Form):
    """One choice per file column, and 'add as a campaign field' for columns mapped to nothing."""

    def __init__(
        self,
        *args: Any,
        headers: Sequence[str],
        suggestion: Sequence[str],
        field_names: Sequence[str],
        unknown_fields: Collection[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", label(""))] + [(t, label(t)) for t in RECORD_TARGETS]
        choices += [
            (
                field_target(name),
                _("%(field)s — unknown to Thulium") % {"field": label(field_target(name))}
                if name in unknown_fields
                else label(field_target(name)),
            )
            for name in field_names
        ]
        known = {value for value, _text in choices}
        self.headers = list(headers)
        for position, header in enumerate(headers):
            target = suggestion[position] if position < len(suggestion) else ""
            column_choices = list(choices)
            if target and target not in known and target.startswith(FIELD_PREFIX):
                column_choices.append((target, label(target)))
            self.fields[f"column_{position}"] = forms.ChoiceField(
                label=header, required=False, choices=column_choices, initial=target
            )
            self.fields[f"learn_{position}"] = forms.BooleanField(
                label=_("Add “%(name)s” to the campaign's fields") % {"name": header},
                required=False,
            )

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"column_{i}", "") for i in range(len(self.headers))]

    def learn_fields(self) -> list[str]:
        return [h for i, h in enumerate(self.headers) if self.cleaned_data.get(f"learn_{i}")]

    def columns(self) -> list[tuple[str, Any, Any]]:
        return [
            (header, self[f"column_{i}"], self[f"learn_{i}"])
            for i, header in enumerate(self.headers)
        ]
