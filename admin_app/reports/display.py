"""How numbers read on screen and paper."""

from __future__ import annotations

from decimal import Decimal


def points(value: Decimal | int | float | None) -> str:
    """Points as people write them: 10, 7.5 — not 10.0 or 1E+1."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")
