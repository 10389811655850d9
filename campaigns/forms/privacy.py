"""The form of a person's request by phone number (posted, never in the address)."""

from __future__ import annotations

from django import forms

from campaigns.forms.fields import Choice, Text


class PersonRequestForm(forms.Form):
    phone = Text()
    action = Choice(("find", "export", "erase"), "find")
    reason = Text()  # why the data is erased
