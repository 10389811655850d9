"""Charts drawn on the server as SVG: the geometry here, the markup in
templates/campaigns/chart.html. Every chart carries its own text alternative (a summary sentence
and the table of its figures), and bars carry their label and number, never colour alone.

Coordinates are formatted here as plain strings: the template localizes numbers, and a Polish
"12,5" in an SVG attribute would break the drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.utils import formats
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from campaigns.models import Outcome
from campaigns.presentation.labels import SYSTEM_STATUS_LABELS

WIDTH = 640
# Horizontal bars: each label has a line of its own above its bar, the whole width long. A label
# column beside the bars had room for about 30 characters, and the Polish system statuses
# ("Odrzucony po n próbach (ABANDONED)") ran under the bars and their numbers.
VALUE_WIDTH = 90  # the number after each bar
LABEL_LINE = 22  # the label's line
BAR_HEIGHT = 16
BAR_ROW = LABEL_LINE + BAR_HEIGHT + 10
COLUMN_AREA = 150  # column charts: the height of the plot


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    kind: str  # a CSS modifier: the bar's colour, matching the badges
    share: str  # "42%" of the chart's scale, for the table
    x: str
    y: str
    width: str
    height: str
    text_x: str
    text_y: str
    label_y: str = ""  # horizontal bars: the baseline of the label's line above the bar


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    summary: str  # one sentence saying what the chart shows, for those who cannot see it
    shape: str  # "bars" (horizontal) or "columns" (over time)
    bars: list[Bar]
    width: int
    height: int
    value_heading: str
    axis: list[tuple[str, str, str, str]]  # column charts: (x, y, text, anchor) under the plot
    baseline: str = ""  # column charts: the y of the line the columns stand on

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def _number(value: float) -> str:
    return number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, int, str]],
    scale: int | None = None,
    value_heading: str = "",
) -> Chart:
    """Horizontal bars, one per (label, value, kind); `scale` is the value of a full bar (the
    total by default, so each bar reads as a share of the whole)."""
    total = sum(value for _label, value, _kind in items)
    full = scale if scale is not None else total
    plot = WIDTH - VALUE_WIDTH
    bars = []
    for n, (label, value, kind) in enumerate(items):
        fraction = value / full if full else 0.0
        width = max(plot * fraction, 2.0 if value else 0.0)
        y = n * BAR_ROW
        bars.append(
            Bar(
                label=label,
                value=value,
                kind=kind,
                share=f"{fraction:.0%}",
                x="0",
                y=str(y + LABEL_LINE),
                width=f"{width:.1f}",
                height=str(BAR_HEIGHT),
                text_x=f"{width + 6:.1f}",
                text_y=str(y + LABEL_LINE + BAR_HEIGHT - 3),
                label_y=str(y + LABEL_LINE - 6),
            )
        )
    largest = max(items, key=lambda item: item[1], default=None)
    if not total or largest is None:
        summary = _("%(title)s: nothing to show yet.") % {"title": title}
    else:
        summary = _("%(title)s: %(total)s in all; the largest is %(label)s with %(value)s.") % {
            "title": title,
            "total": _number(total),
            "label": largest[0],
            "value": _number(largest[1]),
        }
    return Chart(
        id=chart_id,
        title=title,
        summary=summary,
        shape="bars",
        bars=bars,
        width=WIDTH,
        height=max(len(items), 1) * BAR_ROW,
        value_heading=value_heading or _("Count"),
        axis=[],
    )


def column_chart(
    *,
    chart_id: str,
    title: str,
    points: Sequence[tuple[str, int]],
    kind: str,
    value_heading: str,
) -> Chart:
    """One column per (label, value) in order, e.g. per day; the first, middle and last labels
    are written under the plot."""
    top = max((value for _label, value in points), default=0)
    step = WIDTH / max(len(points), 1)
    bars = []
    for n, (label, value) in enumerate(points):
        height = COLUMN_AREA * value / top if top else 0.0
        height = max(height, 2.0 if value else 0.0)
        bars.append(
            Bar(
                label=label,
                value=value,
                kind=kind,
                share=f"{value / top:.0%}" if top else "0%",
                x=f"{n * step + step * 0.15:.1f}",
                y=f"{COLUMN_AREA - height + 16:.1f}",
                width=f"{step * 0.7:.1f}",
                height=f"{height:.1f}",
                text_x=f"{n * step + step / 2:.1f}",
                text_y=f"{COLUMN_AREA - height + 12:.1f}",
            )
        )
    # The first, middle and last labels, the outer two flush with the plot's edges.
    shown = sorted({0, len(points) // 2, len(points) - 1}) if points else []
    axis_y = str(COLUMN_AREA + 34)
    axis = []
    for i in shown:
        if i == 0:
            axis.append(("0", axis_y, points[i][0], "start"))
        elif i == len(points) - 1:
            axis.append((str(WIDTH), axis_y, points[i][0], "end"))
        else:
            axis.append((bars[i].text_x, axis_y, points[i][0], "middle"))
    total = sum(value for _label, value in points)
    if not total:
        summary = _("%(title)s: none in this period.") % {"title": title}
    else:
        busiest = max(points, key=lambda point: point[1])
        summary = _(
            "%(title)s: %(total)s from %(first)s to %(last)s; the most, %(value)s, on %(label)s."
        ) % {
            "title": title,
            "total": _number(total),
            "first": points[0][0],
            "last": points[-1][0],
            "value": _number(busiest[1]),
            "label": busiest[0],
        }
    return Chart(
        id=chart_id,
        title=title,
        summary=summary,
        shape="columns",
        bars=bars,
        width=WIDTH,
        height=COLUMN_AREA + 44,
        value_heading=value_heading,
        axis=axis,
        baseline=str(COLUMN_AREA + 16),
    )


# --- the product's charts -------------------------------------------------------------------
# What they draw, as the services compute it (services/campaigns.RecordBreakdown,
# services/history.DayActivity): described here, so that drawing imports no workflow.


class RecordBreakdown(Protocol):
    @property
    def total(self) -> int: ...
    @property
    def by_status(self) -> list[tuple[str, int]]: ...  # (status name, records)
    @property
    def by_system_status(self) -> list[tuple[str, int]]: ...  # (system status, records)
    @property
    def completion_percent(self) -> float | None: ...


class DayActivity(Protocol):
    @property
    def day(self) -> date: ...
    @property
    def sendings(self) -> int: ...
    @property
    def refused_rows(self) -> int: ...


def record_charts(breakdown: RecordBreakdown) -> list[Chart]:
    """The campaign page: records by status, by system status, and completion."""
    charts = [
        bar_chart(
            chart_id="chart-statuses",
            title=_("Records by status"),
            items=[(name or _("(no status)"), n, "status") for name, n in breakdown.by_status],
            scale=breakdown.total,
            value_heading=_("Records"),
        ),
        bar_chart(
            chart_id="chart-system-statuses",
            title=_("Records by system status"),
            items=[
                (str(SYSTEM_STATUS_LABELS.get(name, name)), n, "system")
                for name, n in breakdown.by_system_status
            ],
            scale=breakdown.total,
            value_heading=_("Records"),
        ),
    ]
    if breakdown.completion_percent is not None:
        done = round(breakdown.total * breakdown.completion_percent / 100)
        charts.append(
            bar_chart(
                chart_id="chart-completion",
                title=_("Completion"),
                items=[
                    (_("Completed"), done, "updated"),
                    (_("Not completed yet"), breakdown.total - done, "none"),
                ],
                value_heading=_("Records"),
            )
        )
    return charts


def outcome_chart(counts: dict[str, int]) -> Chart:
    """A grid: its rows by the outcome of their latest sending."""
    return bar_chart(
        chart_id="chart-outcomes",
        title=_("Rows by outcome"),
        items=[
            (str(text), counts[value], value)
            for value, text in Outcome.choices
            if counts.get(value)
        ],
        value_heading=_("Rows"),
    )


def activity_charts(days: Sequence[DayActivity]) -> list[Chart]:
    """History: sendings and refused rows per day."""
    labels = [formats.date_format(day.day, "SHORT_DATE_FORMAT") for day in days]
    return [
        column_chart(
            chart_id="chart-sendings",
            title=_("Sendings per day"),
            points=[(label, day.sendings) for label, day in zip(labels, days, strict=True)],
            kind="sendings",
            value_heading=_("Sendings"),
        ),
        column_chart(
            chart_id="chart-refused",
            title=_("Rows Thulium refused, per day"),
            points=[(label, day.refused_rows) for label, day in zip(labels, days, strict=True)],
            kind="rejected",
            value_heading=_("Rows"),
        ),
    ]
