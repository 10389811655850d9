"""The admin's forms for a system's do-not-contact list: a number typed (never kept), or a file of
them, with the reason; and the reason an entry is taken off the list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from campaigns.models import ThuliumSystem

REASON_HELP = _("Kept in the history. Without the number.")


class _InSystem(forms.Form):
    system = forms.ModelChoiceField(
        queryset=ThuliumSystem.objects.none(), label=_("Thulium system"), empty_label=None
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, help_text=REASON_HELP)

    def __init__(self, *args: Any, systems: QuerySet[ThuliumSystem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["system"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = systems


class NumberForm(_InSystem):
    """Add or remove one number."""

    phone = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        help_text=_("As the person gave it: with or without +48, spaces or dashes."),
        # The browser must not offer it again in other forms.
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    field_order = ["system", "phone", "reason"]


class ListFileForm(_InSystem):
    """Add every number of a file."""

    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV, XLSX or ODS: one number a row, in the column named like a phone number, "
            "else in the first column."
        ),
    )
    field_order = ["system", "file", "reason"]


class RemoveEntryForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, help_text=REASON_HELP)
