"""A person as the pages show them: by full name, with the login on hover."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def person(name: str, login: str = "") -> SafeString:
    """The full name, the login in its title; the name alone when it is the login (an account
    without a full name, the command line)."""
    if login and login != name:
        return format_html('<span class="person" title="{}">{}</span>', login, name)
    return conditional_escape(name)
