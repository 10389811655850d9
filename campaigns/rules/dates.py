"""Dates as files write them and as Thulium takes them: `24.12.2026 09:30`, `2026-12-24`, an
Excel serial number, read into a moment; a date that cannot exist (31.02) said why; the moment
written back as `YYYY-MM-DD hh:mm`. Pure: no models, no HTTP."""

from __future__ import annotations

import calendar
import functools
import re
from datetime import datetime, timedelta
from typing import Any

from campaigns.intake.text import fold_digits

EXCEL_EPOCH = datetime(1899, 12, 30)
# The years a next call date can mean: a year outside is a slip (0226 for 2026), never a call.
FIRST_YEAR, LAST_YEAR = 1900, 2100
# 2026-12-24, 24.12.2026, 24-12-2026 or 24/12/2026; then optionally " 9:30", "T09:30", ":00".
DATE_RE = re.compile(
    r"^(?:(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"|(?P<d2>\d{1,2})[./-](?P<m2>\d{1,2})[./-](?P<y2>\d{4}))"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$",
    re.ASCII,
)


def date_of_match(match: re.Match[str], *, seconds: bool = True) -> datetime | None:
    """The moment DATE_RE matched (its seconds too, if asked), or None for a day that cannot
    exist (31.02)."""
    parts = match.groupdict()
    try:
        return datetime(
            int(parts["y"] or parts["y2"]),
            int(parts["m"] or parts["m2"]),
            int(parts["d"] or parts["d2"]),
            int(parts["H"] or 0),
            int(parts["M"] or 0),
            int(parts["S"] or 0) if seconds else 0,
        )
    except ValueError:
        return None


@functools.lru_cache(maxsize=16_384)
def parse_cell_date_time(text: str) -> tuple[datetime | None, bool]:
    """A date as a person types it in a cell (or a spreadsheet stores it): (the moment, whether
    a time was given). Excel serial numbers are read as Excel does. Thulium's own form is
    thulium.parse_date_time's."""
    cleaned = " ".join(fold_digits(text).replace("\u00a0", " ").split())
    if match := DATE_RE.match(cleaned):
        moment = date_of_match(match, seconds=False)
        if moment is None:
            return None, False
        parts = match.groupdict()
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            return None, False
        return moment, parts["H"] is not None
    try:
        serial = float(cleaned.replace(",", "."))
    except ValueError:
        return None, False
    if 1 <= serial < 2958466:
        moment = EXCEL_EPOCH + timedelta(days=serial)
        # Serials carry seconds as fractions of a day: round to Thulium's minutes.
        moment = (moment + timedelta(seconds=30)).replace(second=0, microsecond=0)
        if FIRST_YEAR <= moment.year <= LAST_YEAR:
            return moment, serial != int(serial)
    return None, False


def thulium_date_text(moment: datetime) -> str:
    """The moment as Thulium takes it: `YYYY-MM-DD hh:mm`, every part zero-padded (strftime
    writes the year 226 as "226")."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}"
    )


def impossible_date(text: str) -> dict[str, Any] | None:
    """For a date written in a form we read but that cannot exist (31.02.2027, 13/13/2027,
    25:00) or that Thulium cannot mean (24.12.0226), what is wrong with it: {"why": …, …} for
    its message; None otherwise."""
    cleaned = " ".join(fold_digits(text).replace("\u00a0", " ").split())
    match = DATE_RE.match(cleaned)
    if match is None:
        return None
    parts = match.groupdict()
    year = int(parts["y"] or parts["y2"])
    month = int(parts["m"] or parts["m2"])
    day = int(parts["d"] or parts["d2"])
    hour, minute = int(parts["H"] or 0), int(parts["M"] or 0)
    if not 1 <= month <= 12:
        return {"why": "month", "month": month}
    days = calendar.monthrange(year, month)[1] if year >= 1 else 31
    if not 1 <= day <= days:
        return {"why": "day", "month": month, "year": year, "days": days}
    if hour > 23 or minute > 59:
        return {"why": "time", "time": f"{hour}:{minute:02d}"}
    if not FIRST_YEAR <= year <= LAST_YEAR:
        written = parts["y"] or parts["y2"]
        return {"why": "year", "year": written, "first": FIRST_YEAR, "last": LAST_YEAR}
    return None
