"""Geometry of the small server-rendered SVG charts (they work offline and print).

Plain functions from figures to coordinates, so a template only draws what they return.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

#: Left margin for village names, plot width, one bar's height, the gap between villages.
LABEL_WIDTH, PLOT_WIDTH, BAR, GAP = 80, 420, 9, 8


def _percent(value: Decimal) -> str:
    """99.0 → 99, 99.5 → 99.5."""
    return f"{Decimal(value).normalize():f}"


def rate_chart(rows: list[dict[str, Any]], targets: dict[str, Decimal]) -> dict[str, Any]:
    """入学率 and 巩固率 per village as paired bars against the two targets.

    The axis starts a little below the lowest rate or target (rates cluster near 100%, so
    an axis from 0 would show twelve equal bars); a village without a figure gets none.
    """
    shown = [r[k] for r in rows for k in ("enrolment_rate", "retention_rate") if r[k] is not None]
    low = min([*shown, *targets.values()], default=Decimal(90))
    start = max(0, min(90, math.floor(float(low) / 5) * 5))
    span = 100 - start

    def x(value: Decimal) -> float:
        return LABEL_WIDTH + (float(value) - start) / span * PLOT_WIDTH

    bars = []
    for index, row in enumerate(rows):
        top = index * (2 * BAR + GAP)
        for offset, key in enumerate(("enrolment_rate", "retention_rate")):
            value = row[key]
            if value is None:
                continue
            target = targets["enrolment" if key == "enrolment_rate" else "retention"]
            bars.append(
                {
                    "y": top + offset * BAR,
                    "width": max(1.0, x(value) - LABEL_WIDTH),
                    "kind": key,
                    "value": value,
                    "below": value < target,
                }
            )
    height = len(rows) * (2 * BAR + GAP)
    return {
        "labels": [
            {"y": i * (2 * BAR + GAP) + BAR + 4, "name": r["name"]} for i, r in enumerate(rows)
        ],
        "bars": bars,
        "bar": BAR,
        "label_width": LABEL_WIDTH,
        "width": LABEL_WIDTH + PLOT_WIDTH + 10,
        "height": height + 24,
        "axis_y": height + 4,
        "ticks": [{"x": x(Decimal(t)), "label": f"{t}%"} for t in range(start, 101, 5)],
        "targets": [
            {"x": x(targets["enrolment"]), "label": f"入学率目标{_percent(targets['enrolment'])}%"},
            {"x": x(targets["retention"]), "label": f"巩固率目标{_percent(targets['retention'])}%"},
        ],
    }
