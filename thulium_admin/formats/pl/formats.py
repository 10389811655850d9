"""Polish dates as Polish offices write them (and as the grid reads them): 24.12.2026 09:30.
Django's own Polish formats write 24-12-2026; the rest of them stay."""

from django.conf.locale.pl.formats import *  # noqa: F403

SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
