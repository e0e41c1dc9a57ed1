"""The geometry of the Xero usage charts: where each bar and line goes in the SVG (the template draws them)."""
import math
from dataclasses import dataclass

from bm.localtime import to_local

from .usage import DAILY_LIMITS

WIDTH, LEFT, RIGHT, TOP, BOTTOM = 720, 48, 8, 14, 30
CALLS_HEIGHT, OUTCOMES_HEIGHT = 210, 170


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    kind: str = "calls"


@dataclass
class Line:
    y: float
    label: str


def nice_ceiling(value):
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above ``value``."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def calls_chart(hours):
    """Bars of calls per hour against the hourly pace that spends each plan's daily limit."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, CALLS_HEIGHT - TOP - BOTTOM
    paces = {plan: per_day / 24 for plan, per_day in DAILY_LIMITS.items()}
    top = nice_ceiling(max([hour.calls for hour in hours] + list(paces.values())) * 1.1)
    slot = plot_width / len(hours)

    def y_of(value):
        return TOP + plot_height - value / top * plot_height

    bars = [Bar(x=LEFT + index * slot + slot * 0.1, y=y_of(hour.calls), width=slot * 0.8,
                height=hour.calls / top * plot_height, value=hour.calls,
                label=f"{to_local(hour.start):%a %d %b %H:00}: {hour.calls} call{'' if hour.calls == 1 else 's'}"
                      + (f", {hour.limited} refused (429)" if hour.limited else ""))
            for index, hour in enumerate(hours) if hour.calls]
    lines = [Line(y=y_of(pace), label=f"{plan} plan: {DAILY_LIMITS[plan]:,} a day = {pace:.0f} an hour")
             for plan, pace in paces.items()]
    # each local midnight: a line there, its label just after (kept inside the chart's right edge)
    days = [(LEFT + index * slot, min(LEFT + index * slot + 3, WIDTH - RIGHT - 36), f"{to_local(hour.start):%a %d}")
            for index, hour in enumerate(hours) if to_local(hour.start).hour == 0]
    ticks = [(y_of(value), f"{value:g}") for value in (0, top / 2, top)]
    return {"bars": bars, "lines": lines, "days": days, "ticks": ticks, "height": CALLS_HEIGHT,
            "bottom": TOP + plot_height}


def outcomes_chart(outcomes):
    """Grouped bars of sync runs per day: finished, skipped (or stopped), failed."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, OUTCOMES_HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max([n for _day, counts in outcomes for n in counts.values()] + [1]))
    group = plot_width / len(outcomes)
    width = group * 0.8 / 3
    bars, days = [], []
    for index, (day, counts) in enumerate(outcomes):
        days.append((LEFT + index * group + group / 2, f"{day:%a %d}"))
        for position, (kind, count) in enumerate(counts.items()):
            height = count / top * plot_height
            bars.append(Bar(x=LEFT + index * group + group * 0.1 + position * width, y=TOP + plot_height - height,
                            width=width, height=height, value=count, kind=kind,
                            label=f"{day:%a %d %b}: {count} {kind}"))
    ticks = [(TOP + plot_height - value / top * plot_height, f"{value:g}") for value in (0, top / 2, top)]
    return {"bars": bars, "days": days, "ticks": ticks, "height": OUTCOMES_HEIGHT, "bottom": TOP + plot_height}
