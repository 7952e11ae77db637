"""Bar charts for the day page, drawn on the server as SVG.

This module does the geometry (where each bar, gridline and label goes, in the
SVG's own units); templates/admin/_charts.html draws the shapes. No script and no
style attributes (the CSP allows neither): colours come from classes in admin.css,
so the charts follow dark mode. Every chart's numbers are also printed as a table
beside it, for screen readers and for anyone who wants the figures.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# The SVG's own units; it scales to the width of its column. Text (15 units, in
# admin.css) reads at about 12 px on a 390 px phone, where a unit is 0.8 px.
WIDTH, HEIGHT = 400, 180
LEFT, RIGHT, TOP, BOTTOM = 58, 6, 12, 26
MAX_LABELS = 7


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Label:
    x: float
    text: str


@dataclass
class Chart:
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    baseline: float = HEIGHT - BOTTOM
    # Nothing but zeros (or nothing at all): the page says so instead of drawing.
    empty: bool = True


AMOUNT_STEPS = (1, 2, 2.5, 5, 10)
# Counts: the middle gridline (half the top) stays a whole number.
COUNT_STEPS = (2, 4, 10)


def nice_top(value: float, steps=AMOUNT_STEPS) -> float:
    """The smallest step × 10ⁿ at or above `value`: a round top for the axis."""
    if value <= 0:
        return steps[0]
    power = 10 ** math.floor(math.log10(value))
    return next((step * power for step in steps if value <= step * power), 10 * power)


def bar_chart(
    groups: Sequence,
    series: Sequence[int],
    text: Callable[[float], str],
    *,
    top: float | None = None,
    whole: bool = False,
    titles: Callable | None = None,
) -> Chart:
    """Bars for `groups` (see services.trends.Group): one per value index in
    `series` (the first solid, a second beside it in the lighter "before" style).
    `text` writes a value for the axis and the bars' tooltips; `top` fixes the axis
    (a rating's 5), `whole` keeps its gridlines on whole numbers (counts);
    `titles(group, index)` names a bar (default: group and value)."""
    chart = Chart()
    values = [g.values[i] for g in groups for i in series if g.values[i] is not None]
    top = top or nice_top(max(values, default=0), COUNT_STEPS if whole else AMOUNT_STEPS)
    chart.empty = not any(values)
    plot_height = chart.baseline - TOP
    slot = (chart.right - chart.left) / max(1, len(groups))
    gap = slot * (0.25 if len(series) == 1 else 0.18)
    bar_width = (slot - gap) / len(series)
    for n, group in enumerate(groups):
        start = chart.left + n * slot + gap / 2
        for k, index in enumerate(series):
            value = group.values[index]
            if value is None:
                continue
            height = plot_height * min(value, top) / top
            title = titles(group, index) if titles else f"{group.title}: {text(value)}"
            chart.bars.append(
                Bar(
                    x=round(start + k * bar_width, 1),
                    y=round(chart.baseline - height, 1),
                    width=round(bar_width, 1),
                    height=round(height, 1),
                    css="bar" if k == 0 else "bar bar-before",
                    title=title,
                )
            )
    for fraction in (0, 0.5, 1):
        chart.ticks.append(
            Tick(round(chart.baseline - plot_height * fraction, 1), text(top * fraction))
        )
    every = max(1, math.ceil(len(groups) / MAX_LABELS))
    for n, group in enumerate(groups):
        # Label every few groups, always the last (today, the latest hour).
        if (len(groups) - 1 - n) % every == 0:
            chart.labels.append(Label(round(chart.left + (n + 0.5) * slot, 1), group.label))
    return chart
