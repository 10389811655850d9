"""English for people working in Poland: day before month and a 24-hour clock (24/12/2026 09:30),
never the American 12/24/2026 9:30 p.m. that would read as another day."""

from django.conf.locale.en.formats import *  # noqa: F403

SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
DATETIME_FORMAT = "j F Y H:i"
TIME_FORMAT = "H:i"
