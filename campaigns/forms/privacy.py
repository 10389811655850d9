"""The form of a person's request by phone number (posted, never in the address)."""

from __future__ import annotations

from django import forms

from campaigns.forms.fields import Choice, Text, Ticked


class PersonRequestForm(forms.Form):
    system = Text()  # the Thulium system's name: a request is answered within one
    phone = Text()
    action = Choice(("find", "export", "erase"), "find")
    reason = Text()  # why the data is erased
    do_not_contact = Ticked()  # and put the number on the system's do-not-contact list
