"""The form a person's language is chosen with (Django's set_language reads the same post), and
the one naming a new API token."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from campaigns.forms.fields import Choice


class LanguageForm(forms.Form):
    language = Choice([code for code, _name in settings.LANGUAGES], "")


class ApiTokenForm(forms.Form):
    """A new API token: the name its user tells it by (which integration holds it)."""

    name = forms.CharField(label=_("Name"), max_length=100)
