"""The form a person's language is chosen with (Django's set_language reads the same post)."""

from __future__ import annotations

from django import forms
from django.conf import settings

from campaigns.forms.fields import Choice


class LanguageForm(forms.Form):
    language = Choice([code for code, _name in settings.LANGUAGES], "")
